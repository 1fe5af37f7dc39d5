"""Every choice on a page in its link: widgets bound to URL query parameters.

A page draws each of its choices through this module instead of calling the widget itself:

    measure = view_state.selectbox(ui.t("compare.measure"), "measure", MEASURES, key="cmp_measure",
                                   where=left, format_func=ui.labeller("measure", lang))

When the page is entered (its widget holds no state yet), the choice is read from the query
parameter (`?measure=...`) and checked against the allowed values. A value that is unknown or
cannot be used (one too many, or a second value for a single choice) is ignored, and a notice above
the widget says so and names what is chosen instead; like the sidebar's notice it repeats only
short code-like values (`ui.quoted`). After the widget is drawn its value is written back to the
URL, or left out when it is the default, so copying the address bar copies the view. While the
reader stays on the page, the widget's own state rules; a menu link to another page carries only
the sidebar's filters (`ui.link_params`).

The sidebar's filters (`lang`, `year`, `region`, `type`) are read once per session by
`ui.seed_from_url`; the parameters of every page are listed in docs/dashboard.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard import ui

YES, NO = "yes", "no"
# The choices bound in this run, by parameter (reset by app.py before each page runs): a parameter
# belongs to one widget of a page, and the tests find every bound widget here.
BOUND = "_url_choices"
# Parameters that belong to the sidebar or to Streamlit itself: no page may bind them.
RESERVED = (*ui.URL.values(), "embed", "embed_options")


@dataclass(frozen=True)
class Choice:
    """One choice on a page, bound to the URL parameter `param`.

    `options` are the allowed values (codes, in the widget's order); `default` is the value shown
    when the link names none: one code, or for a multiple choice the codes (none by default, so that
    an absent parameter and an empty choice are the same). `limit` caps a multiple choice."""

    param: str
    key: str
    options: tuple[str, ...]
    default: tuple[str, ...]
    multiple: bool = False
    limit: int | None = None

    def __post_init__(self) -> None:
        if self.param in RESERVED:
            raise ValueError(f"{self.param!r} is reserved for the sidebar or Streamlit")
        if self.multiple and self.default:
            raise ValueError(f"{self.param}: a multiple choice must default to no values")
        if not self.multiple and (len(self.default) != 1 or self.default[0] not in self.options):
            raise ValueError(f"{self.param}: the default must be one of the options")

    def read(self, asked: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The choice a link asks for, as (chosen, ignored): the known values in the link's order
        (one for a single choice, at most `limit` for a multiple one), and every other value asked.
        Nothing usable asked: the default."""
        room = (self.limit or len(self.options)) if self.multiple else 1
        chosen: list[str] = []
        ignored: list[str] = []
        for value in dict.fromkeys(asked):
            if value in self.options and len(chosen) < room:
                chosen.append(value)
            else:
                ignored.append(value)
        return (tuple(chosen) or self.default), tuple(ignored)


def selectbox(label: str, param: str, options: Sequence[str], *, key: str,
              default: str | None = None, where: DeltaGenerator | None = None,
              format_func: Callable[[str], str] = str, **widget: Any) -> str:  # fmt: skip
    """st.selectbox bound to `param` (default: the first option)."""
    choice = Choice(param, key, tuple(options), (default or options[0],))
    target = _target(where)
    _restore(choice, target, label, format_func, lambda codes: codes[0])
    # Streamlit's own placeholder ("Choose an option") is English; ours is in the page's language.
    widget.setdefault("placeholder", ui.t("filters.choose_one"))
    value: str = target.selectbox(label, choice.options, key=key, format_func=format_func, **widget)
    _write(choice, (value,))
    return value


def radio(label: str, param: str, options: Sequence[str], *, key: str,
          default: str | None = None, where: DeltaGenerator | None = None,
          format_func: Callable[[str], str] = str, **widget: Any) -> str:  # fmt: skip
    """st.radio bound to `param` (default: the first option)."""
    choice = Choice(param, key, tuple(options), (default or options[0],))
    target = _target(where)
    _restore(choice, target, label, format_func, lambda codes: codes[0])
    value: str = target.radio(label, choice.options, key=key, format_func=format_func, **widget)
    _write(choice, (value,))
    return value


def multiselect(label: str, param: str, options: Sequence[str], *, key: str,
                max_selections: int | None = None, where: DeltaGenerator | None = None,
                format_func: Callable[[str], str] = str, **widget: Any) -> list[str]:  # fmt: skip
    """st.multiselect bound to the repeatable `param` (default: none chosen)."""
    choice = Choice(param, key, tuple(options), (), multiple=True, limit=max_selections)
    target = _target(where)
    _restore(choice, target, label, format_func, list)
    widget.setdefault("placeholder", ui.t("filters.choose_one"))  # not Streamlit's "Choose options"
    value: list[str] = target.multiselect(label, choice.options, key=key, format_func=format_func,
                                          max_selections=max_selections, **widget)  # fmt: skip
    _write(choice, tuple(value))
    return value


def toggle(label: str, param: str, *, key: str, default: bool,
           where: DeltaGenerator | None = None, **widget: Any) -> bool:  # fmt: skip
    """st.toggle bound to `param`, written `yes` or `no`."""
    choice = Choice(param, key, (YES, NO), (YES if default else NO,))
    target = _target(where)
    _restore(choice, target, label, _on_off, lambda codes: codes[0] == YES)
    value = bool(target.toggle(label, key=key, **widget))
    _write(choice, (YES if value else NO,))
    return value


def tabs(label: str, param: str, labels: Mapping[str, str], *, key: str) -> Sequence[Any]:
    """st.tabs bound to `param`: the codes of `labels` (in order; the first is the default) name the
    tabs, whose titles are the values. `label` names the choice in a link notice. Every tab's content
    still runs (nothing is hidden from tests or from a printed page); the chosen tab is open.

    Streamlit keeps the open tab's *title* in the session; the titles change with the language, so
    the key carries the language: after a switch the tab is seeded again from the link's code."""
    codes = tuple(labels)
    key = f"{key}_{ui.language()}"
    choice = Choice(param, key, codes, (codes[0],))
    _restore(choice, st, label, lambda code: labels[code], lambda chosen: labels[chosen[0]])
    containers = st.tabs(list(labels.values()), key=key, on_change="rerun")
    title = st.session_state.get(key)
    _write(choice, (next((code for code in codes if labels[code] == title), codes[0]),))
    return containers


def new_run() -> None:
    """Forget the previous run's bound choices (app.py, before the page runs)."""
    st.session_state[BOUND] = {}


def bound() -> dict[str, Choice]:
    """The choices bound so far in this run, by parameter."""
    return dict(st.session_state.get(BOUND) or {})


def _target(where: DeltaGenerator | None) -> Any:
    return st if where is None else where


def _on_off(code: str) -> str:
    return ui.t("url.on" if code == YES else "url.off")


def _restore(choice: Choice, target: Any, label: str, describe: Callable[[str], str],
             state: Callable[[tuple[str, ...]], object]) -> None:  # fmt: skip
    """Register the choice; on entering the page, seed its widget from the URL and say what of it
    was ignored."""
    registry = st.session_state.setdefault(BOUND, {})
    if choice.param in registry and registry[choice.param].key != choice.key:
        raise ValueError(f"the URL parameter {choice.param!r} is bound to two widgets on this page")
    registry[choice.param] = choice
    if choice.key in st.session_state:
        return
    chosen, ignored = choice.read(st.query_params.get_all(choice.param))
    st.session_state[choice.key] = state(chosen)
    if ignored:
        shown = ", ".join(describe(code) for code in chosen) or ui.t("url.nothing")
        values = ", ".join(ui.quoted(value) for value in ignored)
        target.info(ui.t("url.choice_ignored", choice=label, values=values, shown=shown),
                    icon=":material/link_off:")  # fmt: skip


def _write(choice: Choice, codes: tuple[str, ...]) -> None:
    """The choice into the URL; left out when it is the default (short links)."""
    current = st.query_params.get_all(choice.param)
    if codes == choice.default:
        if current:
            del st.query_params[choice.param]
    elif current != list(codes):
        st.query_params[choice.param] = list(codes) if choice.multiple else codes[0]


def requested_unknown_page(pages: Sequence[Any], aliases: Sequence[str] = ()) -> str | None:
    """Call before st.navigation. When the URL asks for a page that is not among `pages` (say
    `/bestaatniet`), return what it asked for ("" when only a page id came, no name) and let
    st.navigation open the default page without Streamlit's own English "Page not found" dialog;
    the app then says so in the reader's language. `aliases` are other names of the default page
    (its slug: Streamlit serves the default page at the root only). None when the page is known.

    Reads and resets the page the session asked for (the pages manager of the pinned Streamlit):
    tests/app/test_view_links.py and tests/browser/test_links.py check that this still works."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return None
    manager = ctx.pages_manager
    wanted_hash, wanted_name = manager.intended_page_script_hash, manager.intended_page_name
    if wanted_hash:
        if wanted_hash in {page._script_hash for page in pages}:
            return None
    elif not wanted_name or wanted_name in {page.url_path for page in pages}:
        return None
    manager.set_script_intent("", "")  # the default page, without the dialog
    if not wanted_hash and wanted_name in aliases:
        return None
    return wanted_name or ""


def unknown_page_notice(asked: str, shown: str) -> None:
    """Say that the link's page does not exist and which page is shown instead; the page asked for
    is named only when it is a short code-like name (`ui.quoted`)."""
    if asked and ui.quoted(asked) != ui.t("url.unshown"):
        text = ui.t("url.unknown_page", page=ui.quoted(asked), shown=shown)
    else:
        text = ui.t("url.unknown_page_unnamed", shown=shown)
    st.info(text, icon=":material/link_off:")
