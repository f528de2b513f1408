"""How each strategy's series looks on a chart: colour, dash and marker, so a memo printed in black
and white still tells the paths apart (colour alone is never the only difference).

Colours are the Okabe-Ito palette (Okabe and Ito, "Color Universal Design", 2008), readable by
colour-blind readers; the four strategies the app knows keep the app's colours
(``app_support.display``). Strategies added later (``mine_then_convert``, ``sell_site``, ...) take
the next unused dash-and-marker pair, so any number of strategies on one chart stay distinct.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Dash:
    """A dash pattern in the two renderers: matplotlib's linestyle and Excel's preset dash."""

    name: str
    matplotlib: str | tuple[float, tuple[float, ...]]
    excel: str  # DrawingML ST_PresetLineDashVal, as openpyxl's LineProperties.prstDash takes
    hatch: str  # the same series drawn as bars: matplotlib's hatch
    excel_pattern: str  # and Excel's ST_PresetPatternVal ("solid" for a plain fill)


@dataclass(frozen=True)
class Marker:
    """A point marker in the two renderers."""

    name: str
    matplotlib: str
    excel: str  # ST_MarkerStyle, as openpyxl's Marker.symbol takes


DASHES: tuple[Dash, ...] = (
    Dash("solid", "-", "solid", "", "solid"),
    Dash("dashed", (0, (6.0, 3.0)), "dash", "//", "wdUpDiag"),
    Dash("dash-dot", (0, (6.0, 2.0, 1.5, 2.0)), "dashDot", "xx", "openDmnd"),
    Dash("dotted", (0, (1.2, 2.0)), "sysDot", "..", "pct20"),
    Dash("long dash", (0, (12.0, 4.0)), "lgDash", "\\\\", "wdDnDiag"),
    Dash("long dash-dot", (0, (12.0, 3.0, 2.0, 3.0)), "lgDashDot", "--", "narHorz"),
    Dash("long dash-dot-dot", (0, (12.0, 3.0, 2.0, 3.0, 2.0, 3.0)), "lgDashDotDot", "++", "smGrid"),
)
MARKERS: tuple[Marker, ...] = (
    Marker("circle", "o", "circle"),
    Marker("square", "s", "square"),
    Marker("triangle", "^", "triangle"),
    Marker("diamond", "D", "diamond"),
    Marker("cross", "x", "x"),
    Marker("star", "*", "star"),
    Marker("plus", "+", "plus"),
)
# Okabe-Ito, without its yellow (too light on white paper).
PALETTE: tuple[str, ...] = (
    "#e69f00",  # orange
    "#d55e00",  # vermillion
    "#0072b2",  # blue
    "#009e73",  # bluish green
    "#56b4e9",  # sky blue
    "#cc79a7",  # reddish purple
    "#000000",  # black
)


@dataclass(frozen=True)
class SeriesStyle:
    """Colour (#rrggbb), dash and marker of one series."""

    color: str
    dash: Dash
    marker: Marker

    @property
    def pattern(self) -> tuple[str, str]:
        """What tells the series apart without colour: (dash name, marker name)."""
        return (self.dash.name, self.marker.name)


# The strategies the app draws today, in the app's colours.
KNOWN: dict[str, SeriesStyle] = {
    "keep_mining": SeriesStyle(PALETTE[0], DASHES[0], MARKERS[0]),
    "mining_with_dr": SeriesStyle(PALETTE[1], DASHES[1], MARKERS[1]),
    "convert": SeriesStyle(PALETTE[2], DASHES[2], MARKERS[2]),
    "hybrid": SeriesStyle(PALETTE[3], DASHES[3], MARKERS[3]),
}


def series_styles(keys: Iterable[str]) -> dict[str, SeriesStyle]:
    """A style per key, every (dash, marker) pair different: known strategies keep theirs, others
    take the next unused pair (dashes first, then markers), and a colour not yet used while the
    palette lasts."""
    keys = list(dict.fromkeys(keys))
    out = {k: KNOWN[k] for k in keys if k in KNOWN}
    used_patterns = {s.pattern for s in out.values()}
    used_colors = {s.color for s in out.values()}
    free_pairs = (
        (d, m)
        for i in range(len(DASHES) * len(MARKERS))
        for d, m in [(DASHES[i % len(DASHES)], MARKERS[(i // len(DASHES) + i) % len(MARKERS)])]
        if (d.name, m.name) not in used_patterns
    )
    for key in keys:
        if key in out:
            continue
        dash, marker = next(p for p in free_pairs if (p[0].name, p[1].name) not in used_patterns)
        color = next((c for c in PALETTE if c not in used_colors), PALETTE[len(out) % len(PALETTE)])
        out[key] = SeriesStyle(color, dash, marker)
        used_patterns.add((dash.name, marker.name))
        used_colors.add(color)
    return {k: out[k] for k in keys}


# Waterfall bars: the totals, the steps up and the steps down, told apart by hatching too.
BAR_STYLES: dict[str, tuple[str, str]] = {
    "total": ("#5b6770", ""),
    "up": ("#009e73", "//"),
    "down": ("#d55e00", "xx"),
}
