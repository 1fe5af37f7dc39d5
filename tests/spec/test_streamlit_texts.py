"""Streamlit's own texts in Dutch (dashboard/streamlit_texts.py): the `[streamlit]` tables of the
language files, the translation the injected script does, the script's fixed text and its hash in
the deployment's Content-Security-Policy.

The browser side (every page in Chromium, with the widgets opened, no English left on a Dutch page)
is tests/browser/test_language_browser.py."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import re
from pathlib import Path

import pytest
from support import REPO

from binc.core import i18n
from dashboard import streamlit_texts, ui

EN, NL = i18n.texts_of("streamlit", "en"), i18n.texts_of("streamlit", "nl")
TO_DUTCH, TO_ENGLISH = streamlit_texts.table("en", "nl"), streamlit_texts.table("nl", "en")
STATIC = Path(importlib.util.find_spec("streamlit").origin).parent / "static" / "static" / "js"
CONF = REPO / "deploy" / "nginx" / "binc.conf"
# What a placeholder stands for in the samples below.
SAMPLE = {"count": "7", "index": "2"}
TEXT_SAMPLE = "Startjaren 2025"
# English texts that Streamlit builds from pieces, so that no piece of ours is in its code as it
# stands: the pieces to look for instead.
COMPOSED = {
    "results": ["result${", "===1?``:`s`"],
    "one_result": ["result${", "===1?``:`s`"],
    "result_of": [" of ${", "result${"],
    "result_of_one": [" of ${", "result${"],
    "result_of_over_1000": [" of ${", "`over 1000`"],
    "options_available": [" options`", "} available.`"],
    "option_available": [" option`", "} available.`"],
    "selected_option": ["`, selected`"],
    "max_one": ["You can only select up to ${", "`option`", ". Remove an option first."],
    "max_many": ["You can only select up to ${", "`options`", ". Remove an option first."],
}


def _filled(template: str) -> str:
    return streamlit_texts.PLACEHOLDER.sub(lambda m: SAMPLE.get(m.group(1), TEXT_SAMPLE), template)


def _in_code(text: str) -> list[str]:
    """How a text stands in Streamlit's bundles: a template literal, `${...}` for each placeholder."""
    pieces = streamlit_texts.PLACEHOLDER.split(text)[::2]
    if len(pieces) == 1:
        return [f"`{text}`"]
    first, *middle, last = pieces
    return [p for p in (f"`{first}${{" if first else "", *(f"}}{m}${{" for m in middle),
                        f"}}{last}`" if last else "") if p]  # fmt: skip


def _streamlit_code() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8", errors="replace") for path in STATIC.glob("*.js")
    )


def test_both_language_files_have_the_same_texts_with_the_same_placeholders():
    assert EN.keys() == NL.keys()
    assert len(EN) >= 60  # the control: the tables were read
    for key in EN:
        names = streamlit_texts.PLACEHOLDER.findall(EN[key])
        assert len(set(names)) == len(names), key  # each placeholder once
        assert sorted(names) == sorted(streamlit_texts.PLACEHOLDER.findall(NL[key])), key
        assert EN[key] != NL[key], key  # a text that stays the same needs no entry
    for texts in (EN, NL):  # one text per key, so that the way back is unambiguous
        assert [t for t in texts.values() if list(texts.values()).count(t) > 1] == []


def test_every_english_text_is_one_that_streamlit_writes():
    """After a Streamlit upgrade: a text here that Streamlit no longer writes (renamed or dropped)."""
    code = _streamlit_code()
    assert "Skip to main content" in code  # the control: Streamlit's bundles were read
    gone = {}
    for key, text in EN.items():
        missing = [piece for piece in COMPOSED.get(key) or _in_code(text) if piece not in code]
        if missing:
            gone[key] = missing
    assert gone == {}, "not in Streamlit's code (any more): " + repr(gone)


@pytest.mark.parametrize("key", sorted(EN))
def test_each_text_goes_to_dutch_and_back_and_a_dutch_text_stays_dutch(key):
    english, dutch = _filled(EN[key]), _filled(NL[key])
    translate = streamlit_texts.translate
    assert translate(english, TO_DUTCH) == dutch
    assert translate(f"  {english}\n", TO_DUTCH) == f"  {dutch}\n"  # the spaces around are kept
    assert translate(dutch, TO_DUTCH) == dutch  # idempotent: no loop in the observer
    assert translate(dutch, TO_ENGLISH) == english  # the switch to English puts it back
    assert translate(english, TO_ENGLISH) == english


def test_a_text_with_a_context_and_what_is_left_alone():
    translate = streamlit_texts.translate
    assert (
        translate("Fullscreen: Gestarte trajecten", TO_DUTCH)
        == "Volledig scherm: Gestarte trajecten"
    )
    assert translate("Top values frequency chart: 714: 1 (100%)", TO_DUTCH) == (
        "Meest voorkomende waarden: 714: 1 (100%)"
    )
    assert translate("Help for Dimensies (max. 3)", TO_DUTCH) == "Hulp bij Dimensies (max. 3)"
    assert translate("Remove $1 & co", TO_DUTCH) == "$1 & co verwijderen"
    assert translate("2 of 1,234 results", TO_DUTCH) == "2 van 1,234 resultaten"
    for kept in (
        "",
        "  ",
        "Provincie: Antwerpen",
        "Opening",
        "Search results",
        "x results",
        "Zoeken",
    ):
        assert translate(kept, TO_DUTCH) == kept


def test_the_script_is_one_fixed_text_with_every_dutch_text_and_nothing_dompurify_drops():
    script = streamlit_texts.script_text()
    assert script == streamlit_texts.script_text()
    assert f"<script>{script}</script>" == streamlit_texts.SCRIPT
    assert "<" not in script  # DOMPurify drops a script whose text looks like markup
    assert script.isascii()
    for value in TO_DUTCH["exact"].values():
        assert json.dumps(value) in script
    # the Dutch page gets it after the script that sets the language; the English page does not
    assert ui.PAGE_SCRIPTS["nl"].endswith(streamlit_texts.SCRIPT)
    assert ui.PAGE_SCRIPTS["nl"].index("documentElement.lang = 'nl'") < ui.PAGE_SCRIPTS["nl"].index(
        "__binc"
    )
    assert streamlit_texts.SCRIPT not in ui.PAGE_SCRIPTS["en"]


def test_the_content_security_policy_allows_every_inline_script_of_the_dashboard():
    """After a change to a script or to the [streamlit] tables: the hash to put into
    deploy/nginx/binc.conf (script-src); tests/e2e/test_proxy.py then sees it in Chromium."""
    policy = re.search(r'add_header Content-Security-Policy "([^"]+)"', CONF.read_text())[1]
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src")).split()
    wanted = set()
    for html in ui.PAGE_SCRIPTS.values():
        for script in re.findall(r"<script>(.*?)</script>", html, re.DOTALL):
            wanted.add(
                f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
            )
    assert len(wanted) == 3
    missing = sorted(wanted - set(script_src))
    assert not missing, f"put {' '.join(missing)} in script-src of {CONF.relative_to(REPO)}"
