"""The Market page's deals and offer: the GPU-cloud contract kept apart from the leases' rents,
contract values in executive format, and the offer valuing a chosen site."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from app_support import loaders
from app_support.market_view import lease_and_other_deals, offer_scenario
from sites.store import SiteStore
from valuation import formatting as fmt
from valuation.decision import compare
from valuation.hosting import HOSTING_DEALS
from valuation.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]


def test_gpu_cloud_deal_is_not_beside_the_leases():
    leases, others = lease_and_other_deals(HOSTING_DEALS)
    gpu = HOSTING_DEALS[HOSTING_DEALS["structure"] == "gpu_cloud"]
    assert len(gpu) >= 1
    assert set(others["tenant"]) == set(HOSTING_DEALS.loc[~HOSTING_DEALS["comparable"], "tenant"])
    assert not {c for c in others.columns if "rate" in c}  # no rent per kW for a GPU contract
    assert "GPU" in others["what_it_is"].iloc[0]
    assert leases["implied_year1_rate_usd_per_kw_month"].max() < 200  # $808 is not among them
    assert len(leases) + len(others) == len(HOSTING_DEALS)
    assert list(leases["contract_value"]) == [
        fmt.usd(v) for v in HOSTING_DEALS.loc[HOSTING_DEALS["comparable"], "total_value_usd"]
    ]
    assert "$8.7B" in list(leases["contract_value"])  # Core Scientific / CoreWeave, not "$8700M"


def test_offer_scenario_gives_the_site_the_offered_rent():
    base = Scenario()
    s = offer_scenario(base, 150.0)
    assert s.lease_rate_usd_per_kw_month == 150.0
    assert s.tenant_prospects.rate_change_per_point == 0.0
    assert s.tenant_prospects.probability_change_per_point == (
        base.tenant_prospects.probability_change_per_point
    )


def test_the_offer_values_the_chosen_site(db_url):
    site = SiteStore(db_url, seed=True).get("riot-rockdale")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.switch_page("app_pages/market.py")
    at.session_state[loaders.SELECTED_SITE_KEY] = site.id
    at.run()
    assert not at.exception and not at.error
    assert at.selectbox(key="market_offer_site").value == site.id
    at.number_input(key="market_offer").set_value(150.0).run()
    assert not at.exception
    expected = compare(site, offer_scenario(Scenario(), 150.0))
    metric = next(m for m in at.metric if m.label == "Value of converting at your offer")
    assert metric.value == fmt.usd(expected.value_of_converting_usd)
    assert expected.tenant["lease_rate_usd_per_kw_month"] == 150.0
    at.number_input(key="market_offer").set_value(60.0).run()
    lower = compare(site, offer_scenario(Scenario(), 60.0))
    metric = next(m for m in at.metric if m.label == "Value of converting at your offer")
    assert metric.value == fmt.usd(lower.value_of_converting_usd)
    assert lower.value_of_converting_usd < expected.value_of_converting_usd
    tables = [d.value for d in at.dataframe]
    rents = [t for t in tables if "implied_year1_rate_usd_per_kw_month" in t.columns]
    assert rents and rents[0]["implied_year1_rate_usd_per_kw_month"].max() < 200
    others = next(t.value for t in at.table if "What it is" in t.value.columns)
    assert "Microsoft" in list(others["Tenant"]) and "$9.7B" in list(others["Contract value"])
