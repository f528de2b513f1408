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
from valuation.errors import StrategyError
from valuation.finance import TaxAssumptions, TerminalValue, monthly_rate, npv, project_cash_flows
from valuation.hosting import (
    HostingError,
    LeasePhase,
    LeaseTerms,
    construction_spend_usd,
    rent_usd_by_phase,
)
from valuation.mining import MiningAssumptions, mining_cash_flows
from valuation.power import PowerContract
from valuation.scenario import Scenario
from valuation.strategies import SiteModel, build_site_model, evaluate
from valuation.tenant import TenantProspects

# The landed one-rate engine's assumptions: a tenant certain to sign at once, every site at the
# scenario's rate and odds, one discount rate for every kind of cash flow, no economic shutdown,
# no fleet sales, the scenario's fleet. Under them the named-strategy engine must reproduce the
# hand-worked and independent computations below to the dollar.
NEUTRAL = dict(
    tenant_signing_probability=1.0,
    lease_up_months=0,
    tenant_prospects=TenantProspects.neutral(),
    economic_shutdown=False,
    fleet_salvage=False,
    use_site_fleet=False,
)


def neutral(**kwargs) -> Scenario:
    """A scenario with the neutral settings and one discount rate for every kind of cash flow."""
    rate = kwargs.get("discount_rate_per_year", 0.10)
    rates = {f"{k}_discount_rate_per_year": rate for k in ("mining", "contracted", "construction")}
    return Scenario(**{**NEUTRAL, **rates, **kwargs})


def row_index(model: SiteModel, key: str, halls_converted: int | None = None) -> int:
    """The plan row of a strategy (a hybrid's by the halls it converts)."""
    plan = model.plan
    if key == "hybrid":
        rows = [r for r in plan.groups["hybrid"] if plan.detail[r] == halls_converted]
        return int(rows[0])
    return int(plan.groups[key][0])


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
HAND = neutral(
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
    value_r = hp * 0.98 / (0.024 * 17.5 * 1.05)
    assert (value_r > 20.0).all()
    revenue = ph * 0.95 * hp * 30.4375 * 0.98
    power = 200 * 730.5 * 0.95 * 20.0
    opex = 200 * 6_000.0
    # The mining engine's own lines equal the spreadsheet's, month by month.
    mined = mining_cash_flows(
        200.0, model.hashprice, assumptions=a, contract=PowerContract.from_site(site),
        start=HAND.market.as_of, discount_rate_per_year=0.10,
    )  # fmt: skip
    np.testing.assert_allclose(mined.deployed_hashrate_ph_s, 10_884.353741, rtol=1e-9)
    np.testing.assert_allclose(mined.power_cost_usd, 2_775_900.0, rtol=1e-9)
    np.testing.assert_allclose(mined.opex_usd, opex, rtol=1e-12)
    np.testing.assert_allclose(mined.revenue_usd, revenue, rtol=1e-9)
    flows = revenue - power - opex
    r_m = 1.10 ** (1 / 12) - 1
    expected = float(np.sum(flows / (1 + r_m) ** np.arange(36)))
    got = float(evaluate(model).npv_usd[row_index(model, "keep_mining")])
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
    got = float(evaluate(model).npv_usd[row_index(model, "convert")])
    assert got == pytest.approx(expected, abs=1.0)


# ---- hybrid ends against an independent computation ----------------------------------------------


def _independent(site: Site, scenario: Scenario):
    """Keep mining and convert computed without the per-hall cumulative sums."""
    est = estimate_retrofit(site)
    model = build_site_model(site, scenario, est)
    n = scenario.horizon_months
    contract = PowerContract.from_site(
        site, contract_price_usd_per_mwh=scenario.power_price_usd_per_mwh
    )
    prices = model.prices_usd_per_mwh if model.prices_usd_per_mwh.shape[-1] else None
    hp = model.hashprice.hashprice_usd_per_ph_day
    months = np.arange(n)
    mw_total = site.power.energized_mw
    starts = np.array([h.construction_start_month for h in est.halls])
    per_hall = mw_total / len(est.halls)
    mining_kw = dict(assumptions=scenario.mining, contract=contract, prices=prices,
                     start=scenario.market.as_of,
                     discount_rate_per_year=scenario.discount_rate_per_year)  # fmt: skip
    out = {}
    for key in ("keep", "convert"):
        if key == "keep":  # the whole site as one fleet
            runs = [mining_cash_flows(np.full(n, mw_total), hp, **mining_kw)]
        else:  # each hall its own fleet, mining until its construction starts, then never again
            runs = [
                mining_cash_flows(per_hall * (months < s), hp, power_end_month=s, **mining_kw)
                for s in starts
            ]
        revenue = sum(m.revenue_usd + m.curtailment_credit_usd + m.dr_payment_usd for m in runs)
        opex = sum(m.power_cost_usd + m.opex_usd for m in runs)
        capex = {5: sum(m.capex_usd for m in runs), 15: np.zeros(n), 39: np.zeros(n)}
        noi = np.zeros(n)
        placed = capex
        # Fleets still running at the horizon are worth their remaining margin (terminal value).
        tv = sum(float(m.continuation_value_usd) for m in runs)
        if key == "convert":
            crit = np.array([h.critical_it_mw for h in est.halls])
            rfs = np.array([h.ready_for_service_month for h in est.halls])
            # Rent on a long grid (600 months), renewed in expectation with renewal_probability.
            lease = LeaseTerms(
                float(crit.sum()), scenario.lease_rate_usd_per_kw_month, scenario.lease_term_years,
                scenario.lease_escalator_per_year,
                phases=tuple(LeasePhase(float(c), int(r)) for c, r in zip(crit, rfs, strict=True)),
                renewal_probability=scenario.renewal_probability, renewal_term_years=50.0,
            )  # fmt: skip
            rent_long = rent_usd_by_phase(lease, 600)
            noi_long = rent_long * (1 - 0.028)  # triple net
            rent = rent_long[:, :n].sum(axis=0)
            landlord = 0.028 * rent
            revenue, opex, noi = revenue + rent, opex + landlord, rent - landlord
            # Terminal value hall by hall: contracted NOI to the lease end discounted to the
            # horizon, plus the capitalised (renewal-weighted) next 12 months at the lease end.
            r_m = monthly_rate(scenario.discount_rate_per_year)
            for hall in range(len(rfs)):
                end = max(int(rfs[hall]) + 180, n)
                contracted = sum(
                    noi_long[hall, m] / (1 + r_m) ** (m - n + 1) for m in range(n, end)
                )
                capitalised = noi_long[hall, end : end + 12].sum() / 0.06 / (1 + r_m) ** (end - n)
                tv += contracted + max(0.0, capitalised)
            by_class = est.capex_by_class_usd()
            total = sum(by_class.values())
            hall_capex = (
                np.array([h.capex_base_usd for h in est.halls]) * total / est.total_base_usd
            )
            spend = construction_spend_usd(hall_capex, starts, rfs, n).sum(axis=0)
            # Tax basis: each hall's whole spend placed in service at its RFS month.
            basis = np.zeros(n)
            for hall in range(len(rfs)):
                basis[rfs[hall]] += hall_capex[hall]
            capex = {c: capex.get(c, 0) + spend * v / total for c, v in by_class.items()}
            placed = {c: placed.get(c, 0) + basis * v / total for c, v in by_class.items()}
        flows = project_cash_flows(
            revenue_usd=revenue, opex_usd=opex, capex_by_class_usd=capex,
            discount_rate_per_year=scenario.discount_rate_per_year, tax=scenario.tax,
            terminal=scenario.terminal, noi_usd=noi, placed_in_service_by_class_usd=placed,
            terminal_value_usd=tv,
        )  # fmt: skip
        out[key] = float(npv(monthly_rate(scenario.discount_rate_per_year), flows.levered_fcf_usd))
    return model, out


@settings(max_examples=15, deadline=None)
@given(
    rate=st.floats(60.0, 220.0),
    growth=st.floats(0.0, 0.5),
    halls=st.integers(1, 5),
    refresh_usd_per_th=st.sampled_from([25.70, 5.0]),
    fleet_age_years=st.sampled_from([2.0, 4.6]),
)
def test_hybrid_ends_equal_keep_mining_and_convert(
    rate, growth, halls, refresh_usd_per_th, fleet_age_years
):
    # $5/TH refreshes pay on the base market and a 4.6-year-old fleet ages out at month 5,
    # between the halls' construction starts: per-hall refresh decisions and running fleets
    # at the horizon (continuation value) are exercised, not only retirement.
    mining = replace(
        Scenario().mining,
        refresh_cost_usd_per_th=refresh_usd_per_th,
        fleet_age_years=fleet_age_years,
    )
    scenario = neutral(
        horizon_months=60,
        lease_rate_usd_per_kw_month=rate,
        market=replace(Scenario().market, network_hashrate_growth_per_year=growth),
        mining=mining,
    )
    site = _site(hall_count=halls)
    model, ref = _independent(site, scenario)
    npvs = evaluate(model).npv_usd
    assert npvs[row_index(model, "keep_mining")] == pytest.approx(ref["keep"], rel=1e-9, abs=1.0)
    assert npvs[row_index(model, "convert")] == pytest.approx(ref["convert"], rel=1e-9, abs=1.0)


# ---- monotonicity ------------------------------------------------------------------------------

_MODEL = build_site_model(_site(hall_count=3), neutral(horizon_months=84))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 4.0), min_size=2, max_size=6, unique=True))
def test_raising_the_lease_rate_never_lowers_convert_value(scales):
    x = np.sort(np.array(scales))
    conv = evaluate(_MODEL, lease_rate_usd_per_kw_month=128.0 * x).npv_usd
    conv = conv[:, row_index(_MODEL, "convert")]
    assert np.all(np.diff(conv) >= -1e-6)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 4.0), min_size=2, max_size=6, unique=True))
def test_raising_capex_never_raises_convert_value(scales):
    x = np.sort(np.array(scales))
    conv = evaluate(_MODEL, capex_scale=x).npv_usd[:, row_index(_MODEL, "convert")]
    assert np.all(np.diff(conv) <= 1e-6)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 5.0), min_size=2, max_size=6, unique=True))
def test_raising_hashprice_never_lowers_mining_value(scales):
    x = np.sort(np.array(scales))
    hp = _MODEL.hashprice.hashprice_usd_per_ph_day * x[:, None]
    npvs = evaluate(_MODEL, hashprice_usd_per_ph_day=hp).npv_usd
    for row in (row_index(_MODEL, "keep_mining"), row_index(_MODEL, "mining_with_dr")):
        assert np.all(np.diff(npvs[:, row]) >= -1e-6)


# ---- bad input ---------------------------------------------------------------------------------


def test_critical_it_above_firm_power_is_rejected_by_name():
    site = _site()
    est = estimate_retrofit(site)
    # Half the power becomes interruptible: the retrofit's critical IT no longer fits.
    tight = replace(site, power=replace(site.power, interruptible_share=0.5))
    with pytest.raises(HostingError, match="critical_it_mw"):
        build_site_model(tight, neutral(), est)
    # Firmed, it fits again.
    build_site_model(tight, neutral(firmed=True), est)


def test_ready_before_construction_is_rejected_by_name():
    site = _site(hall_count=2)
    est = estimate_retrofit(site)
    bad_hall = replace(
        est.halls[1], ready_for_service_month=est.halls[1].construction_start_month - 1
    )
    bad = replace(est, halls=(est.halls[0], bad_hall))
    with pytest.raises(StrategyError, match="ready_for_service_month"):
        build_site_model(site, neutral(), bad)


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


# ---- lease-aware terminal value, sale tax, placed in service -------------------------------------


def _convert_full(scenario: Scenario, halls: int = 2):
    model = build_site_model(_site(hall_count=halls), scenario)
    out = evaluate(model, full=True)
    return model, out, row_index(model, "convert")


def test_renewal_probability_zero_values_only_the_contracted_noi():
    sc = neutral(renewal_probability=0.0, horizon_months=180)
    model, out, c = _convert_full(sc)
    n = 180
    r_m = monthly_rate(sc.discount_rate_per_year)
    # Independent: rent per hall to its own lease end (RFS + 180 months) on a long grid, no
    # renewal; triple-net NOI 97.2% of rent, discounted from month n (1 period) back to n - 1.
    lease = LeaseTerms(
        model.critical_it_mw, sc.lease_rate_usd_per_kw_month, 15.0, 0.03,
        phases=tuple(LeasePhase(float(cm), int(r)) for cm, r in
                     zip(model.critical_it_mw_by_hall, model.ready_for_service_month, strict=True)),
    )  # fmt: skip
    noi = rent_usd_by_phase(lease, 600).sum(axis=0) * (1 - 0.028)
    expected = sum(noi[m] / (1 + r_m) ** (m - n + 1) for m in range(n, 600))
    assert noi[n:].sum() > 0  # leases still run past the horizon
    assert out.flows.terminal_value_usd[c, -1] == pytest.approx(expected, rel=1e-12)
    assert out.flows.terminal_value_usd[c, :-1].sum() == 0.0


def test_terminal_value_is_taxed_on_the_gain_over_the_remaining_basis():
    sc = neutral(horizon_months=180)
    _, out, c = _convert_full(sc)
    tv = out.flows.terminal_value_usd[c, -1]
    basis = out.flows.capex_usd[c].sum() - out.flows.depreciation_usd[c].sum()
    assert out.flows.remaining_basis_usd[c, -1] == pytest.approx(basis)
    # 21% federal, no state tax (default): tax = 0.21 x (TV - basis), in tax_usd at the horizon.
    assert out.flows.terminal_tax_usd[c, -1] == pytest.approx(0.21 * (tv - basis))
    assert out.flows.terminal_tax_usd[c, -1] > 0
    flows = out.flows.levered_fcf_usd[c]
    pre = out.flows.ebitda_usd[c] - out.flows.capex_usd[c] + out.flows.terminal_value_usd[c]
    np.testing.assert_allclose(pre - flows, out.flows.tax_usd[c], rtol=1e-12, atol=1e-6)


def test_no_depreciation_of_the_retrofit_before_the_first_hall_is_in_service():
    sc = neutral(horizon_months=120)
    model, out, c = _convert_full(sc, halls=3)
    first = int(model.ready_for_service_month.min())
    assert first > 0
    # Construction money is spent before RFS, yet nothing is depreciated then (mining refresh
    # capex is zero in the convert row before the first RFS here: no refresh in the months).
    spend_before = sum(
        v[:, :first].sum() for v in (v[0] for v in model.hosting.retrofit_capex_usd.values())
    )
    assert spend_before > 0
    mining_capex_before = out.flows.capex_usd[c, :first].sum() - spend_before
    assert mining_capex_before == pytest.approx(0.0, abs=1e-6)
    assert np.all(out.flows.depreciation_usd[c, :first] == 0.0)
    assert out.flows.depreciation_usd[c, first] > 0
    # The whole hall's spend becomes basis at its RFS month.
    placed = sum(
        v.sum(axis=0) for v in (v[0] for v in model.hosting.retrofit_placed_in_service_usd.values())
    )
    cash = sum(v.sum(axis=0) for v in (v[0] for v in model.hosting.retrofit_capex_usd.values()))
    hall0 = int(np.argmin(model.ready_for_service_month))
    assert placed[first] == pytest.approx(
        sum(v[hall0].sum() for v in (v[0] for v in model.hosting.retrofit_capex_usd.values()))
    )
    assert placed.sum() == pytest.approx(cash.sum())


def test_convert_value_is_continuous_in_the_horizon_past_lease_expiry():
    # Leases end 15 years after each hall's RFS (months ~200-215 here): moving the horizon past
    # them must not make value fall off a cliff. Bound: the change is smaller than a year of the
    # site's NOI at the horizon (the months that move between flows and terminal value).
    npvs, nois = {}, {}
    for h in (180, 204, 216):
        model, out, c = _convert_full(neutral(horizon_months=h))
        assert int(model.ready_for_service_month.max()) + 180 < 216
        npvs[h] = float(out.npv_usd[c])
        nois[h] = float(out.flows.noi_usd[c, -12:].sum())
    assert abs(npvs[204] - npvs[180]) < nois[180]
    assert abs(npvs[216] - npvs[204]) < nois[204]
    assert abs(npvs[216] - npvs[180]) < 0.05 * npvs[180]


def test_dr_programs_pay_only_sites_in_their_grid_region():
    """ERCOT's ERS and ECRS, given as the scenario's programs, pay nothing to a PJM site: its
    partnership row is keep mining. With no programs given each site gets its own region's."""
    from dataclasses import replace as dc_replace

    from valuation.scenario import DEFAULT_DR_PROGRAMS

    ercot = _site(hall_count=2)
    pjm = dc_replace(ercot, id="pjm", grid_region="PJM")
    scenario = neutral(horizon_months=36, dr_programs=DEFAULT_DR_PROGRAMS)
    for site, differs in ((ercot, True), (pjm, False)):
        model = build_site_model(site, scenario)
        npv_rows = evaluate(model).npv_usd
        keep = npv_rows[row_index(model, "keep_mining")]
        dr = npv_rows[row_index(model, "mining_with_dr")]
        assert (abs(dr - keep) > 1.0) == differs  # USD; same row to rounding where no program
        assert len(model.dr_programs) == (2 if differs else 0)
    own = build_site_model(pjm, neutral(horizon_months=36))
    assert own.dr_programs and all(p.grid_region == "PJM" for p in own.dr_programs)


# ---- mining past the horizon and per-hall refresh decisions ---------------------------------------

# $5/TH refreshes pay on the base market; the default refresh machine (13.5 J/TH at PUE 1.05)
# buys 1e6 / (13.5 x 1.05) = 70,546.7 TH/s per MW, so a refresh costs $352,734 per MW.
CHEAP_REFRESH = replace(Scenario().mining, refresh_cost_usd_per_th=5.0)
REFRESH_USD_PER_MW = 1e6 / (13.5 * 1.05) * 5.0


def test_a_hall_converting_soon_after_its_fleet_ages_out_buys_no_fleet():
    site = _site(hall_count=4)  # 200 MW, 50 MW a hall
    starts = estimate_retrofit(site).halls
    last = max(h.construction_start_month for h in starts)
    assert last >= 4
    # Fleet ages out 3 months before the last hall starts building: age = 60 - (last - 3) months.
    eol = last - 3
    mining = replace(CHEAP_REFRESH, fleet_age_years=(60 - eol) / 12)
    model = build_site_model(site, neutral(horizon_months=120, mining=mining))
    out = evaluate(model, full=True)
    mining_capex = out.flows.capex_usd - out.parts["retrofit_capex_usd"]
    keep, conv = row_index(model, "keep_mining"), row_index(model, "convert")
    # Keep mining: all 200 MW refreshed at the end of life (a 5-year fleet pays at $5/TH).
    assert np.flatnonzero(mining_capex[keep]).tolist() == [eol, eol + 60]
    assert mining_capex[keep, eol] == pytest.approx(200 * REFRESH_USD_PER_MW)
    # Convert: the last hall would mine 3 more months (at most ~$0.1M per MW of margin against
    # $0.35M per MW of machines): it retires its fleet instead. The other halls stopped before.
    assert mining_capex[conv].sum() == pytest.approx(0.0, abs=1e-6)
    # Hybrid keeping only the last hall: that 50 MW hall mines on and buys its fleet.
    hybrid = row_index(model, "hybrid", halls_converted=3)
    assert int(model.construction_start_month[3]) == last  # halls convert in start order
    assert mining_capex[hybrid, eol] == pytest.approx(50 * REFRESH_USD_PER_MW)


def test_a_running_fleet_is_worth_its_remaining_margin_at_the_horizon_and_taxed():
    # Fleet 2 years old, refreshed at month 36 ($5/TH pays), next end of life month 96; the
    # horizon (84) leaves 12 months. Keep-mining terminal value = 200 MW x the per-MW
    # continuation value of mining_cash_flows at the scenario's 10%, taxed at 21% on the gain
    # over the refresh's remaining basis.
    site = _site(hall_count=2)
    sc = neutral(horizon_months=84, mining=CHEAP_REFRESH)
    model = build_site_model(site, sc)
    out = evaluate(model, full=True)
    keep = row_index(model, "keep_mining")
    contract = PowerContract.from_site(site, contract_price_usd_per_mwh=sc.power_price_usd_per_mwh)
    m = mining_cash_flows(200.0, model.hashprice, assumptions=sc.mining, contract=contract,
                          start=sc.market.as_of, discount_rate_per_year=0.10)  # fmt: skip
    assert np.flatnonzero(m.capex_usd).tolist() == [36]
    margin = (m.net_cash_flow_usd + m.capex_usd)[-1]
    w = 1.10 ** (-1 / 12)
    expected = margin * w * (1 - w**12) / (1 - w)  # 12 months of the last margin, at month 83
    assert m.continuation_value_usd == pytest.approx(expected, rel=1e-12)
    tv = out.flows.terminal_value_usd[keep]
    assert tv[-1] == pytest.approx(expected, rel=1e-12) and tv[:-1].sum() == 0.0
    basis = out.flows.capex_usd[keep].sum() - out.flows.depreciation_usd[keep].sum()
    assert 0 < basis < out.flows.capex_usd[keep].sum()
    assert out.flows.terminal_tax_usd[keep, -1] == pytest.approx(0.21 * (tv[-1] - basis))
    # The DR row's fleet is the same fleet: it runs at the horizon too.
    dr = row_index(model, "mining_with_dr")
    assert out.flows.terminal_value_usd[dr, -1] >= tv[-1] > 0
    # Terminal method "none": nothing is valued past the horizon, mining included.
    none = build_site_model(site, replace(sc, terminal=TerminalValue(method="none")))
    assert evaluate(none, full=True).flows.terminal_value_usd.sum() == 0.0


def test_a_site_without_energized_power_mines_nothing():
    """Power rights still in the queue: no mining revenue, power bill or fleet until energized."""
    from dataclasses import replace as dc_replace

    site = _site(hall_count=2)
    queued = dc_replace(site, power=dc_replace(site.power, energized_mw=0.0))
    model = build_site_model(queued, neutral(horizon_months=36))
    assert model.mining_mw_by_hall.sum() == 0.0
    flows = evaluate(model, full=True).flows
    keep = row_index(model, "keep_mining")
    assert np.all(flows.revenue_usd[keep] == 0.0)
    assert np.all(flows.capex_usd[keep] == 0.0)


def test_a_rate_per_row_values_each_row_at_its_own_rate() -> None:
    """evaluate(rate_per_row=True): every row at the same rate equals the one-rate call, and
    each row at its own rate equals the one-rate call at that rate, read on that row (the
    option to wait values each start at its own signing month's rate in one call)."""
    from sites import load_example_portfolio

    site = next(s for s in load_example_portfolio() if s.id == "corz-muskogee")
    model = build_site_model(site)
    r = model.plan.n_rows
    rates = np.array([70.0, 95.0, 140.0])
    one = np.stack([evaluate(model, lease_rate_usd_per_kw_month=x).npv_usd for x in rates])
    same = evaluate(model, lease_rate_usd_per_kw_month=np.repeat(rates[:, None], r, axis=1),
                    rate_per_row=True).npv_usd  # fmt: skip
    np.testing.assert_allclose(same, one, rtol=1e-12, atol=1e-3)
    pick = np.arange(r) % rates.size  # row i at rates[i % 3]
    mixed = evaluate(model, lease_rate_usd_per_kw_month=rates[pick][None], rate_per_row=True)
    np.testing.assert_allclose(mixed.npv_usd[0], one[pick, np.arange(r)], rtol=1e-12, atol=1e-3)
    assert np.ptp(one[:, model.plan.groups["convert"][0]]) > 0  # the rate matters
    with pytest.raises(StrategyError, match="one rate per row"):
        evaluate(model, lease_rate_usd_per_kw_month=rates, rate_per_row=True)
