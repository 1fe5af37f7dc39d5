"""A shared link that holds values the release does not know says so, once, and says what it shows
instead — it never silently shows all of Flanders for an unknown region."""

from __future__ import annotations

import pytest
from support.small_release import app_test, page_path

from binc.core import i18n
from binc.export.labels import label_for

pytestmark = pytest.mark.usefixtures("app_release")

START = i18n.text("url.ignored", "nl").split(":")[0]  # "Niet alles in deze link kennen we"


def _open(query: dict) -> object:
    at = app_test()
    at.query_params = query
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _notices(at) -> list[str]:
    return [i.value for i in at.info if i.value.startswith(START) or "link" in i.value]


def test_an_unknown_region_is_named_and_what_is_shown_instead_is_said():
    notices = _notices(_open({"region": "P99"}))
    assert len(notices) == 1
    assert "'P99'" in notices[0]
    assert i18n.text("filters.region", "nl") in notices[0]
    assert "Vlaanderen en Brussel" in notices[0]


def test_unknown_years_types_and_language_are_each_named():
    at = _open({"year": ["1990", "2024"], "type": ["teleportation"], "lang": "xx"})
    (notice,) = _notices(at)
    assert "'1990'" in notice
    assert "'teleportation'" in notice  # a code-like value is named
    assert "'xx'" in notice
    assert "startjaar 2024" in notice  # what is shown: the known year that was asked


def test_a_link_with_known_values_gets_no_notice():
    at = _open({"year": ["2024"], "region": "P03", "type": ["coaching_short"], "lang": "en"})
    assert not _notices(at)
    assert any(label_for("partnership", "P03", "en") in s.value for s in at.subheader)


def test_the_notice_is_said_once_not_on_every_page():
    at = _open({"region": "P99"})
    assert _notices(at)
    at.switch_page(page_path("duration")).run()
    assert not _notices(at)


def test_a_value_that_is_not_a_short_code_is_not_repeated():
    """A crafted link cannot put its own words on the page: only code-like values are named."""
    (notice,) = _notices(_open({"region": "[klik hier](javascript:alert(1))", "year": "x" * 40}))
    assert "klik" not in notice
    assert "xxxxxxxxxxxx" not in notice
    assert notice.count(i18n.text("url.unshown", "nl")) == 2
    assert "Regio" in notice
