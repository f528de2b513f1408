"""economic_curtailment counts the running points by bisection (power._count_keys_at_most) in
place of one searchsorted over every row's offset keys: the same counts and sums, bit for bit,
against that previous algorithm (kept below as the reference), ties included."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.power import PowerContract, economic_curtailment

CONTRACTS = [
    PowerContract(),  # index + $5: slope 1
    PowerContract(contract_type="index_plus_adder", adder_usd_per_mwh=0.0),
    PowerContract(contract_type="fixed_ppa", price_usd_per_mwh=30.0, resale_fee_usd_per_mwh=2.0),
    PowerContract(contract_type="fixed_ppa", resale_rights=False),  # slope 0
    PowerContract(contract_type="utility_tariff", price_usd_per_mwh=40.0),  # slope 0
]


def reference(r: np.ndarray, pts: np.ndarray, contract: PowerContract) -> dict[str, np.ndarray]:
    """The previous counting: keys of all rows end to end, one searchsorted, cumsum with a 0."""
    k = pts.shape[-1]
    lead = pts.shape[:-1]
    shape = np.broadcast_shapes(lead, r.shape)
    (a_av, b_av), (a_cr, b_cr), (a_base, b_base) = contract._coefficients(True)
    a_v, b_v = a_av + a_cr, b_av + b_cr
    g = int(np.prod(lead, dtype=np.int64))
    flat = pts.reshape(g, k)
    total = flat.sum(axis=1)
    gi = np.broadcast_to(np.arange(g).reshape(lead), shape)
    rb = np.broadcast_to(r, shape)
    if a_v == 0.0:
        n_run = np.where(b_v > rb, 0, k)
    else:
        thr = rb - b_v
        if g == 1:
            n_run = np.searchsorted(flat[0], thr, side="right")
        else:
            lo, hi = float(flat.min()), float(flat.max())
            span = hi - lo + 1.0
            keys = ((flat - lo) + (np.arange(g) * span)[:, None]).ravel()
            q = (np.clip(thr, lo - 0.25, hi + 0.25) - lo) + gi * span
            n_run = np.searchsorted(keys, q.ravel(), side="right").reshape(shape) - gi * k
    cs = np.concatenate([np.zeros((g, 1)), np.cumsum(flat, axis=1)], axis=1)
    sum_run = cs[gi, n_run]
    c = k - n_run
    sum_top = total[gi] - sum_run
    mean_run = np.where(n_run > 0, sum_run / np.maximum(n_run, 1), 0.0)
    return {
        "fraction_curtailed": c / k,
        "avoided_cost_per_mwh_mean": (a_av * sum_top + b_av * c) / k,
        "credit_per_mwh_mean": (a_cr * sum_top + b_cr * c) / k,
        "running_avoided_cost_usd_per_mwh": np.where(n_run > 0, a_av * mean_run + b_av, 0.0),
        "running_credit_usd_per_mwh": np.where(n_run > 0, a_cr * mean_run + b_cr, 0.0),
        "base_rate_usd_per_mwh": a_base * total[gi] / k + b_base,
    }


@st.composite
def curves(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, PowerContract]:
    """Sorted curves ``(*lead, k)`` and mining values ``(6, *lead)``: two drawn, one and two
    exactly at a point of their own curve (with and without the contract's constant), one far
    above and one far below every curve."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    k = draw(st.integers(1, 70))
    lead = draw(st.sampled_from([(), (1,), (7,), (3, 5), (4, 1, 6)]))
    contract = draw(st.sampled_from(CONTRACTS))
    if draw(st.booleans()):  # whole dollars: many ties between points and with thresholds
        pts = rng.integers(-20, 60, (*lead, k)).astype(float)
        drawn = rng.integers(-30, 90, (2, *lead)).astype(float)
    else:
        pts = rng.gamma(2.0, 20.0, (*lead, k)) - 10.0 * draw(st.floats(0, 3))
        drawn = rng.uniform(-50, 200, (2, *lead))
    pts = np.sort(pts, axis=-1)
    pick = np.take_along_axis(pts, rng.integers(0, k, (*lead, 1)), -1)[..., 0]
    constant = contract._coefficients(True)[0][1] + contract._coefficients(True)[1][1]
    r = np.stack([*drawn, pick + constant, pick, np.full(lead, 1e6), np.full(lead, -1e6)])
    return r, pts, contract


@settings(max_examples=300, deadline=None)
@given(curves())
def test_counts_equal_the_offset_searchsorted(case: tuple) -> None:
    r, pts, contract = case
    got = economic_curtailment(r, pts, contract)
    want = reference(r, pts, contract)
    for name, value in want.items():
        assert np.array_equal(getattr(got, name), value), name


def test_a_hand_count_with_ties() -> None:
    """Points 10, 20, 20, 30 (two rows, the second shifted by 100): a point runs while its price
    plus the $5 adder is at most the mining value, ties running."""
    pts = np.array([[10.0, 20.0, 20.0, 30.0], [110.0, 120.0, 120.0, 130.0]])
    r = np.array([[4.0, 15.0, 25.0, 35.0, 99.0], [114.0, 125.0, 126.0, 135.0, 1.0]])
    got = economic_curtailment(r.T, pts, PowerContract())  # (5, 2): each row its own curve
    running = 4 - 4 * got.fraction_curtailed
    np.testing.assert_array_equal(running.T, [[0, 1, 3, 4, 4], [0, 3, 3, 4, 0]])
    np.testing.assert_allclose(got.running_avoided_cost_usd_per_mwh.T[0], [0, 15, 65 / 3, 25, 25])
