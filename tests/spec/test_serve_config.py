"""Security (issue 5, part 3): the hardening `binc serve` hands Streamlit — the repository's config
and the command line agree, no banner that looks up the external IP, and the host names a WebSocket
may use (DNS rebinding). Checked over HTTP on a running server: tests/e2e/test_security_server.py.
"""

from __future__ import annotations

import tomllib

import pytest
from support import REPO

from binc.core.errors import UserError
from binc.serving import HARDENING, LOCAL_HOSTS, allowed_hosts, command_line


def test_repository_config_and_serve_flags_agree():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    flat = {f"{section}.{k}": v for section, values in config.items() for k, v in values.items()}
    for name, value in HARDENING.items():
        assert str(flat.get(name)).lower() == value, name
    argv = command_line(REPO / "x.duckdb", 8501, "127.0.0.1")
    for name, value in HARDENING.items():
        assert argv[argv.index(f"--{name}") + 1] == value


def test_serve_hides_the_banner_that_looks_up_the_external_ip():
    assert HARDENING["logger.hideWelcomeMessage"] == "true"
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["logger"]["hideWelcomeMessage"] is True
    assert config["server"]["allowedHosts"] == list(LOCAL_HOSTS)


def _allowed_flags(argv: list[str]) -> list[str]:
    return [argv[i + 1] for i, part in enumerate(argv) if part == "--server.allowedHosts"]


def test_allowed_hosts_are_the_local_names_the_address_and_the_deployments_names():
    local = ["localhost", "127.0.0.1", "::1"]
    assert _allowed_flags(command_line(REPO / "x.duckdb", 8501, "127.0.0.1")) == local
    argv = command_line(REPO / "x.duckdb", 8501, "0.0.0.0", ["Statistiek.Example.BE.", "*.example.org"])  # fmt: skip
    assert _allowed_flags(argv) == [*local, "statistiek.example.be", "*.example.org"]
    assert allowed_hosts("10.1.2.3", ["[fd00::5]"]) == [*local, "10.1.2.3", "fd00::5"]
    for bad in ("*", "http://statistiek.example.be", "statistiek.example.be:8501", "a/b", ""):
        with pytest.raises(UserError):
            allowed_hosts("0.0.0.0", [bad])


def test_serve_refuses_a_wildcard_host_with_one_line(tmp_path, capsys):
    from binc.cli import main

    code = main(["serve", "--release", str(tmp_path / "r.duckdb"), "--allowed-host", "*"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "DNS rebinding" in err
