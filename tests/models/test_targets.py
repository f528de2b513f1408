"""Bad input: clear errors that name the field, the value and what is allowed."""

from __future__ import annotations

import dataclasses

import pytest

from models import (
    ModelsError,
    RetrofitInputError,
    RetrofitTarget,
    default_target,
    estimate_retrofit,
)
from models.schedule import LeadTimes
from sites.schema import DESIGN_TEMPERATURE_RANGE_C, Connectivity, PowerRights
from sites.validation import validate_site
from tests.models.conftest import make_site


def test_air_above_40_kw_per_rack_is_refused() -> None:
    with pytest.raises(
        RetrofitInputError, match=r"rack_density_kw=45.*'air_rdhx' supports 5 to 40"
    ):
        RetrofitTarget(10.0, rack_density_kw=45.0, cooling="air_rdhx")
    assert RetrofitTarget(10.0, rack_density_kw=40.0, cooling="air_rdhx").rack_count == 250.0


def test_liquid_density_ceiling() -> None:
    with pytest.raises(RetrofitInputError, match="direct_to_chip"):
        RetrofitTarget(10.0, rack_density_kw=300.0)


@pytest.mark.parametrize(
    ("tier", "electrical", "mechanical", "field"),
    [
        ("IV", "N+1", "2N", "electrical_redundancy"),
        ("IV", "2N", "N+1", "mechanical_redundancy"),
        ("III", "N", "N+1", "electrical_redundancy"),
        ("II", "N+1", "N", "mechanical_redundancy"),
    ],
)
def test_tier_with_too_little_redundancy(
    tier: str, electrical: str, mechanical: str, field: str
) -> None:
    with pytest.raises(RetrofitInputError, match=rf"{field}=.*tier {tier} needs at least"):
        RetrofitTarget(
            10.0, tier=tier, electrical_redundancy=electrical, mechanical_redundancy=mechanical
        )


def test_generators_required_above_tier_one() -> None:
    with pytest.raises(RetrofitInputError, match="backup_generation=False: tier III"):
        RetrofitTarget(10.0, backup_generation=False)
    RetrofitTarget(10.0, tier="I", electrical_redundancy="N", mechanical_redundancy="N",
                   backup_generation=False)  # fmt: skip


@pytest.mark.parametrize("mw", [-5.0, 0.0, float("nan"), float("inf")])
def test_non_positive_or_non_finite_mw(mw: float) -> None:
    with pytest.raises(RetrofitInputError, match="critical_it_mw=.*greater than 0"):
        RetrofitTarget(mw)


@pytest.mark.parametrize(
    ("field", "value"),
    [("cooling", "evaporative"), ("electrical_redundancy", "3N"), ("tier", "V")],
)
def test_unknown_choices(field: str, value: str) -> None:
    with pytest.raises(RetrofitInputError, match=f"{field}='{value}': must be one of"):
        RetrofitTarget(10.0, **{field: value})


def test_errors_belong_to_one_family_and_are_value_errors() -> None:
    assert issubclass(RetrofitInputError, ModelsError)
    assert issubclass(RetrofitInputError, ValueError)


def test_site_fields_are_checked() -> None:
    neg = make_site(power=PowerRights(contracted_mw=-10.0))
    with pytest.raises(RetrofitInputError, match=r"power.contracted_mw=-10.0"):
        estimate_retrofit(neg, RetrofitTarget(10.0))
    wet = make_site(connectivity=Connectivity(design_dry_bulb_c=20.0, design_wet_bulb_c=25.0))
    with pytest.raises(RetrofitInputError, match="design_wet_bulb_c=25.0: must not exceed"):
        estimate_retrofit(wet, RetrofitTarget(10.0))
    water = make_site(connectivity=Connectivity(water_availability="lots"))
    with pytest.raises(RetrofitInputError, match="water_availability='lots'"):
        estimate_retrofit(water, RetrofitTarget(10.0))
    fiber = make_site(connectivity=Connectivity(fiber_distance_km=-1.0))
    with pytest.raises(RetrofitInputError, match="fiber_distance_km=-1.0"):
        estimate_retrofit(fiber, RetrofitTarget(10.0))


def test_default_target_needs_firm_power() -> None:
    site = make_site(power=PowerRights(contracted_mw=50.0, interruptible_share=1.0))
    with pytest.raises(RetrofitInputError, match="firm_mw=0.0"):
        default_target(site)


def test_bad_target_type_and_scenario(hand_site) -> None:
    with pytest.raises(RetrofitInputError, match="target="):
        estimate_retrofit(hand_site, {"critical_it_mw": 10})  # type: ignore[arg-type]
    est = estimate_retrofit(hand_site, RetrofitTarget(10.0))
    with pytest.raises(RetrofitInputError, match="scenario='mid'"):
        est.capex_by_class_usd("mid")
    with pytest.raises(RetrofitInputError, match="n_months=0"):
        est.capex_by_month_usd(0)


def test_lead_times_must_be_non_negative() -> None:
    with pytest.raises(RetrofitInputError, match="LeadTimes.mv_switchgear_weeks=-1"):
        LeadTimes(mv_switchgear_weeks=-1)


def test_target_is_frozen() -> None:
    target = RetrofitTarget(10.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        target.critical_it_mw = 20.0  # type: ignore[misc]
    assert target.availability == pytest.approx(0.99982)


@pytest.mark.parametrize(("dry", "wet"), [(60.0, 35.0), (-60.0, -60.0), (57.0, 30.0)])
def test_any_design_temperature_the_inventory_accepts_can_be_valued(dry: float, wet: float) -> None:
    assert DESIGN_TEMPERATURE_RANGE_C == (-60.0, 60.0)
    conn = Connectivity(design_dry_bulb_c=dry, design_wet_bulb_c=wet, water_availability="none")
    site = make_site(connectivity=conn)
    assert [p for p in validate_site(site) if "bulb" in p.column] == []
    est = estimate_retrofit(site, RetrofitTarget(10.0))
    # Dry coolers at 60 C: climate factor 1 + 0.04 x (60 - 30) = 2.2 on 10 x PUE x 1.25 MW heat.
    if dry == 60.0:
        heat = est.line_items.set_index("item").loc["heat rejection: dry coolers", "base_usd"]
        assert heat == pytest.approx(10.0 * est.design_pue * 1.25 * 2.2 * 300_000)


@pytest.mark.parametrize("field", ["design_dry_bulb_c", "design_wet_bulb_c"])
def test_design_temperature_outside_the_shared_range_is_refused(field: str) -> None:
    values = {"design_dry_bulb_c": 60.5, "design_wet_bulb_c": 20.0}
    if field == "design_wet_bulb_c":
        values = {"design_dry_bulb_c": 20.0, "design_wet_bulb_c": -60.5}
    site = make_site(connectivity=Connectivity(**values))
    assert [p.column for p in validate_site(site) if "bulb" in p.column] == [field]
    with pytest.raises(RetrofitInputError, match=f"connectivity.{field}=.*in -60..60 deg C"):
        estimate_retrofit(site, RetrofitTarget(10.0))
