"""The memo's charts as specifications (what is drawn, in which colour, dash, marker and hatch),
apart from their drawing (``reports.pdf``), so a test can check every chart reads in black and
white: no two series of a line chart share a dash-and-marker pattern, no two bar series a hatch.

The charts are the site page's: cumulative cash flow by strategy, the value bridge from mining to
converting (waterfall), the retrofit cost by group with its low-high range, and the schedule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import reports.decision_view as view
from reports.styles import BAR_STYLES, series_styles
from reports.tables import cumulative_before_terminal_usd, fcf_column, terminal_after_tax_usd
from valuation.formatting import usd


@dataclass(frozen=True)
class SeriesSpec:
    """One series. Line charts: ``x`` and ``y`` (years, USD M), markers every ``mark_every``
    points from ``mark_offset`` (offsets differ, so identical paths still show both markers).
    Bar charts: one bar per category from ``x`` (start) to ``y`` (end)."""

    key: str
    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    color: str
    linestyle: object = "-"
    dash_name: str = "solid"
    marker: str = ""
    marker_name: str = ""
    hatch: str = ""
    categories: tuple[str, ...] = ()
    mark_every: int = 12
    mark_offset: int = 0


@dataclass(frozen=True)
class ChartSpec:
    """One chart: ``kind`` "line" or "hbar", titles, its series and a note under it."""

    kind: str
    title: str
    x_label: str
    y_label: str
    series: tuple[SeriesSpec, ...]
    note: str = ""
    order: tuple[str, ...] = ()  # bar charts: the categories top to bottom (else as met)


def distinguishable(spec: ChartSpec) -> bool:
    """True when the series differ by more than colour: line series each have their own
    (dash, marker) pair, bar series their own hatch (one series needs nothing)."""
    if len(spec.series) < 2:
        return True
    patterns: list[object] = (
        [(s.dash_name, s.marker_name) for s in spec.series]
        if spec.kind == "line"
        else [s.hatch for s in spec.series]
    )
    return len(set(patterns)) == len(patterns)


def cumulative_chart(decision) -> ChartSpec:  # noqa: ANN001 - valuation.decision.Decision
    """Cumulative unlevered cash flow of each strategy before terminal value, USD M by month, to
    the horizon month (``reports.tables.cumulative_before_terminal_usd``: the terminal value and
    the tax on it both left out); the value at the horizon after that tax is named in the
    legend, not drawn as a spike."""
    keys = [k for k, r in decision.strategies.items() if fcf_column(r.monthly)]
    styles = series_styles(keys)
    series = []
    for i, key in enumerate(keys):
        result = decision.strategies[key]
        m = result.monthly
        cum = cumulative_before_terminal_usd(m) / 1e6
        terminal = terminal_after_tax_usd(m)
        has_terminal = "terminal_value_usd" in m and bool((m["terminal_value_usd"] != 0).any())
        label = result.label + (
            f" (+{usd(terminal)} terminal value, after tax)" if has_terminal else ""
        )
        st = styles[key]
        series.append(
            SeriesSpec(
                key=key,
                label=label,
                x=tuple((np.arange(len(cum)) / 12.0).tolist()),
                y=tuple(cum.tolist()),
                color=st.color,
                linestyle=st.dash.matplotlib,
                dash_name=st.dash.name,
                marker=st.marker.matplotlib,
                marker_name=st.marker.name,
                mark_offset=(3 * i) % 12,
            )
        )
    return ChartSpec(
        "line",
        "Cumulative cash flow before terminal value",
        "Years from today",
        "USD M",
        tuple(series),
        note="Before financing, and before the value at the horizon and the tax on it; that "
        "value, after its tax, is in each label.",
    )


def _short_label(decision, which: str) -> str:  # noqa: ANN001
    """The short name of the decision's best path of a kind (``best_converting`` or
    ``best_not_converting``): its label before any detail in brackets or after a colon."""
    label = view.strategy_label(decision, getattr(decision, which, None) or which)
    return label.split(" (")[0].split(":")[0]


def waterfall_chart(decision) -> ChartSpec:  # noqa: ANN001
    """From the NPV of the best path that does not convert to the best converting path's
    (``Decision.waterfall``), USD M, titled with the two paths' names: one bar series per kind
    (totals, steps up, steps down), each with its own hatch."""
    steps = getattr(decision, "waterfall", None)
    if not isinstance(steps, pd.DataFrame) or steps.empty or "value_usd" not in steps:
        return ChartSpec("hbar", "Value bridge: not available", "USD M", "", ())
    steps = steps.reset_index(drop=True)
    values = steps["value_usd"].to_numpy(dtype=float) / 1e6
    last = len(values) - 1
    starts, ends, kinds, running = [], [], [], 0.0
    for i, v in enumerate(values):
        if i in (0, last):
            starts.append(0.0)
            running = v
            kinds.append("total")
        else:
            starts.append(running)
            running += v
            kinds.append("up" if v >= 0 else "down")
        ends.append(running)
    names = {"total": "NPV", "up": "Adds value", "down": "Takes value"}
    series = []
    for kind in ("total", "up", "down"):
        idx = [i for i, k in enumerate(kinds) if k == kind]
        if not idx:
            continue
        color, hatch = BAR_STYLES[kind]
        series.append(
            SeriesSpec(
                key=kind,
                label=names[kind],
                x=tuple(starts[i] for i in idx),
                y=tuple(ends[i] for i in idx),
                color=color,
                hatch=hatch,
                categories=tuple(str(steps["step"][i]) for i in idx),
            )
        )
    return ChartSpec(
        "hbar",
        f"Value bridge, NPV: {_short_label(decision, 'best_not_converting')} to "
        f"{_short_label(decision, 'best_converting')}",
        "USD M",
        "",
        tuple(series),
        order=tuple(str(s) for s in steps["step"]),
    )


def retrofit_chart(decision) -> ChartSpec:  # noqa: ANN001
    """Retrofit cost by group, USD M: base bars, and the low-high range as a second series."""
    items = decision.retrofit.line_items
    groups = (
        items.groupby("group")[["low_usd", "base_usd", "high_usd"]]
        .sum()
        .sort_values("base_usd", ascending=True)  # then reversed: see below
    )
    groups = groups.iloc[::-1]  # largest first, top to bottom
    cats = tuple(str(g) for g in groups.index)
    return ChartSpec(
        "hbar",
        "Retrofit cost by group (low-high range)",
        "USD M",
        "",
        (
            SeriesSpec("base", "Base", tuple(0.0 for _ in cats),
                       tuple((groups["base_usd"] / 1e6).tolist()), "#0072b2", hatch="",
                       categories=cats),
            SeriesSpec("range", "Low to high", tuple((groups["low_usd"] / 1e6).tolist()),
                       tuple((groups["high_usd"] / 1e6).tolist()), "#333333", hatch="||",
                       categories=cats),
        ),
    )  # fmt: skip


def schedule_chart(decision) -> ChartSpec:  # noqa: ANN001
    """Months from the retrofit's start to ready for service, one bar per hall (the valuation
    starts the retrofit when a tenant signs, no earlier than power)."""
    halls = decision.retrofit.halls
    return ChartSpec(
        "hbar",
        "Schedule to ready for service",
        "Months from the retrofit's start",
        "",
        (
            SeriesSpec(
                "schedule",
                "Construction",
                tuple(float(h.construction_start_month) for h in halls),
                tuple(float(h.ready_for_service_month) for h in halls),
                "#009e73",
                categories=tuple(str(h.hall) for h in halls),
            ),
        ),
        note=f"Critical path: {decision.retrofit.critical_path}.",
    )


def site_charts(decision) -> tuple[ChartSpec, ...]:  # noqa: ANN001
    """The four charts of a site's memo page, in page order."""
    return (
        cumulative_chart(decision),
        waterfall_chart(decision),
        retrofit_chart(decision),
        schedule_chart(decision),
    )
