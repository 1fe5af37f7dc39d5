"""The dependency audit (scripts/audit_dependencies.py): what CI is told for each outcome of
pip-audit, and that CI runs it."""

from __future__ import annotations

import sys
import tomllib

from support import REPO

sys.path.insert(0, str(REPO / "scripts"))
from audit_dependencies import verdict


def test_audit_verdicts():
    vulnerable = {"dependencies": [
        {"name": "binc-1g1p-statistics", "skip_reason": "distribution marked as editable"},
        {"name": "jinja2", "version": "3.1.4", "vulns": [
            {"id": "GHSA-cpwx-vrp4-4pq7", "fix_versions": ["3.1.6"], "aliases": ["CVE-2025-27516"]}]},
    ]}  # fmt: skip
    status, lines = verdict(vulnerable, "pypi")
    assert status == 1
    assert "jinja2 3.1.4: GHSA-cpwx-vrp4-4pq7 (CVE-2025-27516); fixed in 3.1.6" in lines[0]
    clean = {
        "dependencies": [
            vulnerable["dependencies"][0],
            {"name": "numpy", "version": "2.4.6", "vulns": []},
        ]
    }
    assert verdict(clean, "pypi") == (0, [
        "dependency audit passed: 1 installed packages checked against pypi, no known vulnerabilities"])  # fmt: skip
    unknown = {
        "dependencies": [
            {
                "name": "numpy",
                "skip_reason": "Dependency not found on PyPI and could not be audited: numpy (2.4.6)",
            }
        ]
    }
    status, lines = verdict(unknown, "pypi")
    assert status == 2
    assert lines[0].startswith("dependency audit INCOMPLETE: 1 of 1 installed packages")
    status, lines = verdict(
        None, "osv", "Traceback ...\nConnectionError: Failed to resolve 'api.osv.dev'"
    )
    assert status == 2
    assert lines == [
        "dependency audit NOT RUN: the vulnerability service (osv) could "
        "not be used: ConnectionError: Failed to resolve 'api.osv.dev'"
    ]


def test_ci_runs_the_audit():
    assert "make audit" in (REPO / ".ci" / "run").read_text()
    assert "\naudit: setup\n" in (REPO / "Makefile").read_text()
    dev = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"][
        "dev"
    ]
    assert any(d.startswith("pip-audit>=") for d in dev)
