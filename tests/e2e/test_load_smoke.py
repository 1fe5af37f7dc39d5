"""Load smoke test: a running `binc serve` and a few concurrent websocket sessions (CI version of
benchmarks/load_serve.py, sharing its server and visitors: tests/support/load.py; timings are the
benchmark's job, so nothing here asserts on time).

1. The client is a faithful stand-in for a browser tab: on every page it receives exactly the
   elements Streamlit's own AppTest renders for the same view.
2. Five visitors switch pages and change filters for a few seconds: no exception, no error
   message, no disconnect or timeout, nothing in the server log, every run finished, and every
   page drew the sidebar's filters.
3. The error detection itself works (exception elements, st.error, refs to uncached messages).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter

import pytest
from support import load
from support.load_behaviour import SLUGS, Codes
from support.small_release import APP, PAGES, small_release
from support.streamlit_client import Run, Session

# AppTest names some elements by their use; the wire carries the proto type.
APPTEST_TO_PROTO = {"title": "heading", "header": "heading", "subheader": "heading",
                    "caption": "markdown", "warning": "alert", "info": "alert", "error": "alert",
                    "success": "alert", "toggle": "checkbox"}  # fmt: skip
SLUG = dict(zip(PAGES, SLUGS, strict=True))
SIDEBAR = {"button_group": 1, "multiselect": 2, "selectbox": 1}  # language, years + types, region


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    release, _ = small_release()
    log = tmp_path_factory.mktemp("load") / "serve.log"
    running = load.Server(release, load.free_port(), log, synthetic=True)
    try:
        running.wait_healthy(timeout=90)
        yield running
    finally:
        running.stop()


def apptest_elements(monkeypatch: pytest.MonkeyPatch) -> dict[str, Counter]:
    from streamlit.testing.v1 import AppTest
    from streamlit.testing.v1.element_tree import Block

    release, _ = small_release()
    monkeypatch.setenv("BINC_RELEASE", str(release))
    monkeypatch.setenv("BINC_SYNTHETIC", "1")

    def leaves(node):
        for child in node.children.values():
            yield from leaves(child) if isinstance(child, Block) else (child,)

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = "nl"
    at.run()
    counts = {}
    for page in PAGES:
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, page
        counts[page] = Counter(APPTEST_TO_PROTO.get(e.type, e.type) for e in leaves(at._tree))
    return counts


async def client_elements(port: int) -> dict[str, Run]:
    session = Session(load.HOST, port, timeout=60)
    runs = {"overview": await session.open("", "lang=nl")}
    for page in PAGES[1:]:
        runs[page] = await session.goto(SLUG[page])
    await session.close()
    return runs


def test_the_client_receives_what_streamlit_renders(server, monkeypatch):
    runs = asyncio.run(client_elements(server.port))
    expected = apptest_elements(monkeypatch)
    for page, run in runs.items():
        assert run.errors == [], page
        assert run.page == SLUG[page]
        assert run.elements == expected[page], page
    assert runs["duration"].elements["plotly_chart"] == 4  # a page with several charts
    assert runs["tables"].elements["download_button"] == 5


def test_five_visitors_changing_filters_get_no_errors(server):
    warm, years = asyncio.run(load.warm_up(server.port, 60))
    assert warm.errors == []
    assert years
    codes = Codes.load(years)
    # A visitor's filter change can ask patterns nobody asked yet (a median also needs the pattern
    # of its count table by band, binc/disclosure/medians.py: up to 2.6 s on this release for a
    # trend by year of one province's median duration, more with the other test worker busy).
    # Every visitor must open a page and change something; how fast is benchmarks/load_serve.py's.
    runs = asyncio.run(load.drive(server.port, sessions=5, duration=8.0, think=(0.05, 0.3),
                                        seed=7, timeout=60, codes=codes, ramp=0.5))  # fmt: skip
    errors = [error for run in runs for error in run.errors]
    assert errors == []
    assert server.log_errors() == []
    per_visitor = Counter(run.visitor for run in runs)
    assert sorted(per_visitor) == [0, 1, 2, 3, 4]
    assert min(per_visitor.values()) >= 2, per_visitor
    assert sum(per_visitor.values()) >= 25, per_visitor
    actions = Counter(run.action.split(":")[0] for run in runs)
    assert actions["open"] >= 5, actions
    assert actions["page"] >= 1, actions
    assert actions["widget"] >= 1, actions
    for run in runs:
        assert run.status == 0, run.action
        assert run.page in SLUG.values(), run.action
        for kind, count in SIDEBAR.items():
            assert run.elements[kind] >= count, (run.action, run.page, kind)
        assert run.elements["alert"] >= 1  # the synthetic-data banner


_PATHS = itertools.count()


def _delta(element_type: str, path: tuple[int, ...] | None = None, **fields) -> bytes:
    """A new element, at its own place in the main area unless `path` is given."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    msg.metadata.delta_path[:] = path if path is not None else (0, next(_PATHS))
    getattr(msg.delta.new_element, element_type).SetInParent()
    for name, value in fields.items():
        setattr(getattr(msg.delta.new_element, element_type), name, value)
    return msg.SerializeToString()


def test_the_client_flags_exceptions_error_messages_and_unknown_references():
    from streamlit.proto.Alert_pb2 import Alert
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    session = Session("127.0.0.1", 1)
    run = Run("test", "", 0.0)
    widgets: dict = {}
    session._handle(_delta("exception", type="KeyError", message="boom"), run, widgets, 0.0)
    session._handle(_delta("alert", body="Er ging iets mis", format=Alert.ERROR), run, widgets, 0.0)
    session._handle(_delta("alert", body="banner", format=Alert.WARNING), run, widgets, 0.0)
    session._handle(_delta("alert", body="niet gemeten", format=Alert.INFO, icon=":material/block:"),
                    run, widgets, 0.0)  # fmt: skip
    reference = ForwardMsg(ref_hash="not-cached")
    session._handle(reference.SerializeToString(), run, widgets, 0.0)
    assert run.errors == [
        "exception element: KeyError: boom",
        "error message: Er ging iets mis",
        "reference to a message that is not cached",
    ]
    assert run.refusals == 1
    assert run.elements == Counter({"alert": 3, "exception": 1})


def test_the_client_counts_what_the_page_shows_at_the_end():
    """st.empty() filled later: a second element, or a container (a block), at the same place
    replaces the first, whether or not Streamlit coalesced the two messages."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    session = Session("127.0.0.1", 1)
    run = Run("test", "", 0.0)
    session._handle(_delta("empty", path=(0, 1)), run, {}, 0.0)
    session._handle(_delta("markdown", path=(0, 1), body="filled"), run, {}, 0.0)
    session._handle(_delta("empty", path=(0, 2)), run, {}, 0.0)
    block = ForwardMsg()
    block.metadata.delta_path[:] = (0, 2)
    block.delta.add_block.SetInParent()
    session._handle(block.SerializeToString(), run, {}, 0.0)
    session._handle(_delta("dataframe", path=(0, 2, 0)), run, {}, 0.0)
    assert run.elements == Counter({"markdown": 1, "dataframe": 1})


def test_load_summary_counts_server_log_errors():
    ok = Run("open", "", 0.2, status=0)
    bad = Run("widget:f_years", "duur", 0.4, status=0, errors=["error message: x"])
    report = load.summarize(
        [ok, bad], [100 * 2**20, 150 * 2**20], ["Traceback (most recent call last):"]
    )
    assert report["errors"] == 2
    assert report["rss_mib"] == {"start": 100.0, "peak": 150.0, "end": 150.0}
    assert report["page_time"]["max"] == 0.4
    assert report["error_examples"] == ["error message: x"]
