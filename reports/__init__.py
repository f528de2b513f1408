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
    """The pack as .xlsx or .pdf bytes.

    Parameters
    ----------
    pack : BoardPack
        From :func:`build_pack`.
    fmt : {"xlsx", "pdf"}
        The format (case and a leading dot ignored).

    Returns
    -------
    bytes
        An Excel workbook or a PDF memo.

    Examples
    --------
    >>> from reports import build_pack, pack_bytes
    >>> from sites import load_example_portfolio
    >>> pack = build_pack(load_example_portfolio()[:1])
    >>> pack_bytes(pack, "xlsx")[:2]  # a zip file, as every .xlsx is
    b'PK'
    """
    fmt = str(fmt).lower().lstrip(".")
    if fmt == "xlsx":
        from reports.excel import workbook_bytes

        return workbook_bytes(pack)
    if fmt == "pdf":
        from reports.pdf import memo_bytes

        return memo_bytes(pack)
    raise ReportInputError(f"format = {fmt!r}: allowed {', '.join(FORMATS)}")


def write_pack(pack: BoardPack, path: str | Path) -> Path:
    """Write the pack to ``path``, a .xlsx workbook or a .pdf memo by its extension.

    Parameters
    ----------
    pack : BoardPack
        From :func:`build_pack`.
    path : str or pathlib.Path
        Ends in .xlsx or .pdf.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from reports import build_pack, write_pack
    >>> from sites import load_example_portfolio
    >>> pack = build_pack(load_example_portfolio()[:1])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     written = write_pack(pack, Path(folder) / "pack.xlsx")
    ...     print(written.name, written.stat().st_size > 1_000)
    pack.xlsx True
    """
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
