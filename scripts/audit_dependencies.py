"""Dependency vulnerability audit of the installed environment (`make audit`; CI runs it).

Runs pip-audit (the project's own editable package is skipped) and says plainly which of three
things happened:
- a known vulnerability in an installed package: listed with its fix, exit status 1 (CI fails);
- the audit could not be done, or not for every package (the vulnerability service is
  unreachable or has no data for a package): said loudly, exit status 0 — the network is outside
  the project's control and an outage must not block every unrelated change; BINC_AUDIT_STRICT=1
  (or --strict) turns this into exit status 3 for machines that do reach the service;
- every package checked and none vulnerable: exit status 0.

Service: PyPI's JSON API by default (reached through the package registry); BINC_AUDIT_SERVICE=osv
uses osv.dev. A vulnerability that does not apply or has no fix is listed in IGNORED with its
reason; pip-audit is told to ignore exactly those IDs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

# vulnerability ID -> why it does not apply to this product or cannot be fixed yet (none today)
IGNORED: dict[str, str] = {}

EDITABLE = "distribution marked as editable"


def verdict(report: dict[str, Any] | None, service: str, error: str = "") -> tuple[int, list[str]]:
    """(status, lines to print) for pip-audit's JSON report; None when pip-audit produced none."""
    if report is None:
        detail = error.strip().splitlines()[-1] if error.strip() else "no report"
        return 2, [
            f"dependency audit NOT RUN: the vulnerability service ({service}) could not be "
            f"used: {detail}"
        ]
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason") and d["skip_reason"] != EDITABLE]
    checked = [d for d in dependencies if "version" in d and not d.get("skip_reason")]
    lines: list[str] = []
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            aliases = ", ".join(vuln.get("aliases") or ())
            fixes = ", ".join(vuln.get("fix_versions") or ()) or "no fixed version yet"
            lines.append(
                f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']}"
                + (f" ({aliases})" if aliases else "")
                + f"; fixed in {fixes}"
            )
    if vulnerable:
        lines.append(
            "dependency audit FAILED: raise the lower bound in pyproject.toml to a fixed version, "
            "or list the ID in IGNORED in scripts/audit_dependencies.py with the reason it does not apply"
        )
        return 1, lines
    if skipped:
        reasons = sorted({d["skip_reason"].split(":")[0] for d in skipped})
        names = ", ".join(d["name"] for d in skipped)
        return 2, [
            f"dependency audit INCOMPLETE: {len(skipped)} of {len(skipped) + len(checked)} installed "
            f"packages could not be checked against {service} ({'; '.join(reasons)}): {names}",
            f"no known vulnerability in the {len(checked)} package(s) that could be checked"
            if checked
            else "so no package was checked for vulnerabilities at all",
        ]
    return 0, [
        f"dependency audit passed: {len(checked)} installed packages checked against {service}, "
        "no known vulnerabilities"
        + (f" (ignored with reasons: {', '.join(IGNORED)})" if IGNORED else "")
    ]


def run_pip_audit(service: str) -> tuple[dict[str, Any] | None, str]:
    with tempfile.TemporaryDirectory(prefix="binc-audit-") as scratch:
        out = Path(scratch) / "report.json"
        command = [
            sys.executable, "-m", "pip_audit", "--skip-editable", "--progress-spinner", "off",
            "--vulnerability-service", service, "--format", "json", "--output", str(out),
            "--desc", "off", "--aliases", "on", "--timeout", "30",
        ]  # fmt: skip
        for vuln_id in IGNORED:
            command += ["--ignore-vuln", vuln_id]
        # a fixed argument list: this interpreter's pip-audit, no shell
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        try:
            return json.loads(out.read_text(encoding="utf-8")), done.stderr
        except (OSError, ValueError):
            return None, done.stderr or done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="fail when the audit is incomplete")
    args = parser.parse_args(argv)
    strict = args.strict or os.environ.get("BINC_AUDIT_STRICT") == "1"
    service = os.environ.get("BINC_AUDIT_SERVICE", "pypi")
    report, error = run_pip_audit(service)
    status, lines = verdict(report, service, error)
    for line in lines:
        print(line, flush=True)
    if status == 2:
        print(
            "(not a failure: the vulnerability service is outside this project's control; "
            "BINC_AUDIT_STRICT=1 makes it one)"
            if not strict
            else "failing because BINC_AUDIT_STRICT=1",
            flush=True,
        )
        return 3 if strict else 0
    return status


if __name__ == "__main__":
    sys.exit(main())
