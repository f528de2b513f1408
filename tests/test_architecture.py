"""The one-way data flow of docs/DESIGN.md, checked on the import statements of every module:
`models` reads only `sites.schema` and `sites.unknowns` (the conservative values of unknown
site facts, itself reading only `sites.schema`); `valuation` reads `models`, `sites.schema`, `sites.readiness`
(a site's tenant prospects come from its readiness score, a pure function of the site) and
`sites.validation` (compare refuses a site the inventory would refuse, with its error) and
`sites.redact` (the live market fetch masks credentials as the store does; it reads nothing of the
project); `sites` reads neither; `reports` reads valuation, sites and models; `cli` reads those and
reports; only the app and the command line read `reports`, and nothing reads the app or the command
line; nothing below the app imports streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "sites": {"sites"},
    "models": {"models", "sites.schema", "sites.unknowns"},
    "valuation": {
        "valuation",
        "models",
        "sites.schema",
        "sites.readiness",
        "sites.validation",
        "sites.errors",
        "sites.redact",
    },  # fmt: skip
    "reports": {"reports", "valuation", "sites", "models"},
    "cli": {"cli", "reports", "valuation", "sites", "models"},
}
PROJECT_TOP = {
    "sites", "models", "valuation", "reports", "cli", "app_support", "app_pages", "app",
    "streamlit",
}  # fmt: skip


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return [n for n in names if n.split(".")[0] in PROJECT_TOP]


def _allowed(name: str, allowed: set[str]) -> bool:
    return any(name == a or name.startswith(a + ".") for a in allowed)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_flow_one_way(package: str) -> None:
    bad = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in _imports(path)
        if not _allowed(name, ALLOWED[package])
    ]
    assert bad == []


def test_the_rule_catches_a_wrong_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import streamlit as st\nfrom valuation.finance import npv\n")
    assert _imports(module) == ["streamlit", "valuation.finance"]
    assert not _allowed("valuation.finance", ALLOWED["models"])
    assert not _allowed("streamlit", ALLOWED["valuation"])


def _public_definitions(path: Path) -> set[str]:
    """Functions, classes and constants a module defines at top level without a leading ``_``."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(), filename=str(path)).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_")}


def _declared_all(path: Path) -> list[str] | None:
    for node in ast.parse(path.read_text(), filename=str(path)).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return list(ast.literal_eval(node.value))
    return None


def _all_problems(path: Path) -> list[str]:
    declared = _declared_all(path)
    if declared is None:
        return []
    public = _public_definitions(path)
    imported = {
        alias.asname or alias.name
        for node in ast.parse(path.read_text(), filename=str(path)).body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    gone = [n for n in declared if n not in public | imported]
    unlisted = sorted(public - set(declared) - {"ArrayLike"})
    return [f"{path.name}: __all__ names missing {gone}"] * bool(gone) + [
        f"{path.name}: public but not in __all__ {unlisted}"
    ] * bool(unlisted)


@pytest.mark.parametrize("package", [*sorted(ALLOWED), "app_support"])
def test_every_all_is_true(package: str) -> None:
    """A module that declares ``__all__`` lists every public name it defines, and only those."""
    bad = [p for path in sorted((ROOT / package).rglob("*.py")) for p in _all_problems(path)]
    assert bad == []


def test_the_all_rule_catches_an_unlisted_name(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('__all__ = ["a", "gone"]\n\ndef a(): ...\n\ndef b(): ...\n')
    assert _all_problems(module) == [
        "m.py: __all__ names missing ['gone']",
        "m.py: public but not in __all__ ['b']",
    ]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph(packages: list[str]) -> dict[str, set[str]]:
    """Module -> project modules it imports, function-local imports included (they still tie
    the two modules together; a local import is the usual way a circle is hidden)."""
    paths = [p for package in packages for p in sorted((ROOT / package).rglob("*.py"))]
    modules = {_module_name(p) for p in paths}
    graph: dict[str, set[str]] = {}
    for path in paths:
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            targets |= {n for n in names if n in modules}
        graph[_module_name(path)] = targets - {_module_name(path)}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every module that can reach itself, with one path back (depth-first search)."""
    found: list[list[str]] = []
    for start in sorted(graph):
        stack = [(start, [start])]
        seen: set[str] = set()
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph.get(node, ())):
                if nxt == start:
                    found.append([*path, start])
                    stack.clear()
                    break
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    return found


def test_no_import_circles() -> None:
    """No module reaches itself through imports (an import of a package counts as one of its
    ``__init__``, which imports the package's modules)."""
    assert _cycles(_import_graph(sorted(ALLOWED))) == []


def test_the_circle_rule_catches_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c", "a"],
        ["b", "c", "a", "b"],
        ["c", "a", "b", "c"],
    ]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_only_the_app_and_the_command_line_read_reports() -> None:
    readers = {
        path.relative_to(ROOT).parts[0]
        for top in ("sites", "models", "valuation", "reports", "cli", "app_support", "app_pages")
        for path in (ROOT / top).rglob("*.py")
        if any(_allowed(n, {"reports"}) for n in _imports(path))
    }
    assert readers <= {"reports", "cli", "app_support", "app_pages"}
    assert "cli" in readers  # the rule looks at real imports: the command line does read reports
    assert not any(_allowed(n, {"cli"}) for p in (ROOT / "reports").rglob("*.py")
                   for n in _imports(p))  # fmt: skip


def test_valuation_never_imports_reports_or_cli(tmp_path: Path) -> None:
    assert not _allowed("reports.excel", ALLOWED["valuation"])
    assert not _allowed("cli.main", ALLOWED["valuation"])
    assert not _allowed("cli.main", ALLOWED["reports"])
    module = tmp_path / "m.py"
    module.write_text("from reports import build_pack\nimport cli.main\n")
    assert _imports(module) == ["reports", "cli.main"]
