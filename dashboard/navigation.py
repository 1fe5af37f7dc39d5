"""The dashboard's pages, in menu order: one list for the app, its links and the tests.

Importing this module runs nothing (unlike app.py, which draws the app), so tests and tools can
ask which pages there are.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    name: str  # the key of its title in the language files (page.<name>)
    script: str  # relative to dashboard/
    slug: str  # its URL path
    icon: str


PAGES: tuple[Page, ...] = (
    Page("overview", "app_pages/overview.py", "overzicht", ":material/dashboard:"),
    Page("target_group", "app_pages/target_group.py", "doelgroep", ":material/groups:"),
    Page("duration", "app_pages/duration.py", "duur", ":material/schedule:"),
    Page("outcomes", "app_pages/outcomes.py", "resultaten", ":material/flag:"),
    Page("compare", "app_pages/compare.py", "regios", ":material/compare_arrows:"),
    Page("tables", "app_pages/tables.py", "tabellen", ":material/table_view:"),
    Page("glossary", "app_pages/glossary.py", "begrippen", ":material/menu_book:"),
    Page("method", "app_pages/method.py", "methode", ":material/info:"),
)
PAGE_NAMES: tuple[str, ...] = tuple(page.name for page in PAGES)
