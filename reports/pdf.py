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
from reports.assumptions import assumption_rows, date_text, unit_text
from reports.charts import ChartSpec, site_charts
from reports.pack import BoardPack, ReportSection, SiteResult, section_heading, strategy_name
from reports.sections import FULL_RUN_PATHS, paths_note, section_paths
from reports.tables import BREAKEVENS, column_kind, return_figure
from valuation import formatting as fmt

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from pandas import DataFrame

PAGE_IN = (8.5, 11.0)  # US letter, portrait
_LINE_HEIGHT = 1.2  # matplotlib's line height per unit of linespacing, in font sizes (approx.)
MARGIN = 0.06  # of the page, left and right
ASSUMPTION_LINES_PER_PAGE = 56  # printed lines: an input whose source wraps takes several
ASSUMPTION_SOURCE_LINES = 3  # a longer source is cut (the workbook has it in full)
SECTION_ROWS_PER_PAGE = 40  # printed lines: a row whose cells wrap takes several
_CHAR_EM = 0.56  # a regular character's width, in font sizes (DejaVu Sans, approx.)
_BOLD_CHAR_EM = 0.64  # a bold one's
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


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width) or [""]


def _chars(width: float, size: float) -> int:
    """How many characters of ``size`` points fit in ``width`` (a fraction of the page's width),
    less a character's gap to the next column."""
    return max(int(width * PAGE_IN[0] * 72.0 / (size * _CHAR_EM)) - 1, 4)


def _column_chars(xs: Sequence[float], size: float) -> list[int]:
    """Each column's width in characters: to the next column's start, the last to the margin."""
    ends = [*xs[1:], 1 - MARGIN]
    return [_chars(end - x, size) for x, end in zip(xs, ends, strict=True)]


def _wrapped_rows(rows: Sequence[Sequence[str]], widths: Sequence[int],
                  max_lines: int = 3) -> list[list[list[str]]]:  # fmt: skip
    """Each row as printed lines: every cell wrapped to its column's width in characters (at most
    ``max_lines`` lines, the last cut with an ellipsis), the shorter cells padded with blanks."""
    out = []
    for row in rows:
        cells = []
        for text, width in zip(row, widths, strict=True):
            lines = _wrap(str(text), width)
            if len(lines) > max_lines:
                lines = lines[: max_lines - 1] + [_clip(" ".join(lines[max_lines - 1 :]), width)]
            cells.append(lines)
        height = max(len(c) for c in cells)
        out.append([[c[i] if i < len(c) else "" for c in cells] for i in range(height)])
    return out


def _pages_of_lines(rows: Sequence[list[list[str]]], lines_per_page: int) -> list[list[list[str]]]:
    """Wrapped rows (:func:`_wrapped_rows`) in pages of at most ``lines_per_page`` printed lines,
    a row never split across two pages; at least one page."""
    pages: list[list[list[str]]] = [[]]
    for row in rows:
        if pages[-1] and len(pages[-1]) + len(row) > lines_per_page:
            pages.append([])
        pages[-1].extend(row)
    return pages


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


def _label_room(ax: Axes) -> float:
    """The room left of ``ax`` for its category labels, as a fraction of the page's width: to the
    grid column on its left (or the page's margin), less the ticks' padding."""
    left = MARGIN
    spec = ax.get_subplotspec()
    fig = ax.get_figure(root=True)
    if spec is not None and spec.colspan.start > 0 and fig is not None:
        _, _, _, rights = spec.get_gridspec().get_grid_positions(fig)
        left = rights[spec.colspan.start - 1] + 0.01
    return max(ax.get_position().x0 - left - 0.012, 0.04)


def _category_ticks(ax: Axes, order: Sequence[str]) -> None:
    """The bar chart's category labels, each whole and wrapped to the room left of the axes: at
    most two lines, a little smaller where one line does not hold a label, cut only where two
    lines at 80% would not hold it."""
    room = _label_room(ax)
    size = float(RC["ytick.labelsize"])
    for scale in (1.0, 0.9, 0.8):
        width = _chars(room, size * scale) + 1
        if all(len(_wrap(c, width)) <= 2 for c in order):
            break
    labels = []
    for c in order:
        first, *rest = _wrap(c, width)
        labels.append(first + ("\n" + _clip(" ".join(rest), width) if rest else ""))
    ax.set_yticks(range(len(order)), labels, fontsize=size * scale, linespacing=1.0)


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
    _category_ticks(ax, order)
    ax.invert_yaxis()
    if len(spec.series) > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.22), frameon=False,
                  ncols=len(spec.series))  # fmt: skip


# --- pages -----------------------------------------------------------------------------------------


def _or_low(x: float) -> float:
    return x if np.isfinite(x) else -np.inf


_SectionLayout = tuple[list[str], list[float], list[list[list[str]]]]


def _cover(pack: BoardPack, page: int, simulated: list[str], quick: bool) -> Figure:
    """The cover; ``simulated`` its lines on the simulated sections, red when ``quick`` (one
    rests on fewer paths than a full run), from :func:`_cover_sections`."""
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
    if simulated:
        y = _lines(fig, y - 0.02, ["Risk results:"], fontweight="bold")
        y = _lines(fig, y, [ln for t in simulated for ln in _wrap(t, 125)], size=7.5,
                   color="#8b0000" if quick else "black")  # fmt: skip
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
        "convert. The table's returns are each path's own.",
        "Peak funding of a converting path is as if the tenant signs: the money it needs. NPV "
        "and payback weigh in the tenant's odds.",
    ], size=7, color="#333333")  # fmt: skip

    charts_top = y - 0.022  # room for a chart title wrapped over three lines above its axes
    charts_bottom = 0.145
    grid = GridSpec(2, 2, figure=fig, left=0.20, right=0.97, top=charts_top - 0.02,
                    bottom=charts_bottom + 0.075, hspace=0.75, wspace=0.7)  # fmt: skip
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


# A risk table's columns in words (``valuation.risk``'s ``report_table``); others by their words.
_HEADERS = {
    "site_id": "Site",
    "mean_usd": "Mean NPV (USD)",
    "p10_usd": "P10 NPV (USD)",
    "p50_usd": "P50 NPV (USD)",
    "p90_usd": "P90 NPV (USD)",
    "se_usd": "Mean NPV: standard error (USD)",
    "es5_usd": "Expected shortfall: mean of the worst 5% (USD)",
    "deterministic_npv_usd": "NPV without risk (USD)",
    "p_converting_wins": "Probability converting wins",
    "p_converting_wins_se": "Probability converting wins: standard error",
}
_WORDS = {"mw": "MW", "it": "IT", "npv": "NPV", "se": "standard error", "p": "probability"}


def _header_text(column: str, width: int) -> str:
    """A section table's column name in words, wrapped to ``width`` characters a line:
    "equity_budget_usd" -> "Equity budget (USD)", "critical_it_mw_started" -> "Critical IT MW
    started", "best_converting_se_usd" -> "Best converting standard error (USD)"."""
    text = _HEADERS.get(column, "")
    if not text:
        words = column.split("_")
        unit = ""
        if words[-1] in ("usd", "share") and len(words) > 1:
            unit, words = f" ({'USD' if words[-1] == 'usd' else 'share'})", words[:-1]
        text = " ".join(_WORDS.get(w, w) for w in words) + unit
    return "\n".join(textwrap.wrap(text[:1].upper() + text[1:], width=width)) or column


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
    return str(value)  # wrapped to its column by the page


def _display_value(value: object, column: str, labels: dict[str, str]) -> object:
    """A section's cell as the memo names it: a site id as the site's name, a strategy key as the
    strategy's label; anything else as it is."""
    if column == "site_id" and isinstance(value, str):
        return labels.get(value, value)
    if column == "strategy" and isinstance(value, str):
        return strategy_name(value)
    return value


def _section_table(section: ReportSection) -> DataFrame:
    """The rows and columns a section's memo pages show: at most :data:`SECTION_ROWS_MAX` rows,
    the site column left out where every row is the site the title names."""
    table = section.table.reset_index(drop=section.table.index.name is None)
    table.columns = [str(c) for c in table.columns]  # a table may name its columns 0, 1, ...
    table = table.iloc[:SECTION_ROWS_MAX]
    if section.site_id and "site_id" in table and (table["site_id"] == section.site_id).all():
        table = table.drop(columns="site_id")
    return table[_memo_columns(table)]


def _section_xs(table: DataFrame) -> list[float]:
    """Column starts: a text column (site, strategy, figure) twice a number column's width."""
    weights = [2.0 if len(table) and table[c].map(lambda v: isinstance(v, str)).all() else 1.0
               for c in table.columns]  # fmt: skip
    span = 1 - 2 * MARGIN
    starts = np.cumsum([0.0, *weights[:-1]]) / max(sum(weights), 1e-9) * span + MARGIN
    return [float(x) for x in starts]


_SECTION_SIZE = 6.5


def _section_layout(section: ReportSection, labels: dict[str, str]) -> _SectionLayout:
    """A section's headers, column starts and pages of printed lines (cells in words: sites by
    name from ``labels``, :meth:`BoardPack.site_labels`; strategies by label; wrapped within
    their columns)."""
    table = _section_table(section)
    columns = list(table.columns)
    xs = _section_xs(table) if columns else [MARGIN]
    widths = _column_chars(xs, _SECTION_SIZE)
    rows = [[_cell_text(_display_value(v, c, labels), c) for v, c in zip(rec, columns, strict=False)]
            for rec in table.itertuples(index=False)]  # fmt: skip
    pages = _pages_of_lines(_wrapped_rows(rows, widths), SECTION_ROWS_PER_PAGE)
    bold = _CHAR_EM / _BOLD_CHAR_EM  # a bold header's characters are wider
    headers = [_header_text(c, int(w * bold)) for c, w in zip(columns, widths, strict=False)]
    return headers, xs, pages


def _section_pages(
    pack: BoardPack,
    section: ReportSection,
    layout: _SectionLayout,
    labels: dict[str, str],
    first_page: int,
) -> list[Figure]:
    cut = len(section.table) - SECTION_ROWS_MAX
    headers, xs, pages = layout
    warning = paths_note(section)
    title = section_heading(section, labels)
    title_chars = int(_chars(1 - 2 * MARGIN, 16) * _CHAR_EM / _BOLD_CHAR_EM)
    figs = []
    for k, lines in enumerate(pages):
        fig = _page()
        y = _lines(fig, 0.95, _wrap(title + (" (continued)" if k else ""), title_chars),
                   size=16, fontweight="bold")  # fmt: skip
        if warning:
            y = _lines(fig, y - 0.005, _wrap(warning, 115), size=8, fontweight="bold",
                       color="#8b0000")  # fmt: skip
        if section.note and not k:
            y = _lines(fig, y - 0.005, _wrap(section.note, 120), size=8)
        y = _table(fig, y - 0.02, headers, lines, xs, size=_SECTION_SIZE)
        if cut > 0 and k == len(pages) - 1:
            _lines(fig, y - 0.01, [f"… and {cut} more rows: see the workbook."], size=7.5)
        _footer(fig, pack, first_page + k)
        figs.append(fig)
    return figs


_ASSUMPTION_XS = (MARGIN, 0.30, 0.39, 0.525, 0.64)  # input, value, unit, date, source
_ASSUMPTION_SIZE = 6.0


def assumption_page_lines(pack: BoardPack) -> list[list[list[str]]]:
    """The assumptions as printed: each page's lines (input, value, unit, date, source), every
    cell wrapped within its column and the page (a source to
    :data:`ASSUMPTION_SOURCE_LINES` lines)."""
    rows = assumption_rows(pack.scenario, pack.scenario_name, pack.made_on)
    table = [[r.label, r.value_text, unit_text(r.unit), date_text(r.date, r.date_is), r.source]
             for r in rows.itertuples(index=False)]  # fmt: skip
    widths = _column_chars(_ASSUMPTION_XS, _ASSUMPTION_SIZE)
    wrapped = _wrapped_rows(table, widths, max_lines=ASSUMPTION_SOURCE_LINES)
    return _pages_of_lines(wrapped, ASSUMPTION_LINES_PER_PAGE)


def _assumption_pages(pack: BoardPack, first_page: int) -> list[Figure]:
    figs = []
    for k, lines in enumerate(assumption_page_lines(pack)):
        fig = _page()
        y = _lines(fig, 0.95, ["Assumptions" + (" (continued)" if k else "")], size=16,
                   fontweight="bold")  # fmt: skip
        if not k:
            y = _lines(fig, y - 0.005, _wrap(
                f"Every input of scenario {pack.scenario_name!r}, with its unit, source and date. "
                f"Dates: \"as of\" is the market data's date ({pack.scenario.market.as_of:%Y-%m-%d}"
                "); \"compiled\" the day the sources of the library's defaults were compiled (the "
                "data they cite is older: see each source); \"set\" the day the pack was made, for "
                "a value this scenario sets. Long sources are shortened; the workbook's "
                "Assumptions sheet has them in full.", 120), size=8)  # fmt: skip
        _table(fig, y - 0.02, ["Input", "Value", "Unit", "Date", "Source"], lines,
               list(_ASSUMPTION_XS), size=_ASSUMPTION_SIZE, step=0.0155)  # fmt: skip
        _footer(fig, pack, first_page + k)
        figs.append(fig)
    return figs


def iter_memo_pages(pack: BoardPack) -> Iterator[Figure]:
    """The memo's pages in order, one at a time (cover, one per site, the risk and plan sections,
    the assumptions); call inside ``matplotlib.rc_context(RC)``."""
    labels = pack.site_labels()
    layouts = [_section_layout(section, labels) for section in pack.sections]  # once each
    first_pages = _first_pages(pack, layouts)
    yield _cover(pack, 1, *_cover_sections(pack, labels, first_pages))
    page = 2
    for r in pack.results:
        yield _site_page(pack, r, page)
        page += 1
    for section, layout, first in zip(pack.sections, layouts, first_pages, strict=True):
        yield from _section_pages(pack, section, layout, labels, first)
    yield from _assumption_pages(pack, 2 + len(pack.results) + sum(len(x[2]) for x in layouts))


def _first_pages(pack: BoardPack, layouts: list[_SectionLayout]) -> list[int]:
    """The page each section starts on, after the cover and the site pages."""
    firsts, page = [], 2 + len(pack.results)
    for _, _, pages in layouts:
        firsts.append(page)
        page += len(pages)
    return firsts


def _cover_sections(
    pack: BoardPack, labels: dict[str, str], first_pages: list[int]
) -> tuple[list[str], bool]:
    """The cover's lines on the simulated sections: where each is, how many paths it rests on,
    and a quick run said so (:func:`reports.sections.paths_note`); and whether any is quick."""
    lines, any_quick = [], False
    for section, page in zip(pack.sections, first_pages, strict=True):
        n = section_paths(section)
        if n is None:
            continue
        quick = n < FULL_RUN_PATHS
        any_quick |= quick
        run = "a quick run, indicative only" if quick else "a full run"
        lines.append(f"{section_heading(section, labels)} (page {page}): {n:,} Monte Carlo "
                     f"paths, {run}")  # fmt: skip
    return lines, any_quick


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
    "ASSUMPTION_LINES_PER_PAGE",
    "ASSUMPTION_SOURCE_LINES",
    "assumption_page_lines",
    "COVER_SITES",
    "MARGIN",
    "PAGE_IN",
    "RC",
    "SECTION_ROWS_MAX",
    "SECTION_ROWS_PER_PAGE",
]
