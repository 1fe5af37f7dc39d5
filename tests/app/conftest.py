"""The dashboard's page tests run on the shared small synthetic release."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.small_release import small_release, strict_release


@pytest.fixture
def app_release(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The small release (built once per session), as the app finds it: BINC_RELEASE, synthetic."""
    release, _ = small_release()
    monkeypatch.setenv("BINC_RELEASE", str(release))
    monkeypatch.setenv("BINC_SYNTHETIC", "1")
    return release


@pytest.fixture
def strict_app_release(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The small release with the shipped "too uncertain" rule (most of its values are too
    uncertain to draw), as the app finds it."""
    release = strict_release()
    monkeypatch.setenv("BINC_RELEASE", str(release))
    monkeypatch.setenv("BINC_SYNTHETIC", "1")
    return release
