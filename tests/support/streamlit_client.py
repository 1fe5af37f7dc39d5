"""A browser stand-in for load tests: one Streamlit session over the real websocket protocol.

It does what Streamlit's frontend (1.67) does on the wire, and nothing more:
- handshake: GET /_stcore/health for the `_streamlit_xsrf` cookie, then a websocket to
  /_stcore/stream with subprotocols ["streamlit", <xsrf token>], the cookie and a same-origin
  Origin header;
- first page: a `rerun_script` BackMsg with the URL's query string and page name (the url_path);
- page change: `page_script_hash` of the target page, the widget states of what stays on screen
  (the sidebar, drawn by app.py) and the query string cleared (the frontend drops query
  parameters on a page change unless a widget is bound to them; none is here);
- widget change: the states of every widget of the last run, one of them changed, and the current
  query string (as rewritten by the app through `page_info_changed`);
- the ForwardMsg cache: cacheable messages are kept, their hashes sent with every rerun, and
  `ref_hash` messages resolved from that cache (expired after 2 runs, as the frontend does).

A run is timed from sending the BackMsg to receiving `script_finished`. Every `new_element` delta
is counted by element type; an exception element, an error alert (st.error), `page_not_found`,
a run that ends otherwise than successfully, a disconnect or a timeout is an error. Info alerts
with the app's "not measured" icon are counted as refusals (a legitimate answer, not an error).

Not covered: anything the browser does after the bytes arrive (JavaScript, layout, Plotly
drawing), static files (HTML/JS/CSS, fonts), media and download-file requests.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

XSRF_COOKIE = "_streamlit_xsrf"
SIDEBAR = 1  # root container index of the sidebar in a delta path (0 is the main area)
MULTI = ("multiselect", "button_group")  # widgets whose wire value is a list of strings
SINGLE = ("selectbox", "radio")
WIDGETS = (*MULTI, *SINGLE, "checkbox")
REFUSAL_ICON = ":material/block:"  # ui.explain_refusal: a question outside the workload
FINISHED = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY")
CACHE_AGE = 2  # global.maxCachedMessageAge: runs a cached message survives without being used
CONTEXT = {"timezone": "Europe/Brussels", "timezone_offset": -60, "locale": "nl-BE"}


@dataclass
class Widget:
    id: str
    kind: str
    options: tuple[str, ...]  # formatted labels: what the user sees and the wire carries
    value: Any  # list[str] (MULTI), str | None (SINGLE) or bool (checkbox)
    sidebar: bool
    max_selections: int = 0

    @property
    def key(self) -> str:
        # Keyed widget ids look like "$$ID-<hash>-<key>".
        return self.id.split("-", 2)[2] if self.id.startswith("$$ID-") else self.id

    def state(self) -> WidgetState:
        state = WidgetState(id=self.id)
        if self.kind in MULTI:
            state.string_array_value.data.extend(self.value)
        elif self.kind in SINGLE:
            if self.value is not None:
                state.string_value = self.value
        else:
            state.bool_value = bool(self.value)
        return state


@dataclass
class Page:
    script_hash: str
    title: str
    slug: str  # url_pathname ("" for the default page)


@dataclass
class Run:
    action: str
    page: str  # slug of the page that ran ("" = default page)
    seconds: float
    first_delta: float | None = None
    status: int | None = None
    elements: Counter = field(default_factory=Counter)  # what the page shows at the end of the run
    errors: list[str] = field(default_factory=list)
    # delta path -> the element kind there: a later delta at the same path replaces it (st.empty()
    # filled by a container), as in the browser; Streamlit may or may not have coalesced the two
    placed: dict[tuple[int, ...], str] = field(default_factory=dict)
    refusals: int = 0
    received_bytes: int = 0
    visitor: int = -1  # set by the load driver


def _replace(run: Run, path: tuple[int, ...]) -> None:
    """A new delta at `path` takes the place of the element shown there (if any)."""
    kind = run.placed.pop(path, None)
    if kind is not None:
        run.elements[kind] -= 1
        if not run.elements[kind]:
            del run.elements[kind]


def _widget(kind: str, proto: Any, sidebar: bool, previous: Widget | None) -> Widget:
    """The widget as the frontend holds it: its own last value unless the server sets one."""
    if kind == "button_group":
        options = tuple(option.content for option in proto.options)
    else:
        options = tuple(getattr(proto, "options", ()))
    if previous is not None and not proto.set_value:
        value: Any = previous.value
    elif kind == "checkbox":
        value = proto.value if proto.set_value else proto.default
    elif kind in MULTI:
        value = list(proto.raw_values) if proto.set_value else [options[i] for i in proto.default]
    elif proto.set_value and proto.HasField("raw_value"):
        value = proto.raw_value
    else:
        value = options[proto.default] if proto.HasField("default") and options else None
    limit = getattr(proto, "max_selections", 0)
    return Widget(proto.id, kind, options, value, sidebar, limit)


class Session:
    """One browser tab. Not thread-safe; one asyncio task drives it."""

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.ws: ClientConnection | None = None
        self.pages: list[Page] = []
        self.page_hash = ""  # the page the last run showed
        self.query_string = ""
        self.widgets: dict[str, Widget] = {}  # by key, from the last finished run
        self._cache: dict[str, ForwardMsg] = {}
        self._cache_age: dict[str, int] = {}

    @property
    def page(self) -> Page | None:
        return next((p for p in self.pages if p.script_hash == self.page_hash), None)

    async def connect(self) -> None:
        origin = f"http://{self.host}:{self.port}"
        cookie = await asyncio.to_thread(_xsrf_cookie, origin)
        token = cookie.split("=", 1)[1]
        self.ws = await connect(
            f"ws://{self.host}:{self.port}/_stcore/stream",
            subprotocols=["streamlit", token],  # type: ignore[list-item]
            additional_headers={"Cookie": cookie, "Origin": origin},
            max_size=None,
            open_timeout=self.timeout,
        )

    async def open(self, slug: str = "", query_string: str = "") -> Run:
        """Open a (shared) link: http://host/<slug>?<query_string>."""
        if self.ws is None:
            await self.connect()
        self.query_string = query_string
        return await self._rerun("open", page_name=slug, query_string=query_string, states=[])

    async def goto(self, slug: str) -> Run:
        """Click a page in the navigation."""
        target = next(p for p in self.pages if p.slug == slug)
        kept = [w.state() for w in self.widgets.values() if w.sidebar]
        self.query_string = ""
        return await self._rerun(
            f"page:{slug or 'default'}", page_hash=target.script_hash, query_string="", states=kept
        )

    async def change(self, key: str, value: Any) -> Run:
        """Set one widget (by key) to a new value, as a click in the browser does."""
        widget = self.widgets[key]
        widget.value = value
        states = [w.state() for w in self.widgets.values()]
        return await self._rerun(
            f"widget:{key}", page_hash=self.page_hash, query_string=self.query_string, states=states
        )

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def _rerun(
        self,
        action: str,
        *,
        page_hash: str = "",
        page_name: str = "",
        query_string: str,
        states: list[WidgetState],
    ) -> Run:
        assert self.ws is not None
        message = BackMsg()
        client = message.rerun_script
        client.query_string = query_string
        client.page_script_hash = page_hash
        client.page_name = page_name
        client.widget_states.widgets.extend(states)
        client.cached_message_hashes.extend(self._cache)
        for name, value in CONTEXT.items():
            setattr(client.context_info, name, value)
        client.context_info.url = f"http://{self.host}:{self.port}/{page_name}"
        client.context_info.color_scheme = "light"
        started = time.perf_counter()
        run = Run(action=action, page="", seconds=0.0)
        widgets: dict[str, Widget] = {}
        try:
            await self.ws.send(message.SerializeToString())
            async with asyncio.timeout(self.timeout):
                while run.status is None:
                    data = await self.ws.recv()
                    run.received_bytes += len(data)
                    self._handle(data, run, widgets, started)
        except TimeoutError:
            run.errors.append(f"timeout: no script_finished within {self.timeout:g} s")
        except ConnectionClosed as closed:
            run.errors.append(f"disconnected: {closed}")
            self.ws = None
        run.seconds = time.perf_counter() - started
        if run.status is not None and run.status != FINISHED:
            run.errors.append(
                f"script finished with status {ForwardMsg.ScriptFinishedStatus.Name(run.status)}"
            )
        if run.status is not None:
            self.widgets = widgets
            self._expire_cache()
        page = self.page
        run.page = page.slug if page else "?"
        return run

    def _handle(self, data: bytes, run: Run, widgets: dict[str, Widget], started: float) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            cached = self._cache.get(msg.ref_hash)
            if cached is None:
                run.errors.append("reference to a message that is not cached")
                return
            self._cache_age[msg.ref_hash] = 0
            delta_path = msg.metadata.delta_path
            msg = cached
            kind = msg.WhichOneof("type")
        else:
            delta_path = msg.metadata.delta_path
            if msg.metadata.cacheable:
                self._cache[msg.hash] = msg
                self._cache_age[msg.hash] = 0
        if kind == "new_session":
            self.page_hash = msg.new_session.page_script_hash
        elif kind == "navigation":
            self.pages = [
                Page(p.page_script_hash, p.page_name, p.url_pathname)
                for p in msg.navigation.app_pages
            ]
            self.page_hash = msg.navigation.page_script_hash or self.page_hash
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "page_not_found":
            run.errors.append(f"page not found: {msg.page_not_found.page_name!r}")
        elif kind == "script_finished":
            run.status = msg.script_finished
        elif kind == "delta" and msg.delta.WhichOneof("type") in ("new_element", "add_block"):
            _replace(run, tuple(delta_path))
            if msg.delta.WhichOneof("type") == "add_block":
                return
            if run.first_delta is None:
                run.first_delta = time.perf_counter() - started
            run.placed[tuple(delta_path)] = msg.delta.new_element.WhichOneof("type")
            self._element(
                msg.delta.new_element, run, widgets, bool(delta_path) and delta_path[0] == SIDEBAR
            )

    def _element(self, element: Any, run: Run, widgets: dict[str, Widget], sidebar: bool) -> None:
        kind = element.WhichOneof("type")
        run.elements[kind] += 1
        proto = getattr(element, kind)
        if kind == "exception":
            run.errors.append(f"exception element: {proto.type}: {proto.message[:200]}")
        elif kind == "alert" and proto.format == proto.ERROR:
            run.errors.append(f"error message: {proto.body[:200]}")
        elif kind == "alert" and proto.format == proto.INFO and proto.icon == REFUSAL_ICON:
            run.refusals += 1
        elif kind in WIDGETS:
            previous = next((w for w in self.widgets.values() if w.id == proto.id), None)
            widget = _widget(kind, proto, sidebar, previous)
            widgets[widget.key] = widget

    def _expire_cache(self) -> None:
        for key in list(self._cache_age):
            self._cache_age[key] += 1
            if self._cache_age[key] > CACHE_AGE:
                del self._cache_age[key], self._cache[key]


def _xsrf_cookie(origin: str) -> str:
    with urllib.request.urlopen(f"{origin}/_stcore/health", timeout=30) as response:
        for header in response.headers.get_all("set-cookie") or []:
            if header.startswith(f"{XSRF_COOKIE}="):
                return header.split(";", 1)[0]
    raise RuntimeError("the server set no XSRF cookie")
