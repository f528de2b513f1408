"""The words and figures the site page lays out, from a ``Site`` and its ``Decision``: key facts
with unknowns shown as unknown, the one return figure, the paths left out because they equal
another, the tenant prospects, the market snapshot's age and where the power prices come from.
Pure functions (no Streamlit), so a test reads exactly what the page shows."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from valuation import formatting as fmt
from valuation.strategies import STRATEGY_LABELS

if TYPE_CHECKING:
    from sites.schema import Site
    from valuation.decision import Decision, StrategyResult
    from valuation.finance import CashFlowSummary

STALE_SNAPSHOT_DAYS = 90  # a market snapshot older than a quarter is flagged (assumption)


@dataclass(frozen=True)
class Figure:
    """One figure for ``st.metric``: its label, value text and tooltip."""

    label: str
    value: str
    help: str


def _num(value: object) -> float:
    """A stored number as float; nan for None or anything not a number (unknown)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _positive_or_unknown(value: object, show: str) -> str:
    x = _num(value)
    return show if math.isfinite(x) and x > 0 else fmt.UNKNOWN


def site_facts(site: Site) -> list[Figure]:
    """Power rights, firm power, substation, land and fiber. A value the inventory does not know
    (None, or a 0 that cannot be real: 0 MVA, 0 acres) shows as "unknown", never as 0."""
    sub, land, conn = site.substation, site.land, site.connectivity
    mva, kv = _num(sub.capacity_mva), _num(sub.high_side_voltage_kv)
    if sub.on_site is None:
        where = fmt.UNKNOWN
    elif sub.on_site:
        where = "On site"
    else:
        where = _positive_or_unknown(sub.distance_km, f"{fmt.km(sub.distance_km)} away")
    owned, leased, expansion = (_num(land.acres_owned), _num(land.acres_leased),
                                _num(land.acres_expansion))  # fmt: skip
    total = math.fsum(x for x in (owned, leased) if math.isfinite(x))
    carriers = _num(conn.carrier_count)
    return [
        Figure("Power rights", fmt.power(_num(site.power.contracted_mw)) if _num(
            site.power.contracted_mw) > 0 else fmt.UNKNOWN, "Contracted MW, gross at the meter."),
        Figure("Firm power", fmt.power(_num(site.firm_mw)),
               "Contracted MW that is not interruptible, gross."),
        Figure("Substation", where,
               f"{_positive_or_unknown(mva, f'{mva:,.0f} MVA')} at "
               f"{_positive_or_unknown(kv, f'{kv:,.0f} kV')}, owned by the "
               f"{sub.owner or 'unknown owner'}."),
        Figure("Land", fmt.acres(total),
               f"Owned {fmt.acres(owned)}, leased {fmt.acres(leased)}, expansion "
               f"{fmt.acres(expansion)}."),
        Figure("Fiber", fmt.km(conn.fiber_distance_km),
               "Distance to long-haul fiber; "
               f"{'unknown' if not math.isfinite(carriers) else f'{carriers:.0f}'} carriers; "
               f"{fmt.km(conn.metro_distance_km)} to the nearest metro."),
    ]  # fmt: skip


def _return_texts(summary: CashFlowSummary, discount_rate_per_year: float) -> tuple[str, str]:
    """A cash-flow stream's one yearly return and its technical note (``valuation.formatting``:
    IRR, MIRR, "does not pay back" or "no outlay")."""
    s = summary
    shape = {"peak_funding_usd": s.peak_funding_usd, "moic": s.moic}
    return (
        fmt.annual_return(s.irr_per_year, s.irr_kind, s.mirr_per_year, **shape),
        fmt.return_detail(
            s.irr_per_year, s.irr_kind, s.mirr_per_year, discount_rate_per_year, **shape
        ),
    )


def conversion_return(decision: Decision) -> Figure:
    """The one return figure: what converting adds over the best path that does not convert,
    as a yearly rate; which rate it is (IRR or MIRR) goes in the tooltip."""
    rate = decision.scenario.discount_rate_per_year
    value, detail = _return_texts(decision.conversion, rate)
    return Figure(
        "Return on converting",
        value,
        "The yearly return on what converting adds over the best path that does not convert: "
        "the retrofit and the mining given up against the rent. "
        + detail
        + f" The rate is of the cash flows alone; the value of converting discounts mining, "
        f"rent and construction each at its own rate, so this return can sit below the "
        f"{fmt.pct(rate)} base rate while that value is positive.",
    )


def path_return(result: StrategyResult, discount_rate_per_year: float) -> Figure:
    """A path's own yearly return (its levered cash flows), with the technical note."""
    return Figure("Return", *_return_texts(result.summary, discount_rate_per_year))


def terminal_share_text(result: StrategyResult) -> str:
    """The share of a path's NPV that is value at the horizon: "72% of NPV", "none"."""
    share = result.terminal_value_share
    if not math.isfinite(share):
        return "n/a (NPV not positive)"
    return "none" if share == 0 else f"{share:.0%} of NPV"


_SAME_AS: dict[tuple[str, str], str] = {
    ("hybrid", "convert"): "the best split is the whole site",
    ("hybrid", "keep_mining"): "the best split converts nothing",
    ("mine_then_convert", "convert"): "converting later is no better than now",
    ("mine_then_convert", "keep_mining"): "the best time to convert is never within the horizon",
    ("mining_with_dr", "keep_mining"): "no demand-response program pays this site more than "
    "plain mining earns",
}


def identical_lines(decision: Decision) -> list[str]:
    """One sentence per path left out because it equals a shown one, in strategy order:
    "Hybrid: convert some halls, mine on the rest: the best split is the whole site (the same as
    Convert the whole site to AI hosting)"."""
    lines = []
    for hidden, shown in decision.identical_to.items():
        why = _SAME_AS.get((hidden, shown), "it comes out the same")
        shown_label = decision.strategies[shown].label if shown in decision.strategies else shown
        lines.append(f"{STRATEGY_LABELS.get(hidden, hidden)}: {why} (the same as {shown_label}).")
    return lines


def tenant_figures(decision: Decision) -> list[Figure]:
    """The AI tenant the converting paths count on (``Decision.tenant``)."""
    t = decision.tenant
    power_months = _num(t.get("months_to_power"))
    return [
        Figure("Achievable lease", fmt.rate_usd_per_kw_month(_num(t.get(
            "lease_rate_usd_per_kw_month"))),
            "Year-one rent this site can ask, per kW of critical IT a month: the scenario's rate "
            "moved by the site's readiness."),
        Figure("Chance a tenant signs", fmt.pct(_num(t.get("signing_probability")), digits=0),
               "Probability that a tenant signs within the lease-up period; otherwise the site "
               "keeps mining."),
        Figure("Lease-up", fmt.months(_num(t.get("lease_up_months"))),
               "Months from the decision to a signed lease (build-to-suit)."),
        Figure("Readiness", f"{_num(t.get('readiness_score')):.0f}/100",
               "AI-hosting readiness score of the site (power, substation, fiber, land, "
               "climate, water): it sets the rate and the odds."),
        Figure("Months to power", "powered now" if power_months == 0 else fmt.months(
            power_months), "Months until the site has the energized or firm power a tenant needs."),
    ]  # fmt: skip


def snapshot_age(as_of: date, today: date) -> tuple[int, str]:
    """Days between the market snapshot and today, and the sentence the page shows."""
    days = (today - as_of).days
    when = f"{as_of:%d %B %Y}".lstrip("0")
    if days < 0:
        return days, f"Market figures as of {when}, {-days} days after today's date."
    if days == 0:
        return days, f"Market figures as of today, {when}."
    return days, (
        f"Market figures as of {when}: {days} day{'s' if days != 1 else ''} old on "
        f"{f'{today:%d %B %Y}'.lstrip('0')}."
    )


def price_source_text(region_name: str, history_months: tuple[int, ...]) -> str:
    """Where the site's power prices come from: the region's shape, or the user's history for the
    calendar months it covers."""
    if not history_months:
        return f"Power prices: {region_name}'s price shape in every month."
    names = ", ".join(date(2024, m, 1).strftime("%b") for m in sorted(history_months))
    return (
        f"Power prices: your price history in {names} ({len(history_months)} of 12 calendar "
        f"months); {region_name}'s price shape in the others."
    )


PATH_COLUMNS = {
    "path": "Path",
    "npv": "NPV",
    "return": "Return",
    "payback": "Payback",
    "peak_funding": "Peak funding",
    "value_at_horizon": "Value at the horizon",
}


def paths_table(decision: Decision) -> pd.DataFrame:
    """One row per distinct path, the recommended one starred: ``path``, ``npv``, ``return``,
    ``payback``, ``peak_funding``, ``value_at_horizon`` (executive texts) and ``npv_usd``."""
    rate = decision.scenario.discount_rate_per_year
    rows = []
    for key, result in decision.strategies.items():
        s = result.summary
        rows.append(
            {
                "path": ("★ " if key == decision.best_strategy else "") + result.label,
                "npv": fmt.usd(s.npv_usd),
                "return": path_return(result, rate).value,
                "payback": fmt.payback(s.payback_month, s.peak_funding_usd),
                "peak_funding": fmt.usd(s.peak_funding_usd),
                "value_at_horizon": terminal_share_text(result),
                "npv_usd": float(s.npv_usd),
            }
        )
    return pd.DataFrame(rows)


def waiting_line(decision: Decision) -> str | None:
    """When mine-then-convert wins, by how much waiting beats converting now (the two NPVs can
    print alike: "$2.8B" and "$2.8B"); None otherwise."""
    npv = decision.strategy_npv_usd
    if decision.best_strategy != "mine_then_convert" or "convert" not in npv:
        return None
    gain = npv["mine_then_convert"] - npv["convert"]
    return (
        f"Waiting {fmt.months(decision.conversion_start_month)} before looking for a tenant is "
        f"worth {fmt.usd(gain)} more than converting now ({fmt.usd(npv['mine_then_convert'], digits=2)} "
        f"against {fmt.usd(npv['convert'], digits=2)})."
    )
