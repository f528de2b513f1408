"""Validated CSV and Excel (.xlsx) import and export of sites.

Files have one row per site and the flat columns of ``sites.schema.SITE_COLUMNS``. Round trips are
exact: floats are written with Python's shortest round-tripping repr (also into .xlsx, where
openpyxl alone would keep only 16 significant digits), dates as ISO dates, booleans as true/false,
the fleet as ``"S21:1000;S19 XP:500"``.

Reading validates every row first and raises one ``SiteValidationError`` listing every problem
(row as the user sees it: the header is row 1, the first site row 2; column; value; rule).

Unknown columns (``sites.schema.UNKNOWN_COLUMNS``: land acres, contract price, the substation's
placement, distance, capacity and voltage, building area, fiber distance, carrier count, design
temperatures, water): a blank there means UNKNOWN (None), valued on the conservative assumptions of
``sites.unknowns``, never an optimistic zero. A real zero is written 0.

Blank cells (``parse_sites(..., blank="keep")``, the file import): a row whose id is stored in
``base`` is a partial update by id, and a blank cell, like a column left out of the file, keeps the
stored value in EVERY column. To clear a stored cell write ``(clear)`` (``CLEAR_TOKEN``): text
becomes empty, a date "no date", the fleet "no machines", an unknown column unknown; other
numbers, true/false and choice columns always have a value and cannot be cleared. In a row for a
new site a blank (or ``(clear)``) text is empty, a blank date "no date", a blank fleet "no
machines", a blank (or left out) unknown column unknown, and a blank other number, true/false or
choice cell the schema default, except latitude, longitude and grid_region, which a new site must
give. A blank ``metro_distance_km`` of a new site, or an unchanged one when a stored site's
coordinates change, is computed with ``sites.geo.nearest_metro`` (how the bundled sites got
theirs).

The inventory editor (``blank="clear"``) shows every stored value, so there an emptied text, date
or unknown-column cell clears it and an emptied other number, true/false or choice cell of a
stored site is refused.

Notes rows: a row whose id cell starts with ``#`` is skipped (``COMMENT_PREFIX``); the template's
units row and example row are such rows, so the template imports as it is downloaded. Exported
text starting with ``#`` is neutralised like a formula (a leading single quote), so no stored site
is ever read back as a note.

Export is safe to open in Excel: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
single quote gets a leading single quote (OWASP "CSV injection" guidance), which file import
removes (the editor's cells were never neutralised, so they are taken as they are).
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import re
import stat
import threading
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO, Literal

from sites.errors import Problem, SiteFileError, SiteValidationError
from sites.schema import (
    COLUMN_KINDS,
    SITE_COLUMNS,
    UNKNOWN_COLUMNS,
    Site,
    fleet_from_text,
    fleet_to_text,
    from_record,
    to_record,
)
from sites.validation import CHOICE_COLUMNS, shown_text, shown_value, validate_sites

# --- limits on what one upload may cost ---------------------------------------------------------
# A file is refused before it is parsed when it is larger than these; the figures keep a refused
# upload's peak memory growth under 300 MB (measured: tests/hostile) and a 10,000-row import under
# 3 s (benchmarks/bench_import.py). 10,000 sites is far beyond any miner's portfolio (the largest
# public miners run a few dozen sites).
MAX_FILE_BYTES = 10 * 1024 * 1024  # 10 MiB: 10,000 rows of about 1 KB
MAX_DATA_ROWS = 10_000
# An .xlsx is a zip: its parts are bounded by their DECLARED uncompressed size (zipfile never
# returns more than that), so a small file cannot expand without limit.
MAX_XLSX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024
# Columns read from a sheet: the schema's, plus one to notice (and refuse) anything beyond them.
MAX_COLUMNS = len(SITE_COLUMNS)
# What openpyxl builds from an .xlsx, bounded before it parses anything: it makes every XML element
# of a sheet row (a row it cuts to MAX_COLUMNS + 1 columns only afterwards) and of the shared
# strings table, so a 78 KB file of 15.5 million empty cells in one row took 40 s and 5 GB. The
# bounds are what the allowed rows x columns need: the header, MAX_DATA_ROWS rows and one more to
# notice too many, each of MAX_COLUMNS + 1 cells; a cell is at most a few XML elements (the cell,
# its value, an inline text or a formula: an exported 10,000-site workbook has 2.2 a cell).
MAX_XLSX_CELLS = (MAX_DATA_ROWS + 2) * (MAX_COLUMNS + 1)
MAX_XLSX_SHARED_STRINGS = MAX_XLSX_CELLS  # each shared text is the value of at least one cell
MAX_XLSX_ELEMENTS_PER_CELL = 4
MAX_XLSX_ELEMENTS = MAX_XLSX_CELLS * MAX_XLSX_ELEMENTS_PER_CELL  # in all the workbook's XML
# Cells a row may hold: the template's columns with room for cells formatted or noted beyond
# them (1,024 columns, LibreOffice's old limit), so that one row costs openpyxl a few MB at most.
MAX_XLSX_CELLS_PER_ROW = 1_024

FORMATS: tuple[str, ...] = ("csv", "xlsx")
SHEET_NAME = "sites"
# OWASP CSV injection: cells starting with these are run as formulas by spreadsheet programs.
# The single quote is included so that neutralising can be undone without ambiguity.
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "'")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}
_FIRST_DATA_ROW = 2
COMMENT_PREFIX = "#"  # an id cell starting with this marks a notes row, skipped on import

COLUMN_HELP: dict[str, str] = {
    "id": "unique site id (text, at most 100 characters)",
    "name": "site name",
    "operator": "company operating the site",
    "latitude": "degrees north, -90..90",
    "longitude": "degrees east, -180..180 (US sites are negative)",
    "county": "county or parish",
    "state": "two-letter US state code",
    "grid_region": "ERCOT, PJM, MISO, SPP, NYISO, ISO-NE, CAISO, WECC non-ISO, SERC non-ISO, other",
    "acres_owned": "acres owned; blank = unknown (counted as 0)",
    "acres_leased": "acres leased; blank = unknown (counted as 0)",
    "acres_expansion": "acres available for expansion; blank = unknown (counted as 0)",
    "energized_mw": "gross MW energized today at the meter",
    "contracted_mw": "gross MW under contract (at least energized_mw)",
    "interruptible_share": "fraction of contracted MW the grid may interrupt, 0..1",
    "contract_type": "fixed_ppa, index_plus_adder, utility_tariff",
    "contract_price_usd_per_mwh": "fixed price, tariff, or the adder over the index, USD/MWh; "
    "blank = unknown (valued at the region's index price plus its default adder)",
    "contract_expiry": "power contract expiry date YYYY-MM-DD (after today), or blank",
    "queue_mw": "gross MW in the interconnection queue",
    "queue_energization_date": "expected energization of the queued MW, YYYY-MM-DD or blank",
    "substation_on_site": "true when the substation is on site; blank = unknown (valued as off site)",
    "substation_distance_km": "km to the substation (0 when on site); blank = unknown "
    "(valued as 16 km of line)",
    "substation_capacity_mva": "substation capacity, MVA; blank = unknown (valued as no headroom)",
    "substation_high_side_voltage_kv": "high-side voltage, kV; blank = unknown (valued as too "
    "low: all capacity new)",
    "substation_owner": "utility or site",
    "cooling_type": "today's halls: air, hydro, immersion",
    "hall_count": "number of halls",
    "hall_power_mw": "gross MW per hall",
    "building_area_m2": "building area, square metres; blank = unknown (no building reused)",
    "fleet": "machines and counts, e.g. S21:1000;S19 XP:500",
    "fleet_commissioning_year": "year most of today's fleet was commissioned (2009 to next year), "
    "or blank when unknown",
    "fiber_distance_km": "km to long-haul fiber; blank = unknown (valued as 50 km, the far case)",
    "carrier_count": "number of fiber carriers; blank = unknown (counted as 0)",
    "metro_distance_km": "km to the nearest major metro or internet exchange",
    "design_dry_bulb_c": "ASHRAE 0.4% cooling design dry-bulb, deg C; blank = unknown (valued "
    "hot: 38.5 C)",
    "design_wet_bulb_c": "ASHRAE 0.4% evaporation design wet-bulb, deg C; blank = unknown "
    "(valued humid: 27.5 C)",
    "water_availability": "none, limited, ample; blank = unknown (valued as none)",
    "status": "operating, under_construction, planned",
    "notes": "free text",
    "source": "where the public facts come from",
    "approximate": "true where coordinates or figures are estimates",
}


# --- formula-injection neutralising ---------------------------------------------------------


def _is_clear_token(text: str) -> bool:
    return "(" in text and text.strip().lower() == "(clear)"


def _needs_quote(text: str) -> bool:
    return (
        text.startswith(FORMULA_TRIGGERS)
        or text.startswith(COMMENT_PREFIX)
        or _is_clear_token(text)
    )


def neutralise(text: str) -> str:
    """Prefix a single quote to text a spreadsheet would run as a formula (see FORMULA_TRIGGERS),
    to a text that reads as the clear token ``(clear)``, so an exported "(clear)" imports as
    that text instead of clearing the cell, and to a text starting with ``#`` (an id that would
    read as a notes row)."""
    return "'" + text if _needs_quote(text) else text


def unneutralise(text: str) -> str:
    """Undo ``neutralise``: drop a leading quote that precedes a formula trigger, ``#`` or
    ``(clear)``."""
    if text.startswith("'") and _needs_quote(text[1:]):
        return text[1:]
    return text


# --- cell formatting and parsing -----------------------------------------------------------


def _format_csv(kind: str, value: object) -> str:
    if kind == "float":
        return repr(float(value))  # type: ignore[arg-type]
    if kind == "optional_float":
        return "" if value is None else repr(float(value))  # type: ignore[arg-type]
    if kind == "optional_bool":
        return "" if value is None else ("true" if value else "false")
    if kind == "optional_choice":
        return "" if value is None else neutralise(str(value))
    if kind == "int":
        return str(int(value))  # type: ignore[call-overload]
    if kind == "optional_int":
        return "" if value is None else str(int(value))  # type: ignore[call-overload]
    if kind == "bool":
        return "true" if value else "false"
    if kind == "date":
        return "" if value is None else value.isoformat()  # type: ignore[attr-defined]
    if kind == "fleet":
        return neutralise(fleet_to_text(value))  # type: ignore[arg-type]
    return neutralise(str(value))


def _format_xlsx(kind: str, value: object) -> object:
    if kind in ("float", "int", "optional_int", "bool", "date", "optional_float", "optional_bool"):
        return value  # None (unknown) is an empty cell
    if kind == "optional_choice":
        return None if value is None else neutralise(str(value))
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
_EMPTY = {
    "str": "",
    "date": None,
    "fleet": (),
    "optional_int": None,
    "optional_float": None,
    "optional_bool": None,
    "optional_choice": None,
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _clearable(column: str) -> bool:
    """Text (not a choice), date, fleet and every optional (unknown-able) cell can be emptied;
    other numbers, true/false and choices cannot."""
    kind = COLUMN_KINDS[column]
    if kind.startswith("optional_"):
        return True
    return kind in _EMPTY and column not in CHOICE_COLUMNS and column != "id"


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
    elif from_file and isinstance(raw, str) and _is_clear_token(raw):
        return _CLEAR  # the editor empties a cell instead; there "(clear)" is text
    text_of = unneutralise if from_file else (lambda t: t)
    if kind == "str":
        if isinstance(raw, bool):
            raise ValueError("must be text")
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)  # a spreadsheet turned a numeric-looking id into a number
        return text_of(str(raw))
    if kind == "fleet":
        return fleet_from_text(text_of(str(raw)))
    if kind == "optional_choice":
        if isinstance(raw, bool):
            raise ValueError("must be text")
        return text_of(str(raw))
    if kind == "date":
        if isinstance(raw, datetime):
            if raw.time() != datetime.min.time():
                raise ValueError("must be a date without a time of day")
            return raw.date()
        if isinstance(raw, date):
            return raw
        # date.fromisoformat also takes 20300101 and 2030-W01-1; the rule is YYYY-MM-DD only.
        if not (isinstance(raw, str) and _ISO_DATE.fullmatch(raw)):
            raise ValueError("must be a date written YYYY-MM-DD")
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise ValueError("must be a real date written YYYY-MM-DD") from None
    if kind in ("bool", "optional_bool"):
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
    if kind in ("float", "optional_float"):
        try:
            return float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError("must be a number") from None
    # int, optional_int (a blank optional_int is _BLANK above)
    if isinstance(raw, int):
        return raw
    try:
        as_float = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError("must be a whole number") from None
    if not as_float.is_integer():  # also nan and inf
        raise ValueError("must be a whole number")
    if isinstance(raw, str) and re.fullmatch(r"[+-]?\d+", raw.strip()):
        return int(raw.strip())  # exact: float("9007199254740993") would round
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


def _name_of(source: Source, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, str | Path):
        return Path(source).name
    return "the file"


_ALLOWED_FILE = "allowed: a .csv or .xlsx file"


def _not_a_file(mode: int, name: str) -> SiteFileError | None:
    """The error for a path that is not a regular file (a folder, a device such as /dev/stdin,
    a pipe or a socket), or None."""
    if stat.S_ISREG(mode):
        return None
    what = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a device, pipe or socket)"
    return SiteFileError(f"{name} is {what}; {_ALLOWED_FILE}")


def _check_regular_file(path: Path, name: str) -> None:
    """Refuse a path that exists and is not a regular file, before its extension is looked at
    (``/dev/stdin`` has none); a path that cannot be looked at is said when it is opened."""
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return
    if (problem := _not_a_file(mode, name)) is not None:
        raise problem


def _read_path(path: Path, name: str, where: str) -> bytes:
    """A regular file's bytes, at most MAX_FILE_BYTES + 1 of them. Opened without waiting (a pipe
    would block) and checked on the opened file, so a path swapped after the check is refused.
    ``where`` names the path in the errors about it, ``name`` the file in the others."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise SiteFileError(f"{where} does not exist; {_ALLOWED_FILE}") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise SiteFileError(f"{where} cannot be opened ({reason}); {_ALLOWED_FILE}") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if (problem := _not_a_file(info.st_mode, where)) is not None:
            raise problem
        if info.st_size > MAX_FILE_BYTES:
            raise _too_big(name)
        try:
            return fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise SiteFileError(f"{name} cannot be read ({exc.strerror})") from None


def _too_big(name: str) -> SiteFileError:
    return SiteFileError(
        f"{name} is larger than the {MAX_FILE_BYTES // (1024 * 1024)} MB an import accepts; "
        f"split it into files of at most {MAX_DATA_ROWS:,} rows"
    )


def _read_bytes(source: Source, name: str, where: str | None = None) -> bytes:
    """The file's bytes, refusing a file over MAX_FILE_BYTES before reading it whole, and a path
    that is not a regular file (named ``where``: the path as given, by default ``name``)."""
    where = where or name
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, str | Path):
        data = _read_path(Path(source), name, where)
    else:
        data = source.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _too_big(name)
    return data


def _too_many_rows(name: str) -> SiteFileError:
    return SiteFileError(
        f"{name} has more than {MAX_DATA_ROWS:,} data rows; an import takes at most "
        f"{MAX_DATA_ROWS:,} rows: split the file"
    )


def _rows_csv(data: bytes, name: str) -> list[list[object]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SiteFileError(
            f"{name} is not UTF-8 text (byte {exc.start + 1:,} is not valid UTF-8): save it as "
            "a CSV (UTF-8)"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[object]] = []
    try:
        for raw in reader:
            if len(rows) > MAX_DATA_ROWS:  # header + MAX_DATA_ROWS rows already read
                raise _too_many_rows(name)
            rows.append(list(raw))
    except csv.Error as exc:
        raise SiteFileError(
            f"{name} could not be read as CSV at line {reader.line_num}: {exc} (a cell holds at "
            f"most {csv.field_size_limit():,} characters; quotes must be closed)"
        ) from None
    return rows


def _xlsx_checked_zip(data: bytes, name: str) -> None:
    """Refuse a workbook whose parts would expand beyond MAX_XLSX_UNCOMPRESSED_BYTES, or whose
    XML holds more than openpyxl should build (``_xlsx_part_problem``: elements in all, in a row,
    shared strings), before openpyxl opens it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            total = sum(info.file_size for info in infos)
            if total > MAX_XLSX_UNCOMPRESSED_BYTES:
                raise SiteFileError(
                    f"{name} expands to {total / 1e6:,.0f} MB when unzipped; an import accepts "
                    f"workbooks of at most {MAX_XLSX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB "
                    "unzipped"
                )
            budget = MAX_XLSX_ELEMENTS
            for info in infos:
                part = zf.read(info)  # at most its declared size, bounded above
                found, problem = _xlsx_part_problem(part, info.filename, name, budget)
                if problem is not None:
                    raise SiteFileError(problem)
                budget -= found
    except SiteFileError:
        raise
    except Exception as exc:  # BadZipFile, zlib.error, a CRC error, an unsupported method...
        raise SiteFileError(
            f"{name} is not a readable .xlsx workbook ({type(exc).__name__}: {exc})"
        ) from None


# Start and end tags of a sheet row or shared string, with any namespace prefix ("<x:row").
_ROW_TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.-]*:)?row(?=[\s/>])")
_SHARED_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si(?=[\s/>])")
_NAME_ENDS = (b" ", b"\t", b"\r", b"\n", b"/", b">")  # what may follow a tag's name
_XML_ENCODING = re.compile(rb"\A\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")
# Encodings in which "<" is always the byte 0x3C and never part of another character.
_ASCII_ENCODINGS = frozenset(
    {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "windows-1252"}
)
# Markup that holds text, not elements (where "</row>" would be no tag): comments, CDATA sections,
# processing instructions; removed before rows are looked for.
_TEXT_MARKUP = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))
# The rest of a start tag after its name: attributes (a quoted value may hold ">") and its end.
_TAG_REST = re.compile(rb"""(?:[^>"']+|"[^"]*"|'[^']*')*>""")
_UTF8_BOM = b"\xef\xbb\xbf"


def _start_tags(part: bytes, start: int = 0, end: int | None = None) -> int:
    """An upper bound on the XML elements of ``part[start:end]``: its "<" that open no end tag
    (a comment, CDATA section or processing instruction left there counts too: it errs high)."""
    end = len(part) if end is None else end
    return part.count(b"<", start, end) - part.count(b"</", start, end)


def _xlsx_part_problem(part: bytes, path: str, name: str, budget: int) -> tuple[int, str | None]:
    """The XML elements one zip part holds (an upper bound) and why it is refused, or None:
    more than ``budget`` elements (what is left of MAX_XLSX_ELEMENTS), more than
    MAX_XLSX_SHARED_STRINGS shared strings, or a row over MAX_XLSX_CELLS_PER_ROW cells.

    Counted on the bytes, so nothing is built: every element starts with "<" once the part is
    UTF-8 (or ASCII) without a document type declaration, whose entities could make elements;
    any other XML is refused (spreadsheet programs write neither). A part that is not XML (an
    image) counts nothing; openpyxl never parses one as XML."""
    head = part[:512].removeprefix(_UTF8_BOM)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff", b"\x00<", b"<\x00"):
        return 0, (
            f"{name}: part {path} is UTF-16 or UTF-32 text; an import reads workbooks saved as "
            "UTF-8 (as Excel, LibreOffice and Google Sheets save them)"
        )
    if not head.lstrip().startswith(b"<"):
        return 0, None  # not XML
    declared = _XML_ENCODING.match(head)
    if declared and declared.group(1).decode("ascii", "replace").lower() not in _ASCII_ENCODINGS:
        return 0, (
            f"{name}: part {path} declares the text encoding "
            f"{shown_text(declared.group(1).decode('ascii', 'replace'), 40)!r}; an import reads "
            "workbooks saved as UTF-8 (as Excel, LibreOffice and Google Sheets save them)"
        )
    if b"<!DOCTYPE" in part:
        return 0, (
            f"{name}: part {path} holds a document type declaration (<!DOCTYPE); workbooks "
            "saved by spreadsheet programs have none, and an import refuses them"
        )
    strings = _shared_strings(part)
    if strings > MAX_XLSX_SHARED_STRINGS:
        return 0, (
            f"{name} holds more than {MAX_XLSX_SHARED_STRINGS:,} shared text values (in "
            f"{path}); an import reads at most {MAX_DATA_ROWS:,} rows of {MAX_COLUMNS} "
            f"columns, {MAX_XLSX_CELLS:,} cells: split the file"
        )
    elements = _start_tags(part)
    if elements > budget:
        return elements, (
            f"{name} holds more than {MAX_XLSX_ELEMENTS:,} XML elements (cells, values, styles; "
            f"{elements:,} in {path} alone); an import reads at most {MAX_DATA_ROWS:,} rows of "
            f"{MAX_COLUMNS} columns ({MAX_XLSX_CELLS:,} cells of at most "
            f"{MAX_XLSX_ELEMENTS_PER_CELL} elements): split the file"
        )
    if elements <= MAX_XLSX_CELLS_PER_ROW * MAX_XLSX_ELEMENTS_PER_CELL:
        return elements, None  # no row can hold more
    if b"<!" in part or part.find(b"<?", 1) >= 0:
        part = _without_text_markup(part)  # rare: spreadsheet programs write none
    return elements, _row_problem(part, path, name)


def _without_text_markup(part: bytes) -> bytes:
    """``part`` without its comments, CDATA sections and processing instructions, whose text may
    look like tags ("<!-- </row> -->"); one that is not closed runs to the end, as in a parser.
    Linear: each kind of opening is searched for only past the last one removed."""
    pieces: list[bytes] = []
    pos = 0
    found = [part.find(opening) for opening, _ in _TEXT_MARKUP]
    while any(at >= 0 for at in found):
        at, kind = min((at, k) for k, at in enumerate(found) if at >= 0)
        opening, closing = _TEXT_MARKUP[kind]
        end = part.find(closing, at + len(opening))
        pieces.append(part[pos:at])
        if end < 0:
            pos = len(part)
            break
        pos = end + len(closing)
        found = [
            at if at < 0 or at >= pos else part.find(opening, pos)
            for at, (opening, _) in zip(found, _TEXT_MARKUP, strict=True)
        ]
    pieces.append(part[pos:])
    return b"".join(pieces)


def _shared_strings(part: bytes) -> int:
    """The shared strings (``<si>`` start tags) of ``part``, counted up to one over the bound."""
    if b":si" in part:  # a namespace prefix: the slower exact search
        n = 0
        for n, _ in enumerate(_SHARED_STRING_TAG.finditer(part), start=1):  # noqa: B007
            if n > MAX_XLSX_SHARED_STRINGS:
                break
        return n
    if b"<si" not in part:
        return 0
    return sum(part.count(b"<si" + end) for end in _NAME_ENDS)


def _row_tags(part: bytes) -> list[tuple[int, int, bool]]:
    """(where, where the name ends, is an end tag) of each row tag of ``part``, in order."""
    if b":row" in part:  # a namespace prefix: the slower exact search
        return [(m.start(), m.end(), bool(m.group(1))) for m in _ROW_TAG.finditer(part)]
    tags = []
    for text, is_end in ((b"<row", False), (b"</row", True)):
        at = part.find(text)
        while at >= 0:
            after = at + len(text)
            if part[after : after + 1] in _NAME_ENDS:
                tags.append((at, after, is_end))
            at = part.find(text, after)
    return sorted(tags)


def _row_problem(part: bytes, path: str, name: str) -> str | None:
    """Why a row of ``part`` is refused (more than MAX_XLSX_CELLS_PER_ROW cells of at most
    MAX_XLSX_ELEMENTS_PER_CELL elements), or None. Every element inside a row counts, nested
    rows included, since openpyxl makes a cell of every element under a row."""
    limit = MAX_XLSX_CELLS_PER_ROW * MAX_XLSX_ELEMENTS_PER_CELL
    open_rows: list[tuple[int, int]] = []  # (row number in the part, where its start tag is)
    spans: list[tuple[int, int, int]] = []  # (row number, start, end) of each row element
    rows = 0
    for at, name_end, is_end in _row_tags(part):
        if is_end:
            if open_rows:
                number, begin = open_rows.pop()
                spans.append((number, begin, at))
            continue
        rows += 1
        rest = _TAG_REST.match(part, name_end)
        if rest is None or part[rest.end() - 2 : rest.end() - 1] != b"/":  # not <row .../>
            open_rows.append((rows, at))
    spans.extend((number, begin, len(part)) for number, begin in open_rows)  # cut short
    for number, begin, end in spans:
        if end - begin <= 3 * limit:  # an element takes 3 bytes at least ("<c>" or "<c/")
            continue
        found = _start_tags(part, begin, end) - 1  # the row's own start tag
        if found > limit:
            return (
                f"{name}: row {number:,} of {path} holds {found:,} XML elements (cells and their "
                f"values); an import reads {MAX_COLUMNS} columns and accepts rows of at most "
                f"{MAX_XLSX_CELLS_PER_ROW:,} cells ({limit:,} elements)"
            )
    return None


def _sheet_has_formulas(wb: object, ws: object) -> bool:
    """True when the sheet's XML holds a formula element (streamed, in chunks)."""
    path = getattr(ws, "_worksheet_path", None)
    archive = getattr(wb, "_archive", None)
    if path is None or archive is None:
        return True  # cannot tell: check cell by cell
    tail = b""
    with archive.open(path) as src:
        while chunk := src.read(1 << 20):
            if re.search(rb"<(?:\w+:)?f[\s>/]", tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _rows_xlsx(data: bytes, name: str) -> tuple[list[list[object]], list[Problem]]:
    """Rows of the 'sites' sheet (or the first), read within MAX_COLUMNS + 1 columns and
    MAX_DATA_ROWS + 1 rows whatever size the sheet declares, and a problem for every formula cell
    that has no saved value (openpyxl reads it as blank)."""
    import openpyxl

    _xlsx_checked_zip(data, name)
    max_col = MAX_COLUMNS + 1
    max_row = MAX_DATA_ROWS + 2  # header, the allowed rows, and one to notice too many
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a corrupt file
        raise SiteFileError(f"{name} is not a readable .xlsx workbook ({exc})") from None
    try:
        ws = wb[SHEET_NAME] if SHEET_NAME in wb.sheetnames else wb.worksheets[0]
        # Read-only mode trusts the sheet's declared <dimension> and pads every row to it; forget
        # it and read within explicit bounds instead.
        ws.reset_dimensions()
        rows = [
            list(r)
            for r in ws.iter_rows(min_row=1, max_row=max_row, max_col=max_col, values_only=True)
        ]
        while rows and all(v is None for v in rows[-1]):
            rows.pop()
        if len(rows) > MAX_DATA_ROWS + 1:
            raise _too_many_rows(name)
        problems: list[Problem] = []
        if _sheet_has_formulas(wb, ws):
            formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
            try:
                fs = formulas[ws.title]
                fs.reset_dimensions()
                for r, cells in enumerate(
                    fs.iter_rows(min_row=1, max_row=len(rows), max_col=max_col), start=1
                ):
                    for c, cell in enumerate(cells):
                        if getattr(cell, "data_type", None) == "f" and (
                            c >= len(rows[r - 1]) or rows[r - 1][c] is None
                        ):
                            problems.append(
                                Problem(
                                    r,
                                    f"column {c + 1}",
                                    shown_value(cell.value),
                                    "a formula with no saved value: open the file in a "
                                    "spreadsheet program and save it, or type the value",
                                )
                            )
            finally:
                formulas.close()
        return rows, problems
    except SiteFileError:
        raise
    except Exception as exc:  # a cut or damaged sheet: XML ParseError, zlib, KeyError...
        raise SiteFileError(
            f"{name} could not be read: the workbook is damaged or cut short "
            f"({type(exc).__name__}: {exc})"
        ) from None
    finally:
        wb.close()


def _name_column(problem: Problem, header: Sequence[str]) -> Problem:
    """'column 6' -> the header's name of column 6, when it has one."""
    if problem.column.startswith("column "):
        j = int(problem.column.removeprefix("column ")) - 1
        if 0 <= j < len(header) and header[j]:
            return Problem(problem.row, shown_text(header[j], 40), problem.value, problem.rule)
    return problem


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def read_rows(
    source: Source, fmt: str | None = None, *, name: str | None = None
) -> tuple[list[str], list[tuple[int, dict[str, object]]]]:
    """Header and the non-blank data rows (row number as seen in the file, column -> raw cell).

    ``name``: the file's name for messages (defaults to the path's name). Refuses (SiteFileError)
    a path that is not a regular file (a folder, /dev/stdin), a file over MAX_FILE_BYTES, over
    MAX_DATA_ROWS rows, an .xlsx over MAX_XLSX_UNCOMPRESSED_BYTES unzipped or whose XML holds
    more than the MAX_XLSX_* bounds (checked before openpyxl parses it), and a file that cannot
    be parsed; raises
    SiteValidationError for rows that do not fit the header (a CSV row with fewer or more cells
    than the header, a value under a blank header or beyond the header's last column) and for
    formula cells without a saved value, each named by row.
    """
    label = _name_of(source, name)
    if isinstance(source, str | Path):
        # A folder or /dev/stdin, before its extension is looked at; named as given.
        _check_regular_file(Path(source), name or str(source))
    fmt = _format_of(source, fmt)
    data = _read_bytes(
        source, label, name or (str(source) if isinstance(source, str | Path) else None)
    )
    problems: list[Problem] = []
    if fmt == "csv":
        rows = _rows_csv(data, label)
    else:
        rows, problems = _rows_xlsx(data, label)
    if not rows:
        raise SiteFileError(f"{label} is empty: expected a header row with an 'id' column")
    width = len(rows[0])
    header = ["" if h is None else str(h).strip() for h in rows[0]]
    problems = [_name_column(p, header) for p in problems]
    while header and header[-1] == "":
        header.pop()
    if len(header) > MAX_COLUMNS:
        problems.append(
            Problem(
                1,
                f"column {MAX_COLUMNS + 1}",
                shown_value(header[MAX_COLUMNS]),
                f"the header has more than the template's {MAX_COLUMNS} columns",
            )
        )
        header = header[:MAX_COLUMNS]
    if "id" not in header:
        # Each cell cut and the list bounded: a header may be one 100,000-character cell.
        shown = [shown_text(h, 40) for h in header[:10]]
        more = f" and {len(header) - 10} more" if len(header) > 10 else ""
        raise SiteFileError(
            f"the header row of {label} has no 'id' column (found {len(header)} column"
            f"{'s' if len(header) != 1 else ''}: {', '.join(shown) or 'nothing'}{more}); "
            "download the template for the expected columns"
        )
    out: list[tuple[int, dict[str, object]]] = []
    unnamed = [j for j, h in enumerate(header) if not h]  # blank headers inside the header
    id_col = header.index("id")
    for i, raw in enumerate(rows[1:], start=_FIRST_DATA_ROW):
        if all(_blank(v) for v in raw):
            continue
        first = raw[id_col] if id_col < len(raw) else None
        if isinstance(first, str) and first.strip().startswith(COMMENT_PREFIX):
            continue  # a notes row (the template's units and example rows)
        if fmt == "csv" and len(raw) != width:
            problems.append(
                Problem(
                    i,
                    "(row)",
                    f"{len(raw)} cells",
                    f"the row has {len(raw)} cells but the header has {width}: it is cut short "
                    "or misaligned (a missing or extra separator or quote)",
                )
            )
            continue
        for j in (*unnamed, *range(len(header), len(raw))):
            v = raw[j] if j < len(raw) else None
            if not _blank(v):
                where = (
                    "beyond the header's last column"
                    if j >= len(header)
                    else "under a blank header"
                )
                problems.append(
                    Problem(
                        i,
                        f"column {j + 1}",
                        shown_value(v),
                        f"a value {where}: give the column a name",
                    )
                )
        cells = {h: (raw[j] if j < len(raw) else None) for j, h in enumerate(header) if h}
        out.append((i, cells))
    if problems:
        raise SiteValidationError(problems)
    return header, out


def _coords_ok(record: Mapping[str, object]) -> bool:
    lat, lon = record["latitude"], record["longitude"]
    return all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        for v in (lat, lon)
    ) and (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0)  # type: ignore[operator]


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
    import): a blank cell keeps the stored value, ``(clear)`` empties a text, date, fleet or unknown-able cell.
    ``blank="clear"`` (the editor, which shows every stored value): a blank text/date/fleet cell is
    emptied and a blank number, true/false or choice cell of a stored site is a problem. New sites
    must give latitude, longitude and grid_region. ``from_file``: undo the export's formula
    neutralising. ``validate="changed"``: the per-site rules run only on rows that differ from
    their stored site (unique ids are checked across all rows), so an untouched row never blocks
    a save of the others.
    """
    base = base or {}
    problems = _header_problems(header)
    records: list[dict[str, object]] = []
    needs_metro: list[int] = []  # indices of records whose metro distance is computed
    site_rows: list[int] = []
    unparsed: set[tuple[int, str]] = set()
    for row_no, cells in rows:
        record, start, parsed, row_problems = _row_record(
            row_no, cells, base, blank=blank, from_file=from_file, unparsed=unparsed
        )
        problems += row_problems
        if _needs_metro_distance(record, parsed, start):
            needs_metro.append(len(records))
        records.append(record)
        site_rows.append(row_no)
    _fill_metro_distances(records, needs_metro)
    sites = [from_record(record) for record in records]
    check = None
    if validate == "changed":
        check = [base.get(site.id) != site for site in sites]
    problems.extend(
        p
        for p in validate_sites(sites, today=today, rows=site_rows, check=check)
        if (p.row, p.column) not in unparsed
    )
    if problems:
        raise SiteValidationError(_in_file_order(problems))
    return sites


def _header_problems(header: Sequence[str]) -> list[Problem]:
    """Unknown and repeated column names of the header (row 1)."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for col in header:
        if col and col not in COLUMN_KINDS:
            shown = shown_text(col, 40)
            problems.append(
                Problem(1, shown, shown, "unknown column; use the template's column names")
            )
        elif col in seen:
            problems.append(Problem(1, col, col, "column appears twice in the header"))
        seen.add(col)
    return problems


def _row_record(
    row_no: int,
    cells: Mapping[str, object],
    base: Mapping[str, Site],
    *,
    blank: Literal["keep", "clear"],
    from_file: bool,
    unparsed: set[tuple[int, str]],
) -> tuple[dict[str, object], Site | None, dict[str, object], list[Problem]]:
    """One row as a site record: its stored site's (``base``, by id) or a new site's, with the
    row's cells over it. Returns the record, the stored site (None for a new site), the parsed
    cells and the row's problems; adds each (row, column) whose cell was not read to
    ``unparsed`` (the site rules then skip it)."""
    parsed, emptied, problems = _parse_row(row_no, cells, blank=blank, from_file=from_file)
    unparsed.update((row_no, p.column) for p in problems)  # the cells not read
    # A cell that could not be read takes its default so the row's other rules still run.
    site_id = parsed.get("id", "")
    start = base.get(site_id) if isinstance(site_id, str) else None
    record = to_record(start if start is not None else Site(id=str(site_id), name=""))
    problems += _emptied_cells(record, emptied, start, row_no, cells, unparsed)
    if start is None:
        problems += _new_site_record(record, parsed, row_no, cells, unparsed)
    record.update(parsed)
    return record, start, parsed, problems


def _parse_row(
    row_no: int, cells: Mapping[str, object], *, blank: Literal["keep", "clear"], from_file: bool
) -> tuple[dict[str, object], list[str], list[Problem]]:
    """The row's cells read (column -> value), the columns to empty, and the cells not read."""
    parsed: dict[str, object] = {}
    emptied: list[str] = []
    problems: list[Problem] = []
    for col in SITE_COLUMNS:
        if col not in cells:
            continue
        try:
            value = _parse(col, COLUMN_KINDS[col], cells[col], from_file=from_file)
        except ValueError as exc:
            problems.append(Problem(row_no, col, shown_value(cells[col]), str(exc)))
            continue
        if value is _CLEAR or (value is _BLANK and blank == "clear"):
            emptied.append(col)
        elif value is not _BLANK:
            parsed[col] = value
    return parsed, emptied, problems


def _emptied_cells(
    record: dict[str, object],
    emptied: list[str],
    start: Site | None,
    row_no: int,
    cells: Mapping[str, object],
    unparsed: set[tuple[int, str]],
) -> list[Problem]:
    """Empty the ``emptied`` columns of ``record`` that may be emptied; a stored site's other
    emptied columns are problems (and added to ``unparsed``)."""
    problems: list[Problem] = []
    for col in emptied:
        if _clearable(col):
            record[col] = _EMPTY[COLUMN_KINDS[col]]
        elif start is not None:
            problems.append(
                Problem(
                    row_no,
                    col,
                    shown_value(cells[col]),
                    "must not be blank: a stored site keeps a value here (this number, "
                    "true/false or choice cannot be cleared; only text, dates, the fleet "
                    "and the columns that may be unknown can)",
                )
            )
            unparsed.add((row_no, col))
    return problems


def _new_site_record(
    record: dict[str, object],
    parsed: Mapping[str, object],
    row_no: int,
    cells: Mapping[str, object],
    unparsed: set[tuple[int, str]],
) -> list[Problem]:
    """A new site: the unknown-able columns it does not give are unknown (None, not the code
    default), and each required column it does not give is a problem (added to ``unparsed``)."""
    for col in UNKNOWN_COLUMNS:
        if col not in parsed:
            record[col] = None
    problems: list[Problem] = []
    for col in REQUIRED_FOR_NEW:
        if col not in parsed and (row_no, col) not in unparsed:
            problems.append(
                Problem(row_no, col, shown_value(cells.get(col)), "must be given for a new site")
            )
            unparsed.add((row_no, col))
    return problems


def _needs_metro_distance(
    record: Mapping[str, object], parsed: Mapping[str, object], start: Site | None
) -> bool:
    """Whether the record's metro distance is computed: valid coordinates, and a new site that
    does not give one, or a stored site that moved and keeps its stored distance."""
    return _coords_ok(record) and (
        (start is None and "metro_distance_km" not in parsed)
        or (
            start is not None
            and (record["latitude"], record["longitude"]) != (start.latitude, start.longitude)
            and record["metro_distance_km"] == start.connectivity.metro_distance_km
        )
    )


def _fill_metro_distances(records: list[dict[str, object]], needs_metro: list[int]) -> None:
    """Set the metro distance of the records at ``needs_metro``: one vectorised nearest-metro
    search for every row that needs it."""
    if not needs_metro:
        return
    from sites.geo import nearest_places

    km = nearest_places(
        [records[i]["latitude"] for i in needs_metro],  # type: ignore[misc]
        [records[i]["longitude"] for i in needs_metro],  # type: ignore[misc]
    )["distance_km"].to_numpy()
    for i, d in zip(needs_metro, km, strict=True):
        records[i]["metro_distance_km"] = float(d)


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    """The problems by row, then column in ``SITE_COLUMNS`` order (header columns first); a
    stable sort, so one cell's problems keep their order."""
    return sorted(
        problems,
        key=lambda p: (
            p.row or 0,
            SITE_COLUMNS.index(p.column) if p.column in SITE_COLUMNS else -1,
        ),
    )


def read_sites(
    source: Source,
    fmt: str | None = None,
    *,
    base: Mapping[str, Site] | None = None,
    today: date | None = None,
    name: str | None = None,
) -> list[Site]:
    """Read and validate every site of a .csv or .xlsx file (a path, bytes or a binary stream).

    ``fmt`` ("csv" or "xlsx") is taken from the path's extension when not given. ``base`` maps ids
    to stored sites that rows with those ids update (blank or missing cells keep the stored value;
    ``(clear)`` empties a text, date, fleet or unknown-able cell). Raises SiteValidationError listing every problem, SiteFileError when the file
    cannot be read at all.
    """
    header, rows = read_rows(source, fmt, name=name)
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


# The template's notes rows (skipped on import: their id starts with COMMENT_PREFIX).
TEMPLATE_NOTES_ID = "# units and meaning (rows whose id starts with # are skipped on import)"
TEMPLATE_EXAMPLE_ID = "# example-site (delete the # to import this row)"


def template_example() -> Site:
    """The template's example row: a fictional 100 MW ERCOT site with the substation's capacity,
    the land and the climate left unknown (blank), to show what a blank means."""
    from sites.schema import Connectivity, Facility, Land, PowerRights, Substation

    return Site(
        id=TEMPLATE_EXAMPLE_ID,
        name="Example site",
        operator="Example Mining Co",
        latitude=31.5,
        longitude=-97.1,
        county="McLennan",
        state="TX",
        grid_region="ERCOT",
        land=Land(acres_owned=120.0, acres_leased=None, acres_expansion=None),
        power=PowerRights(
            energized_mw=100.0,
            contracted_mw=100.0,
            contract_type="index_plus_adder",
            contract_price_usd_per_mwh=3.0,
        ),
        substation=Substation(on_site=True, distance_km=0.0, capacity_mva=None),
        facility=Facility(
            hall_count=2, hall_power_mw=50.0, building_area_m2=None, fleet=(("S21", 20000),)
        ),
        connectivity=Connectivity(
            fiber_distance_km=8.0,
            carrier_count=None,
            metro_distance_km=150.0,
            design_dry_bulb_c=None,
            design_wet_bulb_c=None,
            water_availability=None,
        ),
        notes="blank cells are unknown and valued conservatively",
        source="fictional example",
        approximate=True,
    )


def _notes_row() -> list[str]:
    return [
        TEMPLATE_NOTES_ID if c == "id" else neutralise(COLUMN_HELP.get(c, "")) for c in SITE_COLUMNS
    ]


def _csv_bytes(sites: Sequence[Site], *, notes: bool = False) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(SITE_COLUMNS)
    if notes:
        w.writerow(_notes_row())
        rec = to_record(template_example())
        w.writerow(
            [
                TEMPLATE_EXAMPLE_ID if c == "id" else _format_csv(COLUMN_KINDS[c], rec[c])
                for c in SITE_COLUMNS
            ]
        )
    for site in sites:
        rec = to_record(site)
        w.writerow([_format_csv(COLUMN_KINDS[c], rec[c]) for c in SITE_COLUMNS])
    return buf.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8 correctly


def _xlsx_bytes(sites: Sequence[Site], *, notes: bool = False) -> bytes:
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
    if notes:
        ws.append(_notes_row())
        for cell in ws[2]:
            cell.font = Font(italic=True)
        rec = to_record(template_example())
        ws.append(
            [
                TEMPLATE_EXAMPLE_ID if c == "id" else _format_xlsx(COLUMN_KINDS[c], rec[c])
                for c in SITE_COLUMNS
            ]
        )
    for site in sites:
        rec = to_record(site)
        ws.append([_format_xlsx(COLUMN_KINDS[c], rec[c]) for c in SITE_COLUMNS])
    for col in date_cols:
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = "yyyy-mm-dd"
    doc = wb.create_sheet("columns")
    doc.append(["column", "kind", "meaning", "blank means"])
    for cell in doc[1]:
        cell.font = Font(bold=True)
    for c in SITE_COLUMNS:
        doc.append([c, COLUMN_KINDS[c], COLUMN_HELP.get(c, ""), _blank_means(c)])
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


def _blank_means(column: str) -> str:
    """What a blank cell of ``column`` means in a row for a new site (the template's notes)."""
    kind = COLUMN_KINDS[column]
    if column in REQUIRED_FOR_NEW or column in ("id", "name"):
        return "required"
    if column in UNKNOWN_COLUMNS:
        return "unknown: valued on a conservative assumption (see meaning)"
    if column == "metro_distance_km":
        return "computed from the coordinates"
    if kind in ("str", "fleet"):
        return "empty"
    if kind in ("date", "optional_int"):
        return "no date" if kind == "date" else "unknown"
    return "the default: " + {"float": "0", "int": "0"}.get(kind, "see the editor")


def template_bytes(fmt: str) -> bytes:
    """The import template: the header, a units-and-meaning row and an example row (both notes
    rows, skipped on import: their id starts with ``#``), and in .xlsx a 'columns' sheet saying
    what each column holds and what a blank means. It imports as it is (no sites)."""
    fmt = _format_of(b"", fmt)
    return _csv_bytes([], notes=True) if fmt == "csv" else _xlsx_bytes([], notes=True)


def write_template(path: str | Path, fmt: str | None = None) -> Path:
    """Write the import template to ``path`` (format from the extension unless ``fmt``)."""
    path = Path(path)
    path.write_bytes(template_bytes(_format_of(path, fmt)))
    return path
