"""The one-way data flow of docs/DESIGN.md, checked on the import statements of every module:
`models` reads only `sites.schema`; `valuation` reads `models` and `sites.schema`; `sites` reads
neither; nothing below the app imports streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "sites": {"sites"},
    "models": {"models", "sites.schema"},
    "valuation": {"valuation", "models", "sites.schema"},
}
PROJECT_TOP = {"sites", "models", "valuation", "app_support", "app_pages", "app", "streamlit"}


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
