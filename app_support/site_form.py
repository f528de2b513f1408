"""The Inventory page's "Add a site" form: its fields, and the Site its values make.

The form asks for the facts a site cannot be valued without (id, name, coordinates, grid region,
power rights MW and contract type) and offers the others as optional: a blank there is UNKNOWN
(``sites.unknowns`` values it conservatively), never an optimistic zero. Values go through the
same parser and rules as a file row (``sites.io.parse_sites``), so the form accepts exactly what
an import would; ``form_problems`` words each problem with the field's label as the form shows it.
Nothing here writes: the page saves the site only when ``site_from_form`` returns one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date

from sites.errors import Problem, SiteValidationError
from sites.io import COLUMN_HELP, parse_sites
from sites.schema import Site


@dataclass(frozen=True)
class FormField:
    """One input of the form: the flat column it fills, its label, whether it is required and
    its widget kind ("text", "number", "choice", "yes_no"); for an optional field, what a blank
    means (the label says it)."""

    column: str
    label: str
    required: bool
    kind: str
    help: str = ""
    blank_means: str = "unknown"

    @property
    def shown_label(self) -> str:
        """The label with what a blank optional field means: "Operator (unknown if blank)"."""
        return self.label if self.required else f"{self.label} ({self.blank_means} if blank)"


def _f(
    column: str, label: str, kind: str, required: bool = False, blank_means: str = "unknown"
) -> FormField:
    return FormField(column, label, required, kind, COLUMN_HELP.get(column, ""), blank_means)


REQUIRED_FIELDS: tuple[FormField, ...] = (
    _f("id", "Site id", "text", True),
    _f("name", "Name", "text", True),
    _f("latitude", "Latitude (degrees north)", "number", True),
    _f("longitude", "Longitude (degrees east; US sites are negative)", "number", True),
    _f("grid_region", "Grid region", "choice", True),
    _f("contracted_mw", "Power rights, MW (gross at the meter)", "number", True),
    _f("contract_type", "Power contract type", "choice", True),
)
OPTIONAL_FIELDS: tuple[FormField, ...] = (
    _f("operator", "Operator", "text"),
    _f("state", "State (two letters)", "text"),
    _f("county", "County", "text"),
    _f("energized_mw", "Energized today, MW", "number", blank_means="nothing energized"),
    _f("contract_price_usd_per_mwh", "Contract price or adder, $/MWh", "number"),
    _f("substation_on_site", "Substation on site?", "yes_no"),
    _f("substation_distance_km", "Distance to the substation, km", "number"),
    _f("substation_capacity_mva", "Substation capacity, MVA", "number"),
    _f("substation_high_side_voltage_kv", "Substation high-side voltage, kV", "number"),
    _f("acres_owned", "Land owned, acres", "number"),
    _f("acres_leased", "Land leased, acres", "number"),
    _f("acres_expansion", "Expansion land, acres", "number"),
    _f("building_area_m2", "Building area, m2", "number"),
    _f("fiber_distance_km", "Distance to long-haul fiber, km", "number"),
    _f("carrier_count", "Fiber carriers", "number"),
    _f("design_dry_bulb_c", "Design dry-bulb, C (ASHRAE 0.4%)", "number"),
    _f("design_wet_bulb_c", "Design wet-bulb, C (ASHRAE 0.4%)", "number"),
    _f("water_availability", "Water", "choice"),
    _f("notes", "Notes", "text"),
    _f("source", "Source of the facts", "text"),
)
FIELDS: tuple[FormField, ...] = REQUIRED_FIELDS + OPTIONAL_FIELDS
LABELS: dict[str, str] = {f.column: f.label for f in FIELDS}


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def form_problems(problems: list[Problem]) -> list[str]:
    """Each problem in words naming the form's field: 'Latitude (degrees north): must be between
    -90 and 90 (found 123.0)'. Plain text: the page shows it with ``st.text`` or escaped."""
    out = []
    for p in problems:
        label = LABELS.get(p.column, p.column)
        found = "" if _blank(p.value) else f" (found {p.value!r})"
        out.append(f"{label}: {p.rule}{found}")
    return out


def site_from_form(
    values: Mapping[str, object],
    *,
    existing_ids: Collection[str] = (),
    today: date | None = None,
) -> Site:
    """The new Site the form's ``values`` (column -> widget value; None or "" = blank) describe.

    Raises ``SiteValidationError`` listing every problem (row None, the column, the value and the
    rule): a required field left blank, an id already in the inventory (``existing_ids``), and
    every rule an imported row must pass. Optional fields left blank are unknown.
    """
    problems: list[Problem] = []
    for f in REQUIRED_FIELDS:
        if _blank(values.get(f.column)):
            problems.append(Problem(None, f.column, values.get(f.column), "must be given"))
    site_id = values.get("id")
    if isinstance(site_id, str) and site_id in existing_ids:
        problems.append(
            Problem(
                None, "id", site_id, "is already used by a site in the inventory: choose another"
            )
        )
    row: dict[str, object] = {}
    for f in FIELDS:
        value = values.get(f.column)
        if f.kind == "text" and isinstance(value, str) and f.column not in ("notes", "source"):
            value = value.strip()  # a typed name or id keeps no stray spaces
        row[f.column] = None if _blank(value) else value
    try:
        (site,) = parse_sites(list(row), [(0, row)], today=today, from_file=False)
    except SiteValidationError as exc:
        seen = {(p.column) for p in problems}
        problems.extend(
            Problem(None, p.column, p.value, p.rule) for p in exc.problems if p.column not in seen
        )
        raise SiteValidationError(problems) from None
    if problems:
        raise SiteValidationError(problems)
    return site
