"""The board pack as an Excel workbook (openpyxl), numbers as numbers with number formats.

Sheets: ``Summary`` (one row per site: recommended path, value of converting and its return, each
strategy's NPV and IRR, break-evens; native bar charts of the value of converting and of the
NPVs), ``Assumptions`` (every scenario input with unit, source, date and scenario name),
``Retrofit`` (every site's line items), one cash-flow sheet per site (every monthly column of every
strategy, and each strategy's cumulative cash flow at each year end with a native line chart), and
one sheet per risk or plan section when given.

Text that comes from the inventory or the user is neutralised with ``sites.io.neutralise`` (the CSV
export's rule: a leading single quote before ``= + - @`` tab or quote), so no cell is a formula.
Values are written unrounded (to the cent and beyond); missing values (nan) are blank cells.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.drawing.fill import ColorChoice, PatternFillProperties
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from reports.assumptions import assumption_rows
from reports.pack import (
    BoardPack,
    ReportSection,
    SiteResult,
    finite_or_none,
    section_heading,
    strategy_name,
)
from reports.sections import paths_note
from reports.styles import series_styles
from reports.tables import (
    BREAKEVENS,
    column_kind,
    cumulative_before_terminal_usd,
    fcf_column,
    retrofit_frame,
    summary_frame,
)
from sites.io import neutralise
from valuation.market import month_starts

USD = "#,##0.00;[Red]-#,##0.00"
USD_WHOLE = "#,##0;[Red]-#,##0"
PCT = "0.0%"
PLAIN = "#,##0.00"
MONTHS = "0.0"
YEAR = "0"  # 2033, not 2,033.00
COUNT = "#,##0"
DATE = "yyyy-mm-dd"
MONTH = "yyyy-mm"
HEADER_FILL = PatternFill("solid", fgColor="DDE3EA")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
WARNING = Font(bold=True, color="8B0000")
SUMMARY_HEADER_ROW = 7
CASHFLOW_HEADER_ROW = 5  # strategy names on row 4, column names on row 5, month 0 on row 6
SITE_ID_LABEL = "Site id"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\']")


def text(value: object) -> object:
    """A cell value: text neutralised against formula injection, nan and infinities blank, numpy
    scalars as Python numbers; dates, bools, ints and floats as they are."""
    if value is None:
        return None
    if isinstance(value, str):
        return neutralise(value) or None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return finite_or_none(value)
    return neutralise(str(value))


def number_format(column: str) -> str:
    """The number format of a column from its name (``reports.tables.column_kind``): USD to the
    cent, fractions as %, years and counts whole."""
    return {"share": PCT, "usd": USD, "months": MONTHS, "year": YEAR, "count": COUNT}.get(
        column_kind(column), PLAIN
    )


def sheet_title(name: str, taken: set[str]) -> str:
    """A worksheet title from user text: without the characters Excel forbids, at most 31
    characters, unique in the workbook (case-insensitively, as Excel compares); added to
    ``taken``."""
    base = " ".join(_BAD_SHEET_CHARS.sub(" ", name).split())[:31].strip() or "Sheet"
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _header(ws: Worksheet, row: int, headers: list[str]) -> None:
    for j, h in enumerate(headers, start=1):
        cell = ws.cell(row=row, column=j, value=text(h))
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _write_frame(ws: Worksheet, frame: pd.DataFrame, first_row: int, formats: dict) -> None:
    """Rows of ``frame`` from ``first_row`` (header above it), values through :func:`text`."""
    for i, record in enumerate(frame.itertuples(index=False), start=first_row):
        for j, (col, value) in enumerate(zip(frame.columns, record, strict=True), start=1):
            cell = ws.cell(row=i, column=j, value=text(value))
            if col in formats:
                cell.number_format = formats[col]


def _widths(ws: Worksheet, widths: dict[int, float]) -> None:
    for j, w in widths.items():
        ws.column_dimensions[get_column_letter(j)].width = w


# --- Summary -------------------------------------------------------------------------------------


def _summary_headers(columns: list[str]) -> list[str]:
    named = {
        "site_id": "Site id",
        "name": "Site",
        "operator": "Operator",
        "state": "State",
        "grid_region": "Grid region",
        "power_mw": "Power rights (MW, gross)",
        "recommended": "Recommended path (key)",
        "recommended_label": "Recommended path",
        "value_of_converting_usd": "Value of converting (USD, best converting NPV minus best NPV not converting)",
        "return_on_converting_per_year": "Return on converting (a year)",
        "return_on_converting_basis": "Return measured as",
        "recommendation": "Recommendation",
        "not_valued_because": "Not valued because",
    }
    breakevens = {
        f"breakeven_{f}": f"Break-even: {label} ({unit})" for f, label, unit in BREAKEVENS
    }
    out = []
    for c in columns:
        if c in named:
            out.append(named[c])
        elif c in breakevens:
            out.append(breakevens[c])
        elif c.startswith("npv_usd:"):
            out.append(f"NPV: {strategy_name(c.split(':', 1)[1])} (USD)")
        elif c.startswith("return_per_year:"):
            out.append(f"Return: {strategy_name(c.split(':', 1)[1])} (a year)")
        elif c.startswith("return_basis:"):
            out.append(f"Return measured as: {strategy_name(c.split(':', 1)[1])}")
        else:
            out.append(c)
    return out


def _summary_formats(columns: list[str]) -> dict[str, str]:
    formats = {}
    for c in columns:
        if c.startswith("return_per_year:") or c == "return_on_converting_per_year":
            formats[c] = PCT
        elif c.startswith(("npv_usd:", "breakeven_")) or c in ("value_of_converting_usd",):
            formats[c] = USD
        elif c == "power_mw":
            formats[c] = "#,##0.0"
    return formats


def _write_summary(ws: Worksheet, pack: BoardPack) -> None:
    ws["A1"] = "Hashpivot board pack"
    ws["A1"].font = TITLE
    meta = [
        ("Scenario", pack.scenario_name),
        ("Market as of", pack.scenario.market.as_of),
        ("Made on", pack.made_on),
        ("Sites valued", len(pack.results)),
    ]
    for i, (label, value) in enumerate(meta, start=2):
        ws.cell(row=i, column=1, value=label).font = BOLD
        cell = ws.cell(row=i, column=2, value=text(value))
        if isinstance(value, date):
            cell.number_format = DATE
    frame = summary_frame(pack)
    columns = list(frame.columns)
    _header(ws, SUMMARY_HEADER_ROW, _summary_headers(columns))
    _write_frame(ws, frame, SUMMARY_HEADER_ROW + 1, _summary_formats(columns))
    ws.freeze_panes = ws.cell(row=SUMMARY_HEADER_ROW + 1, column=3)
    _widths(ws, {j: 16.0 for j in range(1, len(columns) + 1)})
    _widths(ws, {1: 18.0, 2: 24.0})
    if "recommendation" in columns:
        _widths(ws, {columns.index("recommendation") + 1: 80.0})
    n = len(pack.results)
    if n == 0:
        return
    first, last = SUMMARY_HEADER_ROW + 1, SUMMARY_HEADER_ROW + n
    names = Reference(ws, min_col=columns.index("name") + 1, min_row=first, max_row=last)
    anchor_row = SUMMARY_HEADER_ROW + len(frame) + 3

    value_chart = BarChart()
    value_chart.type = "bar"
    value_chart.title = "Value of converting by site (USD)"
    col = columns.index("value_of_converting_usd") + 1
    value_chart.add_data(
        Reference(ws, min_col=col, min_row=SUMMARY_HEADER_ROW, max_row=last), titles_from_data=True
    )
    value_chart.set_categories(names)
    value_chart.legend = None
    value_chart.height, value_chart.width = max(7.0, 0.6 * n + 3.0), 16.0
    value_chart.series[0].graphicalProperties.solidFill = "0072B2"
    ws.add_chart(value_chart, f"A{anchor_row}")

    npv_chart = BarChart()
    npv_chart.type = "col"
    npv_chart.grouping = "clustered"
    npv_chart.title = "NPV by strategy and site (USD)"
    keys = pack.strategy_keys()
    styles = series_styles(keys)
    for k in keys:
        col = columns.index(f"npv_usd:{k}") + 1
        npv_chart.add_data(
            Reference(ws, min_col=col, min_row=SUMMARY_HEADER_ROW, max_row=last),
            titles_from_data=True,
        )
    npv_chart.set_categories(names)
    for series, k in zip(npv_chart.series, keys, strict=True):
        _bar_style(series, styles[k])
    npv_chart.height, npv_chart.width = 9.0, max(16.0, 1.6 * n + 4.0)
    ws.add_chart(npv_chart, f"H{anchor_row}")


def _bar_style(series, style) -> None:  # noqa: ANN001 - openpyxl series, reports.styles style
    """Colour and, beyond the first, a fill pattern: bars that read in black and white."""
    props = series.graphicalProperties
    color = style.color.lstrip("#").upper()
    if style.dash.excel_pattern == "solid":
        props.solidFill = color
    else:
        props.pattFill = PatternFillProperties(
            prst=style.dash.excel_pattern,
            fgClr=ColorChoice(srgbClr=color),
            bgClr=ColorChoice(srgbClr="FFFFFF"),
        )
    props.line.solidFill = color


# --- Assumptions, retrofit, sections -------------------------------------------------------------


# The Assumptions sheet: column of ``reports.assumptions.assumption_rows`` -> header.
ASSUMPTION_COLUMNS = {
    "label": "Assumption",
    "value": "Value",
    "unit": "Unit",
    "source": "Source",
    "date": "Date",
    "date_is": "Date is",
    "scenario": "Scenario",
    "input": "Input",
}


def _write_assumptions(ws: Worksheet, pack: BoardPack) -> None:
    """Every input in words with its value (a number, in its unit), unit, source, date and what
    the date is (the market's as-of date, the day the sources were compiled, or the day the pack
    was made for a value the scenario sets), the scenario, and the input's field name."""
    rows = assumption_rows(pack.scenario, pack.scenario_name, pack.made_on)
    rows = rows[list(ASSUMPTION_COLUMNS)]
    _header(ws, 1, list(ASSUMPTION_COLUMNS.values()))
    _write_frame(ws, rows, 2, {"date": DATE})
    ws.freeze_panes = "B2"
    _widths(ws, {1: 40.0, 2: 18.0, 3: 24.0, 4: 100.0, 5: 12.0, 6: 16.0, 7: 18.0, 8: 46.0})


def _write_retrofit(ws: Worksheet, pack: BoardPack) -> None:
    items = retrofit_frame(pack)
    if items.empty:
        ws["A1"] = "No site could be valued."
        return
    _header(ws, 1, list(items.columns))
    formats = {c: USD for c in items.columns if c.endswith("_usd")}
    _write_frame(ws, items, 2, formats)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(items.columns))}{len(items) + 1}"
    _widths(ws, {1: 18.0, 2: 22.0, 3: 14.0, 4: 40.0, 5: 16.0, 6: 16.0, 7: 16.0, 8: 60.0})


def _write_section(ws: Worksheet, section: ReportSection, title: str) -> None:
    ws["A1"] = text(title)
    ws["A1"].font = TITLE
    if section.note:
        ws["A2"] = text(section.note)
    warning = paths_note(section)
    if warning:
        ws["A3"] = text(warning)
        ws["A3"].font = WARNING
    table = section.table.reset_index(drop=section.table.index.name is None)
    _header(ws, 4, [str(c) for c in table.columns])
    _write_frame(ws, table, 5, {c: number_format(str(c)) for c in table.columns
                                if pd.api.types.is_numeric_dtype(table[c])})  # fmt: skip


# --- Cash flows per site -------------------------------------------------------------------------


def cumulative_by_year(result, months: int) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """Years 0..N and one strategy's cumulative cash flow before terminal value (and the tax on
    it) at each year's last month (month 0 for year 0), USD: what the workbook's line chart
    draws (``reports.tables.cumulative_before_terminal_usd``, the memo's and the app's rule)."""
    cum = cumulative_before_terminal_usd(result.monthly)
    ends = np.minimum(np.arange(0, months // 12 + 1) * 12, months - 1)
    if ends[-1] != months - 1:
        ends = np.r_[ends, months - 1]
    return ends / 12.0, cum[ends]


def _write_cashflows(ws: Worksheet, pack: BoardPack, r: SiteResult) -> None:
    d = r.decision
    ws["A1"] = text(f"{r.site.name} ({r.site.operator})" if r.site.operator else r.site.name)
    ws["A1"].font = TITLE
    ws["A2"] = text(
        f"Monthly cash flows, USD, scenario {pack.scenario_name!r}: month 0 is the valuation date "
        "and is not discounted; costs are positive amounts, free cash flows positive when money "
        "comes in."
    )
    ws["A3"], ws["B3"] = SITE_ID_LABEL, text(r.site.id)
    ws["A3"].font = BOLD
    n = max(len(r.monthly) for r in d.strategies.values())
    starts = month_starts(pack.scenario.market.as_of, n)[:n]
    ws.cell(row=CASHFLOW_HEADER_ROW, column=1, value="month").font = BOLD
    ws.cell(row=CASHFLOW_HEADER_ROW, column=2, value="month_start").font = BOLD
    for i in range(n):
        ws.cell(row=CASHFLOW_HEADER_ROW + 1 + i, column=1, value=i)
        c = ws.cell(row=CASHFLOW_HEADER_ROW + 1 + i, column=2, value=starts[i].astype(date))
        c.number_format = MONTH
    col = 3
    for key, result in d.strategies.items():
        columns = list(result.monthly.columns)
        head = ws.cell(row=CASHFLOW_HEADER_ROW - 1, column=col, value=text(result.label))
        head.font, head.fill = BOLD, HEADER_FILL
        ws.merge_cells(
            start_row=CASHFLOW_HEADER_ROW - 1, start_column=col,
            end_row=CASHFLOW_HEADER_ROW - 1, end_column=col + len(columns) - 1,
        )  # fmt: skip
        values = result.monthly.to_numpy(dtype=float)
        for j, name in enumerate(columns):
            h = ws.cell(row=CASHFLOW_HEADER_ROW, column=col + j, value=text(f"{key}.{name}"))
            h.font, h.fill = BOLD, HEADER_FILL
            fmt = number_format(name)
            for i in range(len(values)):
                cell = ws.cell(row=CASHFLOW_HEADER_ROW + 1 + i, column=col + j)
                cell.value = finite_or_none(values[i, j])
                cell.number_format = fmt
        col += len(columns)
    ws.freeze_panes = ws.cell(row=CASHFLOW_HEADER_ROW + 1, column=3)
    _widths(ws, {j: 15.0 for j in range(3, col)})

    # Cumulative cash flow at each year end: the chart's data, to the right of the flows.
    col += 1
    top = CASHFLOW_HEADER_ROW
    ws.cell(
        row=top - 1, column=col, value="Cumulative cash flow before terminal value, USD"
    ).font = BOLD
    ws.cell(row=top, column=col, value="year").font = BOLD
    keys = [k for k, r in d.strategies.items() if fcf_column(r.monthly) and len(r.monthly) == n]
    styles = series_styles(keys)
    years = np.zeros(0)
    for j, key in enumerate(keys, start=1):
        years, cum = cumulative_by_year(d.strategies[key], n)
        h = ws.cell(row=top, column=col + j, value=text(d.strategies[key].label))
        h.font = BOLD
        for i, (y, v) in enumerate(zip(years, cum, strict=True), start=1):
            ws.cell(row=top + i, column=col, value=float(y)).number_format = "0.0"
            ws.cell(row=top + i, column=col + j, value=finite_or_none(v)).number_format = USD_WHOLE
    n_years = len(years)
    if not keys:
        return
    chart = LineChart()
    chart.title = "Cumulative cash flow before terminal value (USD)"
    chart.y_axis.title = "USD"
    chart.x_axis.title = "Years from today"
    chart.add_data(
        Reference(ws, min_col=col + 1, max_col=col + len(keys), min_row=top, max_row=top + n_years),
        titles_from_data=True,
    )
    chart.set_categories(Reference(ws, min_col=col, min_row=top + 1, max_row=top + n_years))
    for series, key in zip(chart.series, keys, strict=True):
        style = styles[key]
        line = series.graphicalProperties.line
        line.solidFill = style.color.lstrip("#").upper()
        line.dashStyle = style.dash.excel
        line.width = 28575  # 2.25 pt in EMU
        series.marker.symbol = style.marker.excel
        series.marker.size = 6
        series.marker.graphicalProperties = None
        series.smooth = False
    chart.height, chart.width = 9.0, 18.0
    ws.add_chart(chart, f"{get_column_letter(col)}{top + n_years + 3}")


# --- Workbook ------------------------------------------------------------------------------------


def cashflow_title(number: int, name: str, label: str) -> str:
    """A site's cash-flow sheet title: its number and its label (``BoardPack.site_labels``: the
    site's ``name`` with its operator added where two sites share the name); where that is too
    long for Excel's 31 characters the name is cut, not the operator that tells the sites
    apart."""
    prefix = f"{number:02d} "
    room = 31 - len(prefix)
    added = label[len(name) :] if label.startswith(name) else ""
    if len(label) <= room or not added:
        return prefix + label
    added = added[: room - 8]  # the name keeps 8 characters at least
    return prefix + name[: room - len(added)].rstrip() + added


def build_workbook(pack: BoardPack) -> Workbook:
    """The pack's workbook (see the module's docstring for its sheets)."""
    wb = Workbook()
    summary = wb.active
    summary.title = "Summary"
    _write_summary(summary, pack)
    _write_assumptions(wb.create_sheet("Assumptions"), pack)
    _write_retrofit(wb.create_sheet("Retrofit"), pack)
    taken = {t.lower() for t in wb.sheetnames}
    labels = pack.site_labels()
    for section in pack.sections:  # a site's section by the site's name, as the memo does
        heading = section_heading(section, labels)
        _write_section(wb.create_sheet(sheet_title(heading, taken)), section, heading)
    for i, r in enumerate(pack.results, start=1):
        title = sheet_title(cashflow_title(i, r.site.name, labels[r.site.id]), taken)
        _write_cashflows(wb.create_sheet(title), pack, r)
    return wb


def cashflow_sheets(wb: Workbook) -> dict[str, str]:
    """Site id (as written, neutralised) -> title of its cash-flow sheet, in site order."""
    return {
        str(ws["B3"].value): ws.title for ws in wb.worksheets if ws["A3"].value == SITE_ID_LABEL
    }


def workbook_bytes(pack: BoardPack) -> bytes:
    """The workbook as .xlsx bytes (for a download)."""
    buffer = io.BytesIO()
    build_workbook(pack).save(buffer)
    return buffer.getvalue()


def write_workbook(pack: BoardPack, path: str | Path) -> Path:
    """Write the workbook to ``path`` (.xlsx) and return the path."""
    path = Path(path)
    path.write_bytes(workbook_bytes(pack))
    return path
