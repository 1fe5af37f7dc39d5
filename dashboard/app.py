"""The dashboard's entry point: only wiring — page config, language, banner, filters and navigation.

Run through `binc serve` (which sets BINC_RELEASE). Pages are listed in dashboard/navigation.py;
each is a script in dashboard/app_pages/ that asks dashboard.data for every number and binds its
choices to the URL through dashboard.view_state. Any error reaches the user as a plain
sentence; tracebacks go to the server log only.
"""

from __future__ import annotations

import logging

import streamlit as st

from binc.core import i18n
from binc.core.errors import UserError
from dashboard import data, ui, view_state
from dashboard.navigation import PAGES

log = logging.getLogger("binc.dashboard")


def main() -> None:
    # An emoji icon is drawn by the browser itself; a ":material/...:" icon would make every
    # visitor's browser fetch it from fonts.gstatic.com (no network at run time, no third party).
    st.set_page_config(page_title="BINC · 1 Gezin, 1 Plan", page_icon="👪", layout="wide")
    try:
        years = data.years()
    except UserError as error:
        st.error(ui.t("error.no_release", message=str(error)))
        st.stop()
    ui.seed_from_url(years)
    # The menu comes first in the sidebar; it is filled once the filters it carries are known.
    menu = st.sidebar.container(key="menu")
    ui.language_switch()
    pages = [
        st.Page(
            page.script,
            title=ui.t(f"page.{page.name}"),
            url_path=page.slug,
            icon=page.icon,
            default=i == 0,
        )
        for i, page in enumerate(PAGES)
    ]
    # A link to a page that does not exist (/bestaatniet) opens the overview, and says so.
    unknown = view_state.requested_unknown_page(pages, aliases=(PAGES[0].slug,))
    page = st.navigation(pages, position="hidden")
    view = ui.sidebar_filters(years, data.provisional_years())
    st.session_state["_view"] = view
    # Our own menu instead of st.navigation's: every link carries the sidebar's filters.
    for item in pages:
        menu.page_link(item, query_params=ui.link_params(view))
    if unknown is not None:
        view_state.unknown_page_notice(unknown, shown=ui.t(f"page.{PAGES[0].name}"))
    ui.url_notice()
    # Every page says which release it shows and how recent its data are.
    facts = data.facts()
    as_of = i18n.format_date(facts.get("as_of"), ui.language())
    st.sidebar.caption(
        ui.t("sidebar.release", release=str(facts.get("release_id", "–")), date=as_of)
    )
    if data.is_synthetic():
        st.warning(ui.t("banner.synthetic"), icon=":material/science:")
    view_state.new_run()
    try:
        page.run()
    except UserError as error:
        st.error(ui.t("error.refused", message=ui.refusal_text(_refusal(error))))
    except Exception:
        log.exception("page %s failed", page.title)
        st.error(ui.t("error.unexpected"))


def _refusal(error: UserError) -> data.Refusal:
    refusal = data.Refusal(str(error))
    refusal.reason, refusal.details = error.reason, dict(error.details)
    return refusal


main()
