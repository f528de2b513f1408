"""Every rule a Site must satisfy, in one place.

``validate_site`` returns a list of ``Problem`` (row, column, value, rule) and never raises for bad
data; ``validate_sites`` adds the rules across sites (unique ids); ``check_sites`` raises a
``SiteValidationError`` carrying every problem at once. Column names are the flat column names of
``sites.schema.SITE_COLUMNS`` (the names users see in the CSV and Excel files).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date

from sites.errors import Problem, SiteValidationError
from sites.schema import (
    COLUMN_KINDS,
    CONTRACT_TYPES,
    COOLING_TYPES,
    DESIGN_TEMPERATURE_RANGE_C,
    GRID_REGIONS,
    SITE_STATUSES,
    SUBSTATION_OWNERS,
    WATER_AVAILABILITY,
    Site,
    canonical_grid_region,
    to_record,
)

# USPS codes of the 50 states, DC and Puerto Rico (USPS Publication 28, Appendix B).
US_STATE_CODES: frozenset[str] = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "PR",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
    ]
)
MAX_ID_LENGTH = 100
# Characters Excel (and openpyxl) cannot store in a cell, plus CR, DEL and lone surrogates: text
# holding them would not survive an export (PostgreSQL also rejects NUL).
_BAD_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")

CHOICE_COLUMNS: dict[str, tuple[str, ...]] = {
    "grid_region": GRID_REGIONS,
    "contract_type": CONTRACT_TYPES,
    "substation_owner": SUBSTATION_OWNERS,
    "cooling_type": COOLING_TYPES,
    "water_availability": WATER_AVAILABILITY,
    "status": SITE_STATUSES,
}
# Inclusive numeric ranges, (low, high); None = unbounded on that side.
_RANGES: dict[str, tuple[float | None, float | None]] = {
    "latitude": (-90.0, 90.0),
    "longitude": (-180.0, 180.0),
    "acres_owned": (0.0, None),
    "acres_leased": (0.0, None),
    "acres_expansion": (0.0, None),
    "energized_mw": (0.0, None),
    "contracted_mw": (0.0, None),
    "interruptible_share": (0.0, 1.0),
    "queue_mw": (0.0, None),
    "substation_distance_km": (0.0, None),
    "substation_capacity_mva": (0.0, None),
    "substation_high_side_voltage_kv": (0.0, 1_000.0),
    "hall_count": (0, None),
    "hall_power_mw": (0.0, None),
    "building_area_m2": (0.0, None),
    "fiber_distance_km": (0.0, None),
    "carrier_count": (0, None),
    "metro_distance_km": (0.0, None),
    # One range with the retrofit model, which values any site the inventory accepts.
    "design_dry_bulb_c": DESIGN_TEMPERATURE_RANGE_C,
    "design_wet_bulb_c": DESIGN_TEMPERATURE_RANGE_C,
}


def _fmt_range(low: float | None, high: float | None) -> str:
    if high is None:
        return f"must be at least {low:g}"
    if low is None:
        return f"must be at most {high:g}"
    return f"must be between {low:g} and {high:g}"


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def validate_site(
    site: Site, *, today: date | None = None, row: int | None = None
) -> list[Problem]:
    """Every problem of one site (empty list when valid). ``today`` defaults to ``date.today()``.

    Rules: non-empty id (at most 100 characters, no surrounding spaces) and name; text without
    control characters; coordinates in range; MW, acres, distances and counts non-negative;
    interruptible share in [0, 1]; contracted MW at least energized MW; contract expiry after today
    when present; known grid region, contract type, substation owner, cooling type, water
    availability and status; two-letter US state code or blank; a substation on site is 0 km away;
    wet-bulb at most dry-bulb; fleet entries named (no ';') with whole, non-negative counts.
    """
    today = date.today() if today is None else today
    rec = to_record(site)
    problems: list[Problem] = []

    def add(column: str, value: object, rule: str) -> None:
        problems.append(Problem(row, column, value, rule))

    # Types first: later rules assume them.
    typed_ok: dict[str, bool] = {}
    for column, kind in COLUMN_KINDS.items():
        v = rec[column]
        ok = True
        if kind == "float":
            ok = _is_number(v) and math.isfinite(float(v))  # type: ignore[arg-type]
            if not ok:
                add(column, v, "must be a finite number")
        elif kind == "int":
            ok = isinstance(v, int) and not isinstance(v, bool)
            if not ok:
                add(column, v, "must be a whole number")
        elif kind == "bool":
            ok = isinstance(v, bool)
            if not ok:
                add(column, v, "must be true or false")
        elif kind == "date":
            ok = v is None or (isinstance(v, date) and not hasattr(v, "hour"))
            if not ok:
                add(column, v, "must be a date (YYYY-MM-DD) or blank")
        elif kind == "str":
            ok = isinstance(v, str)
            if not ok:
                add(column, v, "must be text")
            elif isinstance(v, str) and _BAD_TEXT.search(v):
                ok = False
                add(column, v, "must not contain control characters (other than tab and newline)")
        typed_ok[column] = ok

    if typed_ok["id"]:
        if not site.id.strip():
            add("id", site.id, "must not be blank")
        elif site.id != site.id.strip():
            add("id", site.id, "must not start or end with spaces")
        elif len(site.id) > MAX_ID_LENGTH:
            add("id", site.id, f"must be at most {MAX_ID_LENGTH} characters")
    if typed_ok["name"] and not site.name.strip():
        add("name", site.name, "must not be blank")
    if typed_ok["state"] and site.state and site.state not in US_STATE_CODES:
        add("state", site.state, "must be a two-letter US state code (e.g. TX) or blank")

    for column, allowed in CHOICE_COLUMNS.items():
        if column == "grid_region":
            # Grid region: any canonical name or alias, case-insensitive (sites.schema).
            if typed_ok[column]:
                try:
                    canonical_grid_region(rec[column])
                except ValueError:
                    add(
                        column,
                        rec[column],
                        "must be one of " + ", ".join(allowed) + " (any case, or an alias)",
                    )
            continue
        if typed_ok[column] and rec[column] not in allowed:
            add(column, rec[column], "must be one of " + ", ".join(allowed))

    for column, (low, high) in _RANGES.items():
        v = rec[column]
        if not typed_ok[column]:
            continue
        if (low is not None and v < low) or (high is not None and v > high):  # type: ignore[operator]
            add(column, v, _fmt_range(low, high))

    p = site.power
    if (
        typed_ok["energized_mw"]
        and typed_ok["contracted_mw"]
        and p.energized_mw >= 0
        and p.contracted_mw < p.energized_mw
    ):
        add(
            "contracted_mw",
            p.contracted_mw,
            f"must be at least energized_mw ({p.energized_mw:g} MW): energized power is contracted",
        )
    if (
        typed_ok["contract_price_usd_per_mwh"]
        and typed_ok["contract_type"]
        and p.contract_type in ("fixed_ppa", "utility_tariff")
        and p.contract_price_usd_per_mwh < 0
    ):
        add(
            "contract_price_usd_per_mwh",
            p.contract_price_usd_per_mwh,
            f"must be at least 0 for a {p.contract_type} (only an index adder may be negative)",
        )
    if typed_ok["contract_expiry"] and p.contract_expiry is not None and p.contract_expiry <= today:
        add(
            "contract_expiry",
            p.contract_expiry,
            f"must be after today ({today.isoformat()}) when given; leave blank if unknown",
        )
    s = site.substation
    if (
        typed_ok["substation_on_site"]
        and typed_ok["substation_distance_km"]
        and s.on_site
        and s.distance_km != 0
    ):
        add(
            "substation_distance_km",
            s.distance_km,
            "must be 0 when substation_on_site is true",
        )
    c = site.connectivity
    if (
        typed_ok["design_dry_bulb_c"]
        and typed_ok["design_wet_bulb_c"]
        and c.design_wet_bulb_c > c.design_dry_bulb_c
    ):
        add(
            "design_wet_bulb_c",
            c.design_wet_bulb_c,
            f"must be at most design_dry_bulb_c ({c.design_dry_bulb_c:g} C)",
        )
    problems.extend(_fleet_problems(site, row))
    return problems


def _fleet_problems(site: Site, row: int | None) -> list[Problem]:
    fleet = site.facility.fleet
    if not isinstance(fleet, tuple):
        return [Problem(row, "fleet", fleet, "must be a tuple of (model name, unit count) pairs")]
    out: list[Problem] = []
    for entry in fleet:
        if not (isinstance(entry, tuple) and len(entry) == 2):
            out.append(Problem(row, "fleet", entry, "each entry must be (model name, unit count)"))
            continue
        name, count = entry
        if not isinstance(name, str) or not name.strip():
            out.append(Problem(row, "fleet", entry, "machine model name must not be blank"))
        elif name != name.strip() or ";" in name or _BAD_TEXT.search(name):
            out.append(
                Problem(
                    row,
                    "fleet",
                    entry,
                    "machine model name must not contain ';', control characters, "
                    "or start or end with spaces",
                )
            )
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            out.append(Problem(row, "fleet", entry, "unit count must be a whole number >= 0"))
    return out


def validate_sites(
    sites: Sequence[Site],
    *,
    today: date | None = None,
    rows: Sequence[int] | None = None,
    check: Sequence[bool] | None = None,
) -> list[Problem]:
    """Every problem of every site plus the cross-site rule: ids are unique.

    ``rows`` gives each site's row number as the user sees it (defaults to none). ``check``: per
    site, whether its own rules run (None = all); the unique-id rule always covers every site, so
    an editor can validate only the rows being saved.
    """
    if rows is not None and len(rows) != len(sites):
        raise ValueError(f"rows has {len(rows)} entries but there are {len(sites)} sites")
    if check is not None and len(check) != len(sites):
        raise ValueError(f"check has {len(check)} entries but there are {len(sites)} sites")
    row_of = list(rows) if rows is not None else [None] * len(sites)
    check_of = list(check) if check is not None else [True] * len(sites)
    problems: list[Problem] = []
    first_row: dict[str, int | None] = {}
    for site, row, checked in zip(sites, row_of, check_of, strict=True):
        if checked:
            problems.extend(validate_site(site, today=today, row=row))
        if site.id in first_row:
            prev = first_row[site.id]
            where = f"row {prev}" if prev is not None else "an earlier site"
            problems.append(Problem(row, "id", site.id, f"must be unique; also used on {where}"))
        else:
            first_row[site.id] = row
    return problems


def check_sites(
    sites: Sequence[Site], *, today: date | None = None, rows: Sequence[int] | None = None
) -> None:
    """Raise ``SiteValidationError`` listing every problem when any site breaks a rule."""
    problems = validate_sites(sites, today=today, rows=rows)
    if problems:
        raise SiteValidationError(problems)
