"""The assumption controls (sliders and choices) and the ``Scenario`` they describe.

Sliders show convenient units (USD M per MW, percent a year); the scenario holds the library's
units (USD per MW, fractions a year). The capex slider starts at the site's own retrofit estimate,
rounded to the slider step; left there, the scenario keeps ``capex_usd_per_critical_mw=None`` so the
estimate is used exactly.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, cast

from valuation.scenario import Scenario

CAPEX_STEP_MUSD = 0.25  # slider step, USD M per critical MW


def capex_slider_default(estimate_usd_per_critical_mw: float) -> float:
    """The estimate in USD M per MW, rounded to the slider step: 8,176,123 -> 8.25."""
    if not math.isfinite(estimate_usd_per_critical_mw):
        return 0.0
    return round(estimate_usd_per_critical_mw / 1e6 / CAPEX_STEP_MUSD) * CAPEX_STEP_MUSD


def slider_defaults(base: Scenario, estimate_usd_per_critical_mw: float) -> dict[str, float]:
    """Slider starting values from a scenario, in the sliders' units."""
    capex = base.capex_usd_per_critical_mw
    return {
        "lease_rate_usd_per_kw_month": float(base.lease_rate_usd_per_kw_month),
        "capex_musd_per_critical_mw": capex_slider_default(
            estimate_usd_per_critical_mw if capex is None else capex
        ),
        "btc_price_kusd": float(round(base.market.btc_price_usd / 1_000.0)),
        "network_hashrate_growth_pct_per_year": base.market.network_hashrate_growth_per_year
        * 100.0,
        "discount_rate_pct_per_year": base.discount_rate_per_year * 100.0,
    }


def scenario_from_inputs(
    base: Scenario,
    *,
    lease_rate_usd_per_kw_month: float,
    capex_musd_per_critical_mw: float,
    btc_price_kusd: float,
    network_hashrate_growth_pct_per_year: float,
    discount_rate_pct_per_year: float,
    estimate_usd_per_critical_mw: float,
) -> Scenario:
    """The base scenario with the sliders' values, converted to the library's units.

    A capex slider left at the rounded estimate keeps the base's capex (the estimate itself); a
    BTC price slider (thousand USD) left at the rounded price keeps the base's exact price.
    """
    defaults = slider_defaults(base, estimate_usd_per_critical_mw)
    capex = (
        base.capex_usd_per_critical_mw
        if math.isclose(capex_musd_per_critical_mw, defaults["capex_musd_per_critical_mw"])
        else capex_musd_per_critical_mw * 1e6
    )
    market = dataclasses.replace(
        base.market,
        btc_price_usd=base.market.btc_price_usd
        if math.isclose(btc_price_kusd, defaults["btc_price_kusd"])
        else btc_price_kusd * 1_000.0,
        network_hashrate_growth_per_year=network_hashrate_growth_pct_per_year / 100.0,
    )
    return dataclasses.replace(
        base,
        market=market,
        lease_rate_usd_per_kw_month=float(lease_rate_usd_per_kw_month),
        capex_usd_per_critical_mw=capex,
        discount_rate_per_year=discount_rate_pct_per_year / 100.0,
    )


# --- Every assumption control of the sidebar -------------------------------------------------------
# One table for the sidebar, the address and the tests: each control's widget key, its query
# parameter, its range and step in the control's units, and how it reads and writes a Scenario.
# The ranges are the controls' bounds, not the library's: wide enough for any what-if a board asks
# (lease $60-250 covers every public deal of 2024-26, $100-190; Bitcoin $20k-250k), narrow enough
# that a typed address cannot ask for an absurd valuation.


@dataclasses.dataclass(frozen=True)
class Control:
    """One assumption control. ``read`` gives the scenario's value in the control's units;
    ``write`` sets a value given in those units. Kind "slider" (a number on a grid) or "choice"
    (one of ``choices``)."""

    key: str  # the widget's session-state key
    param: str  # the query parameter in the address
    label: str
    help: str
    read: Callable[[Scenario], float | str]
    write: Callable[[Scenario, float | str], Scenario]
    low: float = 0.0
    high: float = 0.0
    step: float = 1.0
    printf: str = "%d"
    choices: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return "choice" if self.choices else "slider"

    def snap(self, value: float) -> float:
        """``value`` rounded to the control's grid and clipped to its range."""
        steps = round((float(value) - self.low) / self.step)
        return float(min(self.high, max(self.low, self.low + steps * self.step)))


def _market(s: Scenario, **changes: float) -> Scenario:
    market: Any = s.market
    return dataclasses.replace(s, market=dataclasses.replace(market, **changes))


def _pct(value: float | str) -> float:
    return float(value) / 100.0


TERMINAL_LABELS = {
    "exit_cap": "Exit cap rate",
    "perpetuity": "Perpetuity growth",
    "none": "None",
}

CAPEX_KEY = "capex_per_mw"  # the capex control: None (each site's estimate) or USD M per MW
CAPEX_PARAM = "capex"
CAPEX_SITE = "site"  # the capex control's value for "each site's own estimate"
CAPEX_LOW_MUSD, CAPEX_HIGH_MUSD = 2.0, 20.0

CONTROLS: tuple[Control, ...] = (
    Control(
        "lease_rate", "lease", "Lease rate (USD per kW-month)",
        "Year-one rent the AI tenant pays per kW of critical IT capacity per month, USD. Public "
        "deals of 2024-26 imply about $100-190 (see Market & comparables).",
        read=lambda s: float(s.lease_rate_usd_per_kw_month),
        write=lambda s, v: dataclasses.replace(s, lease_rate_usd_per_kw_month=float(v)),
        low=60.0, high=250.0, step=1.0, printf="$%d",
    ),
    # In thousands: the slider's printf format has no thousands separator ("$106935").
    Control(
        "btc_price", "btc", "Bitcoin price (USD thousand)",
        "Bitcoin price today, thousand USD per BTC; it then grows at the scenario's yearly rate.",
        read=lambda s: s.market.btc_price_usd / 1_000.0,
        write=lambda s, v: _market(s, btc_price_usd=float(v) * 1_000.0),
        low=20.0, high=250.0, step=1.0, printf="$%dk",
    ),
    Control(
        "hashrate_growth", "growth", "Network hashrate growth (% a year)",
        "Yearly growth of the whole network's hashrate, percent a year: faster growth shrinks "
        "each miner's share of the block rewards.",
        read=lambda s: s.market.network_hashrate_growth_per_year * 100.0,
        write=lambda s, v: _market(s, network_hashrate_growth_per_year=_pct(v)),
        low=-10.0, high=80.0, step=1.0, printf="%d%%",
    ),
    Control(
        "rate_mining", "r_mining", "Discount rate, mining (% a year)",
        "Rate for mining cash flows (merchant Bitcoin exposure), percent a year.",
        read=lambda s: s.mining_discount_rate_per_year * 100.0,
        write=lambda s, v: dataclasses.replace(s, mining_discount_rate_per_year=_pct(v)),
        low=4.0, high=30.0, step=0.5, printf="%.1f%%",
    ),
    Control(
        "rate_contracted", "r_rent", "Discount rate, contracted rent (% a year)",
        "Rate for rent from a signed, creditworthy AI tenant, percent a year.",
        read=lambda s: s.contracted_discount_rate_per_year * 100.0,
        write=lambda s, v: dataclasses.replace(s, contracted_discount_rate_per_year=_pct(v)),
        low=4.0, high=25.0, step=0.5, printf="%.1f%%",
    ),
    Control(
        "rate_construction", "r_build", "Discount rate, construction (% a year)",
        "Rate for the retrofit's spending while it is built (cost and schedule risk), percent a "
        "year.",
        read=lambda s: s.construction_discount_rate_per_year * 100.0,
        write=lambda s, v: dataclasses.replace(s, construction_discount_rate_per_year=_pct(v)),
        low=4.0, high=25.0, step=0.5, printf="%.1f%%",
    ),
    Control(
        "discount_rate", "r_base", "Base rate: tax, site sale, hurdles (% a year)",
        "The scenario's base rate, percent a year (compounded monthly): the site sale, tax and "
        "the IRR hurdle.",
        read=lambda s: s.discount_rate_per_year * 100.0,
        write=lambda s, v: dataclasses.replace(s, discount_rate_per_year=_pct(v)),
        low=4.0, high=25.0, step=0.5, printf="%.1f%%",
    ),
    Control(
        "signing", "signing", "Chance a tenant signs (%)",
        "Probability that an AI tenant signs a lease for the site, percent; with no tenant the "
        "site keeps mining. Adjusted per site by its readiness.",
        read=lambda s: s.tenant_signing_probability * 100.0,
        write=lambda s, v: dataclasses.replace(s, tenant_signing_probability=_pct(v)),
        low=0.0, high=100.0, step=5.0, printf="%d%%",
    ),
    Control(
        "terminal", "terminal", "Value after the horizon",
        "How the site is valued at the end of the horizon: an exit cap rate on the hosting "
        "income (how data centers trade), a growing perpetuity, or nothing.",
        read=lambda s: s.terminal.method,
        write=lambda s, v: dataclasses.replace(
            s, terminal=dataclasses.replace(s.terminal, method=cast(Any, str(v)))
        ),
        choices=tuple(TERMINAL_LABELS),
    ),
)  # fmt: skip
CONTROLS_BY_KEY: dict[str, Control] = {c.key: c for c in CONTROLS}
CONTROLS_BY_PARAM: dict[str, Control] = {c.param: c for c in CONTROLS}


def control_default(control: Control, reference: Scenario) -> float | str:
    """Where the control rests for ``reference``: its value snapped to the control's grid."""
    value = control.read(reference)
    return value if control.kind == "choice" else control.snap(float(value))


def apply_changes(reference: Scenario, changes: Mapping[str, float | str]) -> Scenario:
    """``reference`` with the changed controls (control key -> value in the control's units).
    A control left out keeps the reference's exact value (a Bitcoin price of $106,935 rests at
    "$107k"). ``changes[CAPEX_KEY]`` is one retrofit capex for every site, USD M per critical MW,
    or ``CAPEX_SITE`` for each site's own estimate."""
    scenario = reference
    for key, value in changes.items():
        if key == CAPEX_KEY:
            capex = None if value == CAPEX_SITE else float(value) * 1e6
            scenario = dataclasses.replace(scenario, capex_usd_per_critical_mw=capex)
        else:
            scenario = CONTROLS_BY_KEY[key].write(scenario, value)
    return scenario


def parse_param(control: Control, text: str) -> float | str:
    """A control's value from the address, checked. Raises ValueError naming the parameter, the
    value and what is allowed."""
    if control.kind == "choice":
        if text not in control.choices:
            raise ValueError(
                f"{control.param}={text[:40]!r} is not allowed: one of {', '.join(control.choices)}"
            )
        return text
    return parse_number(control.param, text, control.low, control.high, control.step)


def parse_capex(text: str) -> float | str:
    """The capex control from the address: "site" (each site's estimate) or USD M per MW."""
    if text == CAPEX_SITE:
        return CAPEX_SITE
    return parse_number(CAPEX_PARAM, text, CAPEX_LOW_MUSD, CAPEX_HIGH_MUSD, CAPEX_STEP_MUSD)


def parse_number(param: str, text: str, low: float, high: float, step: float) -> float:
    """A number from the address within [low, high], snapped to ``step``."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{param}={text[:40]!r} is not allowed: a number from {low:g} to {high:g}")
    return round((value - low) / step) * step + low


def param_text(value: float | str) -> str:
    """A control's value as written in the address: 102 not 102.0."""
    if isinstance(value, str):
        return value
    return f"{value:g}"
