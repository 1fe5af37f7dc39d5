"""The glossary page defines every term, every figure and every category the site shows, in the
reader's language, and every page names its release and the date of its data."""

from __future__ import annotations

import pytest
from support.small_release import app_test, open_page, page_path

from binc.answering import MEASURES
from binc.core import i18n
from binc.export.labels import label_for
from dashboard import navigation

pytestmark = pytest.mark.usefixtures("app_release")

CONCEPT_KEYS = sorted(k for k in i18n.keys("nl") if k.startswith("glossary.term."))


def _glossary(language: str):
    at = app_test()
    at.query_params = {"lang": language}
    at.run()
    at.switch_page(page_path("glossary")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_term_and_every_figure_is_defined_in_the_readers_language(language):
    at = _glossary(language)
    text = "\n".join(m.value for m in at.markdown)
    assert len(CONCEPT_KEYS) >= 10
    for key in CONCEPT_KEYS:
        definition = key.replace(".term.", ".definition.")
        assert f"**{i18n.text(key, language)}**  \n{i18n.text(definition, language)}" in text
    for measure in MEASURES:
        assert f"**{i18n.text(f'measure.{measure}', language)}**" in text
        assert i18n.text(f"help.{measure}", language) in text


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_category_is_listed_with_its_code_and_name(language):
    at = _glossary(language)
    titles = [e.label for e in at.expander]
    assert i18n.text("dim.trajectory_type", language) in titles
    assert i18n.text("dim.year", language) not in titles  # a year is its own name
    tables = {e.label: e for e in at.expander}
    types = tables[i18n.text("dim.trajectory_type", language)].dataframe[0].value
    codes = list(types[i18n.text("glossary.code", language)])
    assert "coaching_short" in codes
    names = list(types[i18n.text("glossary.name", language)])
    assert names[codes.index("coaching_short")] == label_for(
        "trajectory_type", "coaching_short", language
    )


def test_the_glossary_is_in_the_menu_before_the_method_page():
    names = [page.name for page in navigation.PAGES]
    assert names.index("glossary") == names.index("method") - 1


@pytest.mark.parametrize("page", ["overview", "glossary", "method"])
def test_every_page_names_its_release_and_the_date_of_its_data(page):
    at = open_page(page)
    captions = [c.value for c in at.sidebar.caption]
    release_lines = [c for c in captions if c.startswith("Release ")]
    assert len(release_lines) == 1
    assert "toestand van de gegevens op" in release_lines[0]
    assert i18n.format_date(None, "nl") not in release_lines[0]  # a date, not "–"
