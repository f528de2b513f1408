"""The site inventory schema: a ``Site`` and its parts, with units in every field name.

A site's power rights are gross MW at the meter; nothing here is critical IT power (that is
gross MW divided by a design PUE, decided by the retrofit model). Validation rules live in
``sites.validation``; these dataclasses only describe the shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date

# Canonical grid regions: the seven ISO/RTO markets and two non-market utility-tariff regions
# (vertically integrated utilities outside an organised market: the Southeast, mostly SERC, and
# the West outside CAISO, mostly WECC). ``valuation.regions`` maps each to its region object.
CANONICAL_GRID_REGIONS: tuple[str, ...] = (
    "ERCOT",
    "PJM",
    "MISO",
    "SPP",
    "NYISO",
    "ISO-NE",
    "CAISO",
    "Southeast",
    "West",
)
# Other accepted spellings, matched case-insensitively (after trimming and collapsing spaces) ->
# canonical name. "other" is a site whose market is not known: valued on the Southeast
# utility-tariff region (a tariff, not a market price), and never refused.
GRID_REGION_ALIASES: dict[str, str] = {
    "ercot": "ERCOT",
    "texas": "ERCOT",
    "pjm interconnection": "PJM",
    "pjm": "PJM",
    "miso": "MISO",
    "midcontinent iso": "MISO",
    "spp": "SPP",
    "southwest power pool": "SPP",
    "nyiso": "NYISO",
    "new york iso": "NYISO",
    "iso-ne": "ISO-NE",
    "isone": "ISO-NE",
    "iso ne": "ISO-NE",
    "iso new england": "ISO-NE",
    "caiso": "CAISO",
    "california iso": "CAISO",
    "southeast": "Southeast",
    "serc non-iso": "Southeast",
    "serc": "Southeast",
    "west": "West",
    "wecc non-iso": "West",
    "wecc": "West",
    "other": "Southeast",
}
# Every name the inventory offers as a choice: the canonical names and the legacy spellings stored
# sites carry ("WECC non-ISO", "SERC non-ISO", "other"); any alias above is also accepted.
GRID_REGIONS: tuple[str, ...] = CANONICAL_GRID_REGIONS + ("WECC non-ISO", "SERC non-ISO", "other")


def canonical_grid_region(name: object) -> str:
    """The canonical grid region for ``name`` (a canonical name or an alias, any case).

    Raises ``ValueError`` naming the value and the allowed names when it is unknown.
    """
    if isinstance(name, str):
        key = " ".join(name.strip().split()).lower()
        for canonical in CANONICAL_GRID_REGIONS:
            if key == canonical.lower():
                return canonical
        if key in GRID_REGION_ALIASES:
            return GRID_REGION_ALIASES[key]
    raise ValueError(
        f"grid_region={name!r} is not a known grid region; allowed: "
        + ", ".join(GRID_REGIONS)
        + " (case-insensitive; aliases such as 'WECC non-ISO', 'SERC non-ISO', 'other')"
    )


COOLING_TYPES: tuple[str, ...] = ("air", "hydro", "immersion")
CONTRACT_TYPES: tuple[str, ...] = ("fixed_ppa", "index_plus_adder", "utility_tariff")
SUBSTATION_OWNERS: tuple[str, ...] = ("utility", "site")
WATER_AVAILABILITY: tuple[str, ...] = ("none", "limited", "ample")
SITE_STATUSES: tuple[str, ...] = ("operating", "under_construction", "planned")
# A price a site's price history may hold, USD/MWh, either sign: twenty times ERCOT's $5,000
# offer cap (PUCT rule 25.505, 2024), a bound on nonsense rather than a market rule. One bound
# for the store (sites.store) and the price files the valuation reads (valuation.power).
MAX_ABS_PRICE_USD_PER_MWH = 100_000.0

# Design dry- and wet-bulb temperatures a site may carry, deg C (inclusive). The inventory accepts
# this range and the retrofit model values any site inside it: one range for both.
DESIGN_TEMPERATURE_RANGE_C: tuple[float, float] = (-60.0, 60.0)


# Unknown values. A field typed ``X | None`` may be None = UNKNOWN (a blank cell in a file, the
# editor or the "Add a site" form), which is not the same as a real zero: 0 acres is a site that
# holds no land, None a site whose land nobody has entered. Every consumer values an unknown on a
# documented conservative assumption (``sites.unknowns`` lists them; ``models`` and
# ``valuation.power`` apply them), and ``unknown_fields`` tells a page what to warn about. The
# dataclass defaults below are the values of a site built in code without that field; the file,
# editor and form layers (``sites.io``) turn a blank into None instead.


@dataclass(frozen=True)
class Land:
    """Land held at the site, in acres (None = unknown; 0 = none held)."""

    acres_owned: float | None = 0.0
    acres_leased: float | None = 0.0
    acres_expansion: float | None = 0.0  # available for expansion, owned or under option


@dataclass(frozen=True)
class PowerRights:
    """Power rights at the meter (gross MW) and the supply contract."""

    energized_mw: float = 0.0
    contracted_mw: float = 0.0
    interruptible_share: float = 0.0  # fraction of contracted MW the grid may interrupt, [0, 1]
    contract_type: str = "index_plus_adder"  # one of CONTRACT_TYPES
    # The fixed price, the tariff, or the adder over the index; None = unknown (valued at the
    # region's index price plus its default adder, ``valuation.power.PowerContract.from_site``).
    # 0 is a real price: an index contract with no adder.
    contract_price_usd_per_mwh: float | None = 0.0
    contract_expiry: date | None = None
    queue_mw: float = 0.0  # MW in the interconnection queue
    queue_energization_date: date | None = None


@dataclass(frozen=True)
class Substation:
    """The substation serving the site. None = unknown in every field but the owner: valued as an
    off-site substation, a conservative distance away, with no spare capacity and a high side too
    low for the load (``sites.unknowns``)."""

    on_site: bool | None = True
    distance_km: float | None = 0.0  # 0 when on site
    capacity_mva: float | None = 0.0  # 0 is a real figure: no transformer capacity to reuse
    high_side_voltage_kv: float | None = 138.0
    owner: str = "utility"  # one of SUBSTATION_OWNERS


@dataclass(frozen=True)
class Facility:
    """Today's mining facility."""

    cooling_type: str = "air"  # one of COOLING_TYPES
    hall_count: int = 1
    hall_power_mw: float = 0.0  # gross MW per hall
    building_area_m2: float | None = 0.0  # None = unknown: no building reused (all shell new)
    fleet: tuple[tuple[str, int], ...] = ()  # (machine model name, unit count)
    # Year the bulk of today's fleet was commissioned (installed and hashing); None = unknown.
    fleet_commissioning_year: int | None = None


@dataclass(frozen=True)
class Connectivity:
    """Fiber, latency and climate: what an AI tenant asks about after power."""

    # None = unknown in each optional field (``sites.unknowns`` gives the conservative value).
    fiber_distance_km: float | None = 0.0  # to the nearest long-haul fiber route
    carrier_count: int | None = 0
    metro_distance_km: float = 0.0  # to the nearest major metro or internet exchange
    design_dry_bulb_c: float | None = 35.0  # ASHRAE 0.4% cooling design dry-bulb, deg C
    design_wet_bulb_c: float | None = 24.0  # ASHRAE 0.4% evaporation design wet-bulb, deg C
    water_availability: str | None = "limited"  # one of WATER_AVAILABILITY


@dataclass(frozen=True)
class Site:
    """One site of the inventory: identity and place, then its parts."""

    id: str
    name: str
    operator: str = ""
    latitude: float = 0.0
    longitude: float = 0.0
    county: str = ""
    state: str = ""  # two-letter US state code
    grid_region: str = "other"  # one of GRID_REGIONS
    land: Land = field(default_factory=Land)
    power: PowerRights = field(default_factory=PowerRights)
    substation: Substation = field(default_factory=Substation)
    facility: Facility = field(default_factory=Facility)
    connectivity: Connectivity = field(default_factory=Connectivity)
    status: str = "operating"  # one of SITE_STATUSES
    notes: str = ""
    source: str = ""  # where the public facts come from
    approximate: bool = False  # True where coordinates or figures are estimates

    @property
    def firm_mw(self) -> float:
        """Gross MW that is not interruptible: what an AI tenant's firm load may use."""
        return self.power.contracted_mw * (1.0 - self.power.interruptible_share)


# --- Flat records: one column per leaf field, the layout of the CSV/Excel files and the database ---
# Substation fields carry a "substation_" prefix (``on_site``, ``owner`` would be ambiguous alone);
# every other part's fields are already unique and unit-named, so they keep their names.

_PARTS: tuple[tuple[str, type, str], ...] = (
    ("land", Land, ""),
    ("power", PowerRights, ""),
    ("substation", Substation, "substation_"),
    ("facility", Facility, ""),
    ("connectivity", Connectivity, ""),
)
_TOP_BEFORE: tuple[str, ...] = (
    "id",
    "name",
    "operator",
    "latitude",
    "longitude",
    "county",
    "state",
    "grid_region",
)
_TOP_AFTER: tuple[str, ...] = ("status", "notes", "source", "approximate")


def _kind(annotation: str) -> str:
    """Column kind from a dataclass field annotation (a string under postponed evaluation)."""
    kinds = {
        "float": "float",
        "int": "int",
        "str": "str",
        "bool": "bool",
        "date | None": "date",
        "int | None": "optional_int",
        "float | None": "optional_float",
        "bool | None": "optional_bool",
        "str | None": "optional_choice",
        "tuple[tuple[str, int], ...]": "fleet",
    }
    return kinds[annotation]


def _columns() -> tuple[tuple[str, str | None, str, str], ...]:
    """(column, part attribute or None, field name, kind) for every flat column, in file order."""
    top = {f.name: f for f in fields(Site)}
    out: list[tuple[str, str | None, str, str]] = []
    for name in _TOP_BEFORE:
        out.append((name, None, name, _kind(str(top[name].type))))
    for attr, cls, prefix in _PARTS:
        for f in fields(cls):
            out.append((prefix + f.name, attr, f.name, _kind(str(f.type))))
    for name in _TOP_AFTER:
        out.append((name, None, name, _kind(str(top[name].type))))
    return tuple(out)


COLUMN_SPECS: tuple[tuple[str, str | None, str, str], ...] = _columns()
"""(column, part, field, kind) per flat column; kind is one of float, int, str, bool, date, fleet,
and the ones that may be None (unknown): optional_int, optional_float, optional_bool,
optional_choice (one of the column's choices, or None)."""
SITE_COLUMNS: tuple[str, ...] = tuple(c[0] for c in COLUMN_SPECS)
"""Flat column names of a Site, in the order of the CSV/Excel files and the ``sites`` table."""
COLUMN_KINDS: dict[str, str] = {c[0]: c[3] for c in COLUMN_SPECS}
OPTIONAL_KINDS: tuple[str, ...] = (
    "optional_int",
    "optional_float",
    "optional_bool",
    "optional_choice",
)
UNKNOWN_COLUMNS: tuple[str, ...] = tuple(
    c
    for c, kind in COLUMN_KINDS.items()
    if kind in OPTIONAL_KINDS and c != "fleet_commissioning_year"
)
"""Columns where a blank means UNKNOWN (None) and is valued on a conservative assumption
(``sites.unknowns``). ``fleet_commissioning_year`` may be None too, but an unknown year only
selects the fleet's own assumptions (``valuation.fleet``), so it is not warned about; dates
(contract expiry, queue energization) are "no date" when blank, as before."""


def unknown_fields(site: Site) -> tuple[str, ...]:
    """The flat column names (``UNKNOWN_COLUMNS`` order) whose value is unknown (None) in ``site``.

    A page warns with these; the valuation values each on ``sites.unknowns.ASSUMPTIONS``. A
    substation known to be on site has no distance to know, so ``substation_distance_km`` is not
    reported then.
    """
    rec = to_record(site)
    out = [c for c in UNKNOWN_COLUMNS if rec[c] is None]
    if site.substation.on_site is True and "substation_distance_km" in out:
        out.remove("substation_distance_km")
    return tuple(out)


def fleet_to_text(fleet: tuple[tuple[str, int], ...]) -> str:
    """Serialise a fleet as ``"S21:1000;S19 XP:500"`` (model name, colon, unit count; ``;`` between)."""
    return ";".join(f"{name}:{count}" for name, count in fleet)


# Bad entries a fleet parse error lists, each shortened to CLIP_LENGTH characters.
MAX_FLEET_ERRORS_SHOWN = 5
CLIP_LENGTH = 80


def clip_text(text: str, limit: int = CLIP_LENGTH) -> str:
    """A long text shortened for a message to ``limit`` characters and an ellipsis (a message
    gives the full length where it matters)."""
    return text if len(text) <= limit else text[:limit] + "…"


def fleet_from_text(text: str) -> tuple[tuple[str, int], ...]:
    """Parse ``"S21:1000;S19 XP:500"``; the count follows the LAST colon, so names may hold colons.

    Raises ValueError listing every entry that is not ``model:count`` with a whole count >= 0
    (the first MAX_FLEET_ERRORS_SHOWN, each shortened, and how many more).
    """
    text = text.strip()
    if not text:
        return ()
    out: list[tuple[str, int]] = []
    bad: list[str] = []
    for entry in text.split(";"):
        name, sep, count = entry.strip().rpartition(":")
        shown = repr(clip_text(entry.strip(), 40))
        if not sep or not name.strip():
            bad.append(f"{shown} is not 'model:count'")
            continue
        try:
            n = int(count.strip())
        except ValueError:
            bad.append(f"{shown}: count {clip_text(count.strip(), 20)!r} is not a whole number")
            continue
        if n < 0:
            bad.append(f"{shown}: count {n} is below 0")
            continue
        out.append((name.strip(), n))
    if bad:
        more = len(bad) - MAX_FLEET_ERRORS_SHOWN
        raise ValueError(
            f"{len(bad)} fleet entr{'y' if len(bad) == 1 else 'ies'} not read: "
            + "; ".join(bad[:MAX_FLEET_ERRORS_SHOWN])
            + (f"; and {more:,} more" if more > 0 else "")
            + " (each entry is 'model:count' with a whole count >= 0, e.g. 'S21:1000')"
        )
    return tuple(out)


def to_record(site: Site) -> dict[str, object]:
    """A flat dict (column -> value) of a Site; values keep their Python types (date, bool, ...).

    The fleet stays a tuple here; file and database layers serialise it with ``fleet_to_text``.
    """
    rec: dict[str, object] = {}
    for column, part, name, _ in COLUMN_SPECS:
        holder = site if part is None else getattr(site, part)
        rec[column] = getattr(holder, name)
    return rec


def from_record(record: dict[str, object]) -> Site:
    """Build a Site from a flat record as made by ``to_record``; missing columns take defaults.

    Values are used as given (no conversion or validation: see ``sites.io`` and
    ``sites.validation``).
    """
    top: dict[str, object] = {}
    parts: dict[str, dict[str, object]] = {attr: {} for attr, _, _ in _PARTS}
    for column, part, name, _ in COLUMN_SPECS:
        if column not in record:
            continue
        if part is None:
            top[name] = record[column]
        else:
            parts[part][name] = record[column]
    classes = {attr: cls for attr, cls, _ in _PARTS}
    for attr, values in parts.items():
        top[attr] = classes[attr](**values)
    return Site(**top)  # type: ignore[arg-type]
