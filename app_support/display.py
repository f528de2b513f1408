"""Display constants for the app: strategy colours and labels for legends. No numbers of the model."""

from __future__ import annotations

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
