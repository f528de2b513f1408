"""The board pack as a PDF memo, drawn with matplotlib's PDF backend (``PdfPages``).

Why matplotlib: it draws the charts offline with full control of dashes, markers and hatches (the
memo must read printed in black and white), it is maintained by a large project, and its PDFs
embed the fonts as TrueType (``pdf.fonttype`` 42) so the text can be searched and extracted. A
page-layout library (ReportLab) would still need matplotlib for the charts.

Pages: a cover (scenario, market date, date made, the portfolio's recommendations), one page per
site (recommendation, reasons, key figures, each strategy's metrics, the four charts of
``reports.charts``, the break-evens), a page for each risk or plan section when given, and the
assumptions (as many pages as they need). Text is drawn as text, never as mathtext, so a "$" in a
site's name or a reason prints as it is.
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import reports.decision_view as view
from reports.assumptions import assumption_rows
from reports.charts import ChartSpec, site_charts
from reports.pack import BoardPack, ReportSection, SiteResult
from reports.tables import BREAKEVENS, column_kind, return_figure
from valuation import formatting as fmt

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from pandas import DataFrame

PAGE_IN = (8.5, 11.0)  # US letter, portrait
_LINE_HEIGHT = 1.2  # matplotlib's line height per unit of linespacing, in font sizes (approx.)
MARGIN = 0.06  # of the page, left and right
ASSUMPTION_ROWS_PER_PAGE = 42
SECTION_ROWS_PER_PAGE = 40
COVER_SITES = 32  # the cover lists this many sites; the workbook lists all
SECTION_ROWS_MAX = 200  # a risk or plan table shows at most this many rows; the workbook has all
# rcParams are global: one memo is drawn at a time (the app draws downloads on a worker thread).
_RENDER_LOCK = threading.Lock()
RC: dict[str, Any] = {
    "pdf.fonttype": 42,  # TrueType: text stays text (searchable, extractable)
    "text.parse_math": False,  # "$" prints as a dollar sign, never as mathtext
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 6.5,
    "hatch.linewidth": 0.8,
}


def _page() -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=PAGE_IN)


def _lines(fig: Figure, y: float, lines: Sequence[str], *, size: float = 8.5, step: float = 0.016,
           x: float = MARGIN, **kw) -> float:  # fmt: skip
    """Draw lines of text from ``y`` down (figure fraction), ``step`` apart at 8.5 pt (scaled with
    ``size``), as ONE text object (drawing cost is per object); return the next free ``y``."""
    if not lines:
        return y
    pitch = step * size / 8.5
    fig.text(x, y, "\n".join(lines), fontsize=size, va="top",
             linespacing=pitch * PAGE_IN[1] * 72.0 / size / _LINE_HEIGHT, **kw)  # fmt: skip
    return y - pitch * len(lines)


def _clip(text: object, width: int) -> str:
    """``text`` cut to ``width`` characters, an ellipsis marking the cut."""
    text = str(text)
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _value_text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width) or [""]


def _footer(fig: Figure, pack: BoardPack, page: int) -> None:
    fig.text(
        MARGIN,
        0.02,
        f"Hashpivot board memo · scenario {pack.scenario_name} · market as of "
        f"{pack.scenario.market.as_of:%d %b %Y} · made {pack.made_on:%d %b %Y}",
        fontsize=6.5,
        color="#555555",
    )
    fig.text(1 - MARGIN, 0.02, f"page {page}", fontsize=6.5, color="#555555", ha="right")


def _table(fig: Figure, top: float, headers: Sequence[str], rows: Sequence[Sequence[str]],
           xs: Sequence[float], *, size: float = 7.0, step: float = 0.0135,
           aligns: Sequence[str] | None = None) -> float:  # fmt: skip
    """A plain text table from ``top`` down at column positions ``xs``, one text object per column;
    returns the next ``y``."""
    aligns = aligns or ["left"] * len(headers)
    for x, h, a in zip(xs, headers, aligns, strict=True):
        fig.text(x, top, h, fontsize=size, fontweight="bold", va="top", ha=a)
    header_lines = max((h.count("\n") + 1 for h in headers), default=1)
    y = top - step * (0.2 + header_lines)
    fig.add_artist(_rule(fig, y + step * 0.35))
    if rows:
        for j, (x, a) in enumerate(zip(xs, aligns, strict=True)):
            fig.text(x, y, "\n".join(str(row[j]) for row in rows), fontsize=size, va="top", ha=a,
                     multialignment=a, linespacing=step * PAGE_IN[1] * 72.0 / size / _LINE_HEIGHT)  # fmt: skip
    return y - step * len(rows)


def _rule(fig: Figure, y: float):  # noqa: ANN202 - a matplotlib Line2D
    from matplotlib.lines import Line2D

    return Line2D([MARGIN, 1 - MARGIN], [y, y], transform=fig.transFigure, color="#999999",
                  linewidth=0.5)  # fmt: skip


# --- charts ----------------------------------------------------------------------------------------


def _fit_title(ax: Axes, text: str) -> None:
    """The chart's title, left-aligned, wrapped to the room it has: from the axes' left edge to
    the next grid column's (or the page's right margin); where two lines at full size would not
    hold it (a bridge names its two paths), the font a little smaller, down to 80%. A bold
    character is taken as about 0.58 em wide."""
    from matplotlib.figure import Figure as PageFigure

    title = ax.set_title(text, loc="left", fontweight="bold")
    fig = ax.get_figure(root=True)
    assert isinstance(fig, PageFigure)
    left = ax.get_position().x0
    right = 1 - MARGIN
    spec = ax.get_subplotspec()
    if spec is not None:
        _, _, lefts, _ = spec.get_gridspec().get_grid_positions(fig)
        column = spec.colspan.stop
        if column < len(lefts):
            right = min(right, lefts[column] - 0.02)
    room_pt = max(right - left, 0.05) * fig.get_figwidth() * 72
    size = float(title.get_fontsize())
    for scale in (1.0, 0.9, 0.8):
        lines = _wrap(text, max(16, int(room_pt / (size * scale * 0.58))))
        if len(lines) <= 2:
            break
    title.set_fontsize(size * scale)
    title.set_text("\n".join(lines))


def draw_chart(ax: Axes, spec: ChartSpec) -> None:
    """Draw one chart specification on ``ax``: lines with their dash and staggered markers, or
    horizontal bars from start to end with their hatch."""
    _fit_title(ax, spec.title)
    ax.set_xlabel(spec.x_label)
    if spec.y_label:
        ax.set_ylabel(spec.y_label)
    ax.grid(True, color="#dddddd", linewidth=0.5)
    ax.set_axisbelow(True)
    if spec.kind == "line":
        for s in spec.series:
            n = len(s.x)
            ax.plot(s.x, s.y, color=s.color, linestyle=s.linestyle, linewidth=1.6,
                    marker=s.marker or None, markersize=4, markevery=(s.mark_offset % max(n, 1),
                    s.mark_every), label=s.label)  # fmt: skip
        ax.axhline(0.0, color="#333333", linewidth=0.6)
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.22), frameon=False, ncols=1)
        return
    order: list[str] = list(spec.order)
    for s in spec.series:
        order += [c for c in s.categories if c not in order]
    pos = {c: i for i, c in enumerate(order)}
    for s in spec.series:
        y = [pos[c] for c in s.categories]
        left = np.minimum(s.x, s.y)
        width = np.abs(np.subtract(s.y, s.x))
        range_series = s.key == "range"
        ax.barh(y, width, left=left, height=0.18 if range_series else 0.6,
                color="white" if s.hatch else s.color, edgecolor=s.color, hatch=s.hatch or None,
                linewidth=0.8, label=s.label)  # fmt: skip
    ax.set_yticks(range(len(order)), [_clip(c, 26) for c in order])
    ax.invert_yaxis()
    if len(spec.series) > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.22), frameon=False,
                  ncols=len(spec.series))  # fmt: skip


# --- pages -----------------------------------------------------------------------------------------


def _or_low(x: float) -> float:
    return x if np.isfinite(x) else -np.inf


def _cover(pack: BoardPack, page: int) -> Figure:
    fig = _page()
    s = pack.scenario
    y = _lines(fig, 0.95, ["Board memo"], size=24, fontweight="bold")
    y = _lines(fig, y - 0.01, ["Keep mining, convert to AI hosting, or split each site"], size=12)
    y = _lines(
        fig,
        y - 0.02,
        [
            f"Scenario: {pack.scenario_name}",
            f"Market as of {s.market.as_of:%d %B %Y}; memo made on {pack.made_on:%d %B %Y}",
            f"Lease {fmt.rate_usd_per_kw_month(s.lease_rate_usd_per_kw_month)} for "
            f"{s.lease_term_years:g} years; Bitcoin {fmt.usd_exact(s.market.btc_price_usd)}; "
            f"discount rate {fmt.pct(s.discount_rate_per_year)} a year; "
            f"{s.horizon_months // 12}-year horizon",
            f"{len(pack.results)} site{'s' if len(pack.results) != 1 else ''} valued"
            + (f"; {len(pack.failures)} could not be valued (listed below)" if pack.failures
               else ""),
        ],
        size=10,
        step=0.02,
    )  # fmt: skip
    rows = []
    ranked = sorted(pack.results, key=lambda r: -_or_low(view.value_of_converting_usd(r.decision)))
    for r in ranked[:COVER_SITES]:
        d = r.decision
        value, basis = return_figure(view.conversion_return(d))
        rows.append([
            _clip(r.site.name, 26),
            _clip(r.site.operator or "—", 20),
            _clip(view.best_label(d), 44),
            fmt.usd(view.value_of_converting_usd(d)),
            f"{fmt.pct(value)} ({basis})" if basis != "none" else "—",
        ])  # fmt: skip
    x = [MARGIN, 0.30, 0.47, 0.84, 0.94]
    y = _table(fig, y - 0.03, ["Site", "Operator", "Recommended path", "Value of converting",
                              "Return"], rows, x,
               aligns=["left", "left", "left", "right", "right"])  # fmt: skip
    more = len(pack.results) - COVER_SITES
    if more > 0:
        y = _lines(fig, y - 0.005, [f"… and {more} more sites: see the workbook's Summary."])
    if pack.failures:
        y = _lines(fig, y - 0.02, ["Not valued:"], fontweight="bold")
        for f in pack.failures[:10]:
            y = _lines(fig, y, _wrap(f"{f.site.name}: {f.reason}", 110), size=7.5)
    _lines(fig, max(y - 0.02, 0.08), _wrap(
        "Value of converting: the best converting path's NPV minus the best NPV of a path that does "
        "not convert (keep mining, mine with demand response, or sell the site). Return: the yearly "
        "IRR of the flows converting adds over that path (its MIRR where no single rate solves it). "
        "Sites are ranked by the value of converting; one page per site follows in inventory "
        "order, then the assumptions with their sources.", 120), size=7.5,
        color="#333333")  # fmt: skip
    _footer(fig, pack, page)
    return fig


def _site_page(pack: BoardPack, r: SiteResult, page: int) -> Figure:
    from matplotlib.gridspec import GridSpec

    fig = _page()
    site, d = r.site, r.decision
    title = f"{site.name} ({site.operator})" if site.operator else site.name
    y = _lines(fig, 0.965, _wrap(title, 60), size=16, fontweight="bold")
    place = ", ".join(p for p in (site.county, site.state) if p) or "location unknown"
    y = _lines(fig, y, [f"{place} · {site.grid_region} · {fmt.power(site.power.contracted_mw)} "
                        f"of power rights · site id {site.id}"], size=8, color="#444444")  # fmt: skip
    y = _lines(fig, y - 0.008, _wrap(d.recommendation, 95), size=10, fontweight="bold", step=0.018)
    reasons = [f"• {reason.text}" for reason in d.reasons[:5]]
    y = _lines(fig, y - 0.004, [ln for t in reasons for ln in _wrap(t, 125)], size=7.5)
    value, basis = return_figure(view.conversion_return(d))
    y = _lines(fig, y - 0.006, [
        f"Value of converting {fmt.usd(view.value_of_converting_usd(d))}   ·   Return on converting "
        + (f"{fmt.pct(value)} a year ({basis})" if basis != "none"
           else f"none ({view.conversion_without_rate_text(d)})")
        + f"   ·   Share of the site converted {fmt.pct(view.recommended_share(d), digits=0)}"
    ], size=8.5, fontweight="bold")  # fmt: skip
    rows = []
    for key, result in d.strategies.items():
        s = result.summary
        rows.append([
            _clip(result.label, 58) + (" ★" if key == view.best_key(d)
                                                                  else ""),
            fmt.usd(s.npv_usd),
            fmt.annual_return(s.irr_per_year, s.irr_kind, s.mirr_per_year,
                              peak_funding_usd=s.peak_funding_usd, moic=s.moic),
            fmt.payback(s.payback_month, s.peak_funding_usd),
            fmt.usd(s.peak_funding_usd),
        ])  # fmt: skip
    y = _table(fig, y - 0.008, ["Strategy (★ recommended)", "NPV", "Return", "Payback",
                               "Peak funding"], rows, [MARGIN, 0.56, 0.60, 0.78, 0.94],
               aligns=["left", "right", "left", "left", "right"])  # fmt: skip
    y = _lines(fig, y - 0.002, [
        "Return on converting: on what converting adds over the best path that does not "
        "convert. The table's returns are each path's own."
    ], size=7, color="#333333")  # fmt: skip

    charts_top = y - 0.022  # room for a chart title wrapped over three lines above its axes
    charts_bottom = 0.145
    grid = GridSpec(2, 2, figure=fig, left=0.20, right=0.97, top=charts_top - 0.02,
                    bottom=charts_bottom + 0.075, hspace=0.75, wspace=0.62)  # fmt: skip
    for spec, cell in zip(site_charts(d), [grid[0, 0], grid[0, 1], grid[1, 0], grid[1, 1]],
                          strict=True):  # fmt: skip
        draw_chart(fig.add_subplot(cell), spec)

    shown = {
        "lease_rate_usd_per_kw_month": fmt.rate_usd_per_kw_month,
        "hashprice_usd_per_ph_day": fmt.hashprice,
        "btc_price_usd": fmt.usd_exact,
        "max_capex_usd_per_mw": fmt.usd_per_mw,
    }
    # Today's figures as the valuation used them (the site page's), beside each break-even.
    today = {field: shown[field](value) for field, value in d.breakevens.today.items()}
    rows = [[label, shown.get(field, fmt.usd)(getattr(d.breakevens, field, None)),
             today.get(field, "")] for field, label, _ in BREAKEVENS]  # fmt: skip
    _table(fig, charts_bottom - 0.02, ["Break-even (converting ties the best path not converting)",
                                       "Break-even", "Today"], rows, [MARGIN, 0.62, 0.80],
           aligns=["left", "left", "left"])  # fmt: skip
    _footer(fig, pack, page)
    return fig


def _header_text(column: str, width: int) -> str:
    """A section table's column name in words, wrapped to ``width`` characters a line:
    "equity_budget_usd" -> "Equity budget (USD)", "critical_it_mw_started" -> "Critical IT MW
    started"."""
    words = column.split("_")
    unit = ""
    if words[-1] in ("usd", "share") and len(words) > 1:
        unit, words = f" ({'USD' if words[-1] == 'usd' else 'share'})", words[:-1]
    text = " ".join({"mw": "MW", "it": "IT", "npv": "NPV"}.get(w, w) for w in words)
    return "\n".join(textwrap.wrap(text[:1].upper() + text[1:] + unit, width=width)) or column


# Columns a section's note states for every row (a risk run's scenario, paths and seed): the
# memo leaves them out of its table to make room for figures.
_NOTED_COLUMNS = ("scenario", "n_paths", "seed")


def _memo_columns(table: DataFrame) -> list[str]:
    """The columns a memo page shows (at most 8): a calendar year in place of the plan year,
    none the section's note states (:data:`_NOTED_COLUMNS`)."""
    columns = [str(c) for c in table.columns if str(c) not in _NOTED_COLUMNS]
    if "calendar_year" in columns:
        columns = ["calendar_year"] + [c for c in columns if c not in ("calendar_year", "year")]
    return columns[:8]


def _cell_text(value: object, column: str) -> str:
    if isinstance(value, float | np.floating) and np.isinf(value) and value > 0:
        return "no limit"  # an unset budget or cap
    if isinstance(value, float | np.floating | int | np.integer) and not isinstance(value, bool):
        kind = column_kind(column)  # as the workbook formats the same column
        if not np.isfinite(value):
            return fmt.MISSING
        if kind == "share":
            return fmt.pct(float(value))
        if kind == "usd":
            return fmt.usd(float(value))
        if kind == "year":
            return f"{int(value)}"
        if kind == "count":
            return f"{int(value):,}"
        return f"{float(value):,.4g}" if isinstance(value, float | np.floating) else str(value)
    return _clip(str(value), 40)


def _section_pages(pack: BoardPack, section: ReportSection, first_page: int) -> list[Figure]:
    table = section.table.reset_index(drop=section.table.index.name is None)
    table.columns = [str(c) for c in table.columns]  # a table may name its columns 0, 1, ...
    cut = len(table) - SECTION_ROWS_MAX
    table = table.iloc[:SECTION_ROWS_MAX]
    columns = _memo_columns(table)
    table = table[columns]
    chunks = [table.iloc[i : i + SECTION_ROWS_PER_PAGE]
              for i in range(0, max(len(table), 1), SECTION_ROWS_PER_PAGE)]  # fmt: skip
    figs = []
    for k, chunk in enumerate(chunks):
        fig = _page()
        y = _lines(fig, 0.95, [section.title + (" (continued)" if k else "")], size=16,
                   fontweight="bold")  # fmt: skip
        if section.note and not k:
            y = _lines(fig, y - 0.005, _wrap(section.note, 120), size=8)
        xs = list(np.linspace(MARGIN, 1 - MARGIN - 0.1, len(columns)))
        rows = [[_cell_text(v, c) for v, c in zip(rec, columns, strict=False)]
                for rec in chunk.itertuples(index=False)]  # fmt: skip
        width = max(int((xs[1] - xs[0]) * 130), 8) if len(xs) > 1 else 60
        headers = [_header_text(c, width) for c in columns]
        y = _table(fig, y - 0.02, headers, rows, xs, size=6.5)
        if cut > 0 and k == len(chunks) - 1:
            _lines(fig, y - 0.01, [f"… and {cut} more rows: see the workbook."], size=7.5)
        _footer(fig, pack, first_page + k)
        figs.append(fig)
    return figs


def _assumption_pages(pack: BoardPack, first_page: int) -> list[Figure]:
    rows = assumption_rows(pack.scenario, pack.scenario_name, pack.made_on)
    figs = []
    for k, start in enumerate(range(0, len(rows), ASSUMPTION_ROWS_PER_PAGE)):
        chunk = rows.iloc[start : start + ASSUMPTION_ROWS_PER_PAGE]
        fig = _page()
        y = _lines(fig, 0.95, ["Assumptions" + (" (continued)" if k else "")], size=16,
                   fontweight="bold")  # fmt: skip
        if not k:
            y = _lines(fig, y - 0.005, _wrap(
                f"Every input of scenario {pack.scenario_name!r}, with its unit, source and date. "
                "Sources are shortened; the workbook's Assumptions sheet has them in full.", 120),
                size=8)  # fmt: skip
        table = [[
            _clip(r.input, 42),
            _clip(_value_text(r.value), 18),
            _clip(r.unit, 24),
            f"{r.date:%Y-%m-%d}",
            _clip(r.source, 56),
        ] for r in chunk.itertuples(index=False)]  # fmt: skip
        _table(fig, y - 0.02, ["Input", "Value", "Unit", "Date", "Source"], table,
               [MARGIN, 0.33, 0.45, 0.585, 0.665], size=6.0, step=0.0175)  # fmt: skip
        _footer(fig, pack, first_page + k)
        figs.append(fig)
    return figs


def iter_memo_pages(pack: BoardPack) -> Iterator[Figure]:
    """The memo's pages in order, one at a time (cover, one per site, the risk and plan sections,
    the assumptions); call inside ``matplotlib.rc_context(RC)``."""
    yield _cover(pack, 1)
    page = 2
    for r in pack.results:
        yield _site_page(pack, r, page)
        page += 1
    for section in pack.sections:
        for fig in _section_pages(pack, section, page):
            yield fig
            page += 1
    yield from _assumption_pages(pack, page)


def memo_pages(pack: BoardPack) -> list[Figure]:
    """Every page of the memo as a matplotlib Figure (drawn with :data:`RC`)."""
    import matplotlib

    with _RENDER_LOCK, matplotlib.rc_context(RC):  # type: ignore[arg-type]
        return list(iter_memo_pages(pack))


def memo_bytes(pack: BoardPack) -> bytes:
    """The memo as PDF bytes (for a download); pages are drawn and written one at a time."""
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    buffer = io.BytesIO()
    metadata = {"Title": f"Hashpivot board memo: {pack.scenario_name}", "Creator": "Hashpivot"}
    with _RENDER_LOCK, matplotlib.rc_context(RC), PdfPages(buffer, metadata=metadata) as pdf:  # type: ignore[arg-type]
        for fig in iter_memo_pages(pack):
            pdf.savefig(fig)
    return buffer.getvalue()


def write_memo(pack: BoardPack, path: str | Path) -> Path:
    """Write the memo to ``path`` (.pdf) and return the path."""
    path = Path(path)
    path.write_bytes(memo_bytes(pack))
    return path


__all__ = [
    "draw_chart",
    "iter_memo_pages",
    "memo_bytes",
    "memo_pages",
    "write_memo",
    "ASSUMPTION_ROWS_PER_PAGE",
    "COVER_SITES",
    "MARGIN",
    "PAGE_IN",
    "RC",
    "SECTION_ROWS_MAX",
    "SECTION_ROWS_PER_PAGE",
]
