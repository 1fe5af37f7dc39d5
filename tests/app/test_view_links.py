"""Every view in its link: opening a copied link reproduces the same view, on every page and for
every choice on it; a value the link holds that cannot be used is named in a notice with what is
shown instead; an unknown page says so; the menu links carry the sidebar's filters.

A page's choices are bound to the URL by dashboard.view_state; the tests find them in the registry
of the run (`view_state.BOUND`), and fail when a page draws a widget that is not bound."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest
from streamlit.util import calc_hash
from support import REPO
from support.small_release import PAGES, app_test, page_path

from binc.core import i18n
from dashboard import ui, view_state
from dashboard.navigation import PAGES as NAV
from dashboard.view_state import NO, YES, Choice

pytestmark = pytest.mark.usefixtures("app_release")

FIRST = PAGES[0]  # the default page, at the root
SIDEBAR = ui.URL  # widget key -> parameter of the sidebar's filters
# Every kind of input widget AppTest knows (buttons and downloads are not choices).
KINDS = ("selectbox", "radio", "multiselect", "toggle", "checkbox", "button_group", "slider",
         "select_slider", "number_input", "text_input", "text_area", "date_input", "time_input",
         "color_picker")  # fmt: skip
LINK = "link"  # every link notice says "link" (url.ignored, url.choice_ignored, url.unknown_page)
# Every (page, parameter) the pages bind; test_the_test_covers_every_bound_choice keeps it complete.
CHOICES = [("overview", "measure"), ("target_group", "dim"), ("target_group", "split"),
           ("target_group", "tab"),
           ("duration", "split"), ("outcomes", "split"), ("compare", "measure"), ("compare", "level"),
           ("compare", "period"),
           ("tables", "measure"), ("tables", "by"), ("tables", "filters"), ("tables", "totals")]  # fmt: skip


def _open(page: str, link: dict | None = None):
    """A fresh session on `page` as a copied link opens it: the sidebar's filters are read on the
    session's first run, the page's own choices when the page is entered. (AppTest's first run is
    always on the default page, so another page's choices come with the switch to it.)"""
    link = dict(link or {})
    at = app_test()
    shared = {name: value for name, value in link.items() if name in SIDEBAR.values()}
    at.query_params = link if page == FIRST else shared
    at.run()
    if page != FIRST:
        at.query_params = {**at.query_params, **link}
        at.switch_page(page_path(page)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _choices(at) -> dict[str, Choice]:
    return dict(at.session_state[view_state.BOUND])


def _widgets(block) -> dict:
    return {w.key: w for kind in KINDS for w in block.get(kind) if w.key}


class _Tabs:
    """A bound tab group (view_state.tabs) driven like a widget: its value is the open tab's code.
    Streamlit keeps the open tab's title under the group's key, which ends in the language."""

    def __init__(self, at, choice: Choice) -> None:
        self.at, self.choice = at, choice
        self.options = [self._title(code) for code in choice.options]

    def _title(self, code: str) -> str:
        return i18n.text(f"tabs.{code}", self.choice.key.rsplit("_", 1)[1])

    @property
    def label(self) -> str:
        return i18n.text("tabs.choice", self.choice.key.rsplit("_", 1)[1])

    def drawn(self, block) -> bool:
        """The tab group is drawn in `block` (its tabs carry its titles)."""
        return [tab.label for tab in block.tabs] == self.options

    @property
    def value(self) -> str:
        title = self.at.session_state[self.choice.key]
        return self.choice.options[self.options.index(title)]

    def set_value(self, code: str):
        self.at.session_state[self.choice.key] = self._title(code)
        return self.at


def _inputs(at) -> dict:
    """Every bound choice's input by key: the widgets, and the tab groups."""
    widgets = _widgets(at)
    tabs = {c.key: _Tabs(at, c) for c in _choices(at).values() if c.key not in widgets}
    return {**widgets, **tabs}


def _notices(at) -> list[str]:
    return [i.value for i in at.info if LINK in i.value]


def _view(at) -> dict:
    """What the reader sees and has chosen: every bound choice, the filters, the headings, the
    charts' figures and the tables' cells."""
    inputs = _inputs(at)
    return {
        "choices": {param: inputs[c.key].value for param, c in _choices(at).items()},
        "filters": {param: at.session_state[key] for key, param in SIDEBAR.items()},
        "headings": [e.value for kind in ("title", "subheader") for e in getattr(at, kind)],
        "charts": [chart.proto.spec for chart in at.get("plotly_chart")],
        "tables": [frame.value.to_dict() for frame in at.dataframe],
    }


def _other(choice: Choice, avoid: object = None) -> str | list[str] | bool:
    """A value of `choice` other than its default (and than `avoid`), as its widget takes it."""
    if choice.options == (YES, NO):
        return choice.default != (YES,)
    if choice.multiple:
        return list(choice.options[:2])[::-1]  # two values, not in the options' order
    return next(o for o in choice.options if o not in (*choice.default, avoid))


def _set(at, choice: Choice, value) -> None:
    _inputs(at)[choice.key].set_value(value).run()
    assert not at.exception, [e.value for e in at.exception]


def _copy(at) -> dict:
    """The link as the address bar holds it after the run."""
    return dict(at.query_params)


def _default_shown(at, choice: Choice) -> str:
    """How the widget names the choice's default (what a notice says is shown instead)."""
    widget = _inputs(at)[choice.key]
    if choice.options == (YES, NO):
        return i18n.text("url.on" if choice.default == (YES,) else "url.off", "nl")
    if choice.multiple:
        return i18n.text("url.nothing", "nl")
    return widget.options[choice.options.index(choice.default[0])]


def _page_choices() -> list[tuple[str, str]]:
    """(page, parameter) for every choice every page binds, found by opening each page."""
    found = []
    for page in PAGES:
        found += [(page, param) for param in _choices(_open(page))]
    return found


# --- opening a copied link reproduces the same view ------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_every_choice_on_a_page_is_bound_to_the_link(page):
    at = _open(page)
    bound = {c.key for c in _choices(at).values()}
    unbound = sorted(set(_widgets(at.main)) - bound)
    assert not unbound, f"{page}: widgets not in the URL (draw them through dashboard.view_state)"
    assert set(_widgets(at.sidebar)) == set(SIDEBAR)  # the filters: ui.seed_from_url / write_url


@pytest.mark.parametrize(("page", "param"), CHOICES)
def test_a_copied_link_reproduces_each_choice(page, param):
    at = _open(page)
    choice = _choices(at)[param]
    _set(at, choice, _other(choice))
    link = _copy(at)
    assert param in link, link  # a choice away from its default is in the address bar
    copy = _open(page, link)
    assert not _notices(copy)
    assert _view(copy) == _view(at)
    assert _copy(copy) == link


@pytest.mark.parametrize("page", PAGES)
def test_a_copied_link_reproduces_every_choice_and_filter_at_once(page):
    at = _open(page)
    at.button_group(key="f_lang").set_value("en").run()
    at.multiselect(key="f_years").set_value(["2023", "2024"]).run()
    at.selectbox(key="f_region").set_value("P03").run()
    at.multiselect(key="f_types").set_value(["coaching_short"]).run()
    # in the page's order: one choice can change the options of the next
    for param in list(_choices(at)):
        choice = _choices(at)[param]
        _set(at, choice, _other(choice))
    link = _copy(at)
    assert {"lang", "year", "region", "type"} <= set(link)
    copy = _open(page, link)
    assert not _notices(copy)
    assert _view(copy) == _view(at)
    assert _view(copy)["filters"] == {"lang": "en", "year": ["2023", "2024"], "region": "P03",
                                      "type": ["coaching_short"]}  # fmt: skip


def test_the_test_covers_every_bound_choice():
    """The parametrised list above is every (page, parameter) the pages bind, and docs/dashboard.md
    documents exactly these."""
    found = _page_choices()
    assert sorted(found) == sorted(CHOICES)
    assert sorted(found) == sorted(_documented())


def _documented() -> list[tuple[str, str]]:
    """(page, parameter) of the page rows of the parameter table in docs/dashboard.md."""
    slugs = {page.slug: page.name for page in NAV}
    rows = re.findall(r"^\| [^|]*\(`/([a-z]*)`\) \| `([a-z_]+)`[^|]*\|", _docs(), flags=re.M)
    return [(slugs.get(slug, FIRST), param) for slug, param in rows]


def _docs() -> str:
    return (REPO / "docs" / "dashboard.md").read_text(encoding="utf-8")


def test_the_documented_defaults_and_values_are_those_of_the_pages():
    for page, param in _page_choices():
        choice = _choices(_open(page))[param]
        slug = "" if page == FIRST else next(p.slug for p in NAV if p.name == page)
        row = re.search(
            rf"^\| [^|]*\(`/{slug}`\) \| `{param}`[^|]*\|([^|]*)\|([^|]*)\|", _docs(), re.M
        )
        assert row, (page, param)
        values, default = row.groups()
        assert (
            set(re.findall(r"`([a-z0-9_]+)`", values)) >= set(choice.options) or "release" in values
        )
        assert re.findall(r"`([a-z0-9_]+)`", default) == list(choice.default), (page, param)


def _click(at, page: str) -> None:
    """Follow the menu link to `page` as the browser does: to its page, with its parameters."""
    (link,) = [e for e in at.get("page_link") if e.proto.label == i18n.text(f"page.{page}", "nl")]
    at.query_params = parse_qs(link.proto.query_string)
    at.switch_page(page_path(page)).run()
    assert not at.exception, [e.value for e in at.exception]


def test_leaving_a_page_forgets_its_choices_but_keeps_the_filters():
    at = _open("compare", {"region": "P03", "measure": "survival_6m", "level": "province"})
    _click(at, "tables")
    assert at.session_state["f_region"] == "P03"
    assert at.selectbox(key="tables_measure").value == "trajectories"
    assert set(_copy(at)) == {"lang", "year", "region"}
    _click(at, "compare")
    assert at.selectbox(key="cmp_measure").value == "trajectories"
    assert at.radio(key="cmp_level").value == "partnership"


# --- a value that cannot be used gets a notice ----------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_an_unknown_value_of_every_choice_is_named_with_what_is_shown_instead(page):
    for param, choice in _choices(_open(page)).items():
        at = _open(page, {param: "onbekend9"})
        (notice,) = _notices(at)
        widget = _inputs(at)[choice.key]
        assert "'onbekend9'" in notice, notice
        assert widget.label in notice  # which choice
        assert _default_shown(at, choice) in notice  # what is shown instead
        assert notice.startswith(i18n.text("url.choice_ignored", "nl").split(":")[0])
        # the notice and the widget are on the page
        assert (
            widget.drawn(at.main) if isinstance(widget, _Tabs) else choice.key in _widgets(at.main)
        )
        value = widget.value if choice.options != (YES, NO) else (YES if widget.value else NO)
        assert (tuple(value) if choice.multiple else (value,)) == choice.default
        assert param not in _copy(at)  # the address bar no longer holds what was ignored


def test_the_notice_is_in_the_readers_language():
    at = _open("compare", {"lang": "en", "measure": "onbekend9"})
    (notice,) = _notices(at)
    assert notice.startswith(i18n.text("url.choice_ignored", "en").split(":")[0])
    assert i18n.text("compare.measure", "en") in notice
    assert i18n.text("measure.trajectories", "en") in notice


def test_a_usable_value_is_kept_beside_an_unusable_one():
    at = _open("tables", {"by": ["sex", "planet", "year", "province", "age_band"]})
    assert at.multiselect(key="tables_by").value == ["sex", "year", "province"]  # at most three
    (notice,) = _notices(at)
    assert "'planet'" in notice
    assert "'age\\_band'" in notice
    label = i18n.text("dim.sex", "nl")
    assert label in notice  # what is chosen instead: the usable values
    assert _copy(at)["by"] == ["sex", "year", "province"]


def test_a_second_value_of_a_single_choice_is_named():
    at = _open("outcomes", {"split": ["year", "partnership"]})
    assert at.selectbox(key="out_by").value == "year"
    (notice,) = _notices(at)
    assert "'partnership'" in notice
    assert _copy(at)["split"] == "year"


def test_a_dimension_the_measure_does_not_allow_is_named():
    """`by` is checked against the measure the link asks for (the tables page's options follow it)."""
    at = _open("tables", {"measure": "children", "by": ["year", "sex"]})
    assert at.selectbox(key="tables_measure").value == "children"
    assert at.multiselect(key="tables_by").value == ["year"]
    (notice,) = _notices(at)
    assert "'sex'" in notice


def test_a_value_that_is_not_a_short_code_is_not_repeated():
    hostile = "[klik hier](javascript:alert(1))"
    at = _open("compare", {"measure": hostile, "level": "x" * 40})
    notices = _notices(at)
    assert len(notices) == 2
    for notice in notices:
        assert "klik" not in notice
        assert "x" * 12 not in notice
        assert i18n.text("url.unshown", "nl") in notice
    assert hostile not in str(_copy(at))


def test_a_link_with_known_values_gets_no_notice():
    link = {"measure": "share_planned_end", "level": "province", "region": "P03", "lang": "nl"}
    at = _open("compare", link)
    assert not _notices(at)
    assert at.radio(key="cmp_level").value == "province"


# --- an unknown page -------------------------------------------------------------------------------


def test_an_unknown_page_says_so_and_shows_the_overview():
    """A page id the app does not have: Streamlit would open the overview with an English "Page not
    found" dialog; the app says it in the reader's language. (A real browser asks by name, e.g.
    /bestaatniet: tests/browser/test_links.py.)"""
    at = app_test()
    at.query_params = {"year": "2024"}
    # the page the session asks for, as a browser's rerun would
    at._page_hash = calc_hash("bestaatniet")
    at.run()
    assert not at.exception
    assert at.title[0].value == i18n.text("overview.title", "nl")
    shown = i18n.text("url.unknown_page_unnamed", "nl", shown=i18n.text("page.overview", "nl"))
    assert shown in [i.value for i in at.info]


def test_a_known_page_gets_no_page_notice():
    at = _open("duration")
    words = i18n.text("url.unknown_page_unnamed", "nl", shown="").split(";")[0]
    assert not [i.value for i in at.info if words in i.value]


def test_the_unknown_page_notice_names_only_a_short_code():
    for asked, named in (("bestaatniet", True), ("a/b", False), ("x" * 40, False), ("", False)):
        key = "url.unknown_page" if named else "url.unknown_page_unnamed"
        expected = i18n.text(key, "nl", page=f"'{asked}'", shown="Overzicht")
        assert _unknown_page_text(asked) == expected


def _unknown_page_text(asked: str) -> str:
    from unittest import mock

    with mock.patch.object(view_state.st, "info") as info, \
         mock.patch.object(view_state.ui, "language", return_value="nl"):  # fmt: skip
        view_state.unknown_page_notice(asked, shown="Overzicht")
    return info.call_args.args[0]


# --- the menu links carry the filters ------------------------------------------------------------


def test_every_menu_link_carries_the_sidebar_filters_and_no_page_choice():
    at = _open("compare", {"year": ["2023", "2024"], "region": "P03", "type": ["coaching_short"],
                           "measure": "survival_6m", "level": "province"})  # fmt: skip
    links = at.get("page_link")
    assert [link.proto.label for link in links] == [i18n.text(f"page.{p}", "nl") for p in PAGES]
    for link in links:
        assert parse_qs(link.proto.query_string) == {
            "lang": ["nl"],
            "year": ["2023", "2024"],
            "region": ["P03"],
            "type": ["coaching_short"],
        }
    at.selectbox(key="f_region").set_value("P05").run()
    assert all("region=P05" in link.proto.query_string for link in at.get("page_link"))


def test_a_parameter_belongs_to_one_widget_of_a_page():
    from streamlit.testing.v1 import AppTest

    def script():
        from dashboard import view_state

        view_state.radio("a", "split", ("x", "y"), key="one")
        view_state.radio("b", "split", ("x", "y"), key="two")

    at = AppTest.from_function(script).run()
    assert len(at.exception) == 1  # (its message is redacted: client.showErrorDetails = "none")
    assert [radio.key for radio in at.radio] == ["one"]
    at.run()  # a rerun binds the same first widget again: still only the second one is refused
    assert len(at.exception) == 1
    assert [radio.key for radio in at.radio] == ["one"]
