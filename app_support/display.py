"""Display constants for the app: strategy colours, dashes, markers and labels for legends. No
numbers of the model."""

from __future__ import annotations

from dataclasses import dataclass

# Colours are picked for a white background and for colour-blind readers (Okabe-Ito palette).
STRATEGY_COLORS_RGB: dict[str, tuple[int, int, int]] = {
    "keep_mining": (230, 159, 0),  # orange: Bitcoin
    "mining_with_dr": (213, 94, 0),  # vermillion: mining that sells flexibility to the grid
    "convert": (0, 114, 178),  # blue: AI hosting
    "hybrid": (0, 158, 115),  # green: split site
    "mine_then_convert": (86, 180, 233),  # sky blue: mining now, AI hosting later
    "sell_site": (204, 121, 167),  # reddish purple: selling the powered site
}

STRATEGY_LABELS: dict[str, str] = {
    "keep_mining": "Keep mining",
    "mining_with_dr": "Mine + demand response",
    "convert": "Convert to AI hosting",
    "hybrid": "Split the site",
    "mine_then_convert": "Mine now, convert later",
    "sell_site": "Sell the powered site",
}


def hex_color(key: str) -> str:
    """The strategy's colour as #rrggbb (grey for an unknown key)."""
    r, g, b = STRATEGY_COLORS_RGB.get(key, (128, 128, 128))
    return f"#{r:02x}{g:02x}{b:02x}"


@dataclass(frozen=True)
class StrategyStyle:
    """How a strategy's series looks on every chart: colour, Vega-Lite stroke dash (dash and gap
    lengths, px) and point shape. Each strategy has its own (dash, shape) pair, so the paths
    stay apart without colour; the pairs are the board memo's (``reports.styles``)."""

    color: str
    dash: tuple[float, ...]
    shape: str


# A five-pointed star as a Vega-Lite shape path (unit square, centred).
_STAR = "M0,-1L0.24,-0.33L0.95,-0.31L0.38,0.12L0.59,0.81L0,0.4L-0.59,0.81L-0.38,0.12L-0.95,-0.31L-0.24,-0.33Z"

STRATEGY_STYLES: dict[str, StrategyStyle] = {
    "keep_mining": StrategyStyle(hex_color("keep_mining"), (1.0, 0.0), "circle"),  # solid
    "mining_with_dr": StrategyStyle(hex_color("mining_with_dr"), (6.0, 3.0), "square"),  # dashed
    "convert": StrategyStyle(hex_color("convert"), (6.0, 2.0, 1.5, 2.0), "triangle-up"),  # dash-dot
    "hybrid": StrategyStyle(hex_color("hybrid"), (1.5, 2.5), "diamond"),  # dotted
    "mine_then_convert": StrategyStyle(hex_color("mine_then_convert"), (12.0, 4.0), "cross"),
    "sell_site": StrategyStyle(hex_color("sell_site"), (12.0, 3.0, 2.0, 3.0), _STAR),
}
