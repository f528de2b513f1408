"""Monte Carlo risk: at zero volatility every path is compare's; each risk driver enters as the
deterministic model says it should; seeds, chunks, workers and Dask change no number; tornado
bars agree with the break-evens; presets round-trip through the store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest
from distributed import Client, LocalCluster
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sites import load_example_portfolio
from sites.store import SiteStore
from valuation.decision import compare
from valuation.drivers import BLOCK_SIZE_PATHS, PRESETS, RiskDrivers
from valuation.hosting import TenantCredit
from valuation.risk import RiskError, simulate, simulate_portfolio
from valuation.risk_presets import (
    PRESET_NAMES,
    PresetError,
    load_preset,
    named_risk_from_saved,
    preset,
    save_presets,
)
from valuation.saved_scenario import scenario_from_saved
from valuation.scenario import Scenario
from valuation.sensitivity import sensitivity
from valuation.strategies import CONVERTING, NOT_CONVERTING, STRATEGY_ORDER
from valuation.tenant import TenantProspects

SITES = {s.id: s for s in load_example_portfolio()}
# Small sites: a curve-priced index contract (1 hall), a utility tariff, a fixed PPA.
FAST = ("corz-pecos", "corz-muskogee", "cifr-odessa")
NEUTRAL = TenantProspects(probability_change_per_point=0.0)


def _scenario(p: float, **kw: object) -> Scenario:
    return Scenario(tenant_signing_probability=p, tenant_prospects=NEUTRAL, **kw)  # type: ignore[arg-type]


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


@pytest.mark.parametrize("site_id", FAST)
@pytest.mark.parametrize("p", [0.0, 1.0])
def test_zero_volatility_every_path_is_compares_npv(site_id: str, p: float) -> None:
    sc = _scenario(p)
    r = simulate(SITES[site_id], sc, n_paths=40, seed=5,
                 drivers=RiskDrivers.deterministic(signing_probability=p))  # fmt: skip
    d = compare(SITES[site_id], sc)
    assert set(r.npv_usd) == set(STRATEGY_ORDER)
    for key, value in d.strategy_npv_usd.items():
        assert _close(float(r.npv_usd[key].mean()), value), key
        assert np.ptp(r.npv_usd[key]) <= 1e-9 * max(1.0, abs(value)), key
    conv = max(d.strategy_npv_usd[k] for k in CONVERTING)
    non = max(d.strategy_npv_usd[k] for k in NOT_CONVERTING)
    assert _close(float(r.best_converting_usd.mean()), conv)
    p_win, se = r.probability_converting_wins()
    assert p_win == float(conv > non) and se == 0.0


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lease=st.floats(20.0, 250.0),
    contingency=st.floats(0.0, 1.0),
    p=st.sampled_from([0.0, 1.0]),
    seed=st.integers(0, 2**32),
)
def test_zero_volatility_equals_compare_for_any_rent_capex_and_seed(
    lease: float, contingency: float, p: float, seed: int
) -> None:
    sc = _scenario(p, lease_rate_usd_per_kw_month=lease, contingency=contingency)
    site = SITES["corz-muskogee"]
    r = simulate(site, sc, n_paths=3, seed=seed,
                 drivers=RiskDrivers.deterministic(signing_probability=p))  # fmt: skip
    for key, value in compare(site, sc).strategy_npv_usd.items():
        assert np.allclose(r.npv_usd[key], value, rtol=1e-9, atol=1e-6), key


def test_zero_volatility_with_a_mandatory_program_equals_compare() -> None:
    """A switched-on policy lever (Texas SB 6 curtailment) takes the general mining path, with
    the per-path power level on the profiles' axis: zero volatility still equals compare (this
    raised a broadcasting error before the level was given that axis)."""
    sc = _scenario(1.0, policy_levers=("tx_sb6_curtailment",))
    site = SITES["riot-rockdale"]
    r = simulate(site, sc, n_paths=3, seed=2,
                 drivers=RiskDrivers.deterministic(signing_probability=1.0))  # fmt: skip
    for key, value in compare(site, sc).strategy_npv_usd.items():
        assert np.allclose(r.npv_usd[key], value, rtol=1e-9, atol=1e-6), key
    moving = simulate(site, sc, n_paths=40, seed=2)
    assert np.ptp(moving.npv_usd["keep_mining"]) > 0


def test_zero_volatility_start_rows_are_compares_start_grid() -> None:
    site = SITES["corz-muskogee"]
    sc = _scenario(1.0)
    r = simulate(site, sc, n_paths=10, seed=1, drivers=RiskDrivers.deterministic(),
                 start_rows=True)  # fmt: skip
    grid = compare(site, sc).start_grid
    assert r.row_detail[0] == 0 and r.row_detail[-1] == -1  # convert now ... never
    np.testing.assert_array_equal(r.row_detail[:-1], grid["decision_month"].to_numpy())
    np.testing.assert_allclose(r.row_npv_usd[0, :-1], grid["npv_usd"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(r.row_npv_usd[:, -1], r.npv_usd["keep_mining"], rtol=1e-12)


def test_signing_is_drawn_per_path_at_the_sites_odds() -> None:
    """Between 0 and 1 each path is either the signed row or keep mining; the share signed
    follows the site's probability (compare's expectation within sampling error)."""
    site = SITES["corz-muskogee"]
    sc = _scenario(0.5)
    r = simulate(site, sc, n_paths=400, seed=2, drivers=RiskDrivers.deterministic())
    signed = compare(site, _scenario(1.0)).strategy_npv_usd["convert"]
    keep = compare(site, sc).strategy_npv_usd["keep_mining"]
    conv = r.npv_usd["convert"]
    is_signed = np.isclose(conv, signed, rtol=1e-9)
    assert np.all(is_signed | np.isclose(conv, keep, rtol=1e-9))
    share = is_signed.mean()
    assert abs(share - 0.5) < 4 * np.sqrt(0.25 / 400)
    expected = compare(site, sc).strategy_npv_usd["convert"]
    assert abs(conv.mean() - expected) < 4 * conv.std() / np.sqrt(400)


def test_delay_paths_are_valued_with_the_delayed_model() -> None:
    site = SITES["corz-muskogee"]
    sc = _scenario(1.0)
    drivers = replace(RiskDrivers.deterministic(), delay_probability=1.0, delay_mean_months=10.0)
    r = simulate(site, sc, n_paths=200, seed=4, drivers=drivers)
    convert = r.npv_usd["convert"]
    seen = 0
    for d in (0, 3, 6, 12, 24, 36):
        value = compare(site, replace(sc, construction_delay_months=d)).strategy_npv_usd["convert"]
        hit = np.isclose(convert, value, rtol=1e-9)
        seen += int(hit.sum())
    assert seen == 200  # every path is one of the delay buckets' values
    assert convert.mean() < compare(site, sc).strategy_npv_usd["convert"]


def test_default_and_capex_enter_as_the_deterministic_model_says() -> None:
    site = SITES["corz-pecos"]
    sc = _scenario(1.0)
    drivers = replace(RiskDrivers.deterministic(), tenant_default_probability_per_year=0.03)
    r = simulate(site, sc, n_paths=8, seed=1, drivers=drivers)
    with_default = replace(sc, tenant_credit=TenantCredit(default_probability_per_year=0.03))
    assert _close(float(r.npv_usd["convert"][0]),
                  compare(site, with_default).strategy_npv_usd["convert"])  # fmt: skip
    drivers = replace(RiskDrivers.deterministic(), capex_overrun_median=1.25)
    r = simulate(site, sc, n_paths=8, seed=1, drivers=drivers)
    dearer = replace(sc, contingency=0.25)
    assert np.allclose(r.npv_usd["convert"],
                       compare(site, dearer).strategy_npv_usd["convert"], rtol=1e-9)  # fmt: skip


def test_seed_reproduces_and_another_seed_differs() -> None:
    site = SITES["corz-muskogee"]
    a = simulate(site, n_paths=60, seed=11)
    b = simulate(site, n_paths=60, seed=11)
    c = simulate(site, n_paths=60, seed=12)
    for k in STRATEGY_ORDER:
        assert np.array_equal(a.npv_usd[k], b.npv_usd[k])
    assert not np.array_equal(a.npv_usd["keep_mining"], c.npv_usd["keep_mining"])
    s = a.summary()
    assert list(s.index) == list(STRATEGY_ORDER)
    assert np.all(s["p10_usd"] <= s["p50_usd"]) and np.all(s["p50_usd"] <= s["p90_usd"])
    assert np.array_equal(a.best_converting_usd,
                          np.max([a.npv_usd[k] for k in CONVERTING], axis=0))  # fmt: skip
    assert a.scenario_name == "base" and a.features.shape == (60, 4)
    table = a.report_table()
    assert set(table["scenario"]) == {"base"} and list(table["strategy"]) == list(STRATEGY_ORDER)
    np.testing.assert_array_equal(table["mean_usd"], s["mean_usd"])
    tales = a.stories(n_stories=3)
    assert abs(sum(t.probability for t in tales.stories) - 1.0) < 1e-12
    keep = [t.mean_npv_usd[0] * t.n_paths for t in tales.stories]
    assert sum(keep) / 60 == pytest.approx(a.npv_usd["keep_mining"].mean(), rel=1e-12)


SHORT = Scenario(horizon_months=48)
N_PATHS = BLOCK_SIZE_PATHS + 150  # a partial last block


@pytest.fixture(scope="module")
def local_run():  # noqa: ANN201
    return simulate(SITES["corz-muskogee"], SHORT, n_paths=N_PATHS, seed=9, chunk_paths=1)


def _same(a, b) -> None:  # noqa: ANN001
    for k in STRATEGY_ORDER:
        assert np.array_equal(a.npv_usd[k], b.npv_usd[k]), k
    assert np.array_equal(a.features, b.features)


def test_chunk_size_changes_no_number(local_run) -> None:  # noqa: ANN001
    _same(local_run, simulate(SITES["corz-muskogee"], SHORT, n_paths=N_PATHS, seed=9,
                              chunk_paths=2 * BLOCK_SIZE_PATHS))  # fmt: skip
    # the first paths of a longer run are the same paths
    longer = simulate(SITES["corz-muskogee"], SHORT, n_paths=N_PATHS + 40, seed=9)
    assert np.array_equal(longer.npv_usd["convert"][:N_PATHS], local_run.npv_usd["convert"])


def test_thread_count_changes_no_number(local_run, monkeypatch) -> None:  # noqa: ANN001
    """Local chunks run on the cores' threads; one thread gives the same numbers bit for bit."""
    from valuation import threads

    monkeypatch.setattr(threads, "local_threads", lambda: 1)
    _same(local_run, simulate(SITES["corz-muskogee"], SHORT, n_paths=N_PATHS, seed=9,
                              chunk_paths=1))  # fmt: skip


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                      protocol="tcp", host="127.0.0.1") as c:  # fmt: skip
        yield c


def test_dask_equals_local_whatever_the_workers(local_run, cluster) -> None:  # noqa: ANN001
    site = SITES["corz-muskogee"]
    with Client(cluster) as client:
        _same(local_run, simulate(site, SHORT, n_paths=N_PATHS, seed=9, client=client,
                                  chunk_paths=1))  # fmt: skip
        cluster.scale(1)
        client.wait_for_workers(1)
        _same(local_run, simulate(site, SHORT, n_paths=N_PATHS, seed=9, client=client,
                                  chunk_paths=2 * BLOCK_SIZE_PATHS))  # fmt: skip
        cluster.scale(2)
        client.wait_for_workers(2)
        sites = [SITES["corz-muskogee"], SITES["corz-marble"]]
        on_dask = simulate_portfolio(sites, SHORT, n_paths=300, seed=3, client=client)
    here = simulate_portfolio(sites, SHORT, n_paths=300, seed=3)
    assert on_dask.table.equals(here.table)


def test_portfolio_is_the_sum_of_its_sites() -> None:
    sites = [SITES["corz-muskogee"], SITES["corz-marble"]]
    res = simulate_portfolio(sites, SHORT, n_paths=120, seed=3, keep_paths=True)
    t = res.table.set_index("site_id")
    for s in sites:
        one = simulate(s, SHORT, n_paths=120, seed=3)
        assert t.loc[s.id, "keep_mining_mean_usd"] == pytest.approx(
            one.npv_usd["keep_mining"].mean(), rel=1e-12
        )
        p, _ = one.probability_converting_wins()
        assert t.loc[s.id, "p_converting_wins"] == p
    total = t.loc["portfolio", "convert_mean_usd"]
    assert total == pytest.approx(sum(t.loc[s.id, "convert_mean_usd"] for s in sites), rel=1e-12)
    assert res.scenario_name == "custom"


def test_bad_run_inputs_are_named() -> None:
    with pytest.raises(RiskError, match="n_paths=0"):
        simulate(SITES["corz-pecos"], n_paths=0, seed=1)
    with pytest.raises(RiskError, match="seed=-1"):
        simulate(SITES["corz-pecos"], n_paths=5, seed=-1)
    with pytest.raises(RiskError, match="chunk_paths=1000000"):
        simulate(SITES["corz-pecos"], n_paths=5, seed=1, chunk_paths=1_000_000)
    with pytest.raises(RiskError, match="n_paths=2000000"):
        simulate(SITES["corz-pecos"], n_paths=2_000_000, seed=1)
    with pytest.raises(RiskError, match="scenario=str"):
        simulate(SITES["corz-pecos"], "bear", n_paths=5, seed=1)


@pytest.mark.parametrize("site_id", ["corz-pecos", "riot-rockdale"])
@pytest.mark.parametrize("lease", [50.0, 128.0])
def test_tornado_bar_toward_the_breakeven_narrows_the_gap(site_id: str, lease: float) -> None:
    """Rent and capex move the value of converting monotonically: the bar at the end toward
    the break-even has the sign opposite the base gap, whichever side of zero the gap is."""
    sens = sensitivity(SITES[site_id], Scenario(lease_rate_usd_per_kw_month=lease))
    t = sens.tornado.set_index("driver")
    assert np.all(np.diff(sens.tornado["swing_usd"]) <= 0)  # sorted, widest first
    for driver in ("lease_rate", "capex"):
        row = t.loc[driver]
        b = row["breakeven_value"]
        assert np.isfinite(b), driver
        end = "high_change_usd" if b > row["base_value"] else "low_change_usd"
        assert np.sign(row[end]) == -np.sign(sens.gap_base_usd), driver
        assert row["toward_breakeven_narrows"]
    # the spider line crosses zero at the break-even it shares with compare
    lease_line = sens.spider[sens.spider.driver == "lease_rate"]
    assert np.all(np.diff(lease_line["gap_usd"]) > 0)
    b = t.loc["lease_rate", "breakeven_value"]
    g = np.interp(b, lease_line["value"], lease_line["gap_usd"])
    span = np.ptp(lease_line["gap_usd"])
    if lease_line["value"].min() <= b <= lease_line["value"].max():
        assert abs(g) < 0.05 * span


def test_presets_round_trip_through_the_store(tmp_path) -> None:  # noqa: ANN001
    store = SiteStore(f"sqlite:///{tmp_path / 's.sqlite'}")
    sc = Scenario(lease_rate_usd_per_kw_month=110.0)
    names = save_presets(store, sc)
    assert names == [PRESET_NAMES[k] for k in ("bear", "base", "bull")]
    for kind, name in zip(("bear", "base", "bull"), names, strict=True):
        got = load_preset(store, name)
        assert got.drivers == PRESETS[kind] and got.scenario == sc and got.name == name
        assert scenario_from_saved(store.load_scenario(name)) == sc  # other readers unaffected
    bear = preset("bear")
    r = simulate(SITES["corz-muskogee"], bear, n_paths=20, seed=1)
    assert r.scenario_name == PRESET_NAMES["bear"] and r.drivers == PRESETS["bear"]
    # a plain saved scenario runs with the base drivers; bad drivers are named
    assert named_risk_from_saved("x", {"changes": {}}).drivers == PRESETS["base"]
    with pytest.raises(PresetError, match="risk_drivers"):
        named_risk_from_saved("x", {"changes": {}, "risk_drivers": {"btc_speed": 1}})
    with pytest.raises(PresetError, match="preset='worst'"):
        preset("worst")


def test_a_price_history_prices_the_monte_carlo_as_it_prices_compare() -> None:
    # The site page valued a site on its stored history while the risk run (and the option to
    # wait, and a pack's risk table) used the region's curve: two deterministic NPVs.
    import pandas as pd

    from sites import load_example_portfolio
    from valuation.decision import compare
    from valuation.power import PriceSeries
    from valuation.risk import simulate
    from valuation.wait_option import site_wait_option

    site = next(s for s in load_example_portfolio() if s.id == "riot-rockdale")
    hours = pd.date_range("2024-01-01", "2024-04-01", freq="h", inclusive="left")
    dear = PriceSeries(hours, np.full(hours.size, 120.0), 1.0, hub="flat")
    run = simulate(site, Scenario(), n_paths=16, seed=1, price_history=dear)
    with_history = compare(site, Scenario(), price_history=dear)
    plain = simulate(site, Scenario(), n_paths=16, seed=1)
    keep = run.deterministic_npv_usd["keep_mining"]
    assert keep == pytest.approx(with_history.strategy_npv_usd["keep_mining"], rel=1e-9)
    assert keep != pytest.approx(plain.deterministic_npv_usd["keep_mining"], rel=1e-6)
    waits = [site_wait_option(site, Scenario(), n_paths=16, seed=1, price_history=h)
             for h in (dear, None)]  # fmt: skip
    assert waits[0].never_convert_usd != pytest.approx(waits[1].never_convert_usd, rel=1e-6)
    # the risk page's tornado starts from the same value of converting as the site page
    from valuation.sensitivity import sensitivity

    sens = sensitivity(site, Scenario(), price_history=dear)
    assert sens.gap_base_usd == pytest.approx(with_history.value_of_converting_usd, rel=1e-9)


def test_a_driver_with_no_effect_says_so_in_the_tornado():
    """Ellendale buys power on a utility tariff: the region's price curve does not reach it, so
    its power-price bar is empty, and its label says why it is (an empty bar had read as 'power
    does not matter'); an index-priced site's power bar is not empty and keeps its label."""
    tariff = sensitivity(SITES["apld-ellendale"]).tornado.set_index("driver")
    assert SITES["apld-ellendale"].power.contract_type == "utility_tariff"
    row = tariff.loc["power_price"]
    assert row["low_change_usd"] == 0.0 == row["high_change_usd"]
    assert row["label"] == "Power price level (no effect on this site)"
    index = sensitivity(SITES["riot-rockdale"]).tornado.set_index("driver")
    assert index.loc["power_price", "swing_usd"] > 1e6
    assert index.loc["power_price", "label"] == "Power price level"
    assert not index["label"].str.contains("no effect").any()
