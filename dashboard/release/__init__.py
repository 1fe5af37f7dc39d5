"""Releases: measure the declared workload once, with differential-privacy noise, and read it back.

Public API: `build_release(warehouse, out, config=None, rng=None) -> ReleaseSummary` and
`load_release(path) -> Release`.
"""

from __future__ import annotations

from typing import Any

from dashboard.release.artefact import Measurement, Release, load_release

__all__ = [
    "Measurement",
    "Release",
    "ReleaseSummary",
    "build_release",
    "load_release",
    "release_is_current",
]

_BUILDER = ("ReleaseSummary", "build_release", "release_is_current")


def __getattr__(name: str) -> Any:
    # The builder (and the scipy it pulls in) is imported only when asked for: the dashboard and
    # `binc export` only read releases, and their first page load should not pay for it.
    if name in _BUILDER:
        from dashboard.release import build

        return getattr(build, name)
    raise AttributeError(f"module 'dashboard.release' has no attribute {name!r}")
