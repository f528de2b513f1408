"""What the Market page shows for grid regions: each region's price-duration curve, program and
lever tables, and a bounded reader for an uploaded price file. No valuation logic here."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pandas as pd

from sites.schema import Site
from sites.store import SiteStore, StoredPriceHistory
from valuation.power import (
    PowerContract,
    PriceFileError,
    PriceSeries,
    complete_months,
    load_price_file,
)
from valuation.regions import (
    ALL_LEVERS,
    Region,
    overlay_history,
    price_series_from_stored,
    region_for,
)
from valuation.replay import replay

# A year of 5-minute prices is 105,120 rows of ~25 bytes: these bounds admit it and little more.
MAX_PRICE_FILE_BYTES = 5_000_000
MAX_PRICE_FILE_ROWS = 110_000


def duration_frame(region: Region, points: int = 96, max_rows: int = 250) -> pd.DataFrame:
    """The region's year as one price-duration curve: ``share_of_hours`` (0-100%, highest price
    first) and ``price_usd_per_mwh``, from its 12 x points monthly curve (equal-weight points).

    At most ``max_rows`` rows a region (a chart of nine regions stays under Vega's 5,000-row
    default): the highest 100 points are all kept (the scarcity tail), the rest evenly thinned,
    the lowest point always kept.
    """
    prices = np.sort(region.price_curve(points).prices_usd_per_mwh.ravel())[::-1]
    share = (np.arange(prices.size) + 0.5) / prices.size * 100.0
    keep = np.arange(prices.size)
    if prices.size > max_rows:
        head = min(100, max_rows // 2)
        tail = np.linspace(head, prices.size - 1, max_rows - head).round().astype(int)
        keep = np.unique(np.concatenate([np.arange(head), tail]))
    return pd.DataFrame(
        {"region": region.name, "share_of_hours": share[keep], "price_usd_per_mwh": prices[keep]}
    )


def monthly_frame(region: Region) -> pd.DataFrame:
    """Monthly mean price of the region's curve, $/MWh, with month names."""
    means = region.price_curve(96).mean_usd_per_mwh
    months = [date(2024, m, 1).strftime("%b") for m in range(1, 13)]
    return pd.DataFrame({"month": months, "mean_price_usd_per_mwh": np.round(means, 2)})


def program_frame(region: Region, as_of: date) -> pd.DataFrame:
    """One row per program the region lists (``ProgramTerms.row``)."""
    return pd.DataFrame([t.row() for t in region.program_terms(as_of)])


def lever_frame(region: Region, on: tuple[str, ...] = ()) -> pd.DataFrame:
    """The region's policy levers with what each changes and whether it is switched on (its key
    in ``on``, the session scenario's ``policy_levers``); all are off by default."""
    rows = []
    for lever in region.levers():
        effects = {
            "unpaid curtailment h/yr": lever.unpaid_curtailment_hours_per_year,
            "backup capex $/MW": lever.backup_capex_usd_per_mw,
            "one-off fee $": lever.one_time_fee_usd,
            "energy adder $/MWh": lever.energy_adder_usd_per_mwh,
            "months to power": lever.queue_months,
        }
        rows.append(
            {
                "lever": lever.name,
                "path": lever.applies_to,
                "changes": "; ".join(f"{k} {v:,.0f}" for k, v in effects.items() if v),
                "switched_on": lever.enabled or lever.key in on,
                "status": lever.status,
                "source": lever.source,
            }
        )
    return pd.DataFrame(rows)


def lever_label(key: str) -> str:
    """A lever's name and region for a picker (``valuation.regions.ALL_LEVERS``)."""
    lever = next(lv for lv in ALL_LEVERS if lv.key == key)
    return f"{lever.name} ({lever.grid_region})"


def read_uploaded_price_file(data: bytes, name: str = "upload") -> PriceSeries:
    """A price file from uploaded bytes, bounded: at most ``MAX_PRICE_FILE_BYTES`` bytes and
    ``MAX_PRICE_FILE_ROWS`` rows, UTF-8 text. Raises ``PriceFileError`` in words otherwise (and the
    loader's own errors by row and column)."""
    if len(data) > MAX_PRICE_FILE_BYTES:
        raise PriceFileError(
            f"the file is {len(data):,} bytes; at most {MAX_PRICE_FILE_BYTES:,} bytes are allowed "
            "(a year of 5-minute prices fits)"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PriceFileError("the file is not UTF-8 text; save it as a CSV (UTF-8)") from None
    n_rows = len(text.splitlines())  # any line ending counts (\n, \r\n or a bare \r)
    if n_rows > MAX_PRICE_FILE_ROWS + 1:
        raise PriceFileError(
            f"the file has {n_rows - 1:,} rows of prices; at most {MAX_PRICE_FILE_ROWS:,} are allowed"
        )
    return load_price_file(io.StringIO(text), hub=name)


def replay_upload(
    data: bytes,
    region: Region,
    *,
    contract_type: str,
    contract_price_usd_per_mwh: float,
    power_mw: float,
    flexible_share: float,
    efficiency_j_per_th: float,
    hashprice_usd_per_ph_day: float,
    with_programs: bool,
    as_of: date,
) -> pd.DataFrame:
    """The Market page's replay: the bounded file, a contract from the page's inputs (fixed price
    with resale rights, index plus the price as adder, or a flat tariff) and the region's default
    programs when asked. Raises ``PriceFileError`` / ``ValueError`` with the reason in words."""
    series = read_uploaded_price_file(data, "uploaded file")
    contract = PowerContract(
        contract_type=contract_type,
        price_usd_per_mwh=contract_price_usd_per_mwh,
        adder_usd_per_mwh=contract_price_usd_per_mwh
        if contract_type == "index_plus_adder"
        else 0.0,
        flexible_share=flexible_share,
        resale_rights=contract_type == "fixed_ppa",
    )
    return replay(
        series, contract, power_mw, efficiency_j_per_th, hashprice_usd_per_ph_day,
        programs=region.programs(as_of) if with_programs else (),
    )  # fmt: skip


MAX_FILE_NAME_CHARS = 100  # an uploaded file's name kept as the history's hub label


def store_site_price_history(
    store: SiteStore, site: Site, data: bytes, *, name: str, user: str
) -> str:
    """Store an uploaded price file as ``site``'s price history; return one sentence saying what
    was stored. The file is read within the upload bounds (``read_uploaded_price_file``: bytes,
    rows, the loader's errors by row and column) and must hold at least one complete calendar
    month (``valuation.regions.overlay_history`` over the site's region curve); the store checks
    its own bounds. Any problem raises ``PriceFileError``, ``RegionError`` or the store's
    ``PriceHistoryError`` in words, and nothing is written."""
    label = (name or "uploaded file")[:MAX_FILE_NAME_CHARS]
    series = read_uploaded_price_file(data, label)
    region = region_for(site.grid_region)
    _, covered = overlay_history(region.price_curve(48), series)
    n = store.save_price_history(site.id, series, user=user)
    months = ", ".join(date(2024, m, 1).strftime("%b") for m in covered)
    return (
        f"Stored {n:,} prices at {series.interval_hours * 60:g}-minute intervals for {site.id}: "
        f"they price {months} in its valuations; {region.name}'s shape prices the other months."
    )


def price_history_frame(stored: StoredPriceHistory) -> pd.DataFrame:
    """One row per calendar month of a stored history: intervals, mean price ($/MWh), whether
    the month is complete (only complete months replace the region's shape)."""
    series = price_series_from_stored(stored)
    frame = series.to_frame()
    month = frame["timestamp"].dt.to_period("M")
    out = frame.groupby(month)["price_usd_per_mwh"].agg(["size", "mean"])
    complete = complete_months(series)
    return pd.DataFrame(
        {
            "month": out.index.astype(str),
            "intervals": out["size"].to_numpy(),
            "mean_price_usd_per_mwh": np.round(out["mean"].to_numpy(), 2),
            "complete": complete.reindex(out.index).to_numpy(dtype=bool),
        }
    )
