"""Releases: measure the declared workload once, with differential-privacy noise, and read it back.

Public API: `build_release(warehouse, out, config=None, rng=None) -> ReleaseSummary` and
`load_release(path) -> Release`.
"""

from __future__ import annotations

from dashboard.release.artefact import Measurement, Release, load_release
from dashboard.release.build import ReleaseSummary, build_release, release_is_current

__all__ = [
    "Measurement",
    "Release",
    "ReleaseSummary",
    "build_release",
    "load_release",
    "release_is_current",
]
