"""The dashboard's page tests run on the shared small synthetic release."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.small_release import small_release


@pytest.fixture
def app_release(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The small release (built once per session), as the app finds it: BINC_RELEASE, synthetic."""
    release, _ = small_release()
    monkeypatch.setenv("BINC_RELEASE", str(release))
    monkeypatch.setenv("BINC_SYNTHETIC", "1")
    return release
