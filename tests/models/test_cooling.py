"""Design PUE and water use: hand-worked values and the published anchors."""

from __future__ import annotations

import pytest

from models import RetrofitTarget, estimate_retrofit
from models.cooling import design_pue, existing_heat_rejection_mw, water_use_m3_per_year
from models.errors import RetrofitInputError
from sites.schema import Connectivity, Facility
from tests.models.conftest import make_site


def test_pue_hand_worked() -> None:
    # Direct-to-chip, dry coolers at 32 C: 1 + (0.08 + 0.006 x 7) + 0.04 + 0.02 = 1.182,
    # near Applied Digital's 1.18 design for Ellendale ND (2025).
    assert design_pue("direct_to_chip", 32.0, 22.0, "none") == pytest.approx(1.182)
    # Towers see the wet-bulb: air with rear doors at 26 C wet-bulb:
    # 1 + (0.16 + 0.010 x 8) + 0.04 + 0.02 = 1.30.
    assert design_pue("air_rdhx", 35.0, 26.0, "ample") == pytest.approx(1.30)
    # 2N runs UPS at part load: +0.01 of losses.
    assert design_pue("immersion", 20.0, 15.0, "none", "2N") == pytest.approx(
        1.0 + 0.04 + 0.05 + 0.02
    )


def test_pue_ordering_of_technologies_and_published_bands() -> None:
    for water in ("none", "limited", "ample"):
        dtc = design_pue("direct_to_chip", 35.0, 24.0, water)
        air = design_pue("air_rdhx", 35.0, 24.0, water)
        imm = design_pue("immersion", 35.0, 24.0, water)
        assert imm < dtc < air
        assert 1.1 <= dtc <= 1.3  # Bitfarms 1.2-1.3 target; Applied Digital 1.18
        assert air < 1.58  # a new air build beats the Uptime 2023 average of mostly old sites


def test_water_hand_worked() -> None:
    # 10 MW IT towers, PUE 1.3: 10,000 kW x 8,760 h x 0.8 x 1.3 = 91,104,000 kWh of heat;
    # x 0.75 evaporated x 3600/2257 L/kWh x 4/3 make-up = 145,297,298 L = 145,297 m3.
    expected = 91_104_000 * 0.75 * (3600 / 2257) * (4 / 3) / 1000
    assert water_use_m3_per_year(10.0, 1.3, "cooling_towers", 35.0) == pytest.approx(expected)
    # Adiabatic at 36 C sprays 5% + 6 x 1% = 11% of the heat, with 10% bleed.
    expected = 10_000 * 8760 * 0.8 * 1.2 * 0.11 * (3600 / 2257) * 1.1 / 1000
    assert water_use_m3_per_year(10.0, 1.2, "adiabatic_coolers", 36.0) == pytest.approx(expected)
    assert water_use_m3_per_year(10.0, 1.2, "dry_coolers", 45.0) == 0.0
    # WUE of the tower case, L per kWh of IT energy: ~2.07, above the 0.38 US average that mixes
    # in dry and closed-loop sites (LBNL 2024).
    it_kwh = 10_000 * 8760 * 0.8
    assert 1.5 < water_use_m3_per_year(10.0, 1.3, "cooling_towers", 35.0) * 1000 / it_kwh < 2.5


def test_pue_bad_input() -> None:
    with pytest.raises(RetrofitInputError, match="cooling='fans'"):
        design_pue("fans", 30.0, 20.0, "none")
    with pytest.raises(RetrofitInputError, match="water_availability='some'"):
        design_pue("immersion", 30.0, 20.0, "some")
    with pytest.raises(RetrofitInputError, match="electrical_redundancy='4N'"):
        design_pue("immersion", 30.0, 20.0, "none", "4N")


def test_reused_mining_heat_rejection_hand_worked() -> None:
    # Hydro-cooled mining site, 2 halls x 20 gross MW = 40 MW of heat rejected today (all power
    # in a hall ends as heat). Ample water -> cooling towers; wet-bulb 20 C -> climate factor 1.0.
    # PUE: 1 + (0.06 + 0.006 x (20 - 18)) + 0.04 + 0.02 = 1.132. 30 MW IT at N+1 needs
    # 30 x 1.132 x 1.25 = 42.45 MW of installed heat rejection: 40 reused, 2.45 new.
    conn = Connectivity(design_dry_bulb_c=30.0, design_wet_bulb_c=20.0, water_availability="ample")
    hydro = Facility(cooling_type="hydro", hall_count=2, hall_power_mw=20.0)
    site = make_site(facility=hydro, connectivity=conn)
    assert existing_heat_rejection_mw(site) == 40.0
    items = estimate_retrofit(site, RetrofitTarget(30.0)).line_items.set_index("item")
    assert items.loc["heat rejection: cooling towers", "base_usd"] == pytest.approx(2.45 * 180_000)
    reused = "heat rejection: reused mining hydro heat rejection (in place of new cooling towers)"
    # Priced as the new type at the reuse factor: 40 x 1.0 x 0.3 x $180,000 = $2.16M.
    assert items.loc[reused, "base_usd"] == pytest.approx(40 * 0.3 * 180_000)
    assert "40.00 MW of the 40.00 MW of heat the mining halls reject" in items.loc[reused, "basis"]
    # Air-cooled halls have no liquid heat rejection to reuse; new builds reuse nothing.
    air = make_site(facility=Facility(cooling_type="air", hall_count=2, hall_power_mw=20.0))
    assert existing_heat_rejection_mw(air) == 0.0
    for other, target in (
        (air, RetrofitTarget(30.0)),
        (site, RetrofitTarget(30.0, reuse_buildings=False)),
    ):
        names = estimate_retrofit(other, target).line_items["item"]
        assert not names.str.contains("reused mining").any()
