"""`binc serve` rehearses the first visit before opening its port, so the first visitor does not pay
for loading the release and answering the overview (st.cache_resource / st.cache_data are
process-wide, so the rehearsal and the real sessions share them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from support.small_release import APP

from binc import serving
from dashboard import data


def _clear_caches() -> None:
    for cached in (data._load, data._ask, data._measures):
        cached.clear()


def _first_visit(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Open the default page as a new session; count what had to be computed for it."""
    calls = {"load_release": 0, "answer": 0}

    def counting(name, real):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return wrapper

    with monkeypatch.context() as patch:
        patch.setattr(data, "load_release", counting("load_release", data.load_release))
        patch.setattr(data, "answer", counting("answer", data.answer))
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.run()
    assert not at.exception
    assert at.get("plotly_chart"), "the overview draws its trend chart"
    return calls


def test_first_visit_computes_nothing_after_the_rehearsal(
    app_release: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _clear_caches()
    without = _first_visit(monkeypatch)
    assert without["load_release"] == 1
    assert without["answer"] >= 10  # headlines for two years, the trend, the release facts

    _clear_caches()
    serving.rehearse_first_visit(serving.command_line(app_release, 8501, "127.0.0.1"))
    after = _first_visit(monkeypatch)
    assert after == {"load_release": 0, "answer": 0}
    _clear_caches()


def test_a_failed_rehearsal_does_not_stop_the_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail that must not be printed")

    monkeypatch.setattr(AppTest, "from_file", broken)
    serving.rehearse_first_visit(["streamlit", "run", str(APP)])  # returns instead of raising
    err = capsys.readouterr().err
    assert err == "binc serve: warm-up skipped (RuntimeError)\n"
