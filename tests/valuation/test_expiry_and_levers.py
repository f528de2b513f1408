"""Contract expiry (a fixed price until the expiry month, the region's index + adder or a renewal
price after it), policy levers as scenario switches (each changes its own path's numbers, and
only when switched on), and ERCOT 4CP avoidance at the level of ``compare``."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sites.schema import Facility, PowerRights, Site
from valuation.decision import compare
from valuation.errors import ScenarioError
from valuation.power import ERCOT_4CP
from valuation.regions import LEVER_KEYS, all_regions, region_for
from valuation.scenario import Scenario
from valuation.strategies import build_site_model, evaluate, mining_blocks

N = 60
SCENARIO = Scenario(horizon_months=N, dr_programs=())
AS_OF = SCENARIO.market.as_of  # 2025-11-03: month index 0 is November 2025


def _site(
    region: str = "ERCOT",
    contract_type: str = "fixed_ppa",
    price: float = 27.0,
    expiry: date | None = None,
    energized_mw: float = 100.0,
) -> Site:
    return Site(
        id=f"x-{region}",
        name=f"Site in {region}",
        grid_region=region,
        state="TX",
        power=PowerRights(
            energized_mw=energized_mw,
            contracted_mw=100.0,
            contract_type=contract_type,
            contract_price_usd_per_mwh=price,
            contract_expiry=expiry,
        ),
        facility=Facility(hall_count=2, hall_power_mw=50.0),
    )


def _month_date(m: int) -> date:
    """The first day of month index ``m`` from the valuation date's month."""
    k = AS_OF.month - 1 + m
    return date(AS_OF.year + k // 12, k % 12 + 1, 1)


def _blocks(site: Site, scenario: Scenario = SCENARIO) -> dict[str, np.ndarray]:
    model = build_site_model(site, scenario)
    unit, dr = mining_blocks(model)
    return {**{f"unit_{k}": v for k, v in unit.items()}, **{f"dr_{k}": v for k, v in dr.items()}}


# --- contract expiry ------------------------------------------------------------------------------


@pytest.mark.parametrize("m", [1, 24, 59])
def test_an_expiring_contract_is_the_fixed_one_before_and_index_plus_adder_after(m):
    expiring = _blocks(_site(expiry=_month_date(m)))
    fixed = _blocks(_site())
    # The index contract the site falls back on: the region's index plus its adder.
    adder = region_for("ERCOT").default_adder_usd_per_mwh
    index = _blocks(_site(contract_type="index_plus_adder", price=adder))
    for key in ("unit_revenue", "unit_opex", "unit_capex", "dr_revenue", "dr_opex", "dr_capex"):
        np.testing.assert_allclose(expiring[key][..., :m], fixed[key][..., :m], rtol=1e-12)
        np.testing.assert_allclose(expiring[key][..., m:], index[key][..., m:], rtol=1e-12)
    for key in ("unit_continuation_value", "dr_continuation_value"):
        np.testing.assert_allclose(expiring[key], index[key], rtol=1e-12)
    # The two contracts really differ (else the test proves nothing): $27 fixed vs index + $5.
    assert not np.allclose(fixed["unit_opex"], index["unit_opex"])


def test_a_renewal_price_replaces_the_index_after_expiry():
    m = 12
    renewal = replace(SCENARIO, renewal_power_price_usd_per_mwh=40.0)
    expiring = _blocks(_site(expiry=_month_date(m)), renewal)
    fixed = _blocks(_site())
    at_renewal = _blocks(_site(price=40.0))
    for key in ("unit_revenue", "unit_opex", "dr_opex"):
        np.testing.assert_allclose(expiring[key][..., :m], fixed[key][..., :m], rtol=1e-12)
        np.testing.assert_allclose(expiring[key][..., m:], at_renewal[key][..., m:], rtol=1e-12)
    assert "renewal at $40.00/MWh" in compare(_site(expiry=_month_date(m)), renewal).power_note


def test_no_expiry_inside_the_horizon_changes_nothing():
    base = compare(_site(), SCENARIO)
    later = compare(_site(expiry=_month_date(N)), SCENARIO)  # the first month past the horizon
    assert later.strategy_npv_usd == base.strategy_npv_usd
    # Index contracts and tariffs do not expire, whatever the stored date.
    for kind, price in (("index_plus_adder", 3.0), ("utility_tariff", 55.0)):
        a = evaluate(build_site_model(_site(contract_type=kind, price=price), SCENARIO)).npv_usd
        b = build_site_model(
            _site(contract_type=kind, price=price, expiry=_month_date(6)), SCENARIO
        )
        assert b.contract_after_expiry is None
        np.testing.assert_array_equal(evaluate(b).npv_usd, a)


def test_an_expired_contract_is_the_index_contract_throughout():
    model = build_site_model(_site(expiry=date(2020, 1, 1)), SCENARIO)
    adder = region_for("ERCOT").default_adder_usd_per_mwh
    index = build_site_model(_site(contract_type="index_plus_adder", price=adder), SCENARIO)
    assert (
        model.contract.contract_type == "index_plus_adder" and model.contract_after_expiry is None
    )
    np.testing.assert_allclose(evaluate(model).npv_usd, evaluate(index).npv_usd, rtol=1e-12)


def test_the_decision_says_when_the_contract_expires():
    d = compare(_site(expiry=_month_date(24)), SCENARIO)
    assert "until the contract expires (Nov 2027), then the ERCOT index plus $5.00/MWh" in (
        d.power_note
    )


# --- policy levers ---------------------------------------------------------------------------------


def _values(site: Site, levers: tuple[str, ...]):
    model = build_site_model(site, replace(SCENARIO, policy_levers=levers))
    out = evaluate(model)
    plan = model.plan
    convert = int(plan.groups["convert"][0])
    return model, {
        "keep": float(out.npv_usd[plan.keep_row]),
        "dr": float(out.npv_usd[plan.dr_row]),
        "convert_signed": float(out.npv_signed_usd[convert]),
    }


def test_the_lever_list_is_every_region_s_levers():
    listed = {lever.key for region in all_regions() for lever in region.levers()}
    assert set(LEVER_KEYS) == listed and len(LEVER_KEYS) == len(listed)
    assert all(not lever.enabled for region in all_regions() for lever in region.levers())


@pytest.mark.parametrize(
    ("region", "key"),
    [("ERCOT", "tx_sb6_curtailment"), ("SPP", "spp_chills"), ("NYISO", "ny_muni_crypto_rider")],
)
def test_a_miner_lever_lowers_mining_and_leaves_the_tenant_s_side_alone(region, key):
    # On a flat tariff the miner runs every hour, so unpaid curtailment hours are lost hours.
    site = _site(region, "utility_tariff", 40.0)
    off_model, off = _values(site, ())
    on_model, on = _values(site, (key,))
    assert on_model.levers_on == (key,) and off_model.levers_on == ()
    assert on["keep"] < off["keep"] and on["dr"] < off["dr"]
    # The AI side is the same: same capex, same months to power, same rent.
    assert on_model.retrofit_capex_total_usd == off_model.retrofit_capex_total_usd
    assert on_model.months_to_power == off_model.months_to_power
    np.testing.assert_array_equal(on_model.hosting.rent_unit_usd, off_model.hosting.rent_unit_usd)


def test_emergency_curtailment_costs_a_price_responsive_miner_nothing_more():
    # On the ERCOT index the flexible share is already off for price in more hours a month than
    # SB 6's 12 unpaid hours a year (assumed to fall in the same scarcity hours), so the lever
    # takes nothing more from mining: it never raises a value.
    site = _site("ERCOT", "index_plus_adder", 3.0)
    _, off = _values(site, ())
    _, on = _values(site, ("tx_sb6_curtailment",))
    assert all(on[k] <= off[k] + 1e-6 for k in off)


@pytest.mark.parametrize(
    ("key", "capex_added_per_mw", "fee_usd"),
    [("tx_sb6_backup", 1_000_000.0, 0.0), ("tx_sb6_study_fee", 0.0, 100_000.0)],
)
def test_an_ai_lever_adds_capex_to_converting_and_leaves_mining_alone(
    key, capex_added_per_mw, fee_usd
):
    site = _site("ERCOT", "index_plus_adder", 3.0)
    off_model, off = _values(site, ())
    on_model, on = _values(site, (key,))
    added = on_model.retrofit_capex_total_usd - off_model.retrofit_capex_total_usd
    assert added == pytest.approx(capex_added_per_mw * off_model.critical_it_mw + fee_usd)
    assert on["convert_signed"] < off["convert_signed"]
    assert on["keep"] == off["keep"] and on["dr"] == off["dr"]


def test_the_queue_lever_delays_a_site_that_needs_a_new_interconnection():
    waiting = _site("ERCOT", "index_plus_adder", 3.0, energized_mw=0.0)  # contracted, not energized
    off_model, off = _values(waiting, ())
    on_model, on = _values(waiting, ("ercot_queue",))
    assert on_model.months_to_power == off_model.months_to_power + 30
    assert on["convert_signed"] < off["convert_signed"]  # rent starts later
    # A site already energized for its AI load needs no new interconnection: nothing changes.
    energized = _site("ERCOT", "index_plus_adder", 3.0)
    a_model, a = _values(energized, ())
    b_model, b = _values(energized, ("ercot_queue",))
    assert (a, a_model.months_to_power) == (b, b_model.months_to_power)


def test_levers_off_or_of_another_region_change_nothing():
    site = _site("ERCOT", "index_plus_adder", 3.0)
    others = tuple(k for k in LEVER_KEYS if not k.startswith(("tx_", "ercot_")))
    assert others  # SPP and NYISO levers exist
    base = compare(site, SCENARIO)
    elsewhere = compare(site, replace(SCENARIO, policy_levers=others))
    assert elsewhere.strategy_npv_usd == base.strategy_npv_usd
    assert base.levers_on == elsewhere.levers_on == ()
    on = compare(site, replace(SCENARIO, policy_levers=("tx_sb6_curtailment", *others)))
    assert on.levers_on == ("tx_sb6_curtailment",)
    assert "policy levers on: tx_sb6_curtailment" in on.power_note
    # Mandatory curtailment is not a partnership: mining with DR stays plain mining here.
    assert on.identical_to.get("mining_with_dr") == "keep_mining"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(LEVER_KEYS), unique=True), st.text(min_size=1, max_size=12))
def test_scenario_takes_known_lever_names_and_refuses_others_naming_them(known, unknown):
    assert Scenario(policy_levers=tuple(known)).policy_levers == tuple(known)
    if unknown in LEVER_KEYS:
        return
    with pytest.raises(ScenarioError, match="policy_levers") as err:
        Scenario(policy_levers=(*known, unknown))
    assert all(k in str(err.value) for k in LEVER_KEYS)
    with pytest.raises(ScenarioError):
        Scenario(policy_levers=(*known, *known[:1]) if known else ("x",))  # duplicates refused


def test_policy_levers_and_renewal_price_round_trip_through_to_dict():
    s = replace(SCENARIO, policy_levers=("spp_chills",), renewal_power_price_usd_per_mwh=41.5)
    back = Scenario.from_dict(s.to_dict())
    assert back.policy_levers == ("spp_chills",) and back.renewal_power_price_usd_per_mwh == 41.5
    with pytest.raises(ScenarioError, match="renewal_power_price_usd_per_mwh"):
        Scenario(renewal_power_price_usd_per_mwh=-1.0)


# --- ERCOT 4CP at the level of compare ------------------------------------------------------------


def test_ercot_4cp_avoidance_pays_in_compare():
    site = _site("ERCOT", "index_plus_adder", 3.0)
    scenario = replace(SCENARIO, economic_shutdown=False)
    avoided = compare(site, replace(scenario, dr_programs=(ERCOT_4CP,)))
    none_caught = compare(
        site, replace(scenario, dr_programs=(replace(ERCOT_4CP, peak_catch_rate=0.0),))
    )
    assert "mining_with_dr" in avoided.strategies  # a distinct path
    assert (
        avoided.strategy_npv_usd["mining_with_dr"] > none_caught.strategy_npv_usd["mining_with_dr"]
    )
    # By hand: $100/kW-year x 1,000 kW/MW x 100 MW x 0.95 uptime / 12 charged a month, of which
    # the 95% committed share x 90% of peaks caught is credited back, while the fleet runs.
    credit = 100.0 * 1_000.0 * 100.0 * 0.95 / 12.0 * 0.95 * 0.9
    a = avoided.strategies["mining_with_dr"].monthly["revenue_usd"].to_numpy()
    b = none_caught.strategies["mining_with_dr"].monthly["revenue_usd"].to_numpy()
    first_refresh = 36  # a 2-year-old fleet of 5-year life reaches its end of life at month 36
    np.testing.assert_allclose(a[:first_refresh] - b[:first_refresh], credit, rtol=1e-9)
    # A PJM site with the same programs is paid none of it.
    pjm = compare(
        _site("PJM", "index_plus_adder", 3.0), replace(scenario, dr_programs=(ERCOT_4CP,))
    )
    assert pjm.identical_to.get("mining_with_dr") == "keep_mining"
