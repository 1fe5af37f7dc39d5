"""The rule for SQL text in binc/ and dashboard/, checked on the syntax tree
(tests/spec/test_security_code.py).

Rule: the first argument of every `.execute(`, `.executemany(`, `.sql(` and `.query(` call is
built only from
- string literals, and `+`, f-strings and `.format()` of parts that obey the rule;
- module-level constants whose value obeys the rule (e.g. `TOUCHED = "touched_persons"`), also
  when imported from another module of ours;
- local variables whose every assignment obeys the rule (a loop variable or `+=` never does);
- a parameter of the enclosing function when every call of that function in the same module
  passes text that obeys the rule (e.g. `_delete(con, f"DELETE FROM persons WHERE {gone}")`);
- an entry of ALLOWED below: an exact expression in an exact file, each with the reason it can
  only hold an identifier or a quoted literal from the code or the public reference data.
Values (filter codes, national numbers, dates, keys) travel as query parameters, never as text.
An entry of ALLOWED that no longer occurs fails the test, so the list cannot go stale.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

SQL_METHODS = frozenset({"execute", "executemany", "sql", "query"})

# (file relative to the repository, the expression as ast.unparse prints it) -> why it is safe
ALLOWED: dict[tuple[str, str], str] = {
    ("binc/release_file.py", "m.name"): (
        "a measurement name: config.py accepts only lower-case Python identifiers"
    ),
    ("binc/release_file.py", "name"): (
        "_read_measurement raises unless name.isidentifier() before building the table name"
    ),
    ("binc/release/measure.py", "dim"): (
        "a dimension name from known_dimensions() / BAND_DIMENSIONS, constants in the code"
    ),
    ("binc/release/measure.py", "', '.join((_quote(c) for c in codes))"): (
        "public codes from the reference data, each quoted as a SQL literal by _quote ('' doubling)"
    ),
    ("binc/release/measure.py", "_quote(str(warehouse))"): (
        "the warehouse path given by the operator, quoted as a SQL literal by _quote"
    ),
    ("binc/release/measure.py", "spec_sql(spec)"): (
        "the text of a file in queries/, or queries/marginal.sql with dimension names from "
        "known_dimensions() (constants in the code) filled in; the SQL a DPO signs off"
    ),
    ("binc/release/measure.py", "read_query('measured_trajectories')"): (
        "the text of queries/measured_trajectories.sql"
    ),
    ("binc/release/measure.py", "read_query('persons_over_cap')"): (
        "the text of queries/persons_over_cap.sql"
    ),
    ("binc/release/measure.py", "read_query('bounded_trajectories')"): (
        "the text of queries/bounded_trajectories.sql"
    ),
    ("binc/release/measure.py", "read_query('late_registrations')"): (
        "the text of queries/late_registrations.sql"
    ),
    ("binc/warehouse/schema.py", "_enum_ddl(type_name, codes(list_name))"): (
        "type names are the keys of the ENUM_TYPES constant; codes are quoted by _enum_ddl"
    ),
    (
        "binc/warehouse/schema.py",
        "_enum_ddl('partnership_code', tuple(partnerships()['partnership_id']))",
    ): ("public partnership codes from the reference data, quoted by _enum_ddl"),
}


@dataclass
class Finding:
    path: str
    line: int
    source: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: SQL text not provably constant: {self.source}"


@dataclass
class Report:
    calls: int = 0
    findings: list[Finding] = field(default_factory=list)
    allowed_used: set[tuple[str, str]] = field(default_factory=set)


class _Module:
    def __init__(self, path: str, source: str) -> None:
        self.path = path
        self.source = source
        self.tree = ast.parse(source)
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions.setdefault(node.name, []).append(node)

    def enclosing_function(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node
        return None


class SqlTextChecker:
    def __init__(self, allowed: dict[tuple[str, str], str] | None = None) -> None:
        self.allowed = ALLOWED if allowed is None else allowed
        self.report = Report()
        self.root: Path | None = None
        self._modules: dict[str, _Module] = {}

    def check_source(self, path: str, source: str) -> Report:
        module = _Module(path, source)
        for node in ast.walk(module.tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in SQL_METHODS
            ):
                self.report.calls += 1
                text = node.args[0] if node.args else None
                if text is None or not self._safe(module, text, depth=0):
                    segment = ast.get_source_segment(source, node) or "?"
                    self.report.findings.append(Finding(path, node.lineno, segment[:120]))
        return self.report

    def check_tree(self, root: Path, *folders: str) -> Report:
        self.root = root
        for folder in folders:
            for file in sorted((root / folder).rglob("*.py")):
                source = file.read_text(encoding="utf-8")
                self.check_source(file.relative_to(root).as_posix(), source)
        return self.report

    # --- the rule -------------------------------------------------------------------------------
    def _allowed(self, module: _Module, node: ast.AST) -> bool:
        key = (module.path, ast.unparse(node))
        if key in self.allowed:
            self.report.allowed_used.add(key)
            return True
        return False

    def _safe(self, module: _Module, node: ast.AST, depth: int) -> bool:
        if depth > 8:
            return False
        if self._allowed(module, node):
            return True
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str)
        if isinstance(node, ast.JoinedStr):
            return all(self._safe_part(module, part, depth + 1) for part in node.values)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._safe(module, node.left, depth + 1) and self._safe(
                module, node.right, depth + 1
            )
        if isinstance(node, ast.Name):
            return self._safe_name(module, node, depth + 1)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
        ):  # "template {x}".format(x=...): template and every argument obey the rule
            parts = [node.func.value, *node.args, *(k.value for k in node.keywords)]
            return all(k.arg is not None for k in node.keywords) and all(
                not isinstance(p, ast.Starred) and self._safe(module, p, depth + 1) for p in parts
            )
        return False  # other calls, `%`, attributes, subscripts: not provable

    def _safe_part(self, module: _Module, part: ast.AST, depth: int) -> bool:
        if isinstance(part, ast.Constant):
            return True
        if isinstance(part, ast.FormattedValue):
            return self._safe(module, part.value, depth)
        return False

    def _safe_name(self, module: _Module, name: ast.Name, depth: int) -> bool:
        function = module.enclosing_function(name)
        while function is not None:
            params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
            kwonly = [a.arg for a in function.args.kwonlyargs]
            if name.id in params or name.id in kwonly:
                position = params.index(name.id) if name.id in params else None
                return self._safe_parameter(module, function.name, name.id, position, depth)
            assigned = self._assignments(function, name.id)
            if assigned is not None:
                return bool(assigned) and all(self._safe(module, v, depth) for v in assigned)
            function = module.enclosing_function(function)
        assigned = self._assignments(module.tree, name.id, module_level=True)
        if assigned is None:
            return self._safe_import(module, name.id, depth)
        return all(self._safe(module, v, depth) for v in assigned)

    def _safe_import(self, module: _Module, name: str, depth: int) -> bool:
        """`from binc.x import NAME`: NAME must be a module-level constant there."""
        for node in module.tree.body:
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith(
                ("binc.", "dashboard.")
            ):
                continue
            for alias in node.names:
                if (alias.asname or alias.name) != name or self.root is None:
                    continue
                path = self.root / (node.module.replace(".", "/") + ".py")
                if not path.is_file():
                    return False
                relative = path.relative_to(self.root).as_posix()
                other = self._modules.get(relative)
                if other is None:
                    other = self._modules[relative] = _Module(relative, path.read_text("utf-8"))
                assigned = self._assignments(other.tree, alias.name, module_level=True)
                return assigned is not None and all(self._safe(other, v, depth) for v in assigned)
        return False

    @staticmethod
    def _assignments(scope: ast.AST, name: str, module_level: bool = False) -> list[ast.AST] | None:
        """The values bound to `name` in `scope`, or None when it is never bound there. A binding
        that is not a plain assignment (loop variable, `+=`, `with ... as`, `:=`) gives a value
        that never obeys the rule."""
        nodes = scope.body if module_level else list(ast.walk(scope))
        unprovable = ast.Call(ast.Name("<unprovable>"), [], [])
        values: list[ast.AST] = []
        for node in nodes:
            if isinstance(node, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                    values.append(node.value)
                elif any(_binds(t, name) for t in node.targets):  # tuple unpacking
                    values.append(unprovable)
            elif isinstance(node, ast.AnnAssign) and _binds(node.target, name):
                values.append(node.value if node.value is not None else unprovable)
            elif isinstance(node, ast.AugAssign | ast.For | ast.AsyncFor | ast.NamedExpr):
                if _binds(node.target, name):
                    values.append(unprovable)
            elif isinstance(node, ast.With | ast.AsyncWith):
                if any(i.optional_vars and _binds(i.optional_vars, name) for i in node.items):
                    values.append(unprovable)
            elif isinstance(node, ast.comprehension) and _binds(node.target, name):
                values.append(unprovable)
        return values or None

    def _safe_parameter(
        self, module: _Module, function: str, param: str, position: int | None, depth: int
    ) -> bool:
        calls = [
            node
            for node in ast.walk(module.tree)
            if isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == function)
                or (isinstance(node.func, ast.Attribute) and node.func.attr == function)
            )
        ]
        if not calls:
            return False
        for call in calls:
            given = [k.value for k in call.keywords if k.arg == param]
            if not given and position is not None:
                offset = position
                definitions = module.functions.get(function, [])
                if (
                    definitions
                    and definitions[0].args.args[:1]
                    and (definitions[0].args.args[0].arg in ("self", "cls"))
                ):
                    offset -= 1
                if 0 <= offset < len(call.args):
                    given = [call.args[offset]]
            if not given or any(isinstance(g, ast.Starred) for g in given):
                return False
            if not all(self._safe(module, g, depth + 1) for g in given):
                return False
        return True


def _binds(target: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(target))
