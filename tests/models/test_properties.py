"""Monotonic properties of the retrofit estimate (hypothesis)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from models import RetrofitTarget, estimate_retrofit
from models.cooling import design_pue
from sites.schema import Connectivity, Facility, PowerRights, Site, Substation

SETTINGS = settings(max_examples=60, deadline=None)

coolings = st.sampled_from(["direct_to_chip", "air_rdhx", "immersion"])
waters = st.sampled_from(["none", "limited", "ample"])


@st.composite
def sites(draw: st.DrawFn) -> Site:
    dry = draw(st.floats(-10.0, 48.0))
    wet = draw(st.floats(-15.0, dry))
    return Site(
        id="h",
        name="h",
        power=PowerRights(contracted_mw=draw(st.floats(1.0, 1000.0))),
        substation=Substation(
            on_site=draw(st.booleans()),
            distance_km=draw(st.floats(0.0, 30.0)),
            capacity_mva=draw(st.floats(0.0, 1500.0)),
            high_side_voltage_kv=draw(st.sampled_from([34.5, 69.0, 138.0, 345.0])),
        ),
        facility=Facility(
            cooling_type=draw(st.sampled_from(["air", "hydro", "immersion"])),
            hall_count=draw(st.integers(0, 12)),
            hall_power_mw=draw(st.floats(0.0, 100.0)),
            building_area_m2=draw(st.floats(0.0, 200_000.0)),
        ),
        connectivity=Connectivity(
            fiber_distance_km=draw(st.floats(0.0, 200.0)),
            design_dry_bulb_c=dry,
            design_wet_bulb_c=wet,
            water_availability=draw(waters),
        ),
    )


@st.composite
def targets(draw: st.DrawFn, tier: str | None = None) -> RetrofitTarget:
    cooling = draw(coolings)
    density = 30.0 if cooling == "air_rdhx" else draw(st.floats(40.0, 200.0))
    tier = tier or draw(st.sampled_from(["I", "II", "III", "IV"]))
    red = {"I": ["N", "N+1", "2N"], "II": ["N+1", "2N"], "III": ["N+1", "2N"], "IV": ["2N"]}[tier]
    return RetrofitTarget(
        draw(st.floats(1.0, 500.0)),
        rack_density_kw=density,
        cooling=cooling,
        electrical_redundancy=draw(st.sampled_from(red)),
        mechanical_redundancy=draw(st.sampled_from(red)),
        tier=tier,
        reuse_buildings=draw(st.booleans()),
        backup_generation=True if tier != "I" else draw(st.booleans()),
    )


def totals(site: Site, target: RetrofitTarget) -> tuple[float, float, float]:
    est = estimate_retrofit(site, target)
    return est.total_low_usd, est.total_base_usd, est.total_high_usd


def never_less(after: tuple[float, ...], before: tuple[float, ...]) -> bool:
    return all(a >= b * (1 - 1e-12) for a, b in zip(after, before, strict=True))


@SETTINGS
@given(sites(), targets(), st.floats(1.0, 3.0))
def test_more_mw_never_costs_less(site: Site, target: RetrofitTarget, scale: float) -> None:
    bigger = replace(target, critical_it_mw=target.critical_it_mw * scale)
    assert never_less(totals(site, bigger), totals(site, target))


@SETTINGS
@given(sites(), targets(tier="III"), st.sampled_from(["electrical", "mechanical"]))
def test_2n_never_costs_less_than_n_plus_1(site: Site, target: RetrofitTarget, part: str) -> None:
    field = f"{part}_redundancy"
    n1 = replace(target, **{field: "N+1"})
    two_n = replace(target, **{field: "2N"})
    assert never_less(totals(site, two_n), totals(site, n1))


@SETTINGS
@given(sites(), targets(), st.floats(0.0, 100.0))
def test_farther_fiber_never_costs_less(
    site: Site, target: RetrofitTarget, extra_km: float
) -> None:
    conn = site.connectivity
    farther = replace(
        site, connectivity=replace(conn, fiber_distance_km=conn.fiber_distance_km + extra_km)
    )
    assert never_less(totals(farther, target), totals(site, target))


@SETTINGS
@given(
    coolings,
    waters,
    st.sampled_from(["N", "N+1", "2N"]),
    st.floats(-10.0, 45.0),
    st.floats(0.0, 10.0),
    st.floats(-15.0, 0.0),
    st.floats(0.0, 10.0),
)
def test_hotter_climate_never_lowers_design_pue(
    cooling: str, water: str, red: str, dry: float, d_dry: float, wet_gap: float, d_wet: float
) -> None:
    wet = dry + wet_gap  # wet-bulb never above dry-bulb
    hot_dry, hot_wet = dry + d_dry, min(wet + d_wet, dry + d_dry)
    cool_pue = design_pue(cooling, dry, wet, water, red)
    hot_pue = design_pue(cooling, hot_dry, max(hot_wet, wet), water, red)
    assert hot_pue >= cool_pue


@SETTINGS
@given(sites(), targets())
def test_capex_classes_sum_to_total_and_halls_cover_the_mw(
    site: Site, target: RetrofitTarget
) -> None:
    est = estimate_retrofit(site, target)
    for scenario in ("low", "base", "high"):
        by_class = est.capex_by_class_usd(scenario)
        assert set(by_class) == {5, 15, 39}
        assert abs(sum(by_class.values()) - getattr(est, f"total_{scenario}_usd")) <= 1e-6 * (
            est.total_high_usd
        )
    assert abs(sum(h.critical_it_mw for h in est.halls) - est.critical_it_mw) < 1e-9 * (
        est.critical_it_mw
    )
    assert all(h.ready_for_service_month > h.construction_start_month for h in est.halls)
    assert est.total_low_usd <= est.total_base_usd <= est.total_high_usd
