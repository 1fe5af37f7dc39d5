"""What a simulated visitor of the dashboard does: the links they open and the clicks they make.

Used by tests/support/load.py, for the load smoke test and benchmarks/load_serve.py. Choices are
made on what the visitor sees (the widgets and their labels of the last run), as a person would;
codes only appear in shared links.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from dashboard.navigation import PAGES
from support.streamlit_client import Run, Session

# URL paths of the pages in menu order; the default page lives at the root.
SLUGS = ("", *(page.slug for page in PAGES[1:]))


@dataclass(frozen=True)
class Codes:
    """Public codes a shared link can carry (the same lists dashboard/ui.py validates against)."""

    years: tuple[str, ...]
    regions: tuple[str, ...]
    types: tuple[str, ...]

    @classmethod
    def load(cls, years: tuple[str, ...]) -> Codes:
        from binc.core import reference

        regions = (
            *reference.partnerships()["partnership_id"],
            *reference.provinces()["province_nis"],
        )
        return cls(years, tuple(regions), reference.codes("trajectory_type"))


def shared_link(rng: random.Random, codes: Codes) -> tuple[str, str]:
    """A random page and query string, as a colleague would send one."""
    params = [("lang", rng.choice(("nl", "nl", "nl", "en")))]
    params += [("year", y) for y in sorted(rng.sample(codes.years, rng.choice((1, 1, 2, 3))))]
    if rng.random() < 0.5:
        params.append(("region", rng.choice(codes.regions)))
    if rng.random() < 0.3:
        params += [("type", t) for t in rng.sample(codes.types, rng.choice((1, 2)))]
    return rng.choice(SLUGS), "&".join(f"{k}={v}" for k, v in params)


def toggled(
    rng: random.Random, chosen: list[str], options: tuple[str, ...], limit: int
) -> list[str]:
    """A multiselect click: remove one chosen item, or add one (within max_selections)."""
    if chosen and (rng.random() < 0.4 or (limit and len(chosen) >= limit)):
        drop = rng.choice(chosen)
        return [c for c in chosen if c != drop]
    rest = [o for o in options if o not in chosen]
    return [*chosen, rng.choice(rest)] if rest else chosen[:-1]


def other(rng: random.Random, current: object, options: tuple[str, ...]) -> str:
    rest = [o for o in options if o != current]
    return rng.choice(rest or list(options))


async def act(rng: random.Random, session: Session) -> Run:
    """One thing a person does next."""
    widgets = session.widgets
    page_widgets = [w for w in widgets.values() if not w.sidebar]
    roll = rng.random()
    if roll < 0.30 or not widgets:
        current = session.page.slug if session.page else None
        return await session.goto(rng.choice([s for s in SLUGS if s != current]))
    if roll < 0.35 and "f_lang" in widgets:
        lang = widgets["f_lang"]
        return await session.change("f_lang", [other(rng, (lang.value or [None])[0], lang.options)])
    if roll < 0.50 and "f_years" in widgets:
        years = widgets["f_years"]
        if rng.random() < 0.5:
            return await session.change("f_years", [rng.choice(years.options)])
        return await session.change("f_years", toggled(rng, list(years.value), years.options, 0))
    if roll < 0.62 and "f_region" in widgets:
        region = widgets["f_region"]
        first = region.options[0]  # all of Flanders and Brussels
        value = first if rng.random() < 0.3 else other(rng, region.value, region.options)
        return await session.change("f_region", value)
    if roll < 0.70 and "f_types" in widgets:
        types = widgets["f_types"]
        return await session.change("f_types", toggled(rng, list(types.value), types.options, 2))
    if not page_widgets:
        return await session.goto(rng.choice([s for s in SLUGS if s != session.page.slug]))
    widget = rng.choice(page_widgets)
    if widget.kind == "checkbox":
        value: object = not widget.value
    elif widget.kind in ("multiselect", "button_group"):
        value = toggled(rng, list(widget.value), widget.options, widget.max_selections)
    else:
        value = other(rng, widget.value, widget.options)
    return await session.change(widget.key, value)
