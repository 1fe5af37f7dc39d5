"""Security (issue 5, part 3), checked on the code and on the key object itself: every SQL text in
binc/ and dashboard/ is a constant or a validated identifier (tests/support/sql_text_rule.py), the
dashboard has no way to a database but the release loader, and the key object never shows the key.
What `binc` and the dashboard do with a real key and hostile input: tests/e2e/test_security.py.
"""

from __future__ import annotations

import ast
import pickle
import secrets

import pytest
from support import REPO
from support.security_world import key_forms, leaks
from support.sql_text_rule import ALLOWED, SqlTextChecker

from binc.core.errors import UserError
from binc.core.pseudonym_key import PseudonymKey, load_key

# --- the dashboard reads one release, read-only, and never the warehouse ----------------------


def test_dashboard_code_has_no_way_to_a_database_but_the_release_loader():
    # Imports are the layer contracts' job (pyproject.toml, tests/spec/test_layers.py: transitive,
    # on the whole import graph); this checks the calls and names a page could still reach.
    files = sorted((REPO / "dashboard").rglob("*.py"))
    assert len(files) >= 10
    for file in files:
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                names += [a.name for a in node.names]
                assert not [n for n in names if n.split(".")[0] == "duckdb"], file
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
                assert name not in ("connect", "build_release", "ingest_files"), (file, node.lineno)
                if name == "load_release":
                    assert file.name == "data.py", (file, node.lineno)
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert "warehouse.duckdb" not in node.value
                assert "BINC_WAREHOUSE" not in node.value


# --- the key never appears in output, tracebacks or files ---------------------------------------


def test_key_object_and_its_errors_never_show_the_key(tmp_path):
    secret = secrets.token_hex(32)
    key = PseudonymKey(secret.encode())
    forms = key_forms(secret)
    for text in (repr(key), str(key), f"{key}", f"{key!r}", format(key, ""), repr([key])):
        assert text.count("PseudonymKey(<hidden>)") >= 1
        assert not leaks(text, forms)
    assert not hasattr(key, "__dict__")
    with pytest.raises(TypeError) as pickled:  # never serialised (a cache, a worker process)
        pickle.dumps(key)
    assert not leaks(str(pickled.value), forms)
    short = "s3cr3t-but-too-short"
    (tmp_path / "short.key").write_text(short)
    with pytest.raises(UserError) as refused:
        load_key(tmp_path / "short.key")
    assert short not in str(refused.value)
    assert "too short" in str(refused.value)
    with pytest.raises(UserError) as missing:
        load_key(tmp_path / "absent.key")
    assert "cannot read the key file" in str(missing.value)


# --- every SQL text in binc/ and dashboard/ is a constant or a validated identifier -----------------------


def test_sql_text_in_the_code_obeys_the_rule():
    checker = SqlTextChecker()
    report = checker.check_tree(REPO, "binc", "dashboard")
    assert report.calls >= 40  # the walk found the code's SQL calls: it cannot pass vacuously
    assert not report.findings, "\n".join(map(str, report.findings))
    assert set(ALLOWED) == report.allowed_used, (
        f"stale entries: {set(ALLOWED) - report.allowed_used}"
    )


UNSAFE = {
    "f-string of a value": "def f(con, code):\n    con.execute(f\"SELECT * FROM t WHERE c = '{code}'\")",
    "concatenation": "def f(con, code):\n    con.execute('SELECT * FROM t WHERE c = ' + code)",
    "percent": "def f(con, code):\n    con.sql('SELECT %s' % code)",
    "format of a value": "def f(con, code):\n    con.execute('SELECT {}'.format(code))",
    "augmented": "def f(con, code):\n    sql = 'SELECT 1'\n    sql += code\n    con.execute(sql)",
    "loop variable": "def f(con, parts):\n    for sql in parts:\n        con.execute(sql)",
    "helper fed a value": "def run(con, sql):\n    con.execute(sql)\ndef g(con, x):\n    run(con, f'SELECT {x}')",
    "attribute": "def f(con, self):\n    con.execute(self.text)",
    "no argument": "def f(con, kw):\n    con.execute(**kw)",
}
SAFE = {
    "literal with parameters": "def f(con, code):\n    con.execute('SELECT * FROM t WHERE c = ?', [code])",
    "constant": "T = 'touched'\ndef f(con):\n    con.execute(f'DELETE FROM {T}')",
    "helper fed constants": "def run(con, sql):\n    con.execute(sql)\ndef g(con):\n    run(con, 'SELECT 1')",
}


@pytest.mark.parametrize(("name", "source"), [*UNSAFE.items(), *SAFE.items()], ids=[*UNSAFE, *SAFE])
def test_the_sql_rule_catches_text_built_from_values(name, source):
    report = SqlTextChecker(allowed={}).check_source("example.py", source)
    assert report.calls >= 1
    assert bool(report.findings) == (name in UNSAFE)
