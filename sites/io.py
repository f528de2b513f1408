"""Validated CSV and Excel (.xlsx) import and export of sites.

Files have one row per site and the flat columns of ``sites.schema.SITE_COLUMNS``. Round trips are
exact: floats are written with Python's shortest round-tripping repr (also into .xlsx, where
openpyxl alone would keep only 16 significant digits), dates as ISO dates, booleans as true/false,
the fleet as ``"S21:1000;S19 XP:500"``.

Reading validates every row first and raises one ``SiteValidationError`` listing every problem
(row as the user sees it: the header is row 1, the first site row 2; column; value; rule).

Blank cells (``parse_sites(..., blank="keep")``, the file import): a row whose id is stored in
``base`` is a partial update by id, and a blank cell, like a column left out of the file, keeps the
stored value in EVERY column. To clear a stored text, date or fleet cell write ``(clear)``
(``CLEAR_TOKEN``): text becomes empty, a date "no date", the fleet "no machines"; numbers, true/false
and choice columns always have a value and cannot be cleared. In a row for a new site a blank (or
``(clear)``) text is empty, a blank date "no date", a blank fleet "no machines" and a blank number,
true/false or choice cell the schema default, except latitude, longitude and grid_region, which a
new site must give. A blank ``metro_distance_km`` of a new site, or an unchanged one when a stored
site's coordinates change, is computed with ``sites.geo.nearest_metro`` (how the bundled sites got
theirs).

The inventory editor (``blank="clear"``) shows every stored value, so there an emptied text or date
cell clears it and an emptied number, true/false or choice cell of a stored site is refused.

Export is safe to open in Excel: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
single quote gets a leading single quote (OWASP "CSV injection" guidance), which file import
removes (the editor's cells were never neutralised, so they are taken as they are).
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO, Literal

from sites.errors import Problem, SiteFileError, SiteValidationError
from sites.schema import (
    COLUMN_KINDS,
    SITE_COLUMNS,
    Site,
    fleet_from_text,
    fleet_to_text,
    from_record,
    to_record,
)
from sites.validation import CHOICE_COLUMNS, validate_sites

FORMATS: tuple[str, ...] = ("csv", "xlsx")
SHEET_NAME = "sites"
# OWASP CSV injection: cells starting with these are run as formulas by spreadsheet programs.
# The single quote is included so that neutralising can be undone without ambiguity.
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "'")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}
_FIRST_DATA_ROW = 2

COLUMN_HELP: dict[str, str] = {
    "id": "unique site id (text, at most 100 characters)",
    "name": "site name",
    "operator": "company operating the site",
    "latitude": "degrees north, -90..90",
    "longitude": "degrees east, -180..180 (US sites are negative)",
    "county": "county or parish",
    "state": "two-letter US state code",
    "grid_region": "ERCOT, PJM, MISO, SPP, NYISO, ISO-NE, CAISO, WECC non-ISO, SERC non-ISO, other",
    "acres_owned": "acres owned",
    "acres_leased": "acres leased",
    "acres_expansion": "acres available for expansion",
    "energized_mw": "gross MW energized today at the meter",
    "contracted_mw": "gross MW under contract (at least energized_mw)",
    "interruptible_share": "fraction of contracted MW the grid may interrupt, 0..1",
    "contract_type": "fixed_ppa, index_plus_adder, utility_tariff",
    "contract_price_usd_per_mwh": "fixed price, or the adder over the index, USD/MWh",
    "contract_expiry": "power contract expiry date YYYY-MM-DD (after today), or blank",
    "queue_mw": "gross MW in the interconnection queue",
    "queue_energization_date": "expected energization of the queued MW, YYYY-MM-DD or blank",
    "substation_on_site": "true when the substation is on site",
    "substation_distance_km": "km to the substation (0 when on site)",
    "substation_capacity_mva": "substation capacity, MVA",
    "substation_high_side_voltage_kv": "high-side voltage, kV",
    "substation_owner": "utility or site",
    "cooling_type": "today's halls: air, hydro, immersion",
    "hall_count": "number of halls",
    "hall_power_mw": "gross MW per hall",
    "building_area_m2": "building area, square metres",
    "fleet": "machines and counts, e.g. S21:1000;S19 XP:500",
    "fiber_distance_km": "km to long-haul fiber",
    "carrier_count": "number of fiber carriers",
    "metro_distance_km": "km to the nearest major metro or internet exchange",
    "design_dry_bulb_c": "ASHRAE 0.4% cooling design dry-bulb, deg C",
    "design_wet_bulb_c": "ASHRAE 0.4% evaporation design wet-bulb, deg C",
    "water_availability": "none, limited, ample",
    "status": "operating, under_construction, planned",
    "notes": "free text",
    "source": "where the public facts come from",
    "approximate": "true where coordinates or figures are estimates",
}


# --- formula-injection neutralising ---------------------------------------------------------


def neutralise(text: str) -> str:
    """Prefix a single quote to text a spreadsheet would run as a formula (see FORMULA_TRIGGERS)."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def unneutralise(text: str) -> str:
    """Undo ``neutralise``: drop a leading quote that precedes a formula trigger."""
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


# --- cell formatting and parsing -----------------------------------------------------------


def _format_csv(kind: str, value: object) -> str:
    if kind == "float":
        return repr(float(value))  # type: ignore[arg-type]
    if kind == "int":
        return str(int(value))  # type: ignore[call-overload]
    if kind == "bool":
        return "true" if value else "false"
    if kind == "date":
        return "" if value is None else value.isoformat()  # type: ignore[attr-defined]
    if kind == "fleet":
        return neutralise(fleet_to_text(value))  # type: ignore[arg-type]
    return neutralise(str(value))


def _format_xlsx(kind: str, value: object) -> object:
    if kind in ("float", "int", "bool", "date"):
        return value
    if kind == "fleet":
        return neutralise(fleet_to_text(value)) or None  # type: ignore[arg-type]
    return neutralise(str(value)) or None


class _Marker:
    """A cell that carries no value: blank, or the explicit clear token."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_BLANK = _Marker("<blank>")
_CLEAR = _Marker("(clear)")
CLEAR_TOKEN = "(clear)"
# Columns a new site must give (a blank would put it at 0 N 0 E, in the Gulf of Guinea).
REQUIRED_FOR_NEW: tuple[str, ...] = ("latitude", "longitude", "grid_region")
_EMPTY = {"str": "", "date": None, "fleet": ()}


def _clearable(column: str) -> bool:
    """Text (not a choice), date and fleet cells can be emptied; numbers and choices cannot."""
    return COLUMN_KINDS[column] in _EMPTY and column not in CHOICE_COLUMNS and column != "id"


def _parse(column: str, kind: str, raw: object, *, from_file: bool = True) -> object:
    """Cell value -> Python value, _BLANK or _CLEAR; raises ValueError with the rule on bad input.

    ``from_file``: undo the export's formula neutralising (``unneutralise``) on text cells; the
    editor's cells were never neutralised, so a leading quote there is data.
    """
    if isinstance(raw, str) and kind not in ("str", "fleet"):
        raw = raw.strip()
    if column == "id":
        if raw is None:
            return ""
    elif raw is None or raw == "":  # text keeps its spaces: " " is data (exact round trip)
        return _BLANK
    elif isinstance(raw, str) and raw.strip().lower() == CLEAR_TOKEN:
        return _CLEAR
    text_of = unneutralise if from_file else (lambda t: t)
    if kind == "str":
        if isinstance(raw, bool):
            raise ValueError("must be text")
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)  # a spreadsheet turned a numeric-looking id into a number
        return text_of(str(raw))
    if kind == "fleet":
        return fleet_from_text(text_of(str(raw)))
    if kind == "date":
        if isinstance(raw, datetime):
            if raw.time() != datetime.min.time():
                raise ValueError("must be a date without a time of day")
            return raw.date()
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            raise ValueError("must be a date written YYYY-MM-DD") from None
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError("must be true or false")
    if isinstance(raw, bool):
        raise ValueError("must be a number, not true/false")
    if kind == "float":
        try:
            return float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError("must be a number") from None
    # int
    if isinstance(raw, int):
        return raw
    try:
        as_float = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError("must be a whole number") from None
    if not as_float.is_integer():
        raise ValueError("must be a whole number")
    return int(as_float)


# --- readers -------------------------------------------------------------------------------


Source = str | Path | bytes | BinaryIO


def _format_of(source: Source, fmt: str | None) -> str:
    if fmt is None:
        if isinstance(source, str | Path):
            fmt = Path(source).suffix.lstrip(".").lower()
        else:
            raise SiteFileError(
                "fmt must be given ('csv' or 'xlsx') when reading bytes or a stream"
            )
    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise SiteFileError(
            f"file format {fmt!r} is not supported; use one of {', '.join(FORMATS)}"
        )
    return fmt


def _read_bytes(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str | Path):
        return Path(source).read_bytes()
    return source.read()


def _rows_csv(data: bytes) -> list[list[object]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SiteFileError(f"the CSV file is not UTF-8 text ({exc})") from None
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]


def _rows_xlsx(data: bytes) -> list[list[object]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a corrupt file
        raise SiteFileError(f"the file is not a readable .xlsx workbook ({exc})") from None
    try:
        ws = wb[SHEET_NAME] if SHEET_NAME in wb.sheetnames else wb.worksheets[0]
        return [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def read_rows(
    source: Source, fmt: str | None = None
) -> tuple[list[str], list[tuple[int, dict[str, object]]]]:
    """Header and the non-blank data rows (row number as seen in the file, column -> raw cell)."""
    fmt = _format_of(source, fmt)
    data = _read_bytes(source)
    rows = _rows_csv(data) if fmt == "csv" else _rows_xlsx(data)
    if not rows:
        raise SiteFileError("the file is empty: expected a header row with an 'id' column")
    header = ["" if h is None else str(h).strip() for h in rows[0]]
    while header and header[-1] == "":
        header.pop()
    if "id" not in header:
        raise SiteFileError(
            f"the header row has no 'id' column (found: {', '.join(header) or 'nothing'}); "
            "download the template for the expected columns"
        )
    out: list[tuple[int, dict[str, object]]] = []
    for i, raw in enumerate(rows[1:], start=_FIRST_DATA_ROW):
        if all(v is None or (isinstance(v, str) and v.strip() == "") for v in raw):
            continue
        cells = {h: (raw[j] if j < len(raw) else None) for j, h in enumerate(header) if h}
        out.append((i, cells))
    return header, out


def _coords_ok(record: Mapping[str, object]) -> bool:
    lat, lon = record["latitude"], record["longitude"]
    return all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        for v in (lat, lon)
    ) and (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0)  # type: ignore[operator]


def _metro_km(record: Mapping[str, object]) -> float:
    from sites.geo import nearest_metro

    return nearest_metro(float(record["latitude"]), float(record["longitude"])).distance_km  # type: ignore[arg-type]


def parse_sites(
    header: Sequence[str],
    rows: Sequence[tuple[int, Mapping[str, object]]],
    *,
    base: Mapping[str, Site] | None = None,
    today: date | None = None,
    blank: Literal["keep", "clear"] = "keep",
    from_file: bool = True,
    validate: Literal["all", "changed"] = "all",
) -> list[Site]:
    """Turn raw rows into validated Sites; raise SiteValidationError with every problem at once.

    ``base``: stored sites by id; a row with a stored id updates that site. ``blank="keep"`` (file
    import): a blank cell keeps the stored value, ``(clear)`` empties a text, date or fleet cell.
    ``blank="clear"`` (the editor, which shows every stored value): a blank text/date/fleet cell is
    emptied and a blank number, true/false or choice cell of a stored site is a problem. New sites
    must give latitude, longitude and grid_region. ``from_file``: undo the export's formula
    neutralising. ``validate="changed"``: the per-site rules run only on rows that differ from
    their stored site (unique ids are checked across all rows), so an untouched row never blocks
    a save of the others.
    """
    base = base or {}
    problems: list[Problem] = []
    seen: set[str] = set()
    for col in header:
        if col and col not in COLUMN_KINDS:
            problems.append(Problem(1, col, col, "unknown column; use the template's column names"))
        elif col in seen:
            problems.append(Problem(1, col, col, "column appears twice in the header"))
        seen.add(col)
    sites: list[Site] = []
    site_rows: list[int] = []
    unparsed: set[tuple[int, str]] = set()
    for row_no, cells in rows:
        parsed: dict[str, object] = {}
        emptied: list[str] = []
        for col in SITE_COLUMNS:
            if col not in cells:
                continue
            try:
                value = _parse(col, COLUMN_KINDS[col], cells[col], from_file=from_file)
            except ValueError as exc:
                problems.append(Problem(row_no, col, cells[col], str(exc)))
                unparsed.add((row_no, col))
                continue
            if value is _CLEAR or (value is _BLANK and blank == "clear"):
                emptied.append(col)
            elif value is not _BLANK:
                parsed[col] = value
        # A cell that could not be read takes its default so the row's other rules still run.
        site_id = parsed.get("id", "")
        start = base.get(site_id) if isinstance(site_id, str) else None
        record = to_record(start if start is not None else Site(id=str(site_id), name=""))
        for col in emptied:
            if _clearable(col):
                record[col] = _EMPTY[COLUMN_KINDS[col]]
            elif start is not None:
                problems.append(
                    Problem(
                        row_no,
                        col,
                        cells[col],
                        "must not be blank: a stored site keeps a value here (numbers, true/false "
                        "and choices cannot be cleared)",
                    )
                )
                unparsed.add((row_no, col))
        if start is None:
            for col in REQUIRED_FOR_NEW:
                if col not in parsed and (row_no, col) not in unparsed:
                    problems.append(
                        Problem(row_no, col, cells.get(col), "must be given for a new site")
                    )
                    unparsed.add((row_no, col))
        record.update(parsed)
        if _coords_ok(record):
            if start is None:
                if "metro_distance_km" not in parsed:
                    record["metro_distance_km"] = _metro_km(record)
            elif (record["latitude"], record["longitude"]) != (
                start.latitude,
                start.longitude,
            ) and record["metro_distance_km"] == start.connectivity.metro_distance_km:
                record["metro_distance_km"] = _metro_km(record)
        sites.append(from_record(record))
        site_rows.append(row_no)
    check = None
    if validate == "changed":
        check = [base.get(site.id) != site for site in sites]
    problems.extend(
        p
        for p in validate_sites(sites, today=today, rows=site_rows, check=check)
        if (p.row, p.column) not in unparsed
    )
    if problems:
        problems.sort(
            key=lambda p: (
                p.row or 0,
                SITE_COLUMNS.index(p.column) if p.column in SITE_COLUMNS else -1,
            )
        )
        raise SiteValidationError(problems)
    return sites


def read_sites(
    source: Source,
    fmt: str | None = None,
    *,
    base: Mapping[str, Site] | None = None,
    today: date | None = None,
) -> list[Site]:
    """Read and validate every site of a .csv or .xlsx file (a path, bytes or a binary stream).

    ``fmt`` ("csv" or "xlsx") is taken from the path's extension when not given. ``base`` maps ids
    to stored sites that rows with those ids update (blank or missing cells keep the stored value;
    ``(clear)`` empties a text, date or fleet cell). Raises SiteValidationError listing every problem, SiteFileError when the file
    cannot be read at all.
    """
    header, rows = read_rows(source, fmt)
    return parse_sites(header, rows, base=base, today=today)


# --- writers -------------------------------------------------------------------------------


_XLSX_LOCK = threading.Lock()


@contextlib.contextmanager
def _exact_xlsx_floats() -> Iterator[None]:
    """Make openpyxl write floats with repr (17 significant digits when needed), not "%.16g".

    openpyxl formats numbers with "%.16g", which loses the last digit of some doubles; an exact
    round trip needs repr. The patch is scoped to one save under a lock.
    """
    from openpyxl.cell import _writer

    original = _writer.safe_string

    def precise(value: object) -> str:
        if isinstance(value, float):
            return repr(value)
        return original(value)

    with _XLSX_LOCK:
        _writer.safe_string = precise
        try:
            yield
        finally:
            _writer.safe_string = original


def _csv_bytes(sites: Sequence[Site]) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(SITE_COLUMNS)
    for site in sites:
        rec = to_record(site)
        w.writerow([_format_csv(COLUMN_KINDS[c], rec[c]) for c in SITE_COLUMNS])
    return buf.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8 correctly


def _xlsx_bytes(sites: Sequence[Site]) -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    ws.append(list(SITE_COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "B2"
    date_cols = [i for i, c in enumerate(SITE_COLUMNS, start=1) if COLUMN_KINDS[c] == "date"]
    for site in sites:
        rec = to_record(site)
        ws.append([_format_xlsx(COLUMN_KINDS[c], rec[c]) for c in SITE_COLUMNS])
    for col in date_cols:
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = "yyyy-mm-dd"
    doc = wb.create_sheet("columns")
    doc.append(["column", "kind", "meaning"])
    for cell in doc[1]:
        cell.font = Font(bold=True)
    for c in SITE_COLUMNS:
        doc.append([c, COLUMN_KINDS[c], COLUMN_HELP.get(c, "")])
    buf = io.BytesIO()
    with _exact_xlsx_floats():
        wb.save(buf)
    return buf.getvalue()


def export_bytes(sites: Sequence[Site], fmt: str) -> bytes:
    """The sites as a .csv or .xlsx file's bytes (for a download button)."""
    fmt = _format_of(b"", fmt)
    return _csv_bytes(sites) if fmt == "csv" else _xlsx_bytes(sites)


def write_sites(sites: Sequence[Site], path: str | Path, fmt: str | None = None) -> Path:
    """Write the sites to ``path`` as CSV or .xlsx (from the extension unless ``fmt``)."""
    path = Path(path)
    path.write_bytes(export_bytes(sites, _format_of(path, fmt)))
    return path


def template_bytes(fmt: str) -> bytes:
    """An empty import template: the header row (and, in .xlsx, a 'columns' sheet explaining it)."""
    return export_bytes([], fmt)


def write_template(path: str | Path, fmt: str | None = None) -> Path:
    """Write an empty import template to ``path``."""
    return write_sites([], path, fmt)
