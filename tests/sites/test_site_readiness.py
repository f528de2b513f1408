"""Readiness score and breakdown (hand-worked example), weights, archetypes."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from site_strategies import TODAY, valid_sites

from sites import Site, load_example_portfolio
from sites.readiness import (
    FACTORS,
    ReadinessError,
    ReadinessWeights,
    archetypes,
    readiness,
    readiness_table,
)
from sites.schema import Connectivity, Land, PowerRights, Substation

HAND = Site(
    id="hand",
    name="Hand-worked",
    land=Land(acres_owned=50.0),
    power=PowerRights(
        energized_mw=100.0,
        contracted_mw=150.0,
        interruptible_share=0.0,
        queue_mw=50.0,
        queue_energization_date=date(2028, 11, 29),  # 24 months after TODAY
    ),
    substation=Substation(capacity_mva=200.0),
    connectivity=Connectivity(
        fiber_distance_km=10.0,
        carrier_count=2,
        metro_distance_km=200.0,
        design_dry_bulb_c=35.0,
        design_wet_bulb_c=24.0,
        water_availability="limited",
    ),
)


def test_hand_worked_breakdown() -> None:
    r = readiness(HAND, today=TODAY)
    s = dict(zip(r.breakdown["factor"], r.breakdown["factor_score"], strict=True))
    # firm 150 MW / 300 = 0.5
    assert s["firm_power"] == pytest.approx(0.5)
    # months = (50 MW pending x 24 + 50 MW queued x 24) / 200 MW = 12 -> 1 - 12/48 = 0.75
    assert s["time_to_power"] == pytest.approx(0.75)
    # headroom = 200 x 0.95 - 150 = 40 MW -> 40/100 = 0.4
    assert s["substation_headroom"] == pytest.approx(0.4)
    # fiber: 0.5 x (1 - 10/50) + 0.5 x (2/3) = 0.4 + 0.3333 = 0.7333
    assert s["fiber"] == pytest.approx(0.4 + 1 / 3)
    # RTT = 2 x 200 x 1.5 / 200 = 3 ms -> 1 - 3/10 = 0.7
    assert s["latency"] == pytest.approx(0.7)
    # climate (45 - 35) / 20 = 0.5
    assert s["climate"] == pytest.approx(0.5)
    assert s["water"] == pytest.approx(0.5)
    # needed = 150 x 5000 / 43560 / 0.35 = 49.19 acres; 50 / 49.19 = 1.016 -> clipped 1
    assert s["land"] == pytest.approx(1.0)
    # score = (25x0.5 + 20x0.75 + 10x0.4 + 10x0.7333 + 10x0.7 + 10x0.5 + 5x0.5 + 10x1) / 100 x 100
    expected = 12.5 + 15 + 4 + 7.3333333 + 7 + 5 + 2.5 + 10
    assert r.score == pytest.approx(expected, abs=1e-6)
    assert r.breakdown["points"].sum() == pytest.approx(r.score)
    assert list(r.breakdown["factor"]) == list(FACTORS)


def test_weights_are_inputs() -> None:
    only_power = ReadinessWeights(**{f: 0.0 for f in FACTORS} | {"firm_power": 1.0})
    assert readiness(HAND, only_power, today=TODAY).score == pytest.approx(50.0)
    with pytest.raises(ReadinessError, match="weight climate"):
        readiness(HAND, ReadinessWeights(climate=-1.0), today=TODAY)
    with pytest.raises(ReadinessError, match="at least one"):
        readiness(HAND, ReadinessWeights(**{f: 0.0 for f in FACTORS}), today=TODAY)


def test_table_matches_single_site_scores() -> None:
    sites = load_example_portfolio()
    table = readiness_table(sites, today=TODAY)
    singles = [readiness(s, today=TODAY).score for s in sites]
    np.testing.assert_allclose(table["readiness_score"], singles)
    assert list(table["site_id"]) == [s.id for s in sites]


@settings(max_examples=20, deadline=None)
@given(valid_sites())
def test_score_is_between_0_and_100_and_sums_its_points(site: Site) -> None:
    r = readiness(site, today=TODAY)
    assert 0.0 <= r.score <= 100.0
    assert r.breakdown["points"].sum() == pytest.approx(r.score)
    assert ((r.breakdown["factor_score"] >= 0) & (r.breakdown["factor_score"] <= 1)).all()


def test_archetypes_are_deterministic_and_ordered_by_firm_power() -> None:
    sites = load_example_portfolio()
    a = archetypes(sites, 4, today=TODAY)
    b = archetypes(sites, 4, today=TODAY)
    assert a.equals(b)
    assert set(a["archetype"]) == {0, 1, 2, 3}
    means = a.groupby("archetype")["firm_mw"].mean().to_numpy()
    assert np.all(np.diff(means) <= 0)
    assert a.groupby("archetype")["label"].nunique().eq(1).all()
    assert a["label"].nunique() == 4
    with pytest.raises(ReadinessError, match="n_archetypes"):
        archetypes(sites[:2], 3, today=TODAY)
