"""Hostile upload files, made on the fly (nothing large is stored in the repository).

Each maker returns ``(file name, bytes)``. Used by the item tests and by the peak-memory test,
which reads each one in a fresh subprocess.
"""

from __future__ import annotations

import io
import re
import zipfile

from sites.io import MAX_DATA_ROWS, MAX_FILE_BYTES, export_bytes
from sites.schema import SITE_COLUMNS, Site

HEADER = "id,name,latitude,longitude,grid_region"


def good_row(i: int) -> str:
    return f"s{i},Site {i},31.0,-100.0,ERCOT"


def _patch_sheet(data: bytes, edit) -> bytes:
    """Rewrite xl/worksheets/sheet1.xml of an .xlsx with ``edit(xml_text) -> xml_text``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                payload = edit(payload.decode()).encode()
            dst.writestr(info.filename, payload)
    return out.getvalue()


def small_xlsx(n: int = 2) -> bytes:
    sites = [
        Site(id=f"s{i}", name=f"Site {i}", latitude=31.0, longitude=-100.0, grid_region="ERCOT")
        for i in range(n)
    ]
    return export_bytes(sites, "xlsx")


def xlsx_dimension_bomb(ref: str = "A1:XFD1048576") -> tuple[str, bytes]:
    """Item 1: a few KB whose sheet declares a huge <dimension> (read-only mode pads to it)."""

    def edit(xml: str) -> str:
        return re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml)

    return "dimension-bomb.xlsx", _patch_sheet(small_xlsx(), edit)


def xlsx_zip_bomb() -> tuple[str, bytes]:
    """An .xlsx whose sheet XML expands to about 100 MB from well under 1 MB."""

    def edit(xml: str) -> str:
        filler = "<!--" + "x" * (100 * 1024 * 1024) + "-->"
        return xml.replace("<sheetData>", filler + "<sheetData>", 1)

    return "zip-bomb.xlsx", _patch_sheet(small_xlsx(), edit)


def xlsx_cut_in_half() -> tuple[str, bytes]:
    """Item 6: a workbook cut in the middle."""
    data = small_xlsx(200)
    return "cut.xlsx", data[: len(data) // 2]


def xlsx_sheet_cut() -> tuple[str, bytes]:
    """Item 6: a valid zip whose sheet XML stops in the middle of a row."""
    return "sheet-cut.xlsx", _patch_sheet(small_xlsx(200), lambda xml: xml[: len(xml) // 2])


def xlsx_formula_without_value() -> tuple[str, bytes]:
    """Item 10: a formula cell with no cached value (as written by a program, not Excel)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "sites"
    ws.append(["id", "name", "latitude", "longitude", "grid_region", "hall_count"])
    ws.append(["a", "Alpha", 31.0, -100.0, "ERCOT", "=1+1"])
    buf = io.BytesIO()
    wb.save(buf)
    return "formula.xlsx", buf.getvalue()


def csv_huge_cell(n_chars: int = 200_000) -> tuple[str, bytes]:
    """Item 6: a quoted CSV cell longer than the csv module's 131,072-character field limit."""
    return "huge-cell.csv", f'{HEADER},notes\ns1,S,31,-100,ERCOT,"{"x" * n_chars}"\n'.encode()


def csv_too_many_rows(n: int = MAX_DATA_ROWS + 1) -> tuple[str, bytes]:
    """Item 3: one row more than an import accepts."""
    return "many-rows.csv", ("\n".join([HEADER, *(good_row(i) for i in range(n))]) + "\n").encode()


def csv_too_many_bytes() -> tuple[str, bytes]:
    """Item 3: a file over the byte limit (rows of long notes)."""
    row = good_row(0) + "," + "n" * 4_000
    n = MAX_FILE_BYTES // len(row) + 10
    body = "\n".join([HEADER + ",notes", *(row.replace("s0,", f"s{i},", 1) for i in range(n))])
    return "too-big.csv", body.encode()


def csv_wide_header() -> tuple[str, bytes]:
    """A header with 100,000 columns (in under 1 MB)."""
    return "wide.csv", (",".join(["id", *(f"c{i}" for i in range(100_000))]) + "\n").encode()


HOSTILE_UPLOADS = {
    "xlsx_dimension_bomb": xlsx_dimension_bomb,
    "xlsx_zip_bomb": xlsx_zip_bomb,
    "xlsx_cut_in_half": xlsx_cut_in_half,
    "xlsx_sheet_cut": xlsx_sheet_cut,
    "csv_huge_cell": csv_huge_cell,
    "csv_too_many_rows": csv_too_many_rows,
    "csv_too_many_bytes": csv_too_many_bytes,
    "csv_wide_header": csv_wide_header,
}
assert len(SITE_COLUMNS) < 100
