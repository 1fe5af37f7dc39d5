"""Streamlit's own texts in Dutch: the aria-labels, tooltips and the few visible words of its chrome
and widgets ("Skip to main content", "Remove 2025", "Help for Regio", the data tables' toolbar, …).

Streamlit 1.67 writes these in English whatever the page's language, with no parameter and no
locale. On a Dutch page `ui.language_switch` therefore adds one fixed script (`SCRIPT`) after the
one that sets `<html lang>`: a MutationObserver on the page that replaces each such text, in an
`aria-label`, `title` or `placeholder` attribute or as a whole text node, by its Dutch text from the
language files. Both texts of each pair live in the `[streamlit]` table of binc/core/i18n: en.toml
holds Streamlit's exact English text (so the English page keeps what Streamlit writes), nl.toml the
Dutch one. A `{name}` placeholder stands for a part that is kept: "Remove {value}" →
"{value} verwijderen"; `{count}` and `{index}` match a number (digits, and commas as React Aria
groups thousands), any other name any text. A text "<English text>: <context>" (the element
toolbar's buttons name their element that way, the data tables' statistics their values) gets its
first part translated.

The observer looks only at what changes (added nodes, changed attributes and texts), is idempotent
(no Dutch text is an English one, tests/spec/test_streamlit_texts.py), and follows `<html lang>`:
when the page switches to English it puts the English texts back and stops. React Aria's texts
(under Streamlit's selectbox and multiselect: "Dismiss", "7 options available.") are in the tables
too: Streamlit gives those widgets a fixed locale (`I18nProvider locale="en-US"`), so React Aria's
own Dutch cannot be chosen.

The script's text is fixed for a given pair of language files, so that the Content-Security-Policy
can allow it by its SHA-256 (deploy/nginx/binc.conf; tests/spec/test_streamlit_texts.py names the
hash to put there after any change to the `[streamlit]` tables or to this file). After a Streamlit
upgrade, tests/browser/test_language_browser.py names any new English text on a Dutch page, and
tests/spec/test_streamlit_texts.py any English text here that Streamlit no longer writes.
"""

from __future__ import annotations

import json
import re
from typing import TypedDict

from binc.core import i18n

SECTION = "streamlit"
# Placeholders that stand for a number; every other placeholder stands for any text.
NUMBERS = frozenset({"count", "index"})
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# The attributes whose text is translated (the same the browser test reads, less alt and data-title:
# Streamlit writes none of its own texts there).
ATTRIBUTES = ("aria-label", "title", "placeholder")

Pattern = tuple[str, tuple[str, ...], str]  # (regular expression, placeholder names, template)


class Direction(TypedDict):
    """From one language's texts to the other's."""

    exact: dict[str, str]
    patterns: list[Pattern]


def _js_escape(text: str) -> str:
    """`text` as a literal in a regular expression, written the same in Python and JavaScript."""
    return re.sub(r"[\\^$.*+?()[\]{}|/-]", lambda m: "\\" + m.group(), text)


def regex(template: str) -> str:
    """The regular expression of a text with placeholders: one group per placeholder."""
    parts, last = [], 0
    for match in PLACEHOLDER.finditer(template):
        parts.append(_js_escape(template[last : match.start()]))
        parts.append(r"(\d[\d,]*)" if match.group(1) in NUMBERS else "(.+)")
        last = match.end()
    parts.append(_js_escape(template[last:]))
    return "".join(parts)


def table(source: str, target: str) -> Direction:
    """From `source`'s texts to `target`'s: the texts without a placeholder, and the patterns."""
    sources, targets = i18n.texts_of(SECTION, source), i18n.texts_of(SECTION, target)
    exact: dict[str, str] = {}
    patterns: list[Pattern] = []
    for key in sorted(sources):
        names = tuple(PLACEHOLDER.findall(sources[key]))
        if names:
            patterns.append((regex(sources[key]), names, targets[key]))
        else:
            exact[sources[key]] = targets[key]
    return {"exact": exact, "patterns": patterns}


def _fill(template: str, parts: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: parts[m.group(1)], template)


def translate(text: str, direction: Direction) -> str:
    """What the script makes of one attribute or text node (the same steps as `_TRANSLATE` below):
    the trimmed text by exact match, else by the first pattern that matches it whole, else its part
    before ": " by exact match; anything else is left as it is."""
    core = text.strip()
    if not core:
        return text
    exact = direction["exact"]
    out = exact.get(core)
    if out is None:
        for expression, names, template in direction["patterns"]:
            if match := re.fullmatch(expression, core):
                out = _fill(template, dict(zip(names, match.groups(), strict=True)))
                break
    if out is None:
        colon = core.find(": ")
        if colon > 0 and core[:colon] in exact:
            out = exact[core[:colon]] + core[colon:]
    return text if out is None else text.replace(core, out, 1)


# The script. No "<" anywhere in it: Streamlit passes st.html through DOMPurify, which drops a
# script whose text looks like markup. The texts come in as JSON (ASCII only).
_TRANSLATE = """(() => {
  if (window.__bincStreamlitTexts) return;
  const compile = t => ({exact: new Map(Object.entries(t.exact)),
    patterns: t.patterns.map(([source, names, template]) => [new RegExp('^(?:' + source + ')$'), names, template])});
  const TEXTS = %(texts)s;
  const DUTCH = compile(TEXTS.nl), ENGLISH = compile(TEXTS.en);
  const ATTRIBUTES = %(attributes)s, SELECTOR = ATTRIBUTES.map(name => '[' + name + ']').join(',');
  const translate = (text, to) => {
    const core = text.trim();
    if (!core) return text;
    let out = to.exact.get(core);
    if (out === undefined) for (const [regex, names, template] of to.patterns) {
      const match = regex.exec(core);
      if (match) { out = template.replace(/\\{(\\w+)\\}/g, (_, name) => match[names.indexOf(name) + 1]); break; }
    }
    if (out === undefined) {
      const colon = core.indexOf(': ');
      if (colon > 0 && to.exact.has(core.slice(0, colon))) out = to.exact.get(core.slice(0, colon)) + core.slice(colon);
    }
    return out === undefined ? text : text.replace(core, () => out);
  };
  const attribute = (element, name, to) => {
    const value = element.getAttribute(name);
    if (!value) return;
    const changed = translate(value, to);
    if (changed !== value) element.setAttribute(name, changed);
  };
  const text = (node, to) => {
    const parent = node.parentNode;
    if (parent && (parent.nodeName === 'SCRIPT' || parent.nodeName === 'STYLE')) return;
    const changed = translate(node.data, to);
    if (changed !== node.data) node.data = changed;
  };
  const tree = (root, to) => {
    if (root.nodeType === Node.TEXT_NODE) return text(root, to);
    if (root.nodeType !== Node.ELEMENT_NODE || root.nodeName === 'SCRIPT' || root.nodeName === 'STYLE') return;
    for (const element of [root, ...root.querySelectorAll(SELECTOR)])
      for (const name of ATTRIBUTES) attribute(element, name, to);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) text(walker.currentNode, to);
  };
  let to = null;
  const observer = new MutationObserver(records => {
    if (!to) return;
    for (const record of records) {
      if (record.type === 'childList') for (const node of record.addedNodes) tree(node, to);
      else if (record.type === 'attributes') attribute(record.target, record.attributeName, to);
      else text(record.target, to);
    }
  });
  const follow = () => {
    const dutch = document.documentElement.lang === 'nl';
    if (dutch === (to === DUTCH)) return;
    to = dutch ? DUTCH : null;
    tree(document.body, dutch ? DUTCH : ENGLISH);
  };
  window.__bincStreamlitTexts = {translate: (value, language) => translate(value, language === 'nl' ? DUTCH : ENGLISH)};
  observer.observe(document.body, {subtree: true, childList: true, characterData: true,
                                   attributes: true, attributeFilter: ATTRIBUTES});
  new MutationObserver(follow).observe(document.documentElement, {attributes: true, attributeFilter: ['lang']});
  follow();
})();"""


def script_text() -> str:
    """The script's text (what the Content-Security-Policy hashes): English → Dutch and back."""
    texts = {"nl": table("en", "nl"), "en": table("nl", "en")}
    literal = json.dumps(texts, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    literal = literal.replace("<", "\\u003c")
    return _TRANSLATE % {"texts": literal, "attributes": json.dumps(list(ATTRIBUTES))}


SCRIPT = f"<script>{script_text()}</script>"
