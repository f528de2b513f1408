"""The one place a grid program's native payment unit becomes the model's units.

Programs publish their rates in the unit their market uses: PJM and MISO capacity in $/MW-day,
NYISO ICAP and ISO-NE FCM in $/kW-month, ERCOT ancillary services in $/MW per hour ($/MW-h),
energy payments in $/MWh of load reduced, coincident-peak transmission in $/kW-year, ERCOT ERS
in $/MW-year. ``valuation.power.DemandResponseProgram`` pays a rate per committed MW per hour of
the active months (``capacity_payment_usd_per_mw_hour``, a model month being 730.5 hours), a
yearly credit per committed MW (``annual_credit_usd_per_mw_year``) and a coincident-peak charge
(``transmission_charge_usd_per_kw_year``). ``program_fields`` maps one onto the other.
"""

from __future__ import annotations

from valuation.errors import ValuationError
from valuation.market import HOURS_PER_MONTH

NATIVE_UNITS: tuple[str, ...] = (
    "usd_per_mw_day",
    "usd_per_kw_month",
    "usd_per_mw_hour",
    "usd_per_mw_year",
    "usd_per_mwh",
    "usd_per_kw_year",
)
UNIT_LABELS: dict[str, str] = {
    "usd_per_mw_day": "$/MW-day",
    "usd_per_kw_month": "$/kW-month",
    "usd_per_mw_hour": "$/MW-h",
    "usd_per_mw_year": "$/MW-year",
    "usd_per_mwh": "$/MWh",
    "usd_per_kw_year": "$/kW-year",
}
DAYS_PER_MODEL_MONTH = HOURS_PER_MONTH / 24.0  # 30.4375


class ProgramUnitError(ValuationError, ValueError):
    """A program rate in a unit this module does not know, or not a finite non-negative number."""


def usd_per_mw_hour(rate: float, unit: str, n_active_months: int = 12) -> float:
    """A capacity-type rate as $ per committed MW per hour of the active months.

    - ``usd_per_mw_day``: paid for every day of the active months -> ``rate / 24``;
    - ``usd_per_kw_month``: paid each active month -> ``rate x 1,000 / 730.5``;
    - ``usd_per_mw_hour``: already per MW per hour (ERCOT ancillary-service clearing prices);
    - ``usd_per_mw_year``: one yearly sum spread over the active months' hours ->
      ``rate / (730.5 x n_active_months)``.

    Hand check: PJM 2026/27 $329.17/MW-day -> $13.715/MW-h; x 8,766 h = $120,228/MW-year
    = $329.17 x 365.25. NYISO $3/kW-month -> $4.107/MW-h; x 730.5 = $3,000/MW-month.
    """
    _check(rate, unit)
    if unit == "usd_per_mw_day":
        return rate / 24.0
    if unit == "usd_per_kw_month":
        return rate * 1_000.0 / HOURS_PER_MONTH
    if unit == "usd_per_mw_hour":
        return rate
    if unit == "usd_per_mw_year":
        if n_active_months < 1:
            raise ProgramUnitError(f"n_active_months={n_active_months!r}; must be at least 1")
        return rate / (HOURS_PER_MONTH * n_active_months)
    raise ProgramUnitError(
        f"unit={unit!r} is not a capacity rate; one of usd_per_mw_day, usd_per_kw_month, "
        "usd_per_mw_hour, usd_per_mw_year"
    )


def usd_per_mw_year(rate: float, unit: str, n_active_months: int = 12) -> float:
    """The same rate as $ per committed MW per year (for tables): hourly rate x active hours."""
    if unit == "usd_per_kw_year":
        _check(rate, unit)
        return rate * 1_000.0
    if unit == "usd_per_mwh":
        raise ProgramUnitError("usd_per_mwh is paid per MWh reduced; it has no yearly rate alone")
    return usd_per_mw_hour(rate, unit, n_active_months) * HOURS_PER_MONTH * n_active_months


def program_fields(
    rate: float, unit: str, months_active: tuple[int, ...], deployment_hours_per_year: float
) -> dict[str, float]:
    """``DemandResponseProgram`` keyword arguments for a native rate.

    Capacity units -> ``capacity_payment_usd_per_mw_hour``; ``usd_per_mwh`` (energy paid per MWh
    reduced during deployments) -> ``annual_credit_usd_per_mw_year = rate x deployment hours``;
    ``usd_per_kw_year`` (a coincident-peak charge) -> ``transmission_charge_usd_per_kw_year``.
    """
    _check(rate, unit)
    if unit == "usd_per_mwh":
        return {"annual_credit_usd_per_mw_year": rate * float(deployment_hours_per_year)}
    if unit == "usd_per_kw_year":
        return {"transmission_charge_usd_per_kw_year": rate}
    return {"capacity_payment_usd_per_mw_hour": usd_per_mw_hour(rate, unit, len(months_active))}


def _check(rate: float, unit: str) -> None:
    if unit not in NATIVE_UNITS:
        raise ProgramUnitError(f"unit={unit!r} is not allowed; one of {NATIVE_UNITS}")
    if not (isinstance(rate, int | float) and rate == rate and abs(rate) != float("inf")):
        raise ProgramUnitError(f"rate={rate!r} is not allowed; must be a finite number")
    if rate < 0:
        raise ProgramUnitError(f"rate={rate!r} is not allowed; must be >= 0")
