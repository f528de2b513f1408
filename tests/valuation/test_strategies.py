"""Strategy cash flows: hand-worked NPVs to the dollar, hybrid ends equal keep mining and convert
(against an independent hall-free computation), monotonicity invariants, bad input."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import estimate_retrofit
from sites.schema import Connectivity, Facility, PowerRights, Site
from valuation.finance import TaxAssumptions, TerminalValue, monthly_rate, npv, project_cash_flows
from valuation.hosting import (
    HostingError,
    LeasePhase,
    LeaseTerms,
    construction_spend_usd,
    rent_usd_by_phase,
)
from valuation.mining import MiningAssumptions, mining_cash_flows
from valuation.scenario import Scenario
from valuation.strategies import build_site_model, evaluate, row_index, site_contract


def _site(hall_count: int = 4, mw: float = 200.0, interruptible: float = 0.0) -> Site:
    return Site(
        id="hand",
        name="Hand-worked site",
        state="TX",
        grid_region="ERCOT",
        power=PowerRights(
            energized_mw=mw,
            contracted_mw=mw,
            interruptible_share=interruptible,
            contract_type="utility_tariff",
            contract_price_usd_per_mwh=20.0,
        ),
        facility=Facility(hall_count=hall_count, hall_power_mw=mw / hall_count),
        connectivity=Connectivity(),
    )


# Simple mining: no degradation, no refresh in the horizon, flat tariff (no price curve).
SIMPLE_MINING = MiningAssumptions(
    degradation_per_year=0.0, fleet_age_years=0.0, fleet_life_years=50.0, uptime=0.95
)
HAND = Scenario(
    mining=SIMPLE_MINING,
    horizon_months=36,
    tax=TaxAssumptions(federal_rate=0.0),
    terminal=TerminalValue(method="none"),
    capex_usd_per_critical_mw=8_000_000.0,
    discount_rate_per_year=0.10,
    dr_programs=(),
)


def test_hand_worked_keep_mining_npv_to_the_dollar():
    site = _site(hall_count=1)
    model = build_site_model(site, HAND)
    hp = model.hashprice.hashprice_usd_per_ph_day  # input path (36 months)
    a = SIMPLE_MINING
    # Spreadsheet, per month t (P = 200 MW gross, tariff $20/MWh):
    #   PH/s = 200 x 1000 / (17.5 J/TH x 1.05) = 10,884.35 PH/s
    #   mining value R = hp x 0.98 / (0.024 x 17.5 x 1.05) $/MWh, above $20 every month here
    #   revenue = PH/s x 0.95 x hp x 30.4375 days x 0.98
    #   power  = 200 MW x 730.5 h x 0.95 x $20
    #   opex   = 200 x $6,000
    #   NPV    = sum_t (revenue - power - opex) / (1.10^(1/12))^t, month 0 undiscounted, no tax.
    ph = 200 * 1000 / (a.efficiency_j_per_th * a.mining_pue)
    assert ph == pytest.approx(10_884.353741)
    value_r = hp * 0.98 / (0.024 * 17.5 * 1.05)
    assert (value_r > 20.0).all()
    revenue = ph * 0.95 * hp * 30.4375 * 0.98
    power = 200 * 730.5 * 0.95 * 20.0
    assert power == 2_775_900.0
    opex = 200 * 6_000.0
    flows = revenue - power - opex
    r_m = 1.10 ** (1 / 12) - 1
    expected = float(np.sum(flows / (1 + r_m) ** np.arange(36)))
    got = float(evaluate(model)["npv_usd"][row_index(model, "keep_mining")])
    assert got == pytest.approx(expected, abs=1.0)


def test_hand_worked_convert_npv_to_the_dollar():
    site = _site(hall_count=1)
    est = estimate_retrofit(site)
    model = build_site_model(site, HAND, est)
    (hall,) = est.halls
    assert hall.construction_start_month == 0  # one hall: no mining once conversion starts
    crit, rfs = hall.critical_it_mw, hall.ready_for_service_month
    assert rfs < 36
    # Capex $8M x critical IT MW along the S-curve F(x) = 3x^2 - 2x^3 over months 0..rfs-1.
    total = 8_000_000.0 * crit
    x = np.arange(37) / rfs
    f = np.clip(x, 0, 1) ** 2 * (3 - 2 * np.clip(x, 0, 1))
    capex = total * (f[1:] - f[:-1])
    # Rent from RFS: crit x 1000 kW x $128 in lease year 1, x 1.03 from lease month 12;
    # triple net: the landlord keeps 2.8% of rent as non-recoverable cost.
    months = np.arange(36)
    rent = np.where(months >= rfs, crit * 1000 * 128.0, 0.0)
    rent = rent * np.where(months - rfs >= 12, 1.03, 1.0)
    flows = rent * (1 - 0.028) - capex
    r_m = 1.10 ** (1 / 12) - 1
    expected = float(np.sum(flows / (1 + r_m) ** months))
    got = float(evaluate(model)["npv_usd"][row_index(model, "convert")])
    assert got == pytest.approx(expected, abs=1.0)


# ---- hybrid ends against an independent computation ----------------------------------------------


def _independent(site: Site, scenario: Scenario):
    """Keep mining and convert computed without the per-hall cumulative sums."""
    est = estimate_retrofit(site)
    model = build_site_model(site, scenario, est)
    n = scenario.horizon_months
    contract = site_contract(site, scenario)
    prices = model.prices_usd_per_mwh if model.prices_usd_per_mwh.shape[-1] else None
    hp = model.hashprice.hashprice_usd_per_ph_day
    months = np.arange(n)
    mw_total = site.power.energized_mw
    starts = np.array([h.construction_start_month for h in est.halls])
    per_hall = mw_total / len(est.halls)
    conv_profile = (per_hall * (months[None, :] < starts[:, None])).sum(axis=0)
    out = {}
    for key, profile in (("keep", np.full(n, mw_total)), ("convert", conv_profile)):
        m = mining_cash_flows(profile, hp, assumptions=scenario.mining, contract=contract,
                              prices=prices, start=scenario.market.as_of)  # fmt: skip
        revenue = m.revenue_usd + m.curtailment_credit_usd + m.dr_payment_usd
        opex = m.power_cost_usd + m.opex_usd
        capex = {5: m.capex_usd, 15: np.zeros(n), 39: np.zeros(n)}
        noi = np.zeros(n)
        if key == "convert":
            crit = np.array([h.critical_it_mw for h in est.halls])
            lease = LeaseTerms(
                float(crit.sum()), scenario.lease_rate_usd_per_kw_month, scenario.lease_term_years,
                scenario.lease_escalator_per_year,
                phases=tuple(LeasePhase(float(c), h.ready_for_service_month)
                             for c, h in zip(crit, est.halls, strict=True)),
            )  # fmt: skip
            rent = rent_usd_by_phase(lease, n).sum(axis=0)
            landlord = 0.028 * rent
            revenue, opex, noi = revenue + rent, opex + landlord, rent - landlord
            by_class = est.capex_by_class_usd()
            total = sum(by_class.values())
            spend = construction_spend_usd(
                np.array([h.capex_base_usd for h in est.halls]) * total / est.total_base_usd,
                starts, np.array([h.ready_for_service_month for h in est.halls]), n,
            ).sum(axis=0)  # fmt: skip
            capex = {c: capex.get(c, 0) + spend * v / total for c, v in by_class.items()}
        flows = project_cash_flows(
            revenue_usd=revenue, opex_usd=opex, capex_by_class_usd=capex,
            discount_rate_per_year=scenario.discount_rate_per_year, tax=scenario.tax,
            terminal=scenario.terminal, noi_usd=noi,
        )  # fmt: skip
        out[key] = float(
            npv(monthly_rate(scenario.discount_rate_per_year), flows["levered_fcf_usd"])
        )
    return model, out


@settings(max_examples=15, deadline=None)
@given(
    rate=st.floats(60.0, 220.0),
    growth=st.floats(0.0, 0.5),
    halls=st.integers(1, 5),
)
def test_hybrid_ends_equal_keep_mining_and_convert(rate, growth, halls):
    scenario = Scenario(
        horizon_months=60,
        lease_rate_usd_per_kw_month=rate,
        market=replace(Scenario().market, network_hashrate_growth_per_year=growth),
    )
    site = _site(hall_count=halls)
    model, ref = _independent(site, scenario)
    npvs = evaluate(model)["npv_usd"]
    assert npvs[0] == pytest.approx(ref["keep"], rel=1e-9, abs=1.0)
    assert npvs[model.n_halls] == pytest.approx(ref["convert"], rel=1e-9, abs=1.0)


# ---- monotonicity ------------------------------------------------------------------------------

_MODEL = build_site_model(_site(hall_count=3), Scenario(horizon_months=84))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 4.0), min_size=2, max_size=6, unique=True))
def test_raising_the_lease_rate_never_lowers_convert_value(scales):
    x = np.sort(np.array(scales))
    conv = evaluate(_MODEL, lease_scale=x)["npv_usd"][:, _MODEL.n_halls]
    assert np.all(np.diff(conv) >= -1e-6)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 4.0), min_size=2, max_size=6, unique=True))
def test_raising_capex_never_raises_convert_value(scales):
    x = np.sort(np.array(scales))
    conv = evaluate(_MODEL, capex_scale=x)["npv_usd"][:, _MODEL.n_halls]
    assert np.all(np.diff(conv) <= 1e-6)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 5.0), min_size=2, max_size=6, unique=True))
def test_raising_hashprice_never_lowers_mining_value(scales):
    x = np.sort(np.array(scales))
    hp = _MODEL.hashprice.hashprice_usd_per_ph_day * x[:, None]
    npvs = evaluate(_MODEL, hashprice_usd_per_ph_day=hp)["npv_usd"]
    for row in (row_index(_MODEL, "keep_mining"), row_index(_MODEL, "mining_with_dr")):
        assert np.all(np.diff(npvs[:, row]) >= -1e-6)


# ---- bad input ---------------------------------------------------------------------------------


def test_critical_it_above_firm_power_is_rejected_by_name():
    site = _site()
    est = estimate_retrofit(site)
    # Half the power becomes interruptible: the retrofit's critical IT no longer fits.
    tight = replace(site, power=replace(site.power, interruptible_share=0.5))
    with pytest.raises(HostingError, match="critical_it_mw"):
        build_site_model(tight, Scenario(), est)
    # Firmed, it fits again.
    build_site_model(tight, Scenario(firmed=True), est)


def test_ready_before_construction_is_rejected_by_name():
    site = _site(hall_count=2)
    est = estimate_retrofit(site)
    bad_hall = replace(
        est.halls[1], ready_for_service_month=est.halls[1].construction_start_month - 1
    )
    bad = replace(est, halls=(est.halls[0], bad_hall))
    with pytest.raises(HostingError, match="ready_for_service_month"):
        build_site_model(site, Scenario(), bad)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"lease_term_years": 0.0}, "lease_term_years"),
        ({"lease_rate_usd_per_kw_month": -5.0}, "lease_rate_usd_per_kw_month"),
        ({"horizon_months": 3}, "horizon_months"),
        ({"capex_scenario": "worst"}, "capex_scenario"),
        ({"lease_structure": "gross"}, "lease_structure"),
    ],
)
def test_bad_scenario_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        Scenario(**kwargs)


def test_scenario_round_trips_through_plain_dict():
    import json

    s = Scenario(lease_rate_usd_per_kw_month=140.0, capex_usd_per_critical_mw=9e6, firmed=True)
    again = Scenario.from_dict(json.loads(json.dumps(s.to_dict())))
    assert again == s
    with pytest.raises(ValueError, match="unknown fields"):
        Scenario.from_dict({"lease_rate": 1.0})
