"""Every rule a Site must satisfy, in one place.

``validate_site`` returns a list of ``Problem`` (row, column, value, rule) and never raises for bad
data; ``validate_sites`` adds the rules across sites (unique ids); ``check_sites`` raises a
``SiteValidationError`` carrying every problem at once. Column names are the flat column names of
``sites.schema.SITE_COLUMNS`` (the names users see in the CSV and Excel files).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
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
    clip_text,
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
# Invisible formatting characters (Unicode category Cf: the bidi controls U+202A-202E and
# U+2066-2069, the zero-width U+200B-200F and U+2060-2064, U+FEFF, the soft hyphen U+00AD...): a
# right-to-left override reverses the text after it in every listing, and a zero-width character
# makes two different ids look alike. Every Cf is refused in ids and machine names; in other text
# only the bidi embeddings, overrides and isolates, which reorder what follows them: soft hyphens,
# direction marks, zero-width spaces and joiners are common in text pasted from the web or Word
# (and Persian and Indic names need the joiners), and refusing them would stop a stored site
# with such notes being valued.
_SHOWN_CHARACTERS = 5  # code points a rule lists
_REORDERING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _format_characters(text: str, *, free_text: bool = False) -> list[tuple[int, str]]:
    """(position from 1, character) of each Cf character of ``text`` (in ``free_text`` only the
    reordering bidi controls); none in ASCII text."""
    if text.isascii():
        return []
    return [
        (i, c)
        for i, c in enumerate(text, start=1)
        if unicodedata.category(c) == "Cf" and (not free_text or c in _REORDERING)
    ]


def _code_point(c: str) -> str:
    return f"U+{ord(c):04X}"


def shown_text(text: str, limit: int = 80) -> str:
    """``text`` for a message: control, surrogate and invisible formatting characters written as
    their code points (``<U+202E>``), never raw, and shortened to ``limit`` characters."""
    text = clip_text(text, limit)
    if text.isascii() and not _BAD_TEXT.search(text):
        return text
    return "".join(
        f"<{_code_point(c)}>" if _BAD_TEXT.match(c) or unicodedata.category(c) == "Cf" else c
        for c in text
    )


def _bad_character_rule(text: str, *, free_text: bool = False) -> str | None:
    """The rule ``text`` breaks with a control or invisible formatting character (each shown as
    its code point and position), or None."""
    found = [(m.start() + 1, m.group()) for m in _BAD_TEXT.finditer(text)]
    kind = "control characters (other than tab and newline)"
    if not found:
        found = _format_characters(text, free_text=free_text)
        kind = "invisible formatting characters (Unicode Cf: direction marks, zero-width spaces)"
    if not found:
        return None
    listed = ", ".join(f"{_code_point(c)} at character {i:,}" for i, c in found[:_SHOWN_CHARACTERS])
    more = f" and {len(found) - _SHOWN_CHARACTERS:,} more" if len(found) > _SHOWN_CHARACTERS else ""
    return f"must not contain {kind}; found {listed}{more}"


CHOICE_COLUMNS: dict[str, tuple[str, ...]] = {
    "grid_region": GRID_REGIONS,
    "contract_type": CONTRACT_TYPES,
    "substation_owner": SUBSTATION_OWNERS,
    "cooling_type": COOLING_TYPES,
    "water_availability": WATER_AVAILABILITY,
    "status": SITE_STATUSES,
}
# Physical plausibility bounds. Every count and quantity a user can type has an upper bound: an
# absurd value would otherwise pass, be saved, and make every valuation of the portfolio slow or
# overflow the database (hall_count = 1,000,000 ran ``compare`` for minutes). Each bound sits well
# above any real site and says why.
MAX_POWER_MW = 10_000.0  # 10 GW: above the largest US power plant (Grand Coulee, 6.8 GW, EIA-860
# 2023); the largest announced mining/AI campuses are 1-2 GW.
MAX_HALL_COUNT = 1_000  # 2 GW (above) in 2 MW halls, smaller than a container pod: 1,000 halls.
# The valuation values each hall separately (30,000 halls took 9.5 s and 2.9 GB), so the bound
# also keeps one site's valuation well under a second.
MAX_HALL_POWER_MW = 1_000.0  # one hall of 1 GW is already beyond any built data hall (~100 MW)
MAX_CARRIER_COUNT = 500  # the most connected US carrier hotels list a few hundred networks
MAX_ACRES = 1_000_000.0  # above the largest US ranch (King Ranch, about 825,000 acres)
MAX_DISTANCE_KM = 20_000.0  # half of Earth's circumference (20,004 km): no two points are farther
MAX_CAPACITY_MVA = 20_000.0  # twice MAX_POWER_MW at a 0.5 power factor
MAX_BUILDING_AREA_M2 = 5_000_000.0  # 5 km2: over ten times the largest building (Boeing Everett,
# about 399,000 m2)
# ERCOT's system-wide offer cap is 5,000 USD/MWh (PUCT rule 25.505, since 2022); a contract price
# or adder beyond twice that, either way, is a typo.
MAX_ABS_CONTRACT_PRICE_USD_PER_MWH = 10_000.0
MAX_FLEET_ENTRIES = 50  # distinct machine models at one site; real fleets list a handful
MAX_FLEET_UNITS = 2_000_000  # per model: above MARA's whole fleet (about 400,000 machines, 2025)
MAX_MACHINE_NAME_LENGTH = 100
FIRST_COMMISSIONING_YEAR = 2009  # Bitcoin's genesis block, 3 January 2009
# Text bounds: short fields are names; notes and source may hold a paragraph. All stay far below
# Excel's 32,767 characters per cell, so an .xlsx export never cuts a stored text.
MAX_SHORT_TEXT_LENGTH = 200
MAX_LONG_TEXT_LENGTH = 5_000
TEXT_LENGTHS: dict[str, int] = {
    "id": MAX_ID_LENGTH,
    "name": MAX_SHORT_TEXT_LENGTH,
    "operator": MAX_SHORT_TEXT_LENGTH,
    "county": MAX_SHORT_TEXT_LENGTH,
    "state": MAX_SHORT_TEXT_LENGTH,
    "notes": MAX_LONG_TEXT_LENGTH,
    "source": MAX_LONG_TEXT_LENGTH,
}

# Inclusive numeric ranges, (low, high); None = unbounded on that side.
_RANGES: dict[str, tuple[float | None, float | None]] = {
    "latitude": (-90.0, 90.0),
    "longitude": (-180.0, 180.0),
    "acres_owned": (0.0, MAX_ACRES),
    "acres_leased": (0.0, MAX_ACRES),
    "acres_expansion": (0.0, MAX_ACRES),
    "energized_mw": (0.0, MAX_POWER_MW),
    "contracted_mw": (0.0, MAX_POWER_MW),
    "interruptible_share": (0.0, 1.0),
    "contract_price_usd_per_mwh": (
        -MAX_ABS_CONTRACT_PRICE_USD_PER_MWH,
        MAX_ABS_CONTRACT_PRICE_USD_PER_MWH,
    ),
    "queue_mw": (0.0, MAX_POWER_MW),
    "substation_distance_km": (0.0, MAX_DISTANCE_KM),
    "substation_capacity_mva": (0.0, MAX_CAPACITY_MVA),
    # 1,000 kV: the highest transmission voltage in service (China's UHV AC lines); US tops at 765.
    "substation_high_side_voltage_kv": (0.0, 1_000.0),
    "hall_count": (0, MAX_HALL_COUNT),
    "hall_power_mw": (0.0, MAX_HALL_POWER_MW),
    "building_area_m2": (0.0, MAX_BUILDING_AREA_M2),
    "fiber_distance_km": (0.0, MAX_DISTANCE_KM),
    "carrier_count": (0, MAX_CARRIER_COUNT),
    "metro_distance_km": (0.0, MAX_DISTANCE_KM),
    # One range with the retrofit model, which values any site the inventory accepts.
    "design_dry_bulb_c": DESIGN_TEMPERATURE_RANGE_C,
    "design_wet_bulb_c": DESIGN_TEMPERATURE_RANGE_C,
}


def commissioning_year_range(today: date | None = None) -> tuple[int, int]:
    """Allowed fleet commissioning years: Bitcoin's first year (2009) to next year (a fleet on
    order), inclusive."""
    today = date.today() if today is None else today
    return FIRST_COMMISSIONING_YEAR, today.year + 1


def _num(x: float) -> str:
    """1000000.0 -> '1,000,000'; 0.5 -> '0.5'."""
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def _fmt_range(low: float | None, high: float | None) -> str:
    if high is None:
        return f"must be at least {_num(low)}"  # type: ignore[arg-type]
    if low is None:
        return f"must be at most {_num(high)}"
    return f"must be between {_num(low)} and {_num(high)}"


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_finite_number(v: object) -> bool:
    """A finite int or float (an int too large for a float, 10**400, is not)."""
    if not _is_number(v):
        return False
    try:
        return math.isfinite(float(v))  # type: ignore[arg-type]
    except OverflowError:
        return False


def validate_site(
    site: Site, *, today: date | None = None, row: int | None = None, dated: bool = True
) -> list[Problem]:
    """Every problem of one site (empty list when valid). ``today`` defaults to ``date.today()``.

    Rules: non-empty id (at most 100 characters, no surrounding spaces) and name; text and
    machine names without control or invisible formatting characters (Unicode Cf; in other text
    only the bidi controls that reorder text are refused); coordinates in range; MW, acres,
    distances and counts non-negative;
    interruptible share in [0, 1]; contracted MW at least energized MW; contract expiry after today
    when present; known grid region, contract type, substation owner, cooling type, water
    availability and status; two-letter US state code or blank; a substation on site is 0 km away;
    wet-bulb at most dry-bulb; fleet entries named (no ';') with whole, non-negative counts;
    every count, quantity and text within its plausibility bound (module constants, each saying
    why); fleet commissioning year from 2009 to next year, or unknown.

    The columns of ``sites.schema.UNKNOWN_COLUMNS`` may be None (unknown): every rule on them
    applies only to a known value (``sites.unknowns`` values the unknowns conservatively).

    ``dated=False`` skips the one rule that moves with the calendar (a contract expiry after
    today), for a site validated when it is valued rather than when it is saved.

    Problems come in a fixed order (callers and tests compare lists): column types first (later
    rules assume them), then identity and location, choices, ranges, power rights, the fleet's
    commissioning year, the contract expiry, the substation, the design temperatures, the fleet.
    """
    today = date.today() if today is None else today
    rec = to_record(site)
    problems, typed_ok = _type_problems(rec, row)
    problems += _identity_problems(site, typed_ok, row)
    problems += _choice_problems(rec, typed_ok, row)
    problems += _range_problems(rec, typed_ok, row)
    problems += _power_problems(site, typed_ok, row)
    problems += _commissioning_year_problems(site, typed_ok, today, row)
    if dated:
        problems += _contract_expiry_problems(site, typed_ok, today, row)
    problems += _substation_problems(site, typed_ok, row)
    problems += _design_temperature_problems(site, typed_ok, row)
    problems += _fleet_problems(site, row)
    return problems


# Type rule of each column kind: (value passes, rule when it does not). The "str" kind has more
# rules (control characters, length) in ``_type_problem``.
_TYPE_RULES: dict[str, tuple[Callable[[object], bool], str]] = {
    "float": (_is_finite_number, "must be a finite number"),
    "optional_float": (
        lambda v: v is None or _is_finite_number(v),
        "must be a finite number, or blank when unknown",
    ),
    "optional_bool": (
        lambda v: v is None or isinstance(v, bool),
        "must be true or false, or blank when unknown",
    ),
    "optional_choice": (
        lambda v: v is None or isinstance(v, str),
        "must be text, or blank when unknown",
    ),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "must be a whole number"),
    "optional_int": (
        lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)),
        "must be a whole number or blank",
    ),
    "bool": (lambda v: isinstance(v, bool), "must be true or false"),
    "date": (
        lambda v: v is None or (isinstance(v, date) and not hasattr(v, "hour")),
        "must be a date (YYYY-MM-DD) or blank",
    ),
}


def _type_problem(column: str, kind: str, v: object) -> tuple[object, str] | None:
    """The (value shown, rule) of a value of the wrong type for its column, or None when typed."""
    if kind in _TYPE_RULES:
        ok, rule = _TYPE_RULES[kind]
        return None if ok(v) else (v, rule)
    if kind != "str":
        return None
    if not isinstance(v, str):
        return v, "must be text"
    bad = _bad_character_rule(v, free_text=column != "id")
    if bad is not None:
        return shown_text(v), bad
    if column in TEXT_LENGTHS and len(v) > TEXT_LENGTHS[column]:
        return shown_text(
            v
        ), f"must be at most {TEXT_LENGTHS[column]:,} characters (found {len(v):,})"
    return None


def _type_problems(
    rec: Mapping[str, object], row: int | None
) -> tuple[list[Problem], dict[str, bool]]:
    """The type problems of a site's record, and per column whether its value is well typed."""
    problems: list[Problem] = []
    typed_ok: dict[str, bool] = {}
    for column, kind in COLUMN_KINDS.items():
        bad = _type_problem(column, kind, rec[column])
        if bad is not None:
            problems.append(Problem(row, column, *bad))
        typed_ok[column] = bad is None
    return problems, typed_ok


def _identity_problems(site: Site, typed_ok: Mapping[str, bool], row: int | None) -> list[Problem]:
    """Id (not blank, no surrounding spaces, bounded), name (not blank) and US state code."""
    out: list[Problem] = []
    if typed_ok["id"]:
        if not site.id.strip():
            out.append(Problem(row, "id", site.id, "must not be blank"))
        elif site.id != site.id.strip():
            out.append(Problem(row, "id", site.id, "must not start or end with spaces"))
        elif len(site.id) > MAX_ID_LENGTH:
            out.append(Problem(row, "id", site.id, f"must be at most {MAX_ID_LENGTH} characters"))
    if typed_ok["name"] and not site.name.strip():
        out.append(Problem(row, "name", site.name, "must not be blank"))
    if typed_ok["state"] and site.state and site.state not in US_STATE_CODES:
        out.append(
            Problem(
                row,
                "state",
                shown_text(site.state),
                "must be a two-letter US state code (e.g. TX) or blank",
            )
        )
    return out


def _choice_problems(
    rec: Mapping[str, object], typed_ok: Mapping[str, bool], row: int | None
) -> list[Problem]:
    """Each choice column holds one of its allowed values (grid region: any case or alias)."""
    out: list[Problem] = []
    for column, allowed in CHOICE_COLUMNS.items():
        if column == "grid_region":
            # Grid region: any canonical name or alias, case-insensitive (sites.schema).
            if typed_ok[column]:
                try:
                    canonical_grid_region(rec[column])
                except ValueError:
                    rule = "must be one of " + ", ".join(allowed) + " (any case, or an alias)"
                    out.append(Problem(row, column, shown_value(rec[column]), rule))
            continue
        optional = COLUMN_KINDS[column] == "optional_choice"
        if optional and rec[column] is None:
            continue  # unknown (sites.unknowns values it)
        if typed_ok[column] and rec[column] not in allowed:
            rule = "must be one of " + ", ".join(allowed)
            rule += ", or blank when unknown" if optional else ""
            out.append(Problem(row, column, shown_value(rec[column]), rule))
    return out


def _range_problems(
    rec: Mapping[str, object], typed_ok: Mapping[str, bool], row: int | None
) -> list[Problem]:
    """Each numeric column inside its inclusive plausibility range (``_RANGES``)."""
    out: list[Problem] = []
    for column, (low, high) in _RANGES.items():
        v = rec[column]
        if not typed_ok[column] or v is None:  # None: unknown, allowed for optional columns
            continue
        if (low is not None and v < low) or (high is not None and v > high):  # type: ignore[operator]
            out.append(Problem(row, column, v, _fmt_range(low, high)))
    return out


def _power_problems(site: Site, typed_ok: Mapping[str, bool], row: int | None) -> list[Problem]:
    """Contracted MW at least energized MW; a fixed PPA or tariff price at least 0."""
    out: list[Problem] = []
    p = site.power
    if (
        typed_ok["energized_mw"]
        and typed_ok["contracted_mw"]
        and p.energized_mw >= 0
        and p.contracted_mw < p.energized_mw
    ):
        out.append(
            Problem(
                row,
                "contracted_mw",
                p.contracted_mw,
                f"must be at least energized_mw ({p.energized_mw:g} MW): energized power is "
                "contracted",
            )
        )
    if (
        typed_ok["contract_price_usd_per_mwh"]
        and typed_ok["contract_type"]
        and p.contract_type in ("fixed_ppa", "utility_tariff")
        and p.contract_price_usd_per_mwh is not None
        and p.contract_price_usd_per_mwh < 0
    ):
        out.append(
            Problem(
                row,
                "contract_price_usd_per_mwh",
                p.contract_price_usd_per_mwh,
                f"must be at least 0 for a {p.contract_type} (only an index adder may be negative)",
            )
        )
    return out


def _commissioning_year_problems(
    site: Site, typed_ok: Mapping[str, bool], today: date, row: int | None
) -> list[Problem]:
    """A known fleet commissioning year lies in ``commissioning_year_range(today)``."""
    year = site.facility.fleet_commissioning_year
    if not typed_ok["fleet_commissioning_year"] or year is None:
        return []
    first, last = commissioning_year_range(today)
    if first <= year <= last:
        return []
    rule = (
        f"must be between {first} (Bitcoin's first year) and {last} (next year), "
        "or blank when unknown"
    )
    return [Problem(row, "fleet_commissioning_year", year, rule)]


def _contract_expiry_problems(
    site: Site, typed_ok: Mapping[str, bool], today: date, row: int | None
) -> list[Problem]:
    """A given power contract expiry lies after ``today`` (the one rule that moves with dates)."""
    expiry = site.power.contract_expiry
    if not typed_ok["contract_expiry"] or expiry is None or expiry > today:
        return []
    rule = f"must be after today ({today.isoformat()}) when given; leave blank if unknown"
    return [Problem(row, "contract_expiry", expiry, rule)]


def _substation_problems(
    site: Site, typed_ok: Mapping[str, bool], row: int | None
) -> list[Problem]:
    """A substation on site is 0 km away."""
    s = site.substation
    if (
        typed_ok["substation_on_site"]
        and typed_ok["substation_distance_km"]
        and s.on_site is True
        and s.distance_km is not None
        and s.distance_km != 0
    ):
        rule = "must be 0 when substation_on_site is true"
        return [Problem(row, "substation_distance_km", s.distance_km, rule)]
    return []


def _design_temperature_problems(
    site: Site, typed_ok: Mapping[str, bool], row: int | None
) -> list[Problem]:
    """The design wet-bulb temperature is at most the dry-bulb one (both known)."""
    c = site.connectivity
    if (
        typed_ok["design_dry_bulb_c"]
        and typed_ok["design_wet_bulb_c"]
        and c.design_wet_bulb_c is not None
        and c.design_dry_bulb_c is not None
        and c.design_wet_bulb_c > c.design_dry_bulb_c
    ):
        rule = f"must be at most design_dry_bulb_c ({c.design_dry_bulb_c:g} C)"
        return [Problem(row, "design_wet_bulb_c", c.design_wet_bulb_c, rule)]
    return []


def _fleet_problems(site: Site, row: int | None) -> list[Problem]:
    fleet = site.facility.fleet
    if not isinstance(fleet, tuple):
        return [Problem(row, "fleet", fleet, "must be a tuple of (model name, unit count) pairs")]
    out: list[Problem] = []
    if len(fleet) > MAX_FLEET_ENTRIES:
        return [
            Problem(
                row,
                "fleet",
                f"{len(fleet)} entries",
                f"must list at most {MAX_FLEET_ENTRIES} machine models",
            )
        ]
    for entry in fleet:
        if not (isinstance(entry, tuple) and len(entry) == 2):
            out.append(Problem(row, "fleet", entry, "each entry must be (model name, unit count)"))
            continue
        name, count = entry
        if not isinstance(name, str) or not name.strip():
            out.append(Problem(row, "fleet", entry, "machine model name must not be blank"))
        elif len(name) > MAX_MACHINE_NAME_LENGTH:
            out.append(
                Problem(
                    row,
                    "fleet",
                    (clip_text(name), count),
                    f"machine model name must be at most {MAX_MACHINE_NAME_LENGTH} characters",
                )
            )
        elif (rule := _bad_character_rule(name)) is not None:
            out.append(
                Problem(row, "fleet", (shown_text(name), count), "machine model name " + rule)
            )
        elif name != name.strip() or ";" in name:
            out.append(
                Problem(
                    row,
                    "fleet",
                    entry,
                    "machine model name must not contain ';', or start or end with spaces",
                )
            )
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            out.append(Problem(row, "fleet", entry, "unit count must be a whole number >= 0"))
        elif count > MAX_FLEET_UNITS:
            out.append(
                Problem(row, "fleet", entry, f"unit count must be at most {MAX_FLEET_UNITS:,}")
            )
    return out


def shown_value(value: object) -> object:
    """A value for a problem: text as :func:`shown_text` shows it (shortened, its invisible
    characters as code points), anything else as it is."""
    return shown_text(value) if isinstance(value, str) else value


def check_site(site: object, *, today: date | None = None) -> None:
    """Raise ``SiteValidationError`` when ``site`` is not a ``Site`` or breaks any inventory rule.

    For callers that value a site (``valuation.decision.compare``): the same rules as a save,
    except the calendar rule on contract expiry (``dated=False``), so a site saved with a contract
    that has expired since still values.

    Parameters
    ----------
    site : object
        The site to check.
    today : datetime.date, optional
        The date the rules are read at (default today).

    Returns
    -------
    None
        The site passes every rule.

    Raises
    ------
    SiteValidationError
        Its ``problems`` list every broken rule (row, column, value, rule).

    Examples
    --------
    >>> import dataclasses
    >>> from sites import SiteValidationError, load_example_portfolio
    >>> from sites.validation import check_site
    >>> site = load_example_portfolio()[0]
    >>> check_site(site)
    >>> try:
    ...     check_site(dataclasses.replace(site, name=""))
    ... except SiteValidationError as error:
    ...     print(error.problems)
    [Problem(row=None, column='name', value='', rule='must not be blank')]
    """
    if not isinstance(site, Site):
        raise SiteValidationError(
            [Problem(None, "site", clip_text(repr(site)), "must be a sites.schema.Site")]
        )
    problems = validate_site(site, today=today, dated=False)
    if problems:
        raise SiteValidationError(problems)


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
