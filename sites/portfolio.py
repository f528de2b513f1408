"""The bundled example portfolio: 28 real, public mining and conversion sites.

Facts (operator, place, grid region, MW, acres, deals) come from public press releases and news
compiled on 2026-11-29; each row names its source. Every row is flagged ``approximate``: coordinates
are town or county centroids (+-5-25 km) and unpublished technical fields carry the documented
placeholder defaults listed in ``sites/data/SOURCES.md``.
"""

from __future__ import annotations

from importlib import resources

from sites.io import read_sites
from sites.schema import Site

EXAMPLE_PORTFOLIO_FILE = "data/example_portfolio.csv"


def load_example_portfolio() -> list[Site]:
    """The example portfolio as validated Sites, in file order.

    Twenty-eight public US mining sites (``sites/data/example_portfolio.csv``, each row with its
    ``source``); read and validated on every call (no network).

    Returns
    -------
    list of Site
        The sites, in the file's order.

    Examples
    --------
    >>> from sites import load_example_portfolio
    >>> sites = load_example_portfolio()
    >>> len(sites), sites[0].id, sites[0].name
    (28, 'riot-rockdale', 'Rockdale')
    """
    data = resources.files("sites").joinpath(EXAMPLE_PORTFOLIO_FILE).read_bytes()
    return read_sites(data, "csv")
