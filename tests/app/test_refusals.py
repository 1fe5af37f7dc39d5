"""A refused question is explained in the reader's language: the answering layer gives its reason as
data, the dashboard words it from its language files with labelled dimensions and local numbers."""

from __future__ import annotations

import re

import pytest
from support import REPO
from support.small_release import app_test, page_path

from binc.core import i18n

pytestmark = pytest.mark.usefixtures("app_release")


def _reasons_raised() -> set[str]:
    found: set[str] = set()
    for file in (REPO / "binc").rglob("*.py"):
        found |= set(re.findall(r'reason="([a-z_]+)"', file.read_text(encoding="utf-8")))
    return found


def test_every_reason_the_layers_give_has_a_text_in_both_languages():
    reasons = _reasons_raised()
    assert len(reasons) >= 10
    for language in ("nl", "en"):
        texts = {
            k.removeprefix("refusal.") for k in i18n.keys(language) if k.startswith("refusal.")
        }
        assert texts == reasons, language


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_refused_headline_says_why_in_the_readers_language(language):
    at = app_test()
    at.query_params = {"lang": language, "region": "P01"}
    at.run()
    at.switch_page(page_path("overview")).run()
    assert not at.exception
    children = next(m for m in at.metric if m.label == i18n.text("measure.children", language))
    assert children.value == "–"  # the words go below the card, where nothing cuts them off
    assert i18n.text("overview.not_available", language) in [c.value for c in at.caption]
    why = children.proto.help
    assert i18n.text("dim.partnership", language) in why  # the dimension by its label
    assert "cannot be used here" not in why or language == "en"
    assert "'partnership'" not in why  # never the code name in quotes, the English sentence's form
    expected = i18n.text(
        "refusal.dimension_not_here",
        language,
        measure=i18n.text("measure.children", language),
        dimensions=i18n.text("dim.partnership", language),
        allowed=i18n.text("dim.year", language),
    )
    assert why == expected
