"""Grid regions: each site on its own market's prices, programs and policy levers.

``region_for(name)`` maps any accepted grid-region name (``sites.schema``: canonical names and
case-insensitive aliases) to one object per market (ERCOT, PJM, MISO, SPP, NYISO, CAISO, ISO-NE,
and the Southeast and West utility-tariff regions). Each gives ``price_curve(points)`` (a
``valuation.power.PriceDurationCurve`` of 12 calendar months x points), ``hourly_prices()`` (the
seeded generator calibrated to bundled published statistics), ``program_terms()`` (programs in
native units with obligations, penalties and sources), ``programs()`` (the default set as
``DemandResponseProgram``) and ``levers()`` (policy levers, all off).
"""

from valuation.regions.base import PRICE_STATS_FILE, Region, RegionError, price_statistics
from valuation.regions.history import (
    contract_price_schedule,
    overlay_history,
    price_series_from_stored,
    stored_price_histories,
)
from valuation.regions.levers import (
    ALL_LEVERS,
    LEVER_KEYS,
    PolicyLever,
    apply_levers,
    lever_effects,
    switched_on,
)
from valuation.regions.markets import REGION_CLASSES, all_regions, region_for
from valuation.regions.programs import (
    PJM_BRA_RTO_USD_PER_MW_DAY,
    ProgramTerms,
    pjm_capacity_price_usd_per_mw_day,
    pjm_capacity_schedule_usd_per_mw_hour,
)
from valuation.regions.units import program_fields, usd_per_mw_hour, usd_per_mw_year

__all__ = [
    "ALL_LEVERS",
    "LEVER_KEYS",
    "PJM_BRA_RTO_USD_PER_MW_DAY",
    "PRICE_STATS_FILE",
    "REGION_CLASSES",
    "PolicyLever",
    "ProgramTerms",
    "Region",
    "RegionError",
    "all_regions",
    "apply_levers",
    "contract_price_schedule",
    "lever_effects",
    "overlay_history",
    "pjm_capacity_price_usd_per_mw_day",
    "pjm_capacity_schedule_usd_per_mw_hour",
    "price_series_from_stored",
    "stored_price_histories",
    "price_statistics",
    "program_fields",
    "region_for",
    "switched_on",
    "usd_per_mw_hour",
    "usd_per_mw_year",
]
