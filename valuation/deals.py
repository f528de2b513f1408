"""Loader for the bundled table of public AI-hosting deals (``valuation/data/hosting_deals.csv``).

Each row is one announced deal: operator, tenant, site, critical IT MW (and gross MW where stated),
base term, announced total value, escalator (``escalator_disclosed`` False where the 3% is assumed),
lease structure, credit support and the press release or news item it comes from. Compiled
2026-11-29 from the project's hosting fact sheet; figures are as announced, not audited.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

DEALS_FILE = "hosting_deals.csv"


def load_hosting_deals() -> pd.DataFrame:
    """The bundled deals, one row per deal, with ``announced`` parsed as a date (a fresh copy)."""
    with resources.files("valuation").joinpath("data", DEALS_FILE).open("r") as fh:
        deals = pd.read_csv(
            fh,
            dtype={"escalator_disclosed": bool, "comparable": bool},
            parse_dates=["announced"],
        )
    deals["announced"] = deals["announced"].dt.date
    return deals
