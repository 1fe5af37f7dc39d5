"""No English on a Dutch page and no Dutch on an English page: every page is rendered in each
language and every text a reader sees (headings, prose, captions, notices, cards and their help,
widget labels and help, expander titles, table headers and cells, chart titles, axis titles, legend
names and hover texts) is searched for common words of the other language.

Proper names (partnerships, provinces, municipalities), the codes in the glossary's code column and
the bilingual language switch are left out: they are the same in both languages by design."""

from __future__ import annotations

import json
import re

import pytest
from support.small_release import PAGES, open_page

from binc.core import i18n, reference

pytestmark = pytest.mark.usefixtures("app_release")

# Words that occur in one language and not in the other (not "of", "in", "per", "interval", "de").
ENGLISH = {"the", "and", "share", "trajectories", "trajectory", "cannot", "allowed", "measured",
           "select", "choose", "table", "chart", "year", "years", "total", "children", "months",
           "days", "suppressed", "none", "with", "not", "started", "ended", "planned", "reached",
           "waiting", "duration", "partnership", "province", "sex", "family", "age", "still"}  # fmt: skip
DUTCH = {"het", "van", "trajecten", "traject", "niet", "naar", "jaar", "kinderen", "maanden",
         "dagen", "onderdrukt", "geen", "met", "tabel", "grafiek", "totaal", "samenwerkingsverband",
         "provincie", "soort", "geslacht", "leeftijd", "gezin", "duur", "wachttijd", "nog"}  # fmt: skip
OTHER = {"nl": ENGLISH, "en": DUTCH}


def _proper_names() -> list[str]:
    names = list(reference.partnerships()["label_nl"]) + list(reference.partnerships()["label_en"])
    names += list(reference.provinces()["label_nl"]) + list(reference.provinces()["label_en"])
    names += list(reference.municipalities()["name_nl"])
    names += ["Taal / Language", "1 Gezin, 1 Plan", "1Gezin1Plan"]  # the programme's name
    return sorted(set(names), key=len, reverse=True)


NAMES = _proper_names()


def _texts(at, language: str) -> list[str]:
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error"):
        out += [str(e.value) for e in getattr(at, kind)]
    out += [f"{m.label} {m.value} {m.proto.help}" for m in at.metric]
    for widget in ("selectbox", "multiselect", "radio", "toggle", "button_group", "checkbox"):
        for e in at.get(widget):
            out += [e.proto.label, e.proto.help]
            out += [str(o) for o in getattr(e.proto, "options", [])]
    out += [e.label for e in at.expander]
    code = i18n.text("glossary.code", language)
    for frame in at.dataframe:
        table = frame.value.drop(columns=[code], errors="ignore")
        out += [str(c) for c in table.columns]
        out += [str(x) for x in table.astype(str).to_numpy().ravel()]
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        layout = spec.get("layout", {})
        out += [json.dumps(layout.get(k, {}).get("title", "")) for k in ("xaxis", "yaxis")]
        out.append(json.dumps(layout.get("title", "")))
        for trace in spec.get("data", []):
            out.append(str(trace.get("name", "")))
            out += [str(x) for x in (trace.get("customdata") or [])[:100]]
    return out


def _foreign_words(texts: list[str], language: str) -> set[tuple[str, str]]:
    found = set()
    for text in texts:
        for name in NAMES:
            text = text.replace(name, " ")
        for word in re.findall(r"[A-Za-zÀ-ÿ]+", text):
            if word.lower() in OTHER[language]:
                found.add((word, text.strip()[:80]))
    return found


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_a_page_speaks_one_language(page, language):
    at = open_page(page, {"lang": language})
    assert not at.exception
    assert not _foreign_words(_texts(at, language), language)


def test_the_check_finds_a_word_of_the_other_language():
    assert _foreign_words(["Gestarte trajecten: the share"], "nl") == {
        ("the", "Gestarte trajecten: the share"), ("share", "Gestarte trajecten: the share")
    }  # fmt: skip
    assert _foreign_words(["Trajectories started in het jaar"], "en") == {
        ("het", "Trajectories started in het jaar"), ("jaar", "Trajectories started in het jaar")
    }  # fmt: skip
