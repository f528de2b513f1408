"""The one-way data flow of docs/DESIGN.md, checked on the import statements of every module:
`models` reads only `sites.schema`; `valuation` reads `models` and `sites.schema`; `sites` reads
neither; `reports` reads valuation, sites and models; `cli` reads those and reports; only the app
and the command line read `reports`, and nothing reads the app or the command line; nothing below
the app imports streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "sites": {"sites"},
    "models": {"models", "sites.schema"},
    "valuation": {"valuation", "models", "sites.schema"},
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
