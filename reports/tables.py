"""The pack's tables as plain DataFrames (numbers in the library's units, names with units): the
summary of every site, the break-evens of one, the retrofit line items of all. The workbook writes
them as they are; the memo formats them; the command line's ``--json`` prints them."""

from __future__ import annotations

import numpy as np
import pandas as pd

import reports.decision_view as view
from reports.pack import BoardPack


def column_kind(column: str) -> str:
    """What a pack table's column holds, from its name, for the workbook's number format and
    the memo's text alike: "share" (a fraction shown as a percentage: rates a year, shares and
    probabilities, ``p_...`` and its standard error ``p_..._se``), "usd", "months", "year" (a
    calendar or plan year: a whole number without thousands separators), "count" (``n_...``,
    ``seed``) or "number"."""
    if (
        column.endswith(("_per_year", "_share", "_rate", "probability"))
        or "_per_year:" in column
        or column.startswith("p_")
    ):
        return "share"
    if "usd" in column:
        return "usd"
    if "month" in column:
        return "months"
    if column == "year" or column.endswith("_year"):
        return "year"
    if column.startswith("n_") or column == "seed":
        return "count"
    return "number"


# Break-evens: the Breakevens field, its label and unit (valuation.decision.Breakevens).
BREAKEVENS: tuple[tuple[str, str, str], ...] = (
    ("lease_rate_usd_per_kw_month", "Lease rate", "USD per critical IT kW-month"),
    ("hashprice_usd_per_ph_day", "Hashprice", "USD per PH/s-day"),
    ("btc_price_usd", "Bitcoin price", "USD per BTC"),
    (
        "max_capex_usd_per_mw",
        "Highest retrofit capex converting can bear",
        "USD per critical IT MW",
    ),
)


def summary_frame(pack: BoardPack) -> pd.DataFrame:
    """One row per valued site: identity, the recommended path, the value of converting and its
    return (a year, of the flows converting adds: IRR or MIRR by ``formatting.return_basis``),
    each strategy's NPV and return (columns
    ``npv_usd:<key>``, ``return_per_year:<key>`` and ``return_basis:<key>`` (IRR, MIRR or
    none, as :func:`return_figure`) for every strategy any site has), the break-evens
    and the recommendation. Sites that could not be valued follow with their reason in
    ``not_valued_because``."""
    keys = pack.strategy_keys()
    rows = []
    for r in pack.results:
        d, s = r.decision, r.site
        row = {
            "site_id": s.id,
            "name": s.name,
            "operator": s.operator,
            "state": s.state,
            "grid_region": s.grid_region,
            "power_mw": s.power.contracted_mw,
            "recommended": view.best_key(d),
            "recommended_label": view.best_label(d),
            "value_of_converting_usd": view.value_of_converting_usd(d),
            **_return_on_converting(d),
        }
        for k in keys:
            got = d.strategies.get(k)
            row[f"npv_usd:{k}"] = got.summary.npv_usd if got else None
            # the path's one return as the app and memo show it (the MIRR where several rates
            # zero its NPV), and which rate it is
            value, basis = return_figure(got.summary) if got else (None, None)
            row[f"return_per_year:{k}"] = value
            row[f"return_basis:{k}"] = basis
        for field, _, _ in BREAKEVENS:
            row[f"breakeven_{field}"] = getattr(d.breakevens, field, None)
        row["recommendation"] = d.recommendation
        row["not_valued_because"] = ""
        rows.append(row)
    for f in pack.failures:
        s = f.site
        rows.append({
            "site_id": s.id, "name": s.name, "operator": s.operator, "state": s.state,
            "grid_region": s.grid_region, "power_mw": s.power.contracted_mw,
            "not_valued_because": f.reason,
        })  # fmt: skip
    return pd.DataFrame(rows)


def return_figure(r) -> tuple[float, str]:  # noqa: ANN001 - CashFlowSummary or ReturnInputs
    """One return figure a board reads, and what it is, by the app's rule
    (``valuation.formatting.return_basis``): the IRR a year where exactly one rate zeroes the
    NPV of an investment ("IRR"); the MIRR a year, financed and reinvested at the discount rate
    ("MIRR"); nan where there is none to show, no outlay or no pay-back ("none")."""
    from valuation import formatting as fmt

    basis = fmt.return_basis(r.irr_per_year, r.irr_kind, r.mirr_per_year,
                             peak_funding_usd=getattr(r, "peak_funding_usd", None),
                             moic=getattr(r, "moic", None))  # fmt: skip
    if basis == "IRR":
        return float(r.irr_per_year), "IRR"
    if basis == "MIRR":
        return float(r.mirr_per_year), "MIRR"
    return float("nan"), "none"


def _return_on_converting(d) -> dict[str, object]:  # noqa: ANN001 - valuation.decision.Decision
    value, basis = return_figure(view.conversion_return(d))
    return {"return_on_converting_per_year": value, "return_on_converting_basis": basis}


def retrofit_frame(pack: BoardPack) -> pd.DataFrame:
    """Every valued site's retrofit line items, site id and name first (columns as
    ``models.RetrofitEstimate.line_items``: group, item, low/base/high USD, basis, tax class)."""
    parts = []
    for r in pack.results:
        items = r.decision.retrofit.line_items.copy()
        items.insert(0, "site", r.site.name)
        items.insert(0, "site_id", r.site.id)
        parts.append(items)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def fcf_column(monthly: pd.DataFrame) -> str:
    """The free-cash-flow column the charts draw: unlevered (before financing) when the frame has
    it, else levered; "" when neither."""
    return next((c for c in ("unlevered_fcf_usd", "levered_fcf_usd") if c in monthly), "")


def terminal_after_tax_usd(monthly: pd.DataFrame) -> float:
    """The value at the horizon net of the tax on it, USD: ``terminal_value_usd`` less
    ``terminal_tax_usd`` (``valuation.finance.ProjectCashFlows``: both non-zero at the last month
    only; a column the frame lacks counts as zero)."""
    tv = float(monthly["terminal_value_usd"].sum()) if "terminal_value_usd" in monthly else 0.0
    tax = float(monthly["terminal_tax_usd"].sum()) if "terminal_tax_usd" in monthly else 0.0
    return tv - tax


def cumulative_before_terminal_usd(monthly: pd.DataFrame) -> np.ndarray:
    """(n,) cumulative free cash flow (:func:`fcf_column`) from month 0 to the horizon month, USD,
    before the terminal value: the one rule of every cumulative chart (memo, workbook, app).

    The horizon month's free cash flow is its operations plus the terminal value (a sale of the
    business) less the tax on that sale (``valuation.finance.project_cash_flows``). Both are left
    out together, so the line's last step is the last month's operations: leaving out the value
    but not its tax drew a drop of the whole sale tax at the horizon. The value net of its tax is
    :func:`terminal_after_tax_usd`, which the charts name in the legend."""
    from valuation.finance import operating_flows_usd

    column = fcf_column(monthly)
    if not column:
        return np.zeros(len(monthly))
    zero = np.zeros(len(monthly))

    def col(name: str) -> np.ndarray:  # a column the frame lacks counts as zero
        return monthly[name].to_numpy(dtype=float) if name in monthly else zero

    flow = operating_flows_usd(col(column), col("terminal_value_usd"), col("terminal_tax_usd"))
    return np.cumsum(flow)
