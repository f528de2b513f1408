"""Tests of the finance engine's metrics: npv, irr, mirr, rates, payback, funding, MOIC.

Reference: numpy-financial 1.0.0 (pinned), 1-D only, so tests loop over rows for it.
"""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from valuation import finance as f

SETTINGS = settings(max_examples=60, deadline=None)

flow_values = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


def conventional_rows(rng: np.random.Generator, rows: int, n: int) -> np.ndarray:
    """Capex up front, then noisy positive flows: one sign change per row."""
    cf = np.abs(rng.normal(1.0, 0.6, (rows, n))) + 0.01
    cf[:, 0] = -rng.uniform(20, 150, rows)
    return cf


@st.composite
def conventional_flow(draw: st.DrawFn) -> np.ndarray:
    n = draw(st.integers(2, 60))
    outlay = draw(st.floats(1.0, 1e4))
    # Zero or at least a cent: numpy-financial's companion-matrix roots go wrong on flows like
    # [-1, 1, 1e-24, 1, 1e-24] (it reports a spurious 9e47 rate), so the reference is kept sane.
    inflow = st.one_of(st.just(0.0), st.floats(1e-2, 1e4))
    rest = draw(hnp.arrays(float, n - 1, elements=inflow))
    # A first inflow of at least 1 keeps NPV differences well above rounding error.
    rest[0] = max(rest[0], 1.0)
    return np.concatenate([[-outlay], rest])


# --- npv -----------------------------------------------------------------------------------


def test_npv_hand_worked() -> None:
    # -100 + 60/1.1 + 60/1.21 = -100 + 54.545454... + 49.586776... = 4.132231...
    assert f.npv(0.1, [-100, 60, 60]) == pytest.approx(-100 + 60 / 1.1 + 60 / 1.21, rel=1e-12)
    assert f.npv(0.1, [-100, 60, 60]) == pytest.approx(4.1322314, rel=1e-7)


@SETTINGS
@given(
    rate=st.floats(-0.9, 2.0),
    cf=hnp.arrays(float, st.integers(1, 80), elements=flow_values),
)
def test_npv_matches_numpy_financial(rate: float, cf: np.ndarray) -> None:
    expected = npf.npv(rate, cf)
    scale = np.abs(cf / (1 + rate) ** np.arange(cf.size)).sum()
    assert abs(f.npv(rate, cf) - expected) <= 1e-9 * max(scale, 1e-300)


def test_npv_broadcasts_rates_over_rows() -> None:
    rng = np.random.default_rng(1)
    cf = rng.normal(0, 10, (4, 3, 12))
    rates = np.array([0.0, 0.01, 0.05])
    got = f.npv(rates, cf)
    assert got.shape == (4, 3)
    for i in range(4):
        for j in range(3):
            assert got[i, j] == pytest.approx(npf.npv(rates[j], cf[i, j]), rel=1e-12)
    scalar_rate = f.npv(0.02, cf)
    assert scalar_rate.shape == (4, 3)
    assert scalar_rate[2, 1] == pytest.approx(npf.npv(0.02, cf[2, 1]), rel=1e-12)


@SETTINGS
@given(cf=conventional_flow(), r1=st.floats(-0.5, 1.0), dr=st.floats(1e-3, 1.0))
def test_npv_strictly_falls_as_rate_rises_for_conventional(
    cf: np.ndarray, r1: float, dr: float
) -> None:
    assert f.npv(r1 + dr, cf) < f.npv(r1, cf)


# --- irr -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cf", "expected"),
    [
        ([-100, 110], 0.10),  # -100 + 110/(1+r) = 0 -> r = 10%
        ([-100, 0, 121], 0.10),  # (1+r)^2 = 1.21
        ([-100, 39, 59, 55, 20], 0.28095),  # numpy-financial doctest
        ([-100, 0, 0, 74], -0.0955),  # numpy-financial doctest
        ([-100, 100, 0, 7], 0.06206),  # numpy-financial doctest
    ],
)
def test_irr_known_values(cf: list[float], expected: float) -> None:
    assert f.irr(cf) == pytest.approx(expected, abs=5e-5)


def test_irr_several_roots_picks_root_closest_to_zero() -> None:
    # -100 + 230 x - 132 x^2 = 0 with x = 1/(1+r): x = 230/264 +- sqrt(...) -> r = 10% and 20%.
    # Check: -100 + 230/1.1 - 132/1.21 = -100 + 209.0909 - 109.0909 = 0.
    cf = [-100, 230, -132]
    assert f.npv(0.2, cf) == pytest.approx(0.0, abs=1e-10)
    details = f.irr_details(cf)
    assert details.kind == "several"
    assert details.n_roots == 2 and details.sign_changes == 2
    assert float(details.rate_per_period) == pytest.approx(0.10, abs=1e-12)
    assert f.irr(cf) == pytest.approx(npf.irr(cf), abs=1e-12)


def test_irr_several_roots_negative_side_closer() -> None:
    # (1 - 1.05 x)(1 - 0.7 x) expanded: roots r = 5% and r = -30%; 5% is closer to zero.
    # (1 - 0.99 x)(1 - 0.7 x): roots r = -1% and -30%: -1% is chosen.
    cf = np.array([[1.0, -1.75, 0.735], [1.0, -1.69, 0.693]])
    got = f.irr_details(cf)
    np.testing.assert_allclose(got.rate_per_period, [0.05, -0.01], atol=1e-12)
    assert list(got.kind) == ["several", "several"]


@pytest.mark.parametrize("cf", [[1, 2, 3], [-1, -2, 0], [0, 0, 0], [5.0]])
def test_irr_none_where_no_root(cf: list[float]) -> None:
    details = f.irr_details(cf)
    assert np.isnan(details.rate_per_period)
    assert details.kind == "none"


def test_irr_none_with_sign_changes_but_no_real_root() -> None:
    # 1 - x + x^2 has no real root (discriminant 1 - 4 < 0) although the flows change sign twice.
    details = f.irr_details([1.0, -1.0, 1.0])
    assert details.sign_changes == 2 and details.n_roots == 0
    assert details.kind == "none" and np.isnan(details.rate_per_period)
    assert np.isnan(npf.irr([1.0, -1.0, 1.0]))


def test_irr_leading_and_trailing_zeros() -> None:
    cf = [0, -100, 0, 121, 0]  # (1+r)^2 = 1.21 after the leading zero
    assert f.irr(cf) == pytest.approx(0.10, abs=1e-12)


@pytest.mark.parametrize("pad", [0, 120, 400])
def test_irr_long_zero_padding_keeps_root_and_kind(pad: int) -> None:
    # A loan-like stream (+100, -60, -60) has r = 13.0662%: 100 = 60/(1+r) + 60/(1+r)^2.
    # Padding with many zeros must not create false roots from underflow.
    core = np.array([100.0, -60.0, -60.0])
    for cf, kind in (
        (np.r_[core, np.zeros(pad)], "financing"),  # money in first: a loan's cost, not a return
        (np.r_[np.zeros(pad), core], "financing"),
        (-np.r_[core, np.zeros(pad)], "conventional"),  # the lender's side: an investment
    ):
        d = f.irr_details(cf)
        assert d.kind == kind and d.n_roots == 1
        assert float(d.rate_per_period) == pytest.approx(npf.irr(core), abs=1e-12)
    several = np.r_[np.zeros(pad), -100.0, 230.0, -132.0, np.zeros(pad)]
    assert f.irr_details(several).n_roots == 2


def test_irr_of_money_in_first_is_flagged_financing() -> None:
    # Mining with no outlay, then a closure cost: +30 in months 0-2, -100 in month 3. One sign
    # change, so one root of 30 + 30/(1+r) + 30/(1+r)^2 - 100/(1+r)^3 = 0 (r = 5.36%/month): the
    # cost of "borrowing" 90 now against 100 later, where a higher rate is a worse deal.
    cf = np.array([30.0, 30.0, 30.0, -100.0])
    d = f.irr_details(cf)
    assert d.kind == "financing" and d.n_roots == 1 and d.sign_changes == 1
    assert f.npv(float(d.rate_per_period), cf) == pytest.approx(0.0, abs=1e-9)
    assert float(d.rate_per_period) == pytest.approx(0.0536136, abs=1e-7)
    assert float(d.rate_per_period) == pytest.approx(npf.irr(cf), abs=1e-12)


def test_irr_agrees_with_numpy_financial_on_monthly_paths() -> None:
    rng = np.random.default_rng(7)
    # numpy-financial needs ~20-200 ms per 181-month row (an eigenvalue solve): keep this small.
    cf = conventional_rows(rng, 24, 181)
    got = f.irr_details(cf)
    ref = np.array([npf.irr(row) for row in cf])
    assert (got.kind == "conventional").all()
    np.testing.assert_allclose(got.rate_per_period, ref, rtol=0, atol=1e-9)


def test_irr_agrees_with_numpy_financial_on_mining_like_paths() -> None:
    # Curtailed months make some flows negative after the outlay: several sign changes, yet
    # usually one root ("conventional" in the sense of a unique IRR). Both pick the same root.
    rng = np.random.default_rng(11)
    cf = rng.normal(2.0, 1.5, (120, 60))
    cf[:, 0] = -60
    got = f.irr_details(cf)
    ref = np.array([npf.irr(row) for row in cf])
    unique = got.kind == "conventional"
    assert (got.sign_changes[unique] > 1).sum() > 20
    np.testing.assert_allclose(got.rate_per_period[unique], ref[unique], atol=1e-7)


def test_irr_decommissioning_cost_gives_several_roots() -> None:
    # A final decommissioning outflow adds a second root near -8%/month; the root closest to
    # zero (numpy-financial 1.0.0's rule) is reported and flagged "several".
    rng = np.random.default_rng(11)
    cf = rng.normal(2.0, 3.0, (120, 60))
    cf[:, 0] = -60
    cf[:, -1] = -20
    got = f.irr_details(cf)
    ref = np.array([npf.irr(row) for row in cf])
    several = got.kind == "several"
    assert several.sum() > 100
    np.testing.assert_allclose(got.rate_per_period[several], ref[several], atol=1e-7)
    assert np.isnan(ref[got.kind == "none"]).all()


@SETTINGS
@given(cf=conventional_flow())
def test_irr_matches_numpy_financial_conventional(cf: np.ndarray) -> None:
    ref = npf.irr(cf)
    got = f.irr_details(cf)
    assert got.kind == "conventional"
    if np.isfinite(ref):
        assert abs(float(got.rate_per_period) - ref) <= 1e-6


@SETTINGS
@given(cf=hnp.arrays(float, st.integers(2, 40), elements=st.floats(-1e4, 1e4)))
def test_npv_at_irr_is_zero(cf: np.ndarray) -> None:
    r = f.irr(cf)
    # Roots within 1e-3 of -100% cannot be represented well enough in float to test this way.
    if np.isfinite(r) and -0.999 < r < 5:
        scale = np.abs(cf / (1 + r) ** np.arange(cf.size)).max()
        assert abs(f.npv(r, cf)) <= 1e-6 * scale


@SETTINGS
@given(cf=conventional_flow(), k=st.floats(1e-3, 1e6))
def test_irr_invariant_to_scaling(cf: np.ndarray, k: float) -> None:
    a, b = f.irr(cf), f.irr(k * cf)
    assert a == pytest.approx(b, abs=1e-9)


def test_irr_keeps_leading_shape() -> None:
    rng = np.random.default_rng(3)
    cf = conventional_rows(rng, 6, 24).reshape(2, 3, 24)
    got = f.irr(cf)
    assert got.shape == (2, 3)
    assert got[1, 2] == pytest.approx(npf.irr(cf[1, 2]), abs=1e-10)
    assert f.irr_details(cf).kind.shape == (2, 3)


# --- mirr, rates ---------------------------------------------------------------------------


@SETTINGS
@given(
    cf=hnp.arrays(float, st.integers(2, 40), elements=st.floats(-1e4, 1e4)),
    fr=st.floats(0.0, 0.2),
    rr=st.floats(0.0, 0.2),
)
def test_mirr_matches_numpy_financial(cf: np.ndarray, fr: float, rr: float) -> None:
    with np.errstate(over="ignore"):  # the reference overflows to inf on extreme draws, as we do
        ref = npf.mirr(cf, fr, rr)
    got = f.mirr(cf, fr, rr)
    if np.isnan(ref):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(ref, rel=1e-9, abs=1e-12)


def test_mirr_hand_worked_and_rows() -> None:
    # [-100, 0, 121] at 10%/10%: (121 / 100) ** (1/2) * 1.1 / 1.1 ... = 1.1 * 1.1^0 ... :
    # numer = |npv(0.1, [0,0,121])| = 100; denom = 100; (1)^(1/2) * 1.1 - 1 = 10%.
    assert f.mirr([-100, 0, 121], 0.1, 0.1) == pytest.approx(0.10, abs=1e-12)
    cf = np.array([[-100, 0, 121], [10, 20, 30]])
    got = f.mirr(cf, 0.1, 0.1)
    assert got[0] == pytest.approx(0.10) and np.isnan(got[1])


def test_monthly_and_annual_rates() -> None:
    # (1.01)^12 - 1 = 0.12682503...
    assert f.annual_rate(0.01) == pytest.approx(1.01**12 - 1, rel=1e-12)
    assert f.monthly_rate(1.01**12 - 1) == pytest.approx(0.01, rel=1e-12)
    rates = np.array([-0.5, 0.0, 0.08, 3.0])
    np.testing.assert_allclose(f.annual_rate(f.monthly_rate(rates)), rates, rtol=1e-12)
    assert np.isnan(f.annual_rate(np.nan))


# --- payback, funding, moic ----------------------------------------------------------------


def test_payback_hand_worked() -> None:
    # cumulative: -100, -70, -30, +20; recovers during month 3: 2 + 30/50 = 2.6
    assert f.payback_month([-100, 30, 40, 50]) == pytest.approx(2.6)
    assert np.isnan(f.payback_month([-100, 30, 40]))  # cumulative ends at -30
    assert f.payback_month([10, 20]) == 0.0  # never needs funding
    rows = f.payback_month(np.array([[-100, 30, 40, 50], [-100, 100, 0, 0]]))
    np.testing.assert_allclose(rows, [2.6, 1.0])


def test_discounted_payback_hand_worked() -> None:
    # At 10%: -100, 54.5455, 49.5868 -> cumulative -100, -45.4545, +4.1322
    # payback = 1 + 45.4545 / 49.5868 = 1.91667
    expected = 1 + (100 - 60 / 1.1) / (60 / 1.21)
    assert f.discounted_payback_month(0.1, [-100, 60, 60]) == pytest.approx(expected)
    assert np.isnan(f.discounted_payback_month(0.5, [-100, 60, 60]))


def test_peak_funding_and_moic() -> None:
    # cumulative -50, -80, -60, +40 -> peak funding 80
    assert f.peak_funding_usd([-50, -30, 20, 100]) == 80.0
    assert f.peak_funding_usd([5, 5]) == 0.0
    # inflows 50 + 80 = 130; outflows 100 + 20 = 120
    assert f.moic([-100, 50, 80, -20]) == pytest.approx(130 / 120)
    assert np.isnan(f.moic([1, 2]))
    np.testing.assert_allclose(f.peak_funding_usd(np.array([[-1, 2], [-3, -4]])), [1, 7])


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (
            lambda: f.npv(0.1, [1.0, np.nan]),
            "cashflows has the non-finite value nan at position (1,)",
        ),
        (lambda: f.irr([[1.0, 2.0], [np.inf, 1.0]]), "position (1, 0)"),
        (lambda: f.npv(-1.0, [1.0, 2.0]), "rate has the value -1.0"),
        (lambda: f.npv([0.1, -2.0], [[1.0], [2.0]]), "at position (1,)"),
        (lambda: f.irr([]), "cashflows is empty"),
        (lambda: f.npv(0.1, np.zeros((3, 0))), "cashflows is empty"),
        (lambda: f.irr(5.0), "scalar"),
        (lambda: f.monthly_rate(-1.5), "rate_per_year has the value -1.5"),
        (lambda: f.mirr([1, -1], -1.0, 0.1), "finance_rate"),
        (lambda: f.irr(["a", "b"]), "cashflows must be numeric"),
    ],
)
def test_bad_input_raises_clear_error(call, needle: str) -> None:
    with pytest.raises(f.FinanceInputError) as info:
        call()
    assert needle in str(info.value)
    assert isinstance(info.value, ValueError)


def test_operating_flows_leave_out_the_exit_and_its_tax_by_hand() -> None:
    # Last month: 10 of operations, a 100 sale, 20 of tax on it -> fcf 90; operations alone 10.
    fcf = [-50.0, 20.0, 90.0]
    tv = [0.0, 0.0, 100.0]
    tax = [0.0, 0.0, 20.0]
    np.testing.assert_allclose(f.operating_flows_usd(fcf, tv, tax), [-50.0, 20.0, 10.0])
    assert np.isnan(f.payback_month(f.operating_flows_usd(fcf, tv, tax)))  # -20 at the end
    assert f.payback_month(fcf) == pytest.approx(1 + 30 / 90)  # with the exit it "pays back"
