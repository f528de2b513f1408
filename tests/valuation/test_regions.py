"""Grid regions: generated price shapes against their bundled statistics, programs by region,
names and aliases, unit conversions, price history overlays and contract expiry."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sites.schema import CANONICAL_GRID_REGIONS
from valuation.errors import ValuationError
from valuation.mining import mining_cash_flows
from valuation.power import (
    ERCOT_4CP,
    ERCOT_PROGRAMS,
    PowerContract,
    PriceDurationCurve,
    ercot_sample_curve,
    load_price_file,
)
from valuation.regions import (
    PJM_BRA_RTO_USD_PER_MW_DAY,
    RegionError,
    all_regions,
    apply_levers,
    contract_price_schedule,
    lever_effects,
    overlay_history,
    pjm_capacity_price_usd_per_mw_day,
    pjm_capacity_schedule_usd_per_mw_hour,
    price_statistics,
    program_fields,
    region_for,
    usd_per_mw_hour,
    usd_per_mw_year,
)
from valuation.regions.units import ProgramUnitError
from valuation.scenario import DEFAULT_DR_PROGRAMS

AS_OF = date(2026, 11, 30)
GENERATED = [r for r in all_regions() if r.name != "ERCOT"]
# Tolerance stated: generated monthly means within 0.5% of the bundled monthly means (the
# generator rescales each month exactly; 0.5% allows float and rounding); a published annual or
# seasonal mean within 1% (it is compared against hour-weighted months whose profile is assumed).
MONTHLY_RTOL = 0.005
PUBLISHED_RTOL = 0.01


def _monthly(series):
    months = series.timestamps.month.to_numpy()
    return np.array([series.prices_usd_per_mwh[months == m].mean() for m in range(1, 13)])


@pytest.mark.parametrize("region", GENERATED, ids=lambda r: r.name)
def test_generated_year_reproduces_bundled_statistics(region):
    series = region.hourly_prices()
    assert len(series.prices_usd_per_mwh) == 8_784
    np.testing.assert_allclose(
        _monthly(series), region.monthly_mean_usd_per_mwh(), rtol=MONTHLY_RTOL
    )
    stats = {s.statistic: s.value for s in region.statistics() if s.month == 0}
    if stats.get("scarcity_hours"):
        assert (series.prices_usd_per_mwh >= stats["scarcity_price"]).sum() == stats[
            "scarcity_hours"
        ]
    if stats.get("negative_hours"):
        assert (series.prices_usd_per_mwh < 0).sum() == stats["negative_hours"]
    # the same seed gives the same year; another seed another year with the same monthly means
    np.testing.assert_array_equal(
        series.prices_usd_per_mwh, region.hourly_prices().prices_usd_per_mwh
    )
    other = region.hourly_prices(seed=7)
    np.testing.assert_allclose(
        _monthly(other), region.monthly_mean_usd_per_mwh(), rtol=MONTHLY_RTOL
    )


def test_published_figures_are_reproduced():
    pjm = region_for("PJM").hourly_prices().prices_usd_per_mwh
    assert pjm.mean() == pytest.approx(33.74, rel=PUBLISHED_RTOL)  # IMM 2024 SOM
    months = region_for("ISO-NE").hourly_prices().timestamps.month.to_numpy()
    isone = region_for("ISO-NE").hourly_prices().prices_usd_per_mwh
    assert isone[(months >= 6) & (months <= 8)].mean() == pytest.approx(37.45, rel=PUBLISHED_RTOL)
    assert isone[months == 3].mean() == pytest.approx(23.15, rel=MONTHLY_RTOL)
    miso = region_for("MISO").hourly_prices()
    m = _monthly(miso)
    assert m[1] == pytest.approx(22.0, rel=MONTHLY_RTOL) and m[9] == pytest.approx(
        25.80, rel=MONTHLY_RTOL
    )


def test_every_statistic_says_its_status_and_source():
    rows = price_statistics()
    assert {r.region for r in rows} >= set(CANONICAL_GRID_REGIONS) - {"ERCOT"}
    for r in rows:
        assert r.status in ("published", "derived", "assumption", "recalled", "chart")
        assert r.source and r.retrieved
        if r.status == "assumption":
            assert "assumption" in r.source


@pytest.mark.parametrize("region", all_regions(), ids=lambda r: r.name)
def test_price_curve_has_the_sample_curves_type_and_shape(region):
    curve = region.price_curve(48)
    assert isinstance(curve, PriceDurationCurve)
    assert curve.prices_usd_per_mwh.shape == ercot_sample_curve(48).prices_usd_per_mwh.shape
    if region.name != "ERCOT":
        np.testing.assert_allclose(
            curve.mean_usd_per_mwh, region.monthly_mean_usd_per_mwh(), rtol=1e-9
        )


def test_ercot_keeps_its_bundled_sample_and_programs():
    ercot = region_for("ercot")
    assert ercot.price_curve(744) is ercot_sample_curve(744)
    assert ercot.programs() == DEFAULT_DR_PROGRAMS  # today's ERS + ECRS partnership
    listed = [t.program() for t in ercot.program_terms()]
    assert all(p in listed for p in ERCOT_PROGRAMS if p.name != "ERCOT ECRS")
    assert ERCOT_4CP in listed
    # the native-unit table converts to today's rates (ERS's $/MW-year within 0.1%: 8,766 vs 8,760 h)
    for terms in ercot.program_terms():
        converted = program_fields(
            terms.native_rate, terms.native_unit, terms.months_active,
            terms.expected_deployment_hours_per_year,
        )  # fmt: skip
        for key, value in converted.items():
            assert value == pytest.approx(getattr(terms.program(), key), rel=1e-3)


@pytest.mark.parametrize("name", ["ERCOT", "ercot", "Texas", " ERCOT "])
def test_names_and_aliases_give_the_same_region(name):
    region = region_for(name)
    assert region.name == "ERCOT"
    np.testing.assert_array_equal(
        region.price_curve(24).prices_usd_per_mwh,
        region_for("ERCOT").price_curve(24).prices_usd_per_mwh,
    )


def test_mars_is_a_clear_valuation_error():
    with pytest.raises(RegionError) as info:
        region_for("Mars")
    assert isinstance(info.value, ValuationError)
    msg = str(info.value)
    assert "'Mars'" in msg and all(n in msg for n in ("ERCOT", "PJM", "NYISO", "other"))


def test_non_market_aliases_map_to_tariff_regions():
    assert region_for("other").name == "Southeast" and not region_for("other").market
    assert region_for("WECC non-ISO").name == "West"
    assert region_for("SERC non-ISO").name == "Southeast"


def test_pjm_site_is_paid_pjm_capacity_never_ercot_programs():
    programs = region_for("pjm").programs(AS_OF)
    assert programs and all(p.grid_region == "PJM" for p in programs)
    assert not any("ERCOT" in p.name for p in programs)
    capacity = next(p for p in programs if "capacity" in p.name)
    assert capacity.capacity_payment_usd_per_mw_hour == pytest.approx(329.17 / 24)  # 2026/27 BRA
    # paid through the same cash-flow code as ERCOT's programs: 10 MW, flat $40 power, 12 months
    flows = mining_cash_flows(
        10.0, np.full(12, 60.0), prices=np.full(12, 40.0), programs=(capacity,),
        contract=PowerContract(contract_type="utility_tariff", price_usd_per_mwh=40.0),
        start=date(2026, 12, 1),
    )  # fmt: skip
    expected = 329.17 / 24 * capacity.committed_share * 10.0 * 730.5
    np.testing.assert_allclose(flows.dr_payment_usd, expected, rtol=1e-9)


@pytest.mark.parametrize("region", all_regions(), ids=lambda r: r.name)
def test_each_region_pays_only_its_own_programs(region):
    for p in region.programs(AS_OF):
        assert p.grid_region == region.name
    for t in region.program_terms(AS_OF):
        assert t.source and t.status and (t.can_join or t.eligibility)


def test_regions_that_cannot_sell_capacity_say_why():
    for name in ("SPP", "CAISO", "Southeast", "West"):
        refused = [t for t in region_for(name).program_terms(AS_OF) if not t.can_join]
        assert refused and all(len(t.eligibility) > 40 for t in refused)


def test_unit_conversions_hand_worked():
    assert usd_per_mw_hour(329.17, "usd_per_mw_day") == pytest.approx(13.715417, rel=1e-6)
    assert usd_per_mw_year(329.17, "usd_per_mw_day") == pytest.approx(329.17 * 365.25)
    assert usd_per_mw_hour(3.0, "usd_per_kw_month") == pytest.approx(3_000 / 730.5)
    assert usd_per_mw_year(2.61, "usd_per_kw_month") == pytest.approx(2.61 * 12_000)
    assert usd_per_mw_hour(9.62, "usd_per_mw_hour") == 9.62
    assert usd_per_mw_hour(65_000.0, "usd_per_mw_year") == pytest.approx(65_000 / 8_766)
    assert usd_per_mw_year(100.0, "usd_per_kw_year") == 100_000.0
    assert program_fields(500.0, "usd_per_mwh", (1,), 8.0) == {
        "annual_credit_usd_per_mw_year": 4_000.0
    }
    assert program_fields(50.0, "usd_per_kw_year", (6,), 0.0) == {
        "transmission_charge_usd_per_kw_year": 50.0
    }
    with pytest.raises(ProgramUnitError, match="unit='usd_per_furlong'"):
        usd_per_mw_hour(1.0, "usd_per_furlong")
    with pytest.raises(ProgramUnitError, match="must be >= 0"):
        usd_per_mw_hour(-1.0, "usd_per_mw_day")


@given(st.floats(0, 2_000), st.sampled_from(["usd_per_mw_day", "usd_per_kw_month", "usd_per_mw_year"]),
       st.integers(1, 12))  # fmt: skip
def test_yearly_equals_hourly_times_active_hours(rate, unit, n):
    assert usd_per_mw_year(rate, unit, n) == pytest.approx(
        usd_per_mw_hour(rate, unit, n) * 730.5 * n
    )


def test_pjm_capacity_prices_by_delivery_year_and_rule():
    assert pjm_capacity_price_usd_per_mw_day(2025) == 269.92
    assert pjm_capacity_price_usd_per_mw_day(2026) == 329.17
    np.testing.assert_array_equal(
        pjm_capacity_price_usd_per_mw_day(np.array([2019, 2027, 2031])), [140.00, 333.44, 333.44]
    )
    assert (
        pjm_capacity_price_usd_per_mw_day(2031, rule="user", user_price_usd_per_mw_day=200.0)
        == 200.0
    )
    assert (
        pjm_capacity_price_usd_per_mw_day(2026, rule="user", user_price_usd_per_mw_day=200.0)
        == 329.17
    )
    with pytest.raises(ValuationError, match="user_price_usd_per_mw_day"):
        pjm_capacity_price_usd_per_mw_day(2031, rule="user")
    sched = pjm_capacity_schedule_usd_per_mw_hour(date(2026, 11, 1), 9)
    np.testing.assert_allclose(sched[:7], 329.17 / 24)  # Nov 2026 - May 2027
    np.testing.assert_allclose(sched[7:], 333.44 / 24)  # from June 2027
    assert all(
        v[1] in ("published", "derived", "recalled") for v in PJM_BRA_RTO_USD_PER_MW_DAY.values()
    )


def test_miso_lmr_is_seasonal_pra_prices():
    terms = region_for("MISO").program_terms(date(2025, 7, 1))
    summer = next(t for t in terms if "summer" in t.name)
    assert summer.native_rate == 666.50 and summer.months_active == (6, 7, 8)
    assert summer.program().capacity_payment_usd_per_mw_hour == pytest.approx(666.50 / 24)


def _flat_month_file(year: int, month: int, price: float, minutes: int = 15) -> str:
    import pandas as pd

    start = pd.Timestamp(year=year, month=month, day=1)
    stamps = pd.date_range(
        start, start + pd.offsets.MonthBegin(1), freq=f"{minutes}min", inclusive="left"
    )
    return "timestamp,price\n" + "".join(f"{t:%Y-%m-%d %H:%M},{price}\n" for t in stamps)


def test_from_series_accepts_one_month_with_fill_and_refuses_it_without():
    series = load_price_file(io.StringIO(_flat_month_file(2023, 8, 42.0)))
    assert series.interval_hours == 0.25 and len(series.prices_usd_per_mwh) == 744 * 4
    region_curve = region_for("PJM").price_curve(24)
    with pytest.raises(ValuationError, match=r"lacks calendar months \[1, 2, 3, 4, 5, 6, 7, 9"):
        PriceDurationCurve.from_series(series, 24)
    merged, covered = overlay_history(region_curve, series)
    assert covered == (8,)
    np.testing.assert_allclose(merged.prices_usd_per_mwh[7], 42.0)
    keep = [m for m in range(12) if m != 7]
    np.testing.assert_allclose(
        merged.prices_usd_per_mwh[keep], region_curve.prices_usd_per_mwh[keep]
    )


def test_partial_months_are_ignored_and_less_than_a_month_refused():
    text = (
        _flat_month_file(2024, 2, 10.0, 60) + _flat_month_file(2024, 3, 99.0, 60).split("\n", 1)[1]
    )
    lines = text.strip().split("\n")
    series = load_price_file(io.StringIO("\n".join(lines[:-5]) + "\n"))  # March 5 hours short
    merged, covered = overlay_history(region_for("NYISO").price_curve(12), series)
    assert covered == (2,)
    np.testing.assert_allclose(merged.prices_usd_per_mwh[1], 10.0)
    short = load_price_file(io.StringIO("\n".join(lines[:100]) + "\n"))
    with pytest.raises(ValuationError, match="no complete calendar month"):
        overlay_history(region_for("NYISO").price_curve(12), short)


def test_contract_expiry_switches_to_index_plus_adder_unless_renewed():
    index = region_for("ERCOT").price_curve(24).mean_usd_per_mwh
    is_index, price = contract_price_schedule(
        date(2026, 11, 1), 6, contract_type="fixed_ppa", contract_price_usd_per_mwh=27.0,
        contract_expiry=date(2027, 2, 15), index_monthly_mean_usd_per_mwh=index, adder_usd_per_mwh=5.0,
    )  # fmt: skip
    # months Nov, Dec, Jan fixed; the expiry month (Feb 2027) on index + adder
    np.testing.assert_array_equal(is_index, [False, False, False, True, True, True])
    np.testing.assert_allclose(price[:3], 27.0)
    np.testing.assert_allclose(price[3:], index[[1, 2, 3]] + 5.0)
    _, renewed = contract_price_schedule(
        date(2026, 11, 1), 6, contract_type="fixed_ppa", contract_price_usd_per_mwh=27.0,
        contract_expiry=date(2027, 2, 15), index_monthly_mean_usd_per_mwh=index,
        adder_usd_per_mwh=5.0, renewal_price_usd_per_mwh=31.0,
    )  # fmt: skip
    np.testing.assert_allclose(renewed, [27, 27, 27, 31, 31, 31])
    is_index, price = contract_price_schedule(
        date(2026, 1, 1), 12, contract_type="index_plus_adder", contract_price_usd_per_mwh=3.0,
        contract_expiry=None, index_monthly_mean_usd_per_mwh=index, adder_usd_per_mwh=5.0,
    )  # fmt: skip
    assert is_index.all()
    np.testing.assert_allclose(price, index + 3.0)
    with pytest.raises(ValuationError, match="contract_type='ppa'"):
        contract_price_schedule(
            date(2026, 1, 1), 1, contract_type="ppa", contract_price_usd_per_mwh=1.0,
            contract_expiry=None, index_monthly_mean_usd_per_mwh=index, adder_usd_per_mwh=0.0,
        )  # fmt: skip


def test_levers_change_nothing_until_switched_on():
    ercot = region_for("ERCOT")
    contract = PowerContract()
    levers = ercot.levers()
    assert levers and not any(lever.enabled for lever in levers)
    same_contract, same_programs = apply_levers(levers, contract, ERCOT_PROGRAMS, "ERCOT")
    assert same_contract is contract and same_programs is ERCOT_PROGRAMS
    on = tuple(lever.on() for lever in levers)
    assert lever_effects(on, "ai")["backup_capex_usd_per_mw"] == 1_000_000.0
    assert lever_effects(on, "miner")["one_time_fee_usd"] == 100_000.0  # SB 6 study fee, both paths
    _, programs = apply_levers(on, contract, ERCOT_PROGRAMS, "ERCOT")
    assert programs[-1].expected_deployment_hours_per_year == 12.0
    assert programs[-1].capacity_payment_usd_per_mw_hour == 0.0


def _year_by_month_file(prices_by_month: dict[int, float], year: int = 2023) -> str:
    import pandas as pd

    lines = ["timestamp,price"]
    for m, p in sorted(prices_by_month.items()):
        start = pd.Timestamp(year=year, month=m, day=1)
        stamps = pd.date_range(start, start + pd.offsets.MonthBegin(1), freq="h", inclusive="left")
        lines += [f"{t:%Y-%m-%d %H:%M},{p}" for t in stamps]
    return "\n".join(lines) + "\n"


@settings(deadline=None, max_examples=25)  # each example loads up to a year of hourly rows
@given(st.sets(st.integers(1, 12), min_size=1, max_size=12).map(sorted))
def test_overlay_replaces_exactly_the_covered_months(months):
    # consecutive runs only (a price file has no gaps): take the first run of the drawn months
    run = [months[0]]
    for m in months[1:]:
        if m != run[-1] + 1:
            break
        run.append(m)
    series = load_price_file(io.StringIO(_year_by_month_file({m: 10.0 * m for m in run})))
    curve = region_for("MISO").price_curve(8)
    merged, covered = overlay_history(curve, series)
    assert covered == tuple(run)
    for m in range(1, 13):
        expected = 10.0 * m if m in run else curve.prices_usd_per_mwh[m - 1]
        np.testing.assert_allclose(merged.prices_usd_per_mwh[m - 1], expected)


def test_flat_history_values_like_that_flat_price_as_the_contract_price():
    """What ``compare`` must show once wired: a flat price history over all twelve months equals
    valuing with that flat price and no curve (index contract, same adder)."""
    flat = 37.5
    series = load_price_file(io.StringIO(_year_by_month_file(dict.fromkeys(range(1, 13), flat))))
    curve, covered = overlay_history(region_for("PJM").price_curve(24), series)
    assert covered == tuple(range(1, 13))
    contract = PowerContract(
        contract_type="index_plus_adder", price_usd_per_mwh=flat, adder_usd_per_mwh=4.0
    )
    hp = np.linspace(40.0, 80.0, 24)  # hashprice path crossing the breakeven
    with_history = mining_cash_flows(
        10.0, hp, contract=contract, prices=curve, start=date(2027, 1, 1)
    )
    with_flat = mining_cash_flows(10.0, hp, contract=contract, prices=None, start=date(2027, 1, 1))
    np.testing.assert_allclose(
        with_history.net_cash_flow_usd, with_flat.net_cash_flow_usd, rtol=1e-12
    )
    np.testing.assert_allclose(with_history.power_cost_usd, with_flat.power_cost_usd, rtol=1e-12)


@pytest.mark.parametrize("region", all_regions(), ids=lambda r: r.name)
def test_each_regions_default_programs_value_through_the_cash_flow_code(region):
    flows = mining_cash_flows(
        10.0, np.full(12, 50.0), prices=region.price_curve(48), programs=region.programs(AS_OF),
        contract=PowerContract(), start=date(2027, 1, 1),
    )  # fmt: skip
    assert np.all(flows.dr_payment_usd >= 0) and flows.dr_payment_usd.sum() > 0


def test_ercot_4cp_avoidance_still_works_from_the_region_table():
    four_cp = next(t for t in region_for("ERCOT").program_terms() if "4CP" in t.name).program()
    assert four_cp is ERCOT_4CP
    flows = mining_cash_flows(
        10.0, np.full(12, 50.0), prices=region_for("ERCOT").price_curve(48), programs=(four_cp,),
        start=date(2027, 1, 1),
    )  # fmt: skip
    charge = 100.0 * 1_000 * 10.0 / 12  # $100/kW-year on 10 MW, a twelfth a month, at full uptime
    uptime = flows.four_cp_charge_usd / charge
    np.testing.assert_allclose(flows.four_cp_credit_usd, flows.four_cp_charge_usd * 0.95 * 0.9)
    assert np.all((uptime > 0.5) & (uptime <= 1.0))


def test_seasonal_programs_may_each_commit_the_flexible_share():
    miso = region_for("MISO").programs(date(2025, 7, 1))
    assert sum(p.committed_share for p in miso) > 0.95  # four seasons, never two at once
    too_much = (*miso, replace(miso[0], name="overlap", committed_share=0.5))
    with pytest.raises(ValuationError, match="calendar month 6"):
        mining_cash_flows(10.0, np.full(12, 50.0), programs=too_much, start=date(2027, 1, 1))
