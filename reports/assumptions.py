"""Every input of a scenario as a row: where it sits, its label in words, its value (and the value
as the memo prints it), its unit, its source and date (and what the date is), and the scenario's
name (the workbook's and memo's assumptions).

Sources and dates are the ones the library's defaults cite (``valuation.scenario.Scenario``,
``valuation.market`` (its ``sources``), ``valuation.mining.MiningAssumptions``,
``valuation.hosting``, ``valuation.finance``, ``valuation.power``), shortened; a value that differs
from the default is sourced to the scenario itself, dated the day the pack is made.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

import pandas as pd

from valuation import formatting as fmt
from valuation.scenario import Scenario

# The defaults' sources were compiled in the project fact sheets of this date (Scenario's
# docstring: "sources as of 2026-11-29").
DEFAULTS_SOURCED_ON = date(2026, 11, 29)
# What a row's date is (its ``date_is``): the market snapshot's date, the day the defaults'
# sources were compiled (not the date of the data they cite), or the day the pack was made (a
# value the scenario sets).
MARKET_AS_OF = "market as of"
SOURCES_COMPILED = "sources compiled"
SET_IN_SCENARIO = "set in scenario"

# Unit by the ending of a field's name, longest ending first (the project names units).
_UNIT_ENDINGS: tuple[tuple[str, str], ...] = (
    ("_usd_per_kw_month", "USD per kW-month"),
    ("_usd_per_mw_month", "USD per MW-month"),
    ("_usd_per_mw_hour", "USD per MW-hour"),
    ("_usd_per_mw_year", "USD per MW-year"),
    ("_usd_per_kw_year", "USD per kW-year"),
    ("_usd_per_ph_day", "USD per PH/s-day"),
    ("_usd_per_critical_mw", "USD per critical IT MW"),
    ("_usd_per_mw", "USD per MW"),
    ("_usd_per_mwh", "USD per MWh"),
    ("_usd_per_th", "USD per TH/s"),
    ("_hours_per_year", "hours per year"),
    ("_btc_per_block", "BTC per block"),
    ("_j_per_th", "J per TH"),
    ("_rate_per_year", "fraction per year"),
    ("_per_year", "fraction per year"),
    ("_eh_s", "EH/s"),
    ("_usd", "USD"),
    ("_months", "months"),
    ("_years", "years"),
    ("_share_of_rent", "fraction of rent"),
    ("_share", "fraction"),
    ("_rate", "fraction"),
    ("_block_time_s", "seconds"),
)
_UNITS: dict[str, str] = {
    "as_of": "date",
    "anchor_time": "UTC date-time",
    "anchor_height": "block height",
    "uptime": "fraction of hours",
    "pool_fee": "fraction of revenue",
    "mining_pue": "ratio (facility / IT power)",
    "price_curve_points": "points",
    "firmed": "true/false",
    "lease_structure": "choice",
    "capex_scenario": "choice (low, base, high)",
    "method": "choice",
    "name": "text",
    "source": "text",
    "grid_region": "grid region",
    "months_active": "months of the year (1-12)",
    "paid_only_while_running": "true/false",
    "contingency": "fraction of capex",
    "renewal_probability": "probability",
    "it_load_factor": "fraction of leased IT",
    "peak_catch_rate": "fraction of peaks",
    "exit_cap_rate": "fraction per year",
    "power_price_usd_per_mwh": "USD per MWh",
    "horizon_months": "months",
    "dr_programs": "programs (none: each site's grid region's own)",
    "tenant_signing_probability": "probability",
    "reference_score": "readiness score (0-100)",
    "rate_change_per_point": "fraction of the rate per readiness point",
    "probability_change_per_point": "probability per readiness point",
    "economic_shutdown": "true/false",
    "fleet_salvage": "true/false",
    "use_site_fleet": "true/false",
    "policy_levers": "lever names (none: all off)",
}

_SCENARIO = "valuation.scenario.Scenario (defaults)"
_SOURCES: dict[str, str] = {
    "power_price_usd_per_mwh": "None: each site's own contract price (inventory).",
    "price_curve_points": "48 points of the bundled ERCOT 2024 price-duration curve (assumption "
    "of resolution).",
    "lease_rate_usd_per_kw_month": "$128: hyperscaler-backed conversion deals cluster at $125-135 "
    "(Hut 8 River Bend $128, Galaxy Helios $128, TeraWulf Abernathy $129).",
    "lease_term_years": "15 years: Hut 8, Applied Digital and Galaxy leases (2025-26).",
    "lease_escalator_per_year": "3%: the only disclosed escalator (Hut 8, 2025-26).",
    "lease_structure": "Triple net: Hut 8 River Bend and Beacon Point; wholesale leases usually "
    "NNN (lextract.io).",
    "free_rent_months": "0: assumption (no free rent disclosed).",
    "renewal_probability": "0.5: assumption; public AI leases carry tenant renewal options "
    "(Hut 8, TeraWulf, Cipher, Core Scientific, Riot releases 2024-26).",
    "tenant_credit.default_probability_per_year": "0: no credit loss unless the user states the "
    "tenant's risk (assumption).",
    "tenant_credit.recovery_share": "0.4: assumption (re-letting and claims).",
    "tenant_credit.backstop_share": "0: no guarantee by default; Google backstopped ~0.49 of "
    "TeraWulf CB-3/4.",
    "hosting_costs.opex_usd_per_kw_month": "$9: calibrated to ~85% NOI margins (TeraWulf Aug "
    "2025; Cipher Sep 2025).",
    "hosting_costs.property_tax_rate_per_year": "1%: assumption.",
    "hosting_costs.insurance_rate_per_year": "0.3%: assumption.",
    "hosting_costs.non_recoverable_share_of_rent": "2.8%: Hut 8 River Bend NOI $454M on ~$467M "
    "revenue (Dec 2025).",
    "hosting_costs.it_load_factor": "0.8: assumption (average IT draw of leased critical IT).",
    "capex_usd_per_critical_mw": "None: each site's retrofit estimate (models.costs, sourced "
    "there).",
    "capex_scenario": "base: the retrofit estimate's base case.",
    "contingency": "0: assumption (the estimate's own ranges carry the uncertainty).",
    "construction_delay_months": "0: assumption (the schedule of models.schedule).",
    "firmed": "False: the interruptible share of power rights does not count for AI tenants.",
    "discount_rate_per_year": "10%: the base rate (tax, the site sale, IRR hurdles); assumption.",
    "mining_discount_rate_per_year": "15%: merchant BTC exposure; assumption equal to the "
    "miner's refresh hurdle.",
    "contracted_discount_rate_per_year": "9%: 6% stabilised hyperscale cap rate (JLL Q1 2026) "
    "plus the 3% escalator (Gordon growth).",
    "construction_discount_rate_per_year": "12%: assumption, a premium for cost and schedule risk.",
    "tenant_signing_probability": "0.7: assumption (every public conversion signed; no failure "
    "rate is observable).",
    "lease_up_months": "12: assumption (Hut 8 River Bend signed about a year after its pivot).",
    "tenant_prospects.reference_score": "65: a fixed point near the middle of the example "
    "portfolio's readiness scores (valuation.tenant).",
    "tenant_prospects.rate_change_per_point": "0: least-squares fit to the nine portfolio deals "
    "(-0.0011, R^2 0.02) floored at 0 (valuation.tenant).",
    "tenant_prospects.probability_change_per_point": "0.01: assumption (valuation.tenant).",
    "economic_shutdown": "True: a fleet idles in months whose margin is negative.",
    "fleet_salvage": "True: fleets leaving service sell at used-ASIC prices by J/TH band "
    "(Hashrate Index 2025-11-03 and assumptions, valuation.mining).",
    "use_site_fleet": "True: the inventory's machines and commissioning year when given.",
    "sale.price_usd_per_mw": "$0.51M: median of four powered-site sales 2023-24 (MARA, "
    "Bitfarms, Riot; valuation.site_sale).",
    "sale.low_usd_per_mw": "$0.44M: MARA Garden City (2024).",
    "sale.high_usd_per_mw": "$1.48M: Riot / Rhodium incl. ASICs (Aug 2024).",
    "sale.transaction_cost_share": "2%: assumption within the 1-3% of mid-market M&A.",
    "sale.unenergized_share": "0.5: assumption (a buyer pays less for power still to come).",
    "mine_then_convert_step_months": "12: the yearly grid of later conversion starts.",
    "renewal_power_price_usd_per_mwh": "None: after a fixed contract expires the site buys at its "
    "region's index plus a $5/MWh adder (assumption; valuation.regions).",
    "policy_levers": "None on: policy levers change numbers only when switched on "
    "(valuation.regions.levers, sources there).",
    "horizon_months": "180: fifteen years, one base lease term.",
    "tax.federal_rate": "21%: IRC section 11(b) (TCJA 2017), in force 2026.",
    "tax.state_rate": "0: e.g. Texas has no corporate income tax (assumption per site).",
    "tax.nol_limit_share": "80%: IRC section 172(a)(2), tax years after 2020.",
    "tax.bonus_depreciation_share": "0: conservative; P.L. 119-21 (2025) restored 100% bonus "
    "depreciation.",
    "terminal.method": "Exit cap on hosting NOI, lease-aware (valuation.strategies).",
    "terminal.exit_cap_rate": "6%: midpoint of 5.5-6.5% stabilised hyperscale cap rates (JLL Q1 "
    "2026).",
    "terminal.growth_per_year": "0: no growth of NOI past the horizon (assumption).",
    "mining.efficiency_j_per_th": "17.5 J/TH: Antminer S21 class (CleanSpark FY2025 10-K 16.7; "
    "Cipher Odessa ~17.6).",
    "mining.uptime": "0.95: assumption below TeraWulf's record 98% (April 2024).",
    "mining.pool_fee": "2%: institutional FPPS 1-2.5% (spark.money, early 2026; Braiins 2%).",
    "mining.mining_pue": "1.05: well-designed mining sites (d-central.tech).",
    "mining.degradation_per_year": "1%: assumption (no public figure).",
    "mining.opex_usd_per_mw_month": "$6,000: assumption (~$8/MWh at full load).",
    "mining.fleet_life_years": "5: assumption, the MACRS class of mining equipment.",
    "mining.fleet_age_years": "2: assumption.",
    "mining.refresh_cost_usd_per_th": "$25.70: S21 XP on the Luxor ASIC desk (Hashrate Index "
    "2025-11-03).",
    "mining.refresh_hurdle_rate_per_year": "15%: assumption (no public figure).",
    "mining.refresh_efficiency_j_per_th": "13.5 J/TH: Antminer S21 XP, 3,645 W / 270 TH/s "
    "(btcminermarketplace.com).",
}


# Each input in words (its unit is the row's own), by its dotted path.
_LABELS: dict[str, str] = {
    "market.as_of": "Market data as of",
    "market.btc_price_usd": "Bitcoin price",
    "market.network_hashrate_eh_s": "Network hashrate",
    "market.fees_btc_per_block": "Transaction fees per block",
    "market.btc_price_growth_per_year": "Bitcoin price growth",
    "market.network_hashrate_growth_per_year": "Network hashrate growth",
    "market.anchor_height": "Halving schedule: anchor block height",
    "market.anchor_time": "Halving schedule: anchor block time",
    "market.mean_block_time_s": "Mean time between blocks",
    "market.hashprice_floor_usd_per_ph_day": "Hashprice floor",
    "market.hashprice_floor_decline_per_year": "Hashprice floor decline",
    "market.hashrate_adjustment_months": "Hashrate adjustment lag",
    "mining.efficiency_j_per_th": "Mining fleet efficiency",
    "mining.uptime": "Mining uptime",
    "mining.pool_fee": "Pool fee",
    "mining.mining_pue": "Mining PUE",
    "mining.degradation_per_year": "Fleet degradation",
    "mining.opex_usd_per_mw_month": "Mining operating cost",
    "mining.fleet_life_years": "Fleet life",
    "mining.fleet_age_years": "Fleet age today",
    "mining.refresh_cost_usd_per_th": "Fleet refresh cost",
    "mining.refresh_hurdle_rate_per_year": "Fleet refresh hurdle rate",
    "mining.refresh_efficiency_j_per_th": "Refresh fleet efficiency",
    "power_price_usd_per_mwh": "Power price",
    "price_curve_points": "Power price curve resolution",
    "dr_programs": "Demand-response programs",
    "lease_rate_usd_per_kw_month": "AI hosting lease rate",
    "lease_term_years": "Lease term",
    "lease_escalator_per_year": "Lease escalator",
    "lease_structure": "Lease structure",
    "free_rent_months": "Free rent",
    "renewal_probability": "Lease renewal probability",
    "tenant_credit.default_probability_per_year": "Tenant default probability",
    "tenant_credit.recovery_share": "Recovery after a tenant default",
    "tenant_credit.backstop_share": "Rent backstopped by a guarantor",
    "hosting_costs.opex_usd_per_kw_month": "Hosting operating cost",
    "hosting_costs.property_tax_rate_per_year": "Property tax",
    "hosting_costs.insurance_rate_per_year": "Insurance",
    "hosting_costs.non_recoverable_share_of_rent": "Costs not recovered from the tenant",
    "hosting_costs.it_load_factor": "IT load factor",
    "capex_usd_per_critical_mw": "Retrofit capex",
    "capex_scenario": "Retrofit capex case",
    "contingency": "Capex contingency",
    "construction_delay_months": "Construction delay",
    "firmed": "Interruptible power counts for AI tenants",
    "discount_rate_per_year": "Discount rate (base)",
    "horizon_months": "Valuation horizon",
    "tax.federal_rate": "Federal income tax rate",
    "tax.state_rate": "State income tax rate",
    "tax.nol_limit_share": "Net operating loss limit",
    "tax.bonus_depreciation_share": "Bonus depreciation",
    "terminal.method": "Value at the horizon: method",
    "terminal.exit_cap_rate": "Exit cap rate",
    "terminal.growth_per_year": "Growth past the horizon",
    "mining_discount_rate_per_year": "Discount rate: mining",
    "contracted_discount_rate_per_year": "Discount rate: contracted rent",
    "construction_discount_rate_per_year": "Discount rate: construction",
    "tenant_signing_probability": "Tenant signing probability",
    "lease_up_months": "Lease-up time",
    "tenant_prospects.reference_score": "Tenant prospects: reference readiness",
    "tenant_prospects.rate_change_per_point": "Lease rate change per readiness point",
    "tenant_prospects.probability_change_per_point": "Signing odds change per readiness point",
    "economic_shutdown": "Idle the fleet when its margin is negative",
    "fleet_salvage": "Sell retired fleets at used prices",
    "use_site_fleet": "Use each site's own fleet",
    "sale.price_usd_per_mw": "Site sale price",
    "sale.low_usd_per_mw": "Site sale price: low",
    "sale.high_usd_per_mw": "Site sale price: high",
    "sale.transaction_cost_share": "Site sale transaction costs",
    "sale.unenergized_share": "Sale price of power still to come",
    "mine_then_convert_step_months": "Later conversion starts: step",
    "renewal_power_price_usd_per_mwh": "Power price after a contract expires",
    "policy_levers": "Policy levers",
}
_UNIT_IN_NAME = re.compile(r"_(usd|j|eh|btc|per|rate|share|months|years|s)(_.*)?$")


def label_of(path: str) -> str:
    """An input's name in words: its entry in the table of labels, else its field's name without
    the unit, readable ("dr_programs[0].months_active" -> "DR program 1: months active")."""
    if path in _LABELS:
        return _LABELS[path]
    parts = []
    for part in path.split("."):
        indexed = re.fullmatch(r"(\w+)\[(\d+)\]", part)
        if indexed:  # dr_programs[0] -> DR program 1
            stem = "DR program" if indexed[1] == "dr_programs" else indexed[1].replace("_", " ")
            parts.append(f"{stem} {int(indexed[2]) + 1}")
            continue
        words = _UNIT_IN_NAME.sub("", part) or part
        parts.append(words.replace("_", " "))
    text = ": ".join(parts)
    return text[:1].upper() + text[1:]


def _number_text(x: float) -> str:
    """A plain number: whole with separators, else four significant figures (1,116; 0.0195)."""
    if x == round(x) and abs(x) < 1e15:
        return f"{x:,.0f}"
    return f"{x:,.1f}" if abs(x) >= 1_000 else f"{x:.4g}"


def _usd_text(x: float) -> str:
    """Dollars: scaled from a million ("$1.48M"), whole with separators from a thousand or when
    whole ("$106,935"), else to the cent ("$25.70")."""
    if abs(x) >= 1e6:
        return fmt.usd(x, digits=2)
    return fmt.usd_exact(x) if x == round(x) or abs(x) >= 1_000 else f"${x:,.2f}"


def value_text(value: Any, unit: str) -> str:
    """A value as the memo prints it, by its unit (``valuation.formatting``'s rules): dollars,
    fractions and probabilities as percentages, yes or no, choices in words."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) and not math.isfinite(value):
        return fmt.MISSING
    if isinstance(value, int | float):
        if unit.startswith("USD"):
            return _usd_text(float(value))
        if unit.startswith(("fraction", "probability")):
            return fmt.pct(value, digits=2 if value and abs(value) < 0.01 else 1)
        return _number_text(float(value))
    if unit == "UTC date-time":
        try:
            return f"{datetime.fromisoformat(str(value)):%Y-%m-%d %H:%M} UTC"
        except ValueError:
            return str(value)
    if unit.startswith("choice"):
        return str(value).replace("_", " ")
    return str(value)


def unit_text(unit: str) -> str:
    """A unit as it reads beside :func:`value_text`'s percentages: "fraction per year" -> "% per
    year", "fraction" -> "%"; any other unit as it is."""
    return "%" + unit[len("fraction") :] if unit.startswith("fraction") else unit


def date_text(when: date, date_is: str) -> str:
    """A row's date with what it is: "as of 2025-11-03" (the market's), "compiled 2026-11-29"
    (the sources'), "set 2026-11-30" (the scenario's change, the pack's date)."""
    word = {MARKET_AS_OF: "as of", SOURCES_COMPILED: "compiled", SET_IN_SCENARIO: "set"}
    return f"{word.get(date_is, date_is)} {when:%Y-%m-%d}"


def unit_of(field: str) -> str:
    """The unit of a field from its name (the project puts units in names): ``lease_rate_usd_per_
    kw_month`` -> "USD per kW-month"; "" when the name carries none and no entry says it."""
    if field in _UNITS:
        return _UNITS[field]
    for ending, unit in _UNIT_ENDINGS:
        if field.endswith(ending):
            return unit
    return ""


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _leaves(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list) and value and isinstance(value[0], Mapping):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{path}[{i}]")
    else:
        yield path, value


def _plain_value(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "none"
    if value is None:
        return "none"
    return value


def assumption_rows(scenario: Scenario, scenario_name: str, made_on: date) -> pd.DataFrame:
    """Every leaf input of ``scenario.to_dict()`` (nested fields dotted, DR programs indexed): columns
    input (the dotted path), label (:func:`label_of`), value, value_text (:func:`value_text`),
    unit, source, date, date_is (what the date is: :data:`MARKET_AS_OF`, :data:`SOURCES_COMPILED`
    or :data:`SET_IN_SCENARIO`), scenario. A value equal to the base scenario's carries the
    default's source and date; a changed one is sourced to the named scenario, dated ``made_on``."""
    base_leaves = dict(_leaves(Scenario().to_dict(), ""))
    market = scenario.market
    programs = scenario.dr_programs
    rows = []
    for path, value in _leaves(scenario.to_dict(), ""):
        field = path.rsplit(".", 1)[-1]
        changed = path not in base_leaves or base_leaves[path] != value
        if changed:
            source = f"Set in scenario {scenario_name!r} (base: {base_leaves.get(path, 'none')!r})"
            when, date_is = made_on, SET_IN_SCENARIO
        elif path.startswith("market."):
            source = market.sources.get(field, "valuation.market defaults")
            when, date_is = (
                (market.as_of, MARKET_AS_OF)
                if field != "anchor_time"  # the block-height anchor is dated by its source
                else (DEFAULTS_SOURCED_ON, SOURCES_COMPILED)
            )
        elif path.startswith("dr_programs["):
            i = int(path[len("dr_programs[") : path.index("]")])
            given = programs or ()  # None: each site's region's own programs
            source = (given[i].source if i < len(given) else "") or "valuation.power"
            when, date_is = DEFAULTS_SOURCED_ON, SOURCES_COMPILED
        else:
            source = _SOURCES.get(path, _SCENARIO)
            when, date_is = DEFAULTS_SOURCED_ON, SOURCES_COMPILED
        unit = unit_of(field)
        plain = _plain_value(value)
        rows.append(
            {
                "input": path,
                "label": label_of(path),
                "value": plain,
                "value_text": value_text(plain, unit),
                "unit": unit,
                "source": source,
                "date": when,
                "date_is": date_is,
                "scenario": scenario_name,
            }
        )
    return pd.DataFrame(rows)
