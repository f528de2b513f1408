"""What the board-pack tests share: the pack of a case that once read wrong on paper."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from reports import BoardPack, build_pack
from sites import load_example_portfolio
from valuation.scenario import Scenario
from valuation.tenant import TenantProspects


@pytest.fixture(scope="session")
def funded_rockdale_pack() -> BoardPack:
    """Rockdale under 10% contingency, the high capex case, a $95 lease and a readiness-moved
    rate: its later conversion needs about $6B of funding and has no single IRR (the memo and
    the workbook once showed "no outlay" and the raw IRR for it)."""
    site = next(s for s in load_example_portfolio() if s.id == "riot-rockdale")
    scenario = dataclasses.replace(
        Scenario(), contingency=0.1, capex_scenario="high", lease_rate_usd_per_kw_month=95.0,
        tenant_prospects=TenantProspects(rate_change_per_point=0.01),
    )  # fmt: skip
    return build_pack([site], scenario, scenario_name="high", made_on=date(2026, 11, 30))
