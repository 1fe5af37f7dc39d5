"""One `binc serve` on the small test release for the whole folder (tests/support/browser.py)."""

from __future__ import annotations

import pytest
from support.browser import requirements, serve
from support.small_release import small_release


@pytest.fixture(scope="session")
def server():
    requirements()
    release, _ = small_release()
    with serve(release) as url:
        yield url
