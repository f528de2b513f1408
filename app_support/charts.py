"""The site page's charts: each builder turns a library result into a tidy frame (``*_frame``, what
a test checks) and a Vega-Lite chart (``*_chart``, a ``VegaChart``: the frame and the spec,
drawn with ``st.vega_lite_chart(chart.data, chart.spec)``). No valuation here: the numbers are the
decision's (``valuation.decision.Decision``) and the region's (``valuation.regions``).

Every strategy keeps one colour, dash and marker on every chart (``display.STRATEGY_STYLES``, the
same patterns as the board memo's ``reports.styles``), so paths stay apart in black and white and
where two lines run together. Money axes pick USD M or USD B
from the data (``money_unit``); tooltips print executive figures (``valuation.formatting``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from app_support.display import STRATEGY_LABELS, STRATEGY_STYLES, StrategyStyle
from app_support.regions_view import duration_frame
from reports.tables import cumulative_before_terminal_usd, terminal_after_tax_usd
from valuation import formatting as fmt

if TYPE_CHECKING:
    from models import RetrofitEstimate
    from valuation.decision import Decision
    from valuation.regions import Region

# Price axis ticks on the symmetric-log scale: the range the data covers is labelled.
PRICE_TICKS_USD_PER_MWH = (-100, -25, 0, 25, 50, 100, 250, 500, 1000, 2500, 5000)


def price_ticks(low_usd_per_mwh: float, high_usd_per_mwh: float) -> list[int]:
    """The ticks of :data:`PRICE_TICKS_USD_PER_MWH` that span ``[low, high]``: those inside and
    the nearest one beyond each end, so a narrow range (a flat tariff) still gets a labelled
    axis on the symmetric-log scale, which labels too few values by itself."""
    ticks = PRICE_TICKS_USD_PER_MWH
    below = [t for t in ticks if t <= low_usd_per_mwh]
    above = [t for t in ticks if t >= high_usd_per_mwh]
    first = below[-1] if below else ticks[0]
    last = above[0] if above else ticks[-1]
    return [t for t in ticks if first <= t <= last]


BAR_COLORS = {"total": "#5b6770", "up": "#009e73", "down": "#d55e00"}


@dataclasses.dataclass(frozen=True)
class VegaChart:
    """A chart as Vega-Lite: ``data`` (the rows it draws, only the columns the spec names) and
    ``spec`` (the Vega-Lite specification without its data). Plain dictionaries rather than
    Altair objects: a slider step redraws four of these charts, and Altair's chart objects,
    their schema validation and their data serialising took most of the page's run (about
    0.2 s of 0.35 s, measured by benchmarks/bench_app.py's profile, Nov 2026)."""

    data: pd.DataFrame
    spec: dict[str, Any]


def _q(field: str, **kwargs: Any) -> dict[str, Any]:
    """A quantitative encoding channel of ``field`` (Vega-Lite ``type: quantitative``)."""
    return {"field": field, "type": "quantitative", **kwargs}


def _n(field: str, **kwargs: Any) -> dict[str, Any]:
    """A nominal encoding channel of ``field`` (Vega-Lite ``type: nominal``)."""
    return {"field": field, "type": "nominal", **kwargs}


def strategy_styles() -> dict[str, StrategyStyle]:
    """One colour, dash and marker per strategy, the same on every chart (``display``)."""
    return STRATEGY_STYLES


def money_unit(values_usd: np.ndarray | pd.Series | list[float]) -> tuple[float, str]:
    """The divisor and axis unit for money: USD B from $1B in absolute value, else USD M."""
    arr = np.asarray(values_usd, dtype=float)
    top = float(np.nanmax(np.abs(arr))) if arr.size and np.isfinite(arr).any() else 0.0
    return (1e9, "USD B") if top >= 1e9 else (1e6, "USD M")


def _usd_text(values_usd: np.ndarray | pd.Series) -> list[str]:
    return [fmt.usd(v) for v in np.asarray(values_usd, dtype=float)]


# --- Cumulative cash flow ------------------------------------------------------------------------


def cumulative_frame(decision: Decision) -> pd.DataFrame:
    """Cumulative unlevered cash flow of each distinct path, month 0 to the horizon month, before
    the terminal value: ``key``, ``label`` (the legend, naming the value at the horizon), ``year``,
    ``cumulative_usd``, ``marker`` (True every 12 months, offset by path (spread over the
    year) so overlapping paths still show each marker), ``value_text`` (the amount in words on
    the marked months, the tooltip's; "" elsewhere).

    The horizon month carries the terminal value (a sale of the business at year 15) and the tax
    on it; drawn, it is a spike that dwarfs fifteen years of operations. Both are left out, the
    memo's rule (``reports.tables.cumulative_before_terminal_usd``), and the value after its tax
    is named in the legend instead: "(+$8.6B at year 15, after tax)".
    """
    columns, keys, _ = _cumulative_columns(decision)
    return pd.DataFrame(columns) if keys else pd.DataFrame()


def _cumulative_columns(
    decision: Decision,
) -> tuple[dict[str, np.ndarray], list[str], list[str]]:
    """:func:`cumulative_frame`'s columns as arrays, and each path's strategy key and legend
    label in drawing order. Built as arrays and made a frame once, as the other decision
    charts: with pandas 3 each column added to a frame, each column selection and each
    ``drop_duplicates`` rebuilt string indexes, and the four charts a slider step redraws took
    10.7 ms to build for Rockdale, 1.9 ms as arrays (same specs and rows, Dec 2026)."""
    n_paths = max(len(decision.strategies), 1)
    # Each list starts with an empty array of its type: a decision without paths concatenates too.
    parts: dict[str, list[np.ndarray]] = {
        "key": [np.zeros(0, dtype=object)],
        "label": [np.zeros(0, dtype=object)],
        "year": [np.zeros(0)],
        "cum": [np.zeros(0)],
        "mark": [np.zeros(0, dtype=bool)],
    }
    keys: list[str] = []
    labels: list[str] = []
    for i, (key, result) in enumerate(decision.strategies.items()):
        cumulative = cumulative_before_terminal_usd(result.monthly)
        n = cumulative.size
        has_terminal = bool(np.any(result.monthly["terminal_value_usd"].to_numpy() != 0.0))
        # Short names where the decision's label is long; hybrid and the later start keep theirs
        # (they say how many halls, which month).
        label = result.label if key in ("hybrid", "mine_then_convert") else (
            STRATEGY_LABELS.get(key, result.label))  # fmt: skip
        if has_terminal:
            terminal = terminal_after_tax_usd(result.monthly)
            label += f" (+{fmt.usd(terminal)} at year {n / 12:g}, after tax)"
        months = np.arange(n)
        keys.append(key)
        labels.append(label)
        parts["key"].append(np.full(n, key, dtype=object))
        parts["label"].append(np.full(n, label, dtype=object))
        parts["year"].append(months / 12.0)
        parts["cum"].append(cumulative)
        parts["mark"].append((months % 12) == (12 * i) // n_paths)
    cumulative_usd = np.concatenate(parts["cum"])
    marked = np.concatenate(parts["mark"])
    # The tooltip's text, on the marked points only (the line itself has no tooltip): a
    # thousand formatted amounts a slider step would otherwise print.
    text = np.full(marked.size, "", dtype=object)
    text[marked] = _usd_text(cumulative_usd[marked])
    columns = {
        "key": np.concatenate(parts["key"]),
        "label": np.concatenate(parts["label"]),
        "year": np.concatenate(parts["year"]),
        "cumulative_usd": cumulative_usd,
        "marker": marked,
        "value_text": text,
    }
    return columns, keys, labels


def _strategy_scales(keys: list[str], labels: list[str]) -> dict[str, dict[str, list]]:
    """Colour, dash and shape scales over the legend ``labels`` of strategies ``keys``, in that
    order."""
    styles = strategy_styles()
    return {
        "color": {"domain": labels, "range": [styles[k].color for k in keys]},
        "dash": {"domain": labels, "range": [list(styles[k].dash) for k in keys]},
        "shape": {"domain": labels, "range": [styles[k].shape for k in keys]},
    }


def cumulative_chart(decision: Decision, height: int = 340) -> VegaChart:
    """Lines with each path's own dash and markers; one legend for colour, dash and shape."""
    columns, keys, labels = _cumulative_columns(decision)
    div, unit = money_unit(columns["cumulative_usd"])
    scales = _strategy_scales(keys, labels)
    legend: dict[str, object] = {
        "orient": "bottom",
        "title": None,
        "columns": 1,
        "labelLimit": 0,
        "symbolStrokeWidth": 2,
        "symbolSize": 120,
    }
    label: dict[str, object] = {"field": "label", "type": "nominal", "legend": legend}
    axes: dict[str, object] = {
        "x": _q(
            "year",
            title="Years from today",
            scale={"domain": [0, decision.scenario.horizon_months / 12], "nice": False},
        ),
        "y": _q("value", title=unit),
        "color": {**label, "scale": scales["color"]},
    }
    lines = {
        "mark": {"type": "line", "strokeWidth": 2.5},
        "encoding": {**axes, "strokeDash": {**label, "scale": scales["dash"]}},
    }
    points = {
        "mark": {"type": "point", "size": 60, "filled": True, "opacity": 1},
        "transform": [{"filter": "datum.marker"}],
        "encoding": {
            **axes,
            "shape": {**label, "scale": scales["shape"]},
            "tooltip": [
                _n("label", title="Path"),
                _q("year", title="Year", format=".0f"),
                _n("value_text", title="Cumulative cash flow"),
            ],
        },
    }
    data = pd.DataFrame(
        {
            "label": columns["label"],
            "year": columns["year"],
            "value": columns["cumulative_usd"] / div,
            "marker": columns["marker"],
            "value_text": columns["value_text"],
        }
    )
    return VegaChart(data, {"layer": [lines, points], "height": height})


# --- Waterfall, retrofit, schedule --------------------------------------------------------------


def waterfall_frame(decision: Decision) -> pd.DataFrame:
    """The value bridge (``Decision.waterfall``: the first and last rows are NPVs, the rows
    between are steps that add up from one to the other) as floating bars: ``step``, ``kind``
    (total, up, down), ``start_usd``, ``end_usd``, ``value_usd`` and its text."""
    return pd.DataFrame(_waterfall_columns(decision))


def _waterfall_columns(decision: Decision) -> dict[str, np.ndarray]:
    """:func:`waterfall_frame`'s columns as arrays (made a frame once, as the cumulative
    chart's)."""
    steps = decision.waterfall
    values = steps["value_usd"].to_numpy(dtype=float)
    n = values.size
    total = np.zeros(n, dtype=bool)
    total[[0, n - 1]] = True
    # The running sum from the first NPV through each step; a total bar runs from 0.
    running = np.cumsum(np.where(np.arange(n) == n - 1, 0.0, values))
    end = np.where(total, values, running)
    start = np.where(total, 0.0, running - values)
    return {
        "step": steps["step"].astype(str).to_numpy(dtype=object),
        "kind": np.where(total, "total", np.where(values >= 0, "up", "down")).astype(object),
        "start_usd": start,
        "end_usd": end,
        "value_usd": values,
        "value_text": np.array(_usd_text(values), dtype=object),
    }


def waterfall_chart(decision: Decision, height: int = 320) -> VegaChart:
    """Horizontal bridge bars with each step's amount beside it."""
    cols = _waterfall_columns(decision)
    div, unit = money_unit(np.r_[cols["start_usd"], cols["end_usd"]])
    start, end = cols["start_usd"] / div, cols["end_usd"] / div
    y = _n("step", sort=cols["step"].tolist(), title=None, axis={"labelLimit": 300})
    bars = {
        "mark": {"type": "bar", "size": 20},
        "encoding": {
            "y": y,
            "x": _q("start", title=unit),
            "x2": {"field": "end"},
            "color": _n(
                "kind",
                scale={"domain": list(BAR_COLORS), "range": list(BAR_COLORS.values())},
                legend=None,
            ),
            "tooltip": [_n("step", title="Step"), _n("value_text", title="Value")],
        },
    }
    text = {
        "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 12},
        "encoding": {"y": y, "x": _q("right"), "text": _n("value_text")},
    }
    data = pd.DataFrame(
        {
            "step": cols["step"],
            "kind": cols["kind"],
            "start": start,
            "end": end,
            "right": np.maximum(start, end),
            "value_text": cols["value_text"],
        }
    )
    return VegaChart(data, {"layer": [bars, text], "height": height})


def retrofit_frame(retrofit: RetrofitEstimate) -> pd.DataFrame:
    """Retrofit cost by group (the estimate's line items summed): ``group``, ``low_usd``,
    ``base_usd``, ``high_usd``, largest base first, with their texts."""
    frame = (
        retrofit.line_items.groupby("group", as_index=False)[["low_usd", "base_usd", "high_usd"]]
        .sum()
        .sort_values("base_usd", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    for col in ("base", "low", "high"):
        frame[f"{col}_text"] = _usd_text(frame[f"{col}_usd"])
    return frame


def retrofit_chart(retrofit: RetrofitEstimate, height: int = 260) -> VegaChart:
    """Base cost bars with the low-high range as a rule."""
    frame = retrofit_frame(retrofit)
    div, unit = money_unit(frame["high_usd"])
    for col in ("base", "low", "high"):
        frame[col] = frame[f"{col}_usd"] / div
    y = _n("group", sort=list(frame["group"]), title=None, axis={"labelLimit": 200})
    tooltip = [
        _n("group", title="Group"),
        _n("low_text", title="Low"),
        _n("base_text", title="Base"),
        _n("high_text", title="High"),
    ]
    bars = {
        "mark": {"type": "bar", "color": "#0072b2"},
        "encoding": {"y": y, "x": _q("base", title=unit), "tooltip": tooltip},
    }
    ranges = {
        "mark": {"type": "rule", "color": "#333", "strokeWidth": 1.5},
        "encoding": {"y": y, "x": _q("low"), "x2": {"field": "high"}},
    }
    data = frame[["group", "base", "low", "high", "low_text", "base_text", "high_text"]]
    return VegaChart(data, {"layer": [bars, ranges], "height": height})


def schedule_frame(retrofit: RetrofitEstimate) -> pd.DataFrame:
    """Each hall's construction window: ``hall``, ``start_month``, ``ready_month``,
    ``critical_it_mw``, ``capex_text``."""
    halls = retrofit.halls
    return pd.DataFrame(
        {
            "hall": [h.hall for h in halls],
            "start_month": [h.construction_start_month for h in halls],
            "ready_month": [h.ready_for_service_month for h in halls],
            "critical_it_mw": [h.critical_it_mw for h in halls],
            "capex_text": [fmt.usd(h.capex_base_usd) for h in halls],
        }
    )


def schedule_chart(retrofit: RetrofitEstimate, height: int = 260) -> VegaChart:
    """One bar per hall from construction start to ready for service, months from the retrofit's
    start (the estimate's month 0; the valuation starts it when a tenant signs, no earlier than
    power)."""
    frame = schedule_frame(retrofit)
    spec = {
        "mark": {"type": "bar", "color": "#009e73", "cornerRadius": 3},
        "encoding": {
            "y": _n("hall", title=None, sort=list(frame["hall"])),
            "x": _q("start_month", title="Months from the retrofit's start"),
            "x2": {"field": "ready_month"},
            "tooltip": [
                _n("hall", title="Hall"),
                _q("start_month", title="Construction starts, month"),
                _q("ready_month", title="Ready for service, month"),
                _q("critical_it_mw", title="Critical IT MW", format=",.1f"),
                _n("capex_text", title="Capex, base"),
            ],
        },
        "height": height,
    }
    return VegaChart(frame, spec)


# --- The decision's grids ------------------------------------------------------------------------


def start_grid_frame(decision: Decision) -> pd.DataFrame:
    """Mine-then-convert by the month the search for a tenant starts (``Decision.start_grid``;
    month 0 is converting now): ``decision_month``, ``year``, ``npv_usd``, ``best`` (the
    highest NPV, the earliest on a tie) and its text."""
    return pd.DataFrame(_start_grid_columns(decision))


def _start_grid_columns(decision: Decision) -> dict[str, np.ndarray]:
    """:func:`start_grid_frame`'s columns as arrays (made a frame once, as the other charts')."""
    grid = decision.start_grid
    month = grid["decision_month"].to_numpy(dtype=int)
    return {
        "decision_month": month,
        "year": month / 12.0,
        **_npv_columns(grid["npv_usd"].to_numpy(dtype=float)),
    }


def _npv_columns(npv_usd: np.ndarray) -> dict[str, np.ndarray]:
    """A grid's ``npv_usd``, ``best`` (the highest, the first on a tie; a point that could not
    be valued, NaN, is never the best) and ``npv_text``."""
    best = np.zeros(npv_usd.size, dtype=bool)
    if np.isfinite(npv_usd).any():
        best[int(np.nanargmax(np.where(np.isfinite(npv_usd), npv_usd, np.nan)))] = True
    return {
        "npv_usd": npv_usd,
        "best": best,
        "npv_text": np.array(_usd_text(npv_usd), dtype=object),
    }


def _grid_chart(
    columns: dict[str, np.ndarray], x: dict[str, Any], x_tooltip: dict[str, Any], height: int
) -> VegaChart:
    div, unit = money_unit(columns["npv_usd"])
    axes = {"x": x, "y": _q("value", title=f"NPV, {unit}")}
    tooltip = [x_tooltip, _n("npv_text", title="NPV")]
    line = {
        "mark": {"type": "line", "color": "#0072b2", "strokeWidth": 2, "point": True},
        "encoding": {**axes, "tooltip": tooltip},
    }
    best = {
        "mark": {"type": "point", "shape": "diamond", "size": 160, "filled": True,
                 "color": "#d55e00"},
        "transform": [{"filter": "datum.best"}],
        "encoding": {**axes, "tooltip": tooltip},
    }  # fmt: skip
    data = pd.DataFrame(
        {
            x["field"]: columns[x["field"]],
            x_tooltip["field"]: columns[x_tooltip["field"]],
            "value": columns["npv_usd"] / div,
            "best": columns["best"],
            "npv_text": columns["npv_text"],
        }
    )
    return VegaChart(data, {"layer": [line, best], "height": height})


def start_grid_chart(decision: Decision, height: int = 220) -> VegaChart:
    """NPV of converting later, by the year the search for a tenant starts; the best start
    marked."""
    return _grid_chart(
        _start_grid_columns(decision),
        _q("year", title="Start, years from today"),
        _q("decision_month", title="Start, month"),
        height,
    )


def hybrid_grid_frame(decision: Decision) -> pd.DataFrame:
    """The split site by share converted (``Decision.hybrid_grid``): ``halls_converted``,
    ``share_pct``, ``npv_usd``, ``best`` and its text."""
    return pd.DataFrame(_hybrid_grid_columns(decision))


def _hybrid_grid_columns(decision: Decision) -> dict[str, np.ndarray]:
    """:func:`hybrid_grid_frame`'s columns as arrays."""
    grid = decision.hybrid_grid
    return {
        "halls_converted": grid["halls_converted"].to_numpy(dtype=int),
        "share_pct": grid["share_converted"].to_numpy(dtype=float) * 100.0,
        **_npv_columns(grid["npv_usd"].to_numpy(dtype=float)),
    }


def hybrid_grid_chart(decision: Decision, height: int = 220) -> VegaChart:
    """NPV of the split site by the share of its critical IT converted; the best split marked."""
    return _grid_chart(
        _hybrid_grid_columns(decision),
        _q("share_pct", title="Share converted (%)", scale={"domain": [0, 100], "nice": False}),
        _q("halls_converted", title="Halls converted"),
        height,
    )


# --- The region's prices -------------------------------------------------------------------------


def price_duration_frame(region: Region) -> pd.DataFrame:
    """The region's year of prices as a duration curve (``regions_view.duration_frame``):
    ``share_of_hours`` (%, highest price first) and ``price_usd_per_mwh``."""
    return duration_frame(region)


def price_duration_chart(region: Region, height: int = 240) -> VegaChart:
    """Price against the share of hours at or above it, on a symmetric-log price axis (scarcity
    hours run to thousands of dollars, most hours sit at tens)."""
    frame = price_duration_frame(region)
    ticks = price_ticks(frame["price_usd_per_mwh"].min(), frame["price_usd_per_mwh"].max())
    spec = {
        "mark": {"type": "line", "color": "#0072b2", "strokeWidth": 2},
        "encoding": {
            "x": _q("share_of_hours", title="Share of hours (%)"),
            "y": _q(
                "price_usd_per_mwh",
                title="USD/MWh",
                scale={"type": "symlog"},
                axis={"values": ticks, "format": "$,.0f"},
            ),
            "tooltip": [
                _q("share_of_hours", title="Share of hours, %", format=".1f"),
                _q("price_usd_per_mwh", title="USD/MWh", format=",.2f"),
            ],
        },
        "height": height,
    }
    return VegaChart(frame[["share_of_hours", "price_usd_per_mwh"]], spec)
