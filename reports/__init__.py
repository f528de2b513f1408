"""The board pack: an Excel workbook and a PDF memo of the sites' decisions under a named scenario.

Reads ``valuation``, ``sites`` and ``models``; only the app and the command line read ``reports``
(tests/test_architecture.py checks). matplotlib (the memo) is imported only when a memo is made.

    pack = build_pack(sites, scenario, scenario_name="board 2026-12")
    write_workbook(pack, "pack.xlsx"); write_memo(pack, "pack.pdf")
"""

from pathlib import Path

from reports.errors import ReportError, ReportInputError
from reports.pack import BoardPack, ReportSection, SiteFailure, SiteResult, build_pack

FORMATS: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def pack_bytes(pack: BoardPack, fmt: str) -> bytes:
    """The pack as .xlsx or .pdf bytes (``fmt`` "xlsx" or "pdf")."""
    fmt = str(fmt).lower().lstrip(".")
    if fmt == "xlsx":
        from reports.excel import workbook_bytes

        return workbook_bytes(pack)
    if fmt == "pdf":
        from reports.pdf import memo_bytes

        return memo_bytes(pack)
    raise ReportInputError(f"format = {fmt!r}: allowed {', '.join(FORMATS)}")


def write_pack(pack: BoardPack, path: str | Path) -> Path:
    """Write the pack to ``path``, a .xlsx workbook or a .pdf memo by its extension."""
    path = Path(path)
    path.write_bytes(pack_bytes(pack, path.suffix))
    return path


__all__ = [
    "FORMATS",
    "BoardPack",
    "ReportError",
    "ReportInputError",
    "ReportSection",
    "SiteFailure",
    "SiteResult",
    "build_pack",
    "pack_bytes",
    "write_pack",
]
