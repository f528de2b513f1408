"""valuation.mining_profiles.profile_blocks against the path it replaces: mining_cash_flows on the
(P, n) 0/1 profile mask with hashprice (..., 1, n) and power_end_month = end_month (what
valuation.strategies._mining computed for every profile), to 1e-9 relative, over drawn inputs; and
mining_blocks (now on the kernel) against _mining on example sites."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sites import load_example_portfolio
from valuation.errors import MiningError
from valuation.mining import MiningAssumptions, mining_cash_flows, mining_month_economics
from valuation.mining_profiles import profile_blocks
from valuation.power import PowerContract, PriceDurationCurve
from valuation.scenario import Scenario
from valuation.strategies import _mining, build_site_model, mining_blocks

KEYS = ("revenue", "opex", "capex", "continuation_value")


def old_blocks(hp, end, prices, **kwargs) -> dict[str, np.ndarray]:  # noqa: ANN001, ANN003
    """The replaced computation: mining_cash_flows on the profile mask (as _mining composed it)."""
    n = hp.shape[-1]
    mask = (np.arange(n) < end[:, None]).astype(float)
    if isinstance(prices, np.ndarray) and prices.ndim == 3:  # (K, n, points): one per path
        prices = prices[:, None]
    mcf = mining_cash_flows(mask, hp[..., None, :], prices=prices, power_end_month=end, **kwargs)
    return {
        "revenue": mcf.revenue_usd + mcf.curtailment_credit_usd + mcf.dr_payment_usd
        + mcf.salvage_usd,
        "opex": mcf.power_cost_usd + mcf.opex_usd,
        "capex": mcf.capex_usd,
        "continuation_value": mcf.continuation_value_usd,
        "running": mcf.running,
    }  # fmt: skip


def assert_same(new: dict[str, np.ndarray], old: dict[str, np.ndarray]) -> None:
    for key in KEYS:
        assert new[key].shape == old[key].shape, key
        scale = max(1.0, float(np.abs(old[key]).max(initial=0.0)))
        np.testing.assert_allclose(new[key], old[key], rtol=1e-9, atol=1e-9 * scale, err_msg=key)


def refresh_months(a: MiningAssumptions, n: int) -> np.ndarray:
    hp = np.full(n, 50.0)
    econ = mining_month_economics(
        hp, assumptions=a, contract=PowerContract(), prices=None, start=None,
        economic_shutdown=False,
    )  # fmt: skip
    return np.flatnonzero(econ.refresh)


CONTRACTS = st.sampled_from(
    [
        PowerContract(),
        PowerContract(contract_type="index_plus_adder", adder_usd_per_mwh=12.0, flexible_share=0.5),
        PowerContract(contract_type="fixed_ppa", price_usd_per_mwh=38.0, resale_rights=True),
        PowerContract(contract_type="fixed_ppa", price_usd_per_mwh=30.0, resale_rights=False),
        PowerContract(contract_type="utility_tariff", price_usd_per_mwh=45.0, flexible_share=1.0),
        PowerContract(contract_type="utility_tariff", price_usd_per_mwh=60.0, flexible_share=0.0),
    ]
)


@st.composite
def cases(draw: st.DrawFn) -> dict:
    n = draw(st.integers(12, 84))
    k = draw(st.sampled_from([None, 1, 3]))  # None: one path shaped (n,)
    life = draw(st.sampled_from([0.5, 1.0, 1.5, 2.0, 2.7, 3.0, 5.0]))
    age = draw(st.sampled_from([0.0, 0.25, 0.5, 1.0, 1.9, 2.0, 4.0, 4.99, 7.0]))
    a = MiningAssumptions(
        fleet_life_years=life,
        fleet_age_years=age,
        # 0 $/TH: every refresh pays unless margins are negative; 80 $/TH: most do not.
        refresh_cost_usd_per_th=draw(st.sampled_from([0.0, 10.0, 25.7, 45.0, 80.0])),
        refresh_hurdle_rate_per_year=draw(st.sampled_from([0.0, 0.15, 0.4])),
        degradation_per_year=draw(st.sampled_from([0.0, 0.01, 0.08])),
        efficiency_j_per_th=draw(st.sampled_from([13.5, 17.5, 22.0, 30.0, 40.0])),
        opex_usd_per_mw_month=draw(st.sampled_from([0.0, 6_000.0, 20_000.0])),
    )
    # End months inside and beyond the horizon, at, just before and after refreshes.
    refresh = refresh_months(a, n)
    near = sorted({int(m + d) for m in refresh for d in (-1, 0, 1) if m + d >= 0})
    month = st.one_of(
        st.integers(0, n + 60), st.sampled_from(near or [0]), st.just(n), st.just(n - 1)
    ).map(float)
    fraction = st.floats(0.0, n + 60.0)  # a stop inside a month
    ends = draw(st.lists(st.one_of(month, fraction, st.just(np.inf)), min_size=0, max_size=5))
    end = np.array([np.inf, *ends])
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    lead = () if k is None else (k,)
    level = draw(st.sampled_from([4.0, 30.0, 60.0, 150.0]))  # unprofitable .. very profitable
    drift = rng.normal(0.0, 0.06, (*lead, n)).cumsum(axis=-1) - 0.005 * np.arange(n)
    hp = level * np.exp(drift)
    if draw(st.booleans()):
        hp[..., : n // 3] = 0.0  # a stretch of zero hashprice (salvage scale, idle months)
    kind = draw(st.sampled_from(["none", "points", "by_month", "by_path", "curve"]))
    points = np.sort(rng.gamma(2.0, 15.0, 24) - 5.0)
    if kind == "none":
        prices = None
    elif kind == "points":
        prices = points
    elif kind == "by_month":
        prices = points * rng.uniform(0.5, 2.0, (n, 1))
    elif kind == "by_path":
        prices = points * rng.uniform(0.5, 2.0, (*(lead or (1,)), n, 1))
        if k is None:
            prices = prices[0]
    else:
        prices = PriceDurationCurve(points * rng.uniform(0.5, 2.0, (12, 1)))
    return dict(
        hp=hp,
        end=end,
        prices=prices,
        assumptions=a,
        contract=draw(CONTRACTS),
        start=date(2025, draw(st.integers(1, 12)), 1),
        discount_rate_per_year=draw(st.sampled_from([None, 0.0, 0.12, -0.2])),
        economic_shutdown=draw(st.booleans()),
        salvage=draw(st.booleans()),
    )


@settings(max_examples=150, deadline=None)
@given(cases())
def test_equals_mining_cash_flows_on_the_profile_mask(case: dict) -> None:
    hp, end, prices = case.pop("hp"), case.pop("end"), case.pop("prices")
    old = old_blocks(hp, end, prices, **case)
    new = profile_blocks(hp, end, prices=prices, **case)
    assert_same(new, old)


def test_profiles_stop_differently_and_still_match() -> None:
    """A refresh at month 36 that pays over a full life but not over a window cut 6 months
    later: profile 0 refreshes, the profile ending at month 42 retires at 36 and sells its fleet
    there, the one ending at month 20 sells at 20 and never meets the refresh; the same numbers
    as mining_cash_flows (so the equality above covers profile-dependent stops)."""
    n = 60
    a = MiningAssumptions(fleet_age_years=2.0, fleet_life_years=5.0, refresh_cost_usd_per_th=25.7)
    hp = np.full((1, n), 55.0)
    end = np.array([np.inf, 42.0, 20.0])
    kwargs = dict(assumptions=a, economic_shutdown=True, salvage=True, discount_rate_per_year=0.1)
    old = old_blocks(hp, end, None, **kwargs)
    new = profile_blocks(hp, end, **kwargs)
    assert_same(new, old)
    running = old["running"][0]
    assert running[0].all() and not running[1, 36:].any() and running[2].all()  # stops differ
    assert new["capex"][0, 0, 36] > 0 and new["capex"][0, 1].sum() == 0
    sale = new["revenue"][0] - new["revenue"][0, 0, 10]  # what exceeds a normal month
    assert sale[0, 36] > 0 and sale[1, 36] > 0 and sale[2, 20] > 0
    assert new["continuation_value"][0, 0] > 0 and new["continuation_value"][0, 1:].max() == 0


@pytest.mark.parametrize(
    ("end", "message"),
    [([-1.0], "end_month"), ([[1.0, 2.0]], "end_month has shape"), ([np.nan], "end_month")],
)
def test_bad_end_months_are_named(end: list, message: str) -> None:
    with pytest.raises(MiningError, match=message):
        profile_blocks(np.full(12, 50.0), end)


def test_bad_rate_and_hashprice_are_named() -> None:
    with pytest.raises(MiningError, match="discount_rate_per_year"):
        profile_blocks(np.full(12, 50.0), [np.inf], discount_rate_per_year=-1.0)
    with pytest.raises(MiningError, match="hashprice_usd_per_ph_day"):
        profile_blocks(np.full(12, np.nan), [np.inf])


@pytest.fixture(scope="module")
def rockdale():  # noqa: ANN201
    return next(s for s in load_example_portfolio() if s.id == "riot-rockdale")


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"economic_shutdown": False, "fleet_salvage": False},
        {"economic_shutdown": True, "fleet_salvage": True, "use_site_fleet": False},
    ],
)
def test_mining_blocks_equal_the_profile_mask_path(rockdale, overrides: dict) -> None:  # noqa: ANN001
    """mining_blocks (kernel) against _mining on the model's profile mask (the replaced call),
    for the scenario's path, three paths, and per-path price curves as the Monte Carlo passes."""
    model = build_site_model(rockdale, replace(Scenario(), **overrides))
    prof = model.profiles
    assert prof.end_month.size > 2 and np.isfinite(prof.end_month[1:]).all()
    rng = np.random.default_rng(7)
    base = model.hashprice.hashprice_usd_per_ph_day
    paths = base * np.exp(rng.normal(0.0, 0.3, (3, model.n_months)).cumsum(axis=-1) / 4)
    for hp in (base, paths):
        unit, _ = mining_blocks(model, hp)
        old = _mining(model, prof.power_mw, hp[..., None, :], (), None, None, None,
                      prof.end_month)  # fmt: skip
        assert_same(unit, old)
    curve = model.prices_usd_per_mwh
    if curve.shape[-1]:
        prices = curve * rng.uniform(0.6, 1.6, (3, model.n_months))[..., None]
        unit, _ = mining_blocks(model, paths, prices=prices)
        old = _mining(model, prof.power_mw, paths[:, None, :], (), None, None, prices[:, None],
                      prof.end_month)  # fmt: skip
        assert_same(unit, old)


def test_unsorted_price_points_are_sorted_first() -> None:
    """Price points in any order give the results of the same points sorted (a sorted curve is
    used as given, an unsorted one sorted), on the kernel and on mining_cash_flows."""
    rng = np.random.default_rng(3)
    n = 24
    hp = 40.0 * np.exp(rng.normal(0.0, 0.1, (3, n)).cumsum(axis=-1))
    ordered = np.sort(rng.gamma(2.0, 20.0, (3, n, 16)), axis=-1)
    shuffled = rng.permuted(ordered, axis=-1)
    assert not np.array_equal(shuffled, ordered)
    end = np.array([np.inf, 10.0])
    a = MiningAssumptions(fleet_age_years=4.5)
    want = profile_blocks(hp, end, prices=ordered, assumptions=a)
    assert_same(profile_blocks(hp, end, prices=shuffled, assumptions=a), want)
    assert_same(old_blocks(hp, end, shuffled, assumptions=a), want)
    assert want["opex"][..., 0, :].std() > 0  # the curve matters


# --- rows instead of profiles (the Monte Carlo's chosen rows) ------------------------------------


@pytest.mark.parametrize("site_id", ["riot-rockdale", "iren-sweetwater", "mara-garden-city"])
def test_row_sums_equal_the_profiles_summed_onto_rows(site_id: str) -> None:
    """profile_blocks(weights_mw=W) equals W applied to the per-profile blocks (fleet sales,
    refresh capex and continuation value included), on drawn paths with per-path price levels;
    and evaluate gives the same NPVs from MiningRows as from the per-profile blocks."""
    from valuation.power import ScaledPricePoints
    from valuation.strategies import MiningRows, evaluate

    site = next(s for s in load_example_portfolio() if s.id == site_id)
    model = build_site_model(site)
    rng = np.random.default_rng(11)
    base = model.hashprice.hashprice_usd_per_ph_day
    hp = base * np.exp(rng.normal(0.0, 0.3, (4, model.n_months)).cumsum(axis=-1) / 4)
    curve = model.prices_usd_per_mwh
    scale = rng.uniform(0.6, 1.6, (4, model.n_months))
    prices = ScaledPricePoints(curve, scale) if curve.shape[-1] else None
    w = model.plan.mining_weight_mw
    per_profile = mining_blocks(model, hp, prices=prices)
    rows = mining_blocks(model, hp, prices=prices, per_row=True)
    assert isinstance(rows, MiningRows) and not isinstance(per_profile, MiningRows)
    for key in KEYS:
        p = per_profile[0][key]
        want = p @ w.T if key == "continuation_value" else np.einsum("rp,kpn->krn", w, p)
        assert rows.rows[key].shape == want.shape
        tol = 1e-12 * max(1.0, float(np.abs(want).max()))
        np.testing.assert_allclose(rows.rows[key], want, rtol=1e-12, atol=tol, err_msg=key)
    assert model.scenario.fleet_salvage and (rows.rows["revenue"] != 0).any()
    a = evaluate(model, blocks=per_profile).npv_usd
    b = evaluate(model, blocks=rows).npv_usd
    np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-3)


def test_row_sums_on_the_general_path_with_a_switched_on_program(rockdale) -> None:  # noqa: ANN001
    """A mandatory program (Texas SB 6 curtailment switched on) takes the general mining path
    (not the kernel); its rows are still the profiles summed at the rows' MW."""
    model = build_site_model(rockdale, Scenario(policy_levers=("tx_sb6_curtailment",)))
    assert model.mandatory_programs
    rng = np.random.default_rng(5)
    hp = model.hashprice.hashprice_usd_per_ph_day * rng.uniform(0.7, 1.3, (2, model.n_months))
    per_profile, _ = mining_blocks(model, hp)
    rows = mining_blocks(model, hp, per_row=True)
    w = model.plan.mining_weight_mw
    for key in KEYS:
        p = per_profile[key]
        want = p @ w.T if key == "continuation_value" else np.einsum("rp,kpn->krn", w, p)
        np.testing.assert_allclose(rows.rows[key], want, rtol=1e-12, atol=1e-6, err_msg=key)
