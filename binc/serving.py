"""Open the dashboard: Streamlit on this machine, reading one release (never the warehouse).

With --demo, the embedded demo is built first when missing (synthetic exports → ingest →
release), so a newcomer sees the product with one command.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from binc.core.environment import ALLOWED_HOSTS_ENV, RELEASE_ENV, SYNTHETIC_ENV
from binc.core.errors import UserError
from binc.release_file import load_release

# Host names the dashboard always answers to (DNS-rebinding protection, server.allowedHosts).
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
WILDCARD_ADDRESSES = ("0.0.0.0", "::", "")  # noqa: S104 - names, not a bind


# Production settings, given on Streamlit's command line: flags outrank every config file (the
# user's ~/.streamlit/config.toml, or .streamlit/config.toml of another working directory) and
# every STREAMLIT_* variable, so none of them can weaken the server. .streamlit/config.toml holds
# the same values for a bare `streamlit run`. server.enableCORS = true means CORS *protection* on:
# no `Access-Control-Allow-Origin: *`, WebSockets only from this server's own origin.
HARDENING: dict[str, str] = {
    "global.developmentMode": "false",
    "server.headless": "true",
    "server.runOnSave": "false",
    "server.fileWatcherType": "none",
    "server.enableXsrfProtection": "true",
    "server.enableCORS": "true",
    "server.enableStaticServing": "false",
    "server.enableAgentApi": "false",
    "server.maxUploadSize": "1",  # MB; the dashboard has no upload at all
    "client.showErrorDetails": "none",
    "client.showErrorLinks": "false",
    "client.toolbarMode": "minimal",
    "browser.gatherUsageStats": "false",
    # No welcome banner: listening on all interfaces (--address 0.0.0.0), Streamlit would ask
    # http(s)://checkip.amazonaws.com for an "External URL" to print in it (bootstrap._print_url).
    # `binc serve` prints its own URL line.
    "logger.hideWelcomeMessage": "true",
    # The look, from .streamlit/config.toml too: the installed package has no working directory.
    "theme.base": "light",
    # Contrast (WCAG AA, 4.5:1; tests/browser/test_accessibility.py): Streamlit's default red
    # primary colour and its grey captions (body text at 60% opacity) fall short on white.
    "theme.primaryColor": "#005f92",
    "theme.textColor": "#111111",
}
# Speed, not safety: Streamlit runs a full gc.collect(2) after every script run, holding the GIL;
# under load that was a large share of the server's time (docs/performance.md). Python's own
# generational collector still runs; the load benchmark reports the server's memory.
TUNING: dict[str, str] = {"runner.postScriptGC": "false"}


_HOST_NAME = re.compile(r"(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?|[0-9a-f:.]*:[0-9a-f:.]*")


def allowed_hosts(address: str, extra: Sequence[str] = ()) -> list[str]:
    """server.allowedHosts: the local names, the listening address (unless it is a wildcard) and
    the deployment's own names; UserError for a name that is not a host name."""
    names = [*LOCAL_HOSTS]
    if address not in WILDCARD_ADDRESSES and not address.startswith("unix://"):
        names.append(address)
    for name in extra:
        name = name.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")
        if name == "*":
            raise UserError(
                f"--allowed-host / {ALLOWED_HOSTS_ENV} '*' would accept any host name and switch "
                "off the protection against DNS rebinding; give the names the dashboard is "
                "reached by"
            )
        if not _HOST_NAME.fullmatch(name):
            raise UserError(
                f"--allowed-host / {ALLOWED_HOSTS_ENV} {name!r} is not a host name; give a name "
                "such as statistiek.example.be (no scheme, port or path)"
            )
        names.append(name)
    return list(dict.fromkeys(names))


def extra_hosts(given: Sequence[str]) -> list[str]:
    """The deployment's host names: those given (--allowed-host), then BINC_ALLOWED_HOSTS
    (comma-separated)."""
    from_env = os.environ.get(ALLOWED_HOSTS_ENV, "")
    return [*given, *(n for n in re.split(r"[,\s]+", from_env) if n)]


def app_script() -> Path:
    """The dashboard's entry script. Streamlit runs it as a script, so `binc` never imports the
    `dashboard` package; it only finds where the installed package lives."""
    spec = importlib.util.find_spec("dashboard")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("the dashboard package is not installed; reinstall the binc package")
    return Path(next(iter(spec.submodule_search_locations))) / "app.py"


def command_line(release: Path, port: int, address: str, hosts: Sequence[str] = ()) -> list[str]:
    """Streamlit's own command line (argv[0] is the program name, as Streamlit's CLI expects).

    `hosts`: the deployment's host names, added to the local ones in server.allowedHosts."""
    settings = {**HARDENING, **TUNING}
    flags = [part for name, value in settings.items() for part in (f"--{name}", value)]
    for name in allowed_hosts(address, hosts):
        flags += ["--server.allowedHosts", name]
    return [
        "streamlit",
        "run",
        str(app_script()),
        "--server.port",
        str(port),
        "--server.address",
        address,
        *flags,
    ]


def no_external_ip_lookup() -> None:
    """Make Streamlit's external-IP lookup answer "unknown" without asking the network.

    Besides the welcome banner (switched off above), Streamlit calls net_util.get_external_ip when
    a WebSocket comes from another origin (server_util.is_url_from_allowed_origins): two blocking
    requests to checkip.amazonaws.com, up to a second each, repeated for every such request
    while the lookup fails, and no config option turns it off. The product makes no network call
    at run time; an origin is then allowed only when it is local, the server's own, or listed
    in server.corsAllowedOrigins (empty).
    """
    from streamlit import net_util

    def unknown() -> None:
        return None

    net_util.get_external_ip = unknown


def rehearse_first_visit(argv: list[str]) -> None:
    """Run the app's default page once, off-screen, before the server opens its port.

    st.cache_resource and st.cache_data are process-wide, so this loads the release and caches the
    overview's answers (and imports what the page needs) before anyone visits, so the first visitor's
    script run is as fast as any later one (docs/performance.md). A failure here is not fatal: the visitor then gets
    the app's own friendly message, and the server log says the warm-up was skipped.
    """
    from streamlit.testing.v1 import AppTest
    from streamlit.web import bootstrap
    from streamlit.web import cli as streamlit_cli

    try:
        # Streamlit's configuration, loaded as `streamlit run` (argv) will load it: the rehearsal
        # runs with the production settings, and Streamlit sees no changed [server] section later.
        params = streamlit_cli.main_run.make_context("run", argv[2:]).params
        bootstrap.load_config_options(
            {k: v for k, v in params.items() if k not in ("target", "args")}
        )
        AppTest.from_file(str(app_script()), default_timeout=120).run()
    except Exception as error:  # a warm-up must never stop the server
        print(f"binc serve: warm-up skipped ({type(error).__name__})", file=sys.stderr, flush=True)


def serve(
    release: Path, port: int, address: str, hosts: Sequence[str] = (), *, synthetic: bool = False
) -> int:
    """Serve the dashboard for `release` until stopped (Streamlit runs in this process)."""
    allowed_hosts(address, hosts)  # a bad host name stops here, before anything starts
    if not release.exists():
        raise UserError(f"{release}: no release at this path (build one with `binc release`)")
    os.environ[RELEASE_ENV] = str(release.resolve())
    if synthetic:
        os.environ[SYNTHETIC_ENV] = "1"  # the demo is synthetic: the app shows a banner
    from streamlit.web import cli as streamlit_cli

    # A damaged, truncated or foreign release stops here (exit status 2, one line), not in the
    # browser.
    load_release(release)
    print(f"binc serve: release {release}; open http://{address}:{port}", flush=True)
    sys.argv = command_line(release, port, address, hosts)
    no_external_ip_lookup()
    # The rehearsal runs the app in this process: it imports the pages' modules and fills the
    # process-wide caches (release, the overview's answers) before the first visitor arrives.
    rehearse_first_visit(sys.argv)
    return int(streamlit_cli.main(standalone_mode=False) or 0)
