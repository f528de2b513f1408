"""Hashprice against published points, breakevens, machines and fleets, and site cash flows."""

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.market import DEFAULT_MARKET, MiningInputError, hashrate_eh_s_from_difficulty
from valuation.mining import (
    MACHINES,
    REFRESH_MACHINE,
    HashpricePath,
    MiningAssumptions,
    PowerContract,
    breakeven_power_price_usd_per_mwh,
    fleet_from_counts,
    fleet_from_power,
    get_machine,
    hashcost_usd_per_ph_day,
    hashprice_btc_per_ph_day,
    hashprice_path,
    hashprice_usd_per_ph_day,
    machines_frame,
    mining_cash_flows,
)
from valuation.power import ERCOT_4CP, DemandResponseProgram

FEE_FROM_SHARE = lambda s: 3.125 * s / (1 - s)  # noqa: E731 (fact sheet 2.1)

# (published hashprice $/PH/day, BTC price, network hashrate EH/s, fees BTC/block) from the dated
# check points of the fact sheet (section 2.1); subsidy 3.125 BTC throughout.
REFERENCE_POINTS = [
    # 2024-12-23 Hashrate Index roundup: $93,450, difficulty 108.52 T, 0.0931 BTC fees -> $55.21
    (55.21, 93_450, hashrate_eh_s_from_difficulty(108.52e12), 0.0931),
    # same day with the 7-day SMA hashrate of 795 EH/s instead of difficulty
    (55.21, 93_450, 795.0, 0.0931),
    # 2025-08 monthly average: $114,925, 129.70 T, 0.025 BTC fees -> $56.44
    (56.44, 114_925, hashrate_eh_s_from_difficulty(129.70e12), 0.025),
    # 2024-09-16: $58,000, 92.67 T, fee share not given (1.5% assumed) -> $39.87
    (39.87, 58_000, hashrate_eh_s_from_difficulty(92.67e12), FEE_FROM_SHARE(0.015)),
    # 2024-09-25: ~$64,000, 88.40 T, fees not given (1% assumed) -> $45.79
    (45.79, 64_000, hashrate_eh_s_from_difficulty(88.40e12), FEE_FROM_SHARE(0.01)),
]


@pytest.mark.parametrize(("published", "price", "hashrate", "fees"), REFERENCE_POINTS)
def test_hashprice_within_two_percent_of_published_points(published, price, hashrate, fees):
    model = hashprice_usd_per_ph_day(price, hashrate, fees, 3.125)
    assert abs(model / published - 1) < 0.02


def test_hashprice_hand_worked_and_btc_twin():
    # $93,450 x 144 x (3.125 + 0.0931) / (776.8 EH/s x 1000 PH/EH) = $55.75
    h = hashrate_eh_s_from_difficulty(108.52e12)
    expected = 93_450 * 144 * 3.2181 / (h * 1000)
    assert hashprice_usd_per_ph_day(93_450, h, 0.0931, 3.125) == pytest.approx(expected)
    assert expected == pytest.approx(55.75, abs=0.01)
    # Foundry FPPS example: difficulty 21,448,277,761,059, subsidy 6.25 -> 0.0058619 BTC per PH-day
    h2 = hashrate_eh_s_from_difficulty(21_448_277_761_059)
    assert hashprice_btc_per_ph_day(h2, 0.0, 6.25) == pytest.approx(0.0058619, rel=2e-5)


def test_hashprice_reproduces_the_published_2025_11_03_figures():
    # Hashrate Index roundup, 2025-11-03: USD hashprice $43.33 and BTC hashprice 0.00040577 per
    # PH/s-day at ~$106,935; fees 0.62% of block rewards; difficulty at its ~156 T all-time high
    # that week (btcpizza.com; the roundup does not state it). Mining fact sheet 2026-11-29.
    subsidy = 3.125
    fees = subsidy * 0.0062 / (1 - 0.0062)  # fees / (subsidy + fees) = 0.62%
    h = hashrate_eh_s_from_difficulty(156e12)
    assert hashprice_btc_per_ph_day(h, fees, subsidy) == pytest.approx(0.00040577, rel=0.01)
    assert hashprice_usd_per_ph_day(106_935, h, fees, subsidy) == pytest.approx(43.33, rel=0.01)


def test_block_time_moves_halvings_but_not_btc_earned_per_difficulty():
    # Pays per hash from difficulty: with H_D = D x 2^32 / 600 the expected BTC per PH-day is
    # 144 x reward / H_D. If blocks arrive every 585 s, the actual hashrate is H_D x 600 / 585 and
    # 86,400 / 585 = 147.69 blocks a day shared over it give the same BTC:
    # 147.69 x 6.25 / (H_D x 1.02564 x 1000) = 144 x 6.25 / (H_D x 1000).
    h_d = hashrate_eh_s_from_difficulty(21_448_277_761_059)
    realised = (86_400 / 585) * 6.25 / (h_d * 600 / 585 * 1_000)
    assert hashprice_btc_per_ph_day(h_d, 0.0, 6.25) == pytest.approx(realised, rel=1e-12)
    # In the model: a 600 s and a 585 s market agree month by month except around the halving,
    # which the faster blocks bring forward (2028-04 at 600 s, 2028-03 at 585 s).
    # (no adjustment lag: it would carry the halving month's difference into later months)
    instant = replace(DEFAULT_MARKET, hashrate_adjustment_months=0.0)
    slow = hashprice_path(replace(instant, mean_block_time_s=600.0), 36)
    fast = hashprice_path(instant, 36)
    assert DEFAULT_MARKET.mean_block_time_s == 585.0
    moved = ~np.isclose(slow.subsidy_btc, fast.subsidy_btc)
    assert [str(m)[:7] for m in fast.month_start[moved]] == ["2028-03", "2028-04"]
    np.testing.assert_allclose(
        fast.hashprice_btc_per_ph_day[~moved], slow.hashprice_btc_per_ph_day[~moved], rtol=1e-12
    )


def test_hashprice_vectorises():
    out = hashprice_usd_per_ph_day(
        np.array([[50_000.0], [100_000.0]]), np.array([800.0, 1000.0]), 0.02, 3.125
    )
    assert out.shape == (2, 2)
    assert out[1, 0] == pytest.approx(2 * out[0, 0])


def test_bad_hashprice_inputs_name_the_field():
    with pytest.raises(MiningInputError, match="network_hashrate_eh_s"):
        hashprice_usd_per_ph_day(90_000, -1.0, 0.02, 3.125)
    with pytest.raises(MiningInputError, match="btc_price_usd"):
        hashprice_usd_per_ph_day("lots", 900.0, 0.02, 3.125)
    with pytest.raises(MiningInputError, match=r"efficiency_j_per_th=0"):
        breakeven_power_price_usd_per_mwh(50.0, 0.0, 0.0)
    with pytest.raises(MiningInputError, match="pool_fee"):
        breakeven_power_price_usd_per_mwh(50.0, 17.5, 1.5)


def test_s21_breakeven_at_54_3_is_about_129():
    # 54.3 / (0.024 x 17.5) = 129.29 $/MWh; Hashrate Index 2024-04-01: "S21: $0.13/kWh"
    s21 = get_machine("Antminer S21")
    be = breakeven_power_price_usd_per_mwh(54.3, s21.efficiency_j_per_th, 0.0)
    assert be == pytest.approx(54.3 / (0.024 * 17.5))
    assert be == pytest.approx(129.3, abs=0.05)
    # hashcost at the breakeven equals the hashprice
    assert hashcost_usd_per_ph_day(be, 17.5) == pytest.approx(54.3)
    # a 2% pool fee lowers it in proportion: 129.29 x 0.98
    assert breakeven_power_price_usd_per_mwh(54.3, 17.5, 0.02) == pytest.approx(be * 0.98)


def test_machine_table_is_the_data_file_read_once(monkeypatch):
    """Every row of valuation/data/machines.csv, in order, with a source; J/TH from W / TH/s."""
    import csv
    from importlib import resources

    from sites.schema import COOLING_TYPES
    from valuation import mining

    with resources.files("valuation").joinpath("data", "machines.csv").open("r") as fh:
        rows = list(csv.DictReader(fh))
    assert [m.name for m in MACHINES.values()] == [r["name"] for r in rows]
    for r in rows:
        m = MACHINES[r["name"]]
        assert (m.hashrate_th_s, m.power_w) == (float(r["hashrate_th_s"]), float(r["power_w"]))
        assert m.efficiency_j_per_th == float(r["power_w"]) / float(r["hashrate_th_s"])
        assert m.cooling == r["cooling"] and m.cooling in COOLING_TYPES and len(m.source) > 10
    # Looked up from memory: a lookup never reads the file again.
    monkeypatch.setattr(mining, "_load_machines", lambda: pytest.fail("machines.csv read again"))
    assert get_machine("S21 XP") is MACHINES["Antminer S21 XP"]
    assert machines_frame()["name"].tolist() == [r["name"] for r in rows]


def test_machine_table_has_the_required_models_and_consistent_units():
    for name in ("Antminer S19j Pro", "Antminer S19 XP", "Antminer S21", "Antminer S21 Pro", "Antminer S21 XP",
                 "Antminer S21 XP Hydro", "Whatsminer M60S", "Whatsminer M66S"):  # fmt: skip
        m = MACHINES[name]
        assert m.efficiency_j_per_th == pytest.approx(m.power_w / m.hashrate_th_s)
        assert m.cooling in ("air", "hydro", "immersion") and m.source
    assert MACHINES["Antminer S21 XP Hydro"].efficiency_j_per_th == pytest.approx(12.0)
    assert get_machine("s21-xp") is MACHINES["Antminer S21 XP"]
    assert list(machines_frame().columns[:4]) == [
        "name",
        "hashrate_th_s",
        "power_w",
        "efficiency_j_per_th",
    ]
    with pytest.raises(MiningInputError, match="machine='Antminer S99'"):
        get_machine("Antminer S99")


def test_fleet_from_counts_and_bad_rows():
    # 100 S21 (200 TH, 3,500 W) + 50 S19 XP (140 TH, 3,010 W): 27,000 TH, 500,500 W -> 18.537 J/TH
    f = fleet_from_counts([("Antminer S21", 100), ("S19 XP", 50)])
    assert f.hashrate_th_s == 27_000 and f.power_w == 500_500 and f.unit_count == 150
    assert f.efficiency_j_per_th == pytest.approx(500_500 / 27_000)
    with pytest.raises(MiningInputError, match=r"fleet row 1: machine='Antminer S99'"):
        fleet_from_counts([("Antminer S21", 1), ("Antminer S99", 2)])
    with pytest.raises(MiningInputError, match=r"fleet row 0: unit count=-3"):
        fleet_from_counts({"Antminer S21": -3})
    # 10 MW at PUE 1.05 and 17.5 J/TH: 1e7 / 1.05 W of machines / 17.5 = 544,218 TH/s
    g = fleet_from_power(10.0, 17.5, 1.05)
    assert g.hashrate_th_s == pytest.approx(1e7 / 1.05 / 17.5)


def test_hashprice_path_halving_lands_in_march_2028():
    path = hashprice_path(DEFAULT_MARKET, 36)
    assert isinstance(path, HashpricePath) and path.hashprice_usd_per_ph_day.shape == (36,)
    months = [str(m)[:7] for m in path.month_start]
    i = months.index("2028-03")
    assert path.subsidy_btc[i - 1] == pytest.approx(3.125) and path.subsidy_btc[
        i + 1
    ] == pytest.approx(1.5625)
    assert 1.5625 < path.subsidy_btc[i] < 3.125  # halving on ~2028-03-11: a blend
    # month 0: hashrate grows 35%/yr to the month's midpoint (15 days of 2025-11)
    h0 = DEFAULT_MARKET.network_hashrate_eh_s * 1.35 ** (15 / 365.25)
    expected = (
        DEFAULT_MARKET.btc_price_usd
        * 144
        * (3.125 + DEFAULT_MARKET.fees_btc_per_block)
        / (h0 * 1000)
    )
    assert path.hashprice_usd_per_ph_day[0] == pytest.approx(expected)


def test_hashprice_path_accepts_a_monte_carlo_price_path():
    # floor off: hashprice is then linear in the price ($50k paths sit below the $35.1 floor)
    no_floor = replace(DEFAULT_MARKET, hashprice_floor_usd_per_ph_day=0.0)
    prices = np.full((5, 12), 50_000.0) * np.arange(1, 6)[:, None]
    path = hashprice_path(no_floor, 12, btc_price_usd=prices)
    assert path.hashprice_usd_per_ph_day.shape == (5, 12)
    np.testing.assert_allclose(
        path.hashprice_usd_per_ph_day[4], 5 * path.hashprice_usd_per_ph_day[0]
    )
    with pytest.raises(MiningInputError, match="btc_price_usd"):
        hashprice_path(DEFAULT_MARKET, 12, btc_price_usd=np.ones((5, 11)))


SIMPLE = MiningAssumptions(
    efficiency_j_per_th=20.0, uptime=1.0, pool_fee=0.0, mining_pue=1.0, degradation_per_year=0.0,
    opex_usd_per_mw_month=5_000.0, fleet_life_years=5.0, fleet_age_years=0.0, refresh_cost_usd_per_th=20.0,
)  # fmt: skip
TARIFF = PowerContract(
    contract_type="utility_tariff", price_usd_per_mwh=50.0, adder_usd_per_mwh=0.0
)


def test_cost_to_mine_hand_worked_site():
    # 10 MW, 20 J/TH, PUE 1: 10 x 1000 / 20 = 500 PH/s. Hashprice $50/PH/day, 30.4375-day month:
    # revenue = 500 x 50 x 30.4375 = $760,937.50; at $100,000/BTC that is 7.609375 BTC.
    # Energy 10 MW x 730.5 h = 7,305 MWh x $50 = $365,250; opex 10 x $5,000 = $50,000.
    # Cost to mine = (365,250 + 50,000) / 7.609375 = $54,570.84 per BTC.
    r = mining_cash_flows(
        10.0, np.full(3, 50.0), assumptions=SIMPLE, contract=TARIFF, btc_price_usd=100_000.0
    )
    np.testing.assert_allclose(r.hashrate_ph_s, 500.0)
    np.testing.assert_allclose(r.revenue_usd, 760_937.5)
    np.testing.assert_allclose(r.btc_mined, 7.609375)
    np.testing.assert_allclose(r.power_cost_usd, 365_250.0)
    np.testing.assert_allclose(r.opex_usd, 50_000.0)
    np.testing.assert_allclose(r.cost_to_mine_usd_per_btc, 415_250 / 7.609375)
    assert r.cost_to_mine_usd_per_btc[0] == pytest.approx(54_570.84, abs=0.01)
    np.testing.assert_allclose(r.curtailed_hours, 0.0)
    np.testing.assert_allclose(r.net_cash_flow_usd, 760_937.5 - 365_250 - 50_000)


def test_unprofitable_month_shuts_down_under_a_tariff():
    # hashprice $20 -> 20 / (0.024 x 20) = $41.67/MWh < $50 tariff: the flexible share stops all month
    r = mining_cash_flows(
        10.0,
        np.array([20.0, 50.0]),
        assumptions=SIMPLE,
        contract=replace(TARIFF, flexible_share=1.0),
    )
    np.testing.assert_allclose(r.curtailed_hours, [730.5, 0.0])
    np.testing.assert_allclose(r.revenue_usd[0], 0.0)
    np.testing.assert_allclose(r.power_cost_usd, [0.0, 365_250.0])


def test_uptime_pue_degradation_and_pool_fee():
    a = replace(
        SIMPLE,
        uptime=0.9,
        mining_pue=1.25,
        pool_fee=0.02,
        degradation_per_year=0.1,
        fleet_age_years=1.0,
    )
    r = mining_cash_flows(10.0, np.full(1, 50.0), assumptions=a, contract=TARIFF)
    # deployed: 10 x 1000 / (20 x 1.25) x 0.9^1 = 360 PH/s; operating x 0.9 uptime = 324
    assert r.deployed_hashrate_ph_s[0] == pytest.approx(360.0)
    assert r.hashrate_ph_s[0] == pytest.approx(324.0)
    # revenue = 324 x 50 x 30.4375 x 0.98; energy 10 x 730.5 x 0.9 = 6,574.5 MWh x $50
    assert r.revenue_usd[0] == pytest.approx(324 * 50 * 30.4375 * 0.98)
    assert r.power_cost_usd[0] == pytest.approx(6_574.5 * 50)


def test_fleet_refresh_capex_when_the_fleet_ages_out():
    # Fleet 4 years old, 5-year life: refreshes at months 12 and 72. The refresh buys a 16 J/TH
    # machine at $20/TH: TH bought = 10 MW x 1e6 W / (16 J/TH x PUE 1) = 625,000 TH/s, so the
    # capex is 625,000 x $20 = $12.5M (not the old fleet's 500,000 TH x $20 = $10M).
    a = replace(
        SIMPLE, fleet_age_years=4.0, degradation_per_year=0.05, refresh_efficiency_j_per_th=16.0
    )
    r = mining_cash_flows(10.0, np.full(80, 50.0), assumptions=a, contract=TARIFF)
    assert np.flatnonzero(r.capex_usd).tolist() == [12, 72]
    np.testing.assert_allclose(r.capex_usd[[12, 72]], 625_000 * 20.0)
    # month 11, old fleet at 20 J/TH aged 59 months: 10 x 1000 / 20 x 0.95^(59/12) PH/s;
    # R = 50 / (0.024 x 20) x 0.95^(59/12) = 104.17 x 0.7770 = $80.94/MWh
    old_health = 0.95 ** (59 / 12)
    assert r.deployed_hashrate_ph_s[11] == pytest.approx(500.0 * old_health)
    assert r.revenue_usd_per_mwh[11] == pytest.approx(50 / (0.024 * 20) * old_health)
    # month 12, new fleet, degradation restarted: 10 x 1000 / 16 = 625 PH/s;
    # revenue = 625 x $50 x 30.4375 days = $951,171.875; R = 50 / (0.024 x 16) = $130.21/MWh.
    # Power (10 MW x 730.5 h x $50 = $365,250) and opex ($50,000) do not depend on the machine.
    assert r.deployed_hashrate_ph_s[12] == pytest.approx(625.0)
    assert r.revenue_usd[12] == pytest.approx(951_171.875)
    assert r.revenue_usd_per_mwh[12] == pytest.approx(130.208333, rel=1e-6)
    assert r.power_cost_usd[12] == pytest.approx(365_250.0)
    assert r.net_cash_flow_usd[12] == pytest.approx(951_171.875 - 365_250 - 50_000 - 12.5e6)
    # the new fleet ages from its refresh: 625 x 0.95^(1/12) at month 13, 625 x 0.95^(59/12) at
    # month 71, and 625 again after the second refresh at month 72
    assert r.deployed_hashrate_ph_s[13] == pytest.approx(625.0 * 0.95 ** (1 / 12))
    assert r.deployed_hashrate_ph_s[71] == pytest.approx(625.0 * old_health)
    assert r.deployed_hashrate_ph_s[72] == pytest.approx(625.0)


def test_refresh_machine_defaults_to_the_s21_xp_the_price_buys():
    # $25.70/TH is the S21 XP price (Hashrate Index 2025-11-03): 3,645 W / 270 TH/s = 13.5 J/TH
    a = MiningAssumptions()
    assert REFRESH_MACHINE is MACHINES["Antminer S21 XP"]
    assert a.refresh_efficiency_j_per_th == pytest.approx(3_645 / 270) == pytest.approx(13.5)
    assert a.refresh_cost_usd_per_th == 25.70
    # default refresh of 1 MW at PUE 1.05: 1e6 / (13.5 x 1.05) = 70,546.7 TH/s x $25.70 = $1.813M
    r = mining_cash_flows(
        1.0, np.full(3, 60.0), assumptions=replace(a, fleet_age_years=5.0), contract=TARIFF
    )
    assert r.capex_usd[0] == pytest.approx(1e6 / (13.5 * 1.05) * 25.70)
    assert r.capex_usd[0] == pytest.approx(1_813_051, abs=1)
    with pytest.raises(MiningInputError, match="refresh_efficiency_j_per_th=0"):
        MiningAssumptions(refresh_efficiency_j_per_th=0.0)


def test_power_profile_and_paths_broadcast_and_match_a_month_loop():
    rng = np.random.default_rng(7)
    hp = rng.uniform(20, 80, size=(4, 6))
    mw = np.array([10.0, 10.0, 5.0, 5.0, 0.0, 0.0])  # halls switched off as they convert
    pts = np.sort(rng.uniform(-20, 400, size=(6, 50)), axis=-1)
    contract = PowerContract()
    r = mining_cash_flows(
        mw, hp, assumptions=SIMPLE, contract=contract, prices=pts, btc_price_usd=90_000.0
    )
    assert r.revenue_usd.shape == (4, 6)
    for p in range(4):
        for m in range(6):
            one = mining_cash_flows(
                mw[m],
                hp[p, m : m + 1],
                assumptions=SIMPLE,
                contract=contract,
                prices=pts[m],
                btc_price_usd=90_000.0,
            )
            assert one.revenue_usd[0] == pytest.approx(r.revenue_usd[p, m])
            assert one.power_cost_usd[0] == pytest.approx(r.power_cost_usd[p, m])
    np.testing.assert_allclose(r.revenue_usd[:, 4:], 0.0)


def test_demand_response_payment_hand_worked():
    # RRS-like: $10/MW-h, 50% of 10 MW committed, 12 h/yr of deployments (1 h a month), no price
    # curtailment. Payment = 10 x 0.5 x 10 x 730.5 = $36,525. The 1 h deployment stops 5 MW:
    # foregone revenue = 250 PH/s x $50 x 1/24 day = $520.83; energy not bought 5 MWh x $50 = $250.
    prog = DemandResponseProgram("test", capacity_payment_usd_per_mw_hour=10.0, committed_share=0.5,
                                 expected_deployment_hours_per_year=12.0)  # fmt: skip
    r = mining_cash_flows(
        10.0, np.full(2, 50.0), assumptions=SIMPLE, contract=TARIFF, programs=(prog,)
    )
    np.testing.assert_allclose(r.dr_payment_usd, 36_525.0)
    np.testing.assert_allclose(r.dr_hours, 0.5)  # 0.5 of the load for 1 h, in load-weighted hours
    np.testing.assert_allclose(r.foregone_revenue_usd, 250 * 50 / 24)
    np.testing.assert_allclose(r.power_cost_usd, 365_250.0 - 250.0)
    over = replace(prog, committed_share=0.9)
    with pytest.raises(MiningInputError, match="flexible_share"):
        mining_cash_flows(
            10.0, np.full(2, 50.0), assumptions=SIMPLE, contract=TARIFF, programs=(over, over)
        )


def test_four_cp_credit_and_summer_deployments():
    # $100,000/MW-year credit on 100% of 12 MW = $100,000 a month; 40 h/yr over Jun-Sep = 10 h/month
    prog = DemandResponseProgram("4CP", committed_share=1.0, expected_deployment_hours_per_year=40.0,
                                 annual_credit_usd_per_mw_year=100_000.0, months_active=(6, 7, 8, 9),
                                 paid_only_while_running=False)  # fmt: skip
    contract = replace(TARIFF, flexible_share=1.0)
    r = mining_cash_flows(12.0, np.full(12, 50.0), assumptions=SIMPLE, contract=contract, programs=(prog,),
                          start=date(2026, 1, 1))  # fmt: skip
    np.testing.assert_allclose(r.four_cp_credit_usd, 100_000.0)
    np.testing.assert_allclose(r.dr_hours, [0, 0, 0, 0, 0, 10, 10, 10, 10, 0, 0, 0])


def test_ercot_4cp_charge_levied_and_only_the_avoided_share_credited():
    # ERCOT_4CP: $100/kW-year on the running load, 95% flexible share x 90% of peaks caught.
    # 12 MW at 95% uptime: charge = 100 x 1,000 x 12 x 0.95 / 12 = $95,000 a month, every month.
    # Credit = 95,000 x 0.95 x 0.90 = $81,225; net cost $13,775 a month (was free income before).
    # Peak watch: 60 h/yr over Jun-Sep = 15 h/month on the 95% committed share.
    a = replace(SIMPLE, uptime=0.95)
    hp = np.full(12, 50.0)
    base = mining_cash_flows(12.0, hp, assumptions=a, contract=TARIFF, start=date(2026, 1, 1))
    r = mining_cash_flows(12.0, hp, assumptions=a, contract=TARIFF, programs=(ERCOT_4CP,),
                          start=date(2026, 1, 1))  # fmt: skip
    assert ERCOT_4CP.transmission_charge_usd_per_kw_year == 100.0
    np.testing.assert_allclose(r.four_cp_charge_usd, 95_000.0)
    np.testing.assert_allclose(r.four_cp_credit_usd, 81_225.0)
    np.testing.assert_allclose(r.dr_payment_usd, 81_225.0)
    np.testing.assert_allclose(base.four_cp_charge_usd, 0.0)
    np.testing.assert_allclose(r.dr_hours, [0] * 5 + [15.0 * 0.95] * 4 + [0] * 3)
    # Power cost: the tariff on energy drawn plus the charge. Summer: 12 MW x 730.5 h x 0.95 =
    # 8,327.7 MWh, of which 15 h x 0.95 committed are off: 12 x 0.95 x 15 x 0.95 = 162.45 MWh.
    drawn = 12 * 730.5 * 0.95 - np.array([0] * 5 + [12 * 0.95 * 15 * 0.95] * 4 + [0] * 3)
    np.testing.assert_allclose(r.power_cost_usd, drawn * 50.0 + 95_000.0)
    # Net of the program: -13,775 a month in winter; in summer also +$50 x 162.45 MWh avoided
    # tariff and -$104.17/MWh of mining value foregone on those 162.45 MWh (20 J/TH, $50/PH/day).
    delta = r.net_cash_flow_usd - base.net_cash_flow_usd
    summer_mwh = 12 * 0.95 * 15 * 0.95
    expected = -13_775.0 + np.array([0] * 5 + [summer_mwh * (50.0 - 50.0 / 0.48)] * 4 + [0] * 3)
    np.testing.assert_allclose(delta, expected, rtol=1e-9)


def test_coincident_peak_charge_is_net_cost_unless_every_peak_is_caught():
    # A program that catches every peak on the whole load nets to zero; catching none pays it all.
    full = DemandResponseProgram("cp", committed_share=1.0, transmission_charge_usd_per_kw_year=60.0,
                                 peak_catch_rate=1.0, paid_only_while_running=False)  # fmt: skip
    none = replace(full, peak_catch_rate=0.0)
    contract = replace(TARIFF, flexible_share=1.0)
    on = mining_cash_flows(
        10.0, np.full(3, 50.0), assumptions=SIMPLE, contract=contract, programs=(full,)
    )
    off = mining_cash_flows(
        10.0, np.full(3, 50.0), assumptions=SIMPLE, contract=contract, programs=(none,)
    )
    # 60 x 1,000 x 10 MW / 12 = $50,000 a month
    np.testing.assert_allclose(on.four_cp_charge_usd, 50_000.0)
    np.testing.assert_allclose(on.dr_payment_usd - on.four_cp_charge_usd, 0.0, atol=1e-9)
    np.testing.assert_allclose(off.dr_payment_usd, 0.0)
    np.testing.assert_allclose(on.net_cash_flow_usd - off.net_cash_flow_usd, 50_000.0)
    with pytest.raises(MiningInputError, match="peak_catch_rate"):
        replace(full, peak_catch_rate=1.2)
    with pytest.raises(MiningInputError, match="transmission_charge_usd_per_kw_year"):
        replace(full, transmission_charge_usd_per_kw_year=-1.0)


@settings(max_examples=50, deadline=None)
@given(
    st.floats(5, 200),
    st.floats(0, 100),
    st.sampled_from(["fixed_ppa", "index_plus_adder", "utility_tariff"]),
)
def test_higher_hashprice_never_lowers_operating_margin(hp, bump, kind):
    pts = np.array([-10.0, 0.0, 25.0, 30.0, 45.0, 90.0, 300.0, 2_000.0])
    contract = PowerContract(contract_type=kind, price_usd_per_mwh=40.0, adder_usd_per_mwh=3.0)
    lo = mining_cash_flows(10.0, np.array([hp]), assumptions=SIMPLE, contract=contract, prices=pts)
    hi = mining_cash_flows(
        10.0, np.array([hp + bump]), assumptions=SIMPLE, contract=contract, prices=pts
    )
    assert hi.net_cash_flow_usd[0] >= lo.net_cash_flow_usd[0] - 1e-6
    assert hi.curtailed_hours[0] <= lo.curtailed_hours[0]


def test_bad_cash_flow_inputs_name_the_field():
    with pytest.raises(MiningInputError, match="power_mw"):
        mining_cash_flows(-1.0, np.full(3, 50.0))
    with pytest.raises(MiningInputError, match="efficiency_j_per_th=0"):
        MiningAssumptions(efficiency_j_per_th=0.0)
    with pytest.raises(MiningInputError, match="uptime"):
        MiningAssumptions(uptime=1.2)
    with pytest.raises(MiningInputError, match="contract_type='spot'"):
        PowerContract(contract_type="spot")
    with pytest.raises(MiningInputError, match="power_mw shape"):
        mining_cash_flows(np.ones(4), np.full(3, 50.0))
    with pytest.raises(MiningInputError, match="prices"):
        mining_cash_flows(1.0, np.full(3, 50.0), prices=np.ones((4, 10)))
