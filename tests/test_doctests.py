"""The Examples of the public API (docs/DESIGN.md, "Public API") run as doctests.

Each listed function or class has a numpydoc docstring with Parameters, Returns and an Examples
section whose examples import what they use and print rounded numbers, so they are fast,
offline and deterministic. They run here, in the suite (``bash scripts/test.sh``), with
ELLIPSIS and NORMALIZE_WHITESPACE; ``python -m pytest --doctest-modules valuation/finance.py``
runs one module's the same way.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
from typing import Any

import pytest

# module -> public names, as docs/DESIGN.md lists them (dotted names for methods).
PUBLIC_API: dict[str, tuple[str, ...]] = {
    "valuation.finance": ("npv", "irr", "project_cash_flows"),
    "valuation.market": ("block_subsidy_btc",),
    "valuation.mining": ("hashprice_usd_per_ph_day", "breakeven_power_price_usd_per_mwh"),
    "valuation.hosting": ("LeaseTerms", "contract_value_usd", "implied_rate_usd_per_kw_month"),
    "valuation.decision": ("compare",),
    "valuation.options": (
        "longstaff_schwartz",
        "american_put",
        "exercise_rule",
        "conversion_option",
    ),
    "valuation.portfolio": ("choose_sites", "plan_conversions"),
    "valuation.drivers": (
        "generate_blocks",
        "generate_paths",
        "BasePaths.from_market",
        "as_hashprice_path",
    ),
    "valuation.risk_stats": ("summarize",),
    "valuation.stories": ("stories",),
    "valuation.scaleout": ("run_portfolio",),
    "valuation.saved_scenario": ("saved_form", "scenario_from_saved"),
    "sites": ("load_example_portfolio",),
    "sites.store": ("SiteStore",),
    "sites.validation": ("check_site",),
    "sites.redact": ("mask_credentials",),
    "models": ("estimate_retrofit",),
    "reports": ("build_pack", "pack_bytes", "write_pack"),
}
SECTIONS = ("Parameters", "Returns", "Examples")
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
CASES = [(module, name) for module, names in PUBLIC_API.items() for name in names]


def _resolve(module_name: str, dotted: str) -> Any:
    obj: Any = importlib.import_module(module_name)
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize(("module_name", "name"), CASES, ids=[f"{m}.{n}" for m, n in CASES])
def test_public_api_example_runs(module_name: str, name: str) -> None:
    obj = _resolve(module_name, name)
    doc = getattr(obj, "__doc__", None) or ""
    # numpydoc: a class documents its constructor's Parameters; a function also its Returns.
    sections = ("Parameters", "Examples") if isinstance(obj, type) else SECTIONS
    if not inspect.signature(obj).parameters:
        sections = tuple(s for s in sections if s != "Parameters")
    for section in (f"{s}\n" for s in sections):
        assert section in doc, f"{module_name}.{name}: no numpydoc {section.strip()} section"
    # Only this object's own docstring (not its methods'); no module globals: examples import.
    found = doctest.DocTestFinder(recurse=False).find(obj, f"{module_name}.{name}", globs={})
    assert sum(len(t.examples) for t in found) > 0, f"{module_name}.{name}: no examples"
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in found:
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
