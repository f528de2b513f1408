"""Retrofit cost models: what it costs, and how long it takes, to turn a mining site into an AI
data center (cooling, power and redundancy, networking, shell, schedule, calibration).

    from models import estimate_retrofit, default_target, RetrofitTarget
    est = estimate_retrofit(site)                       # default target for the site
    est = estimate_retrofit(site, RetrofitTarget(100, cooling="immersion", tier="IV",
                                                 electrical_redundancy="2N",
                                                 mechanical_redundancy="2N"))
    est.line_items, est.total_base_usd, est.capex_per_critical_mw_usd, est.halls
"""

from models.cooling import design_pue, water_use_m3_per_year
from models.costs import UNIT_COSTS, LineItem, UnitCost
from models.errors import CalibrationError, ModelsError, RetrofitInputError
from models.estimate import RetrofitEstimate, default_target, estimate_retrofit
from models.schedule import DEFAULT_LEAD_TIMES, HallSchedule, LeadTimes
from models.targets import (
    COOLING_TECHNOLOGIES,
    RACK_DENSITY_RANGE_KW,
    REDUNDANCY_LEVELS,
    TIER_AVAILABILITY,
    TIERS,
    RetrofitTarget,
)

__all__ = [
    "COOLING_TECHNOLOGIES",
    "DEFAULT_LEAD_TIMES",
    "RACK_DENSITY_RANGE_KW",
    "REDUNDANCY_LEVELS",
    "TIERS",
    "TIER_AVAILABILITY",
    "UNIT_COSTS",
    "CalibrationError",
    "HallSchedule",
    "LeadTimes",
    "LineItem",
    "ModelsError",
    "RetrofitEstimate",
    "RetrofitInputError",
    "RetrofitTarget",
    "UnitCost",
    "default_target",
    "design_pue",
    "estimate_retrofit",
    "water_use_m3_per_year",
]
