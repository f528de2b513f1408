"""Executive number formatting: $412M, 1.2 GW, 14.3%.

One formatter for the decision's reasons and for every page of the app. Pure functions of plain
numbers, no Streamlit. Missing values (None or nan) print as an em dash so a
table never shows "nan". Rounding is round-half-even from Python's format(), which is what the
tests pin down.
"""

from __future__ import annotations

import math
from numbers import Real

MISSING = "—"

_USD_SCALES: tuple[tuple[float, str], ...] = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def usd(value: Real | float | None, *, digits: int | None = None) -> str:
    """A dollar amount scaled to k/M/B/T: 412_300_000 -> "$412M", -1_234_000 -> "-$1.2M".

    Amounts of 100 or more in their unit print with no decimal, smaller ones with one, unless
    ``digits`` fixes the decimals. Below $1,000 the amount prints whole: "$950".
    """
    if _is_missing(value):
        return MISSING
    x = float(value)  # type: ignore[arg-type]
    if math.isinf(x):
        return "-∞" if x < 0 else "∞"
    sign = "-" if x < 0 else ""
    a = abs(x)
    for scale, suffix in _USD_SCALES:
        if a >= scale * (1 - 0.5e-3 if digits is None else 1):
            scaled = a / scale
            d = digits if digits is not None else (0 if round(scaled, 1) >= 100 else 1)
            text = f"{scaled:.{d}f}"
            if digits is None and "." in text:
                text = text.rstrip("0").rstrip(".")
            return f"{sign}${text}{suffix}"
    whole = f"{a:,.0f}"
    return f"{sign if whole != '0' else ''}${whole}"


def usd_exact(value: Real | float | None) -> str:
    """A dollar amount with thousands separators and no scaling: 95000 -> "$95,000"."""
    if _is_missing(value):
        return MISSING
    x = float(value)  # type: ignore[arg-type]
    whole = f"{abs(x):,.0f}"
    return f"{'-' if x < 0 and whole != '0' else ''}${whole}"


def power(value_mw: Real | float | None) -> str:
    """Power given in MW, shown in GW from 1,000 MW: 1200 -> "1.2 GW", 450 -> "450 MW", 7.5 -> "7.5 MW"."""
    if _is_missing(value_mw):
        return MISSING
    x = float(value_mw)  # type: ignore[arg-type]
    if abs(x) >= 1000:
        return f"{x / 1000:.1f} GW".replace(".0 GW", " GW")
    if abs(x) >= 100 or x == round(x):
        return f"{x:,.0f} MW"
    return f"{x:.1f} MW"


def pct(value: Real | float | None, *, digits: int = 1) -> str:
    """A fraction as a percentage: 0.143 -> "14.3%" (rates are fractions throughout Hashpivot)."""
    if _is_missing(value):
        return MISSING
    return f"{float(value) * 100:.{digits}f}%"  # type: ignore[arg-type]


def months(value: Real | float | None) -> str:
    """A duration in months: 33.6 -> "34 months", 1 -> "1 month"; missing means never: "never"."""
    if _is_missing(value):
        return "never"
    n = round(float(value))  # type: ignore[arg-type]
    return f"{n} month" if n == 1 else f"{n} months"


def years_months(value_months: Real | float | None) -> str:
    """A duration in months as years: 33.6 -> "2.8 years"; missing means never: "never"."""
    if _is_missing(value_months):
        return "never"
    return f"{float(value_months) / 12:.1f} years"  # type: ignore[arg-type]


def distance_to_best(mip_gap: float) -> str:
    """How far a plan stopped at the solver's time limit may be from the best one: "within
    2.75% of the best plan" (the proven relative gap, a share of the plan's value), or, when the
    solver proved no bound (gap inf or nan), "at an unknown distance from the best plan"."""
    if not math.isfinite(mip_gap):
        return "at an unknown distance from the best plan"
    return f"within {mip_gap:.2%} of the best plan"


def payback(payback_months: Real | float | None, peak_funding_usd: float) -> str:
    """A path's payback for a board: "no outlay" where no money goes in (peak funding 0), the
    years until the cumulative flow before the value at the horizon is back to zero ("8.3
    years"), or "not within the horizon" where its operations never earn the outlay back."""
    if not peak_funding_usd > 0:
        return "no outlay"
    if _is_missing(payback_months):
        return "not within the horizon"
    return years_months(payback_months)


def rate_usd_per_kw_month(value: Real | float | None) -> str:
    """A lease rate: 140 -> "$140/kW-month", 137.5 -> "$137.50/kW-month"."""
    if _is_missing(value):
        return MISSING
    x = round(float(value), 2)  # type: ignore[arg-type]  # to the cent, then whole or cents
    body = f"{x:,.0f}" if x == round(x) else f"{x:,.2f}"
    return f"${body}/kW-month"


def hashprice(value_usd_per_ph_day: Real | float | None) -> str:
    """A hashprice: 48.2 -> "$48.20/PH/day"."""
    if _is_missing(value_usd_per_ph_day):
        return MISSING
    return f"${float(value_usd_per_ph_day):,.2f}/PH/day"  # type: ignore[arg-type]


def usd_per_mw(value: Real | float | None) -> str:
    """Capex intensity: 11_500_000 -> "$11.5M/MW"."""
    text = usd(value)
    return text if text == MISSING else f"{text}/MW"


def multiple(value: Real | float | None) -> str:
    """A multiple of invested capital: 2.345 -> "2.3x"."""
    if _is_missing(value):
        return MISSING
    return f"{float(value):.1f}x"  # type: ignore[arg-type]


UNKNOWN = "unknown"


def _unknown_or_nonpositive(value: object) -> bool:
    return _is_missing(value) or float(value) <= 0  # type: ignore[arg-type]


def acres(value: Real | float | None) -> str:
    """Land in acres: 1234 -> "1,234 acres"; None, nan or 0 -> "unknown" (a powered site always
    has some land, so 0 in the inventory means nobody entered it)."""
    if _unknown_or_nonpositive(value):
        return UNKNOWN
    text = f"{float(value):,.0f}"  # type: ignore[arg-type]
    return f"{text} acre" if text == "1" else f"{text} acres"


def km(value: Real | float | None) -> str:
    """A distance in km: 12.4 -> "12 km", 0.4 -> "0.4 km"; None or nan -> "unknown"."""
    if _is_missing(value):
        return UNKNOWN
    x = float(value)  # type: ignore[arg-type]
    return f"{x:,.0f} km" if abs(x) >= 1 or x == 0 else f"{x:.1f} km"


def _never_pays_back(irr_kind: str, peak_funding_usd: float | None, moic: float | None) -> bool:
    """No IRR, money put in (the cumulative flow goes below zero) and less coming out than
    going in: the flows never earn their outlay back, at any rate."""
    return (
        irr_kind == "none"
        and peak_funding_usd is not None
        and peak_funding_usd > 0
        and moic is not None
        and moic < 1
    )


def return_basis(
    irr_per_year: float,
    irr_kind: str,
    mirr_per_year: float | None = None,
    *,
    peak_funding_usd: float | None = None,
    moic: float | None = None,
) -> str:
    """Which yearly return a board reads for a cash-flow stream (``valuation.finance``'s
    ``CashFlowSummary`` fields): "IRR" where exactly one rate zeroes the NPV of an investment;
    "MIRR" where several do, or where money goes in (``peak_funding_usd`` > 0) and no single
    rate zeroes the NPV (income before and after the outlay); "does not pay back" where money
    goes in and less comes out; else "no outlay": no money goes in before it comes out."""
    if irr_kind == "conventional" and not _is_missing(irr_per_year):
        return "IRR"
    if _never_pays_back(irr_kind, peak_funding_usd, moic):
        return "does not pay back"
    funded = peak_funding_usd is not None and peak_funding_usd > 0
    if not _is_missing(mirr_per_year) and (irr_kind == "several" or funded):
        return "MIRR"
    return "no outlay"


def annual_return(
    irr_per_year: float,
    irr_kind: str,
    mirr_per_year: float | None = None,
    *,
    peak_funding_usd: float | None = None,
    moic: float | None = None,
) -> str:
    """One yearly return an executive reads at a glance (:func:`return_basis`): the IRR
    ("18.4% a year"), the MIRR, "does not pay back" or "no outlay". The detail (which rate it
    is) belongs in ``return_detail``."""
    basis = return_basis(irr_per_year, irr_kind, mirr_per_year,
                         peak_funding_usd=peak_funding_usd, moic=moic)  # fmt: skip
    if basis == "IRR":
        return f"{pct(irr_per_year)} a year"
    if basis == "MIRR":
        return f"{pct(mirr_per_year)} a year"
    return basis


def return_detail(
    irr_per_year: float,
    irr_kind: str,
    mirr_per_year: float | None,
    discount_rate_per_year: float,
    *,
    peak_funding_usd: float | None = None,
    moic: float | None = None,
) -> str:
    """The technical note behind ``annual_return``: which rate it is, and the MIRR beside it."""
    mirr = (
        f" MIRR (reinvested and financed at {pct(discount_rate_per_year)}): {pct(mirr_per_year)}."
        if not _is_missing(mirr_per_year)
        else ""
    )
    basis = return_basis(irr_per_year, irr_kind, mirr_per_year,
                         peak_funding_usd=peak_funding_usd, moic=moic)  # fmt: skip
    if basis == "IRR":
        return f"IRR: the one yearly rate at which the cash flows' NPV is zero.{mirr}"
    if basis == "MIRR" and irr_kind == "several":
        return (
            "Several yearly rates make the NPV zero, so no single IRR exists: the figure is the "
            f"MIRR, reinvested and financed at {pct(discount_rate_per_year)}."
        )
    if basis == "MIRR":
        return (
            "No single yearly rate makes the NPV zero (money comes in before and after the "
            f"outlay): the figure is the MIRR, reinvested and financed at "
            f"{pct(discount_rate_per_year)}."
        )
    if basis == "does not pay back":
        return (
            "Less money comes out than goes in, so no rate earns the outlay back: there is no "
            "return to show."
        )
    return "No money goes in before it comes out, so there is no return on an outlay to show."
