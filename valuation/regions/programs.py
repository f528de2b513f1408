"""Grid programs a flexible load can join, in each market's own terms, and their model form.

``ProgramTerms`` records a program as its market publishes it: the rate in its native unit, the
obligations (notice, event duration, number of events, months active), the penalty for not
performing, whether a large flexible load (a miner or an interruptible data hall) can take part,
and the source with its date. ``ProgramTerms.program()`` converts it, through
``valuation.regions.units`` (the one conversion), into the ``valuation.power.DemandResponseProgram``
that the economic-curtailment and credit code in ``valuation.mining`` pays.

``status`` says how far to trust the rate: "published" (read in the cited source this session),
"derived" (computed from published figures), "recalled" (from the named document, not re-opened
this session: verify before relying on it) or "assumption".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from valuation.errors import ValuationError
from valuation.power import (
    ERCOT_4CP,
    ERCOT_ECRS,
    ERCOT_ERS,
    ERCOT_RRS,
    DemandResponseProgram,
)
from valuation.regions.units import NATIVE_UNITS, UNIT_LABELS, program_fields, usd_per_mw_year

STATUSES: tuple[str, ...] = ("published", "derived", "recalled", "assumption", "chart")


class ProgramError(ValuationError, ValueError):
    """A program term that cannot be used (names the field, value and what is allowed)."""


@dataclass(frozen=True)
class ProgramTerms:
    """One grid program in its market's terms. Units are in every field name.

    native_rate / native_unit: the published rate, unit one of ``units.NATIVE_UNITS``.
    committed_share: share of the site's load enrolled (an assumption per site; default 0.5).
    notice_hours, max_event_hours, max_events_per_year: the obligation (None = no limit stated).
    expected_deployment_hours_per_year: hours the committed load is expected to be called.
    can_join: whether a large flexible load can take part; ``eligibility`` says why or why not.
    default: part of the region's default set (alternatives that would double count are not).
    """

    name: str
    grid_region: str
    native_rate: float
    native_unit: str
    months_active: tuple[int, ...] = tuple(range(1, 13))
    committed_share: float = 0.5
    notice_hours: float | None = None
    max_event_hours: float | None = None
    max_events_per_year: float | None = None
    expected_deployment_hours_per_year: float = 0.0
    penalty: str = ""
    can_join: bool = True
    eligibility: str = ""
    default: bool = True
    paid_only_while_running: bool = False
    peak_catch_rate: float = 1.0
    source: str = ""
    status: str = "assumption"
    model_program: DemandResponseProgram | None = None  # an existing program kept as is (ERCOT)

    def __post_init__(self) -> None:
        if self.native_unit not in NATIVE_UNITS:
            raise ProgramError(
                f"ProgramTerms.native_unit={self.native_unit!r} is not allowed; one of {NATIVE_UNITS}"
            )
        if self.status not in STATUSES:
            raise ProgramError(
                f"ProgramTerms.status={self.status!r} is not allowed; one of {STATUSES}"
            )
        if not (np.isfinite(self.native_rate) and self.native_rate >= 0):
            raise ProgramError(
                f"ProgramTerms.native_rate={self.native_rate!r} is not allowed; must be >= 0"
            )

    @property
    def usd_per_mw_year(self) -> float | None:
        """The rate per committed MW-year (None for energy-only $/MWh payments)."""
        if self.native_unit == "usd_per_mwh":
            return self.native_rate * self.expected_deployment_hours_per_year
        return usd_per_mw_year(self.native_rate, self.native_unit, len(self.months_active))

    def program(self) -> DemandResponseProgram:
        """The model's ``DemandResponseProgram`` (the rate converted by ``units.program_fields``)."""
        if self.model_program is not None:
            return self.model_program
        fields = program_fields(
            self.native_rate,
            self.native_unit,
            self.months_active,
            self.expected_deployment_hours_per_year,
        )
        return DemandResponseProgram(
            name=self.name,
            committed_share=self.committed_share,
            expected_deployment_hours_per_year=self.expected_deployment_hours_per_year,
            months_active=self.months_active,
            grid_region=self.grid_region,
            paid_only_while_running=self.paid_only_while_running,
            peak_catch_rate=self.peak_catch_rate,
            source=f"{self.source} [{self.status}]",
            **fields,
        )

    def row(self) -> dict[str, object]:
        """One row of the Market page's program table."""
        yearly = self.usd_per_mw_year
        return {
            "program": self.name,
            "rate": self.native_rate,
            "unit": UNIT_LABELS[self.native_unit],
            "usd_per_mw_year": None if yearly is None else round(yearly),
            "months_active": _months_text(self.months_active),
            "notice_h": self.notice_hours,
            "max_event_h": self.max_event_hours,
            "max_events_per_year": self.max_events_per_year,
            "expected_h_per_year": self.expected_deployment_hours_per_year,
            "penalty": self.penalty,
            "large_flexible_load": "yes" if self.can_join else "no",
            "eligibility": self.eligibility,
            "in_default_set": self.default,
            "status": self.status,
            "source": self.source,
        }


def _months_text(months: tuple[int, ...]) -> str:
    if tuple(months) == tuple(range(1, 13)):
        return "all year"
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return ", ".join(names[m - 1] for m in months)


# --- ERCOT: the programs valuation.power already carries, kept as they are -----------------------
# The default set is today's demand-response partnership (valuation.scenario.DEFAULT_DR_PROGRAMS):
# ERS on half the load and ECRS on a further 45%, together the 95% flexible share. RRS (the same
# MW as ECRS) and 4CP avoidance (adds the 4CP charge to power cost) are listed, off by default.
ERCOT_ECRS_PARTNERSHIP = replace(ERCOT_ECRS, committed_share=0.45)

ERCOT_TERMS: tuple[ProgramTerms, ...] = (
    ProgramTerms(
        "ERCOT ERS", "ERCOT", 65_000.0, "usd_per_mw_year", notice_hours=10 / 60, max_event_hours=12,
        expected_deployment_hours_per_year=ERCOT_ERS.expected_deployment_hours_per_year,
        penalty="suspension from ERS and payment reduced for availability / performance shortfall",
        eligibility="loads of 100 kW+; 10- or 30-minute ramp; energy emergencies only",
        source=ERCOT_ERS.source, status="assumption", model_program=ERCOT_ERS,
    ),
    ProgramTerms(
        "ERCOT RRS (load resource)", "ERCOT", ERCOT_RRS.capacity_payment_usd_per_mw_hour,
        "usd_per_mw_hour", notice_hours=0.0, paid_only_while_running=True,
        expected_deployment_hours_per_year=ERCOT_RRS.expected_deployment_hours_per_year,
        penalty="under-frequency relay trip required; failure to deploy: claw-back of the award",
        eligibility="controllable or under-frequency-relay load resource; paid only while "
        "consuming; an alternative to ECRS for the same MW", default=False,
        source=ERCOT_RRS.source, status="assumption", model_program=ERCOT_RRS,
    ),
    ProgramTerms(
        "ERCOT ECRS", "ERCOT", ERCOT_ECRS.capacity_payment_usd_per_mw_hour, "usd_per_mw_hour",
        notice_hours=10 / 60, max_event_hours=2, paid_only_while_running=True, committed_share=0.45,
        expected_deployment_hours_per_year=ERCOT_ECRS.expected_deployment_hours_per_year,
        penalty="failure to deploy: claw-back of the award", source=ERCOT_ECRS.source,
        eligibility="load resource; must sustain 2 h", status="derived",
        model_program=ERCOT_ECRS_PARTNERSHIP,
    ),
    ProgramTerms(
        "ERCOT 4CP transmission avoidance", "ERCOT", ERCOT_4CP.transmission_charge_usd_per_kw_year,
        "usd_per_kw_year", months_active=(6, 7, 8, 9), committed_share=ERCOT_4CP.committed_share,
        expected_deployment_hours_per_year=ERCOT_4CP.expected_deployment_hours_per_year,
        peak_catch_rate=ERCOT_4CP.peak_catch_rate, max_events_per_year=4,
        penalty="none: a missed peak sets next year's transmission charge", default=False,
        eligibility="any transmission-metered load; switching it on adds the 4CP charge to "
        "power cost and credits the share avoided", source=ERCOT_4CP.source,
        status="assumption", model_program=ERCOT_4CP,
    ),
)  # fmt: skip


# --- PJM -------------------------------------------------------------------------------------------

# RPM Base Residual Auction RTO clearing prices, $/MW-day (UCAP), by delivery year start (June 1).
PJM_BRA_RTO_USD_PER_MW_DAY: dict[int, tuple[float, str, str]] = {
    2021: (140.00, "recalled", "PJM 2021/2022 BRA results (PJM, 2018-05)"),
    2022: (50.00, "recalled", "PJM 2022/2023 BRA results (PJM, 2021-06)"),
    2023: (34.13, "recalled", "PJM 2023/2024 BRA results (PJM, 2022-06)"),
    2024: (28.92, "derived", "PJM 2024/2025 BRA; consistent with the 2025/26 price being a "
           "'more than nine-fold increase' (avalonenergy.us 2025-09; 269.92/28.92 = 9.3)"),
    2025: (269.92, "published", "PJM 2025/2026 BRA, announced 2024-07-30 (avalonenergy.us "
           "2025-09; energynews247.com)"),
    2026: (329.17, "published", "PJM 2026/2027 BRA, announced 2025-07-22, cleared at the cap "
           "(avalonenergy.us 2025-09; felpower.com)"),
    2027: (333.44, "published", "PJM 2027/2028 BRA, announced 2025-12, cleared at the cap "
           "(camelotenergygroup.com 2025-12-30; avalonenergy.us prints $333.34)"),
}  # fmt: skip
PJM_CAPACITY_RULES: tuple[str, ...] = ("hold_last", "user")


def pjm_capacity_price_usd_per_mw_day(
    delivery_year_start: object,
    *,
    rule: str = "hold_last",
    user_price_usd_per_mw_day: float | None = None,
) -> np.ndarray:
    """PJM RTO capacity price for delivery years starting June 1 of ``delivery_year_start``.

    Published BRA results for 2021/22 to 2027/28; later years follow ``rule``: "hold_last"
    (the 2027/28 price, $333.44/MW-day, held flat: the price cap agreed for 2026/27 and 2027/28
    lapses, so this is a stated assumption, not a forecast) or "user" (``user_price``). Years
    before 2021 take the 2021/22 price. Vectorised over an integer array.
    """
    years = np.asarray(delivery_year_start)
    if rule not in PJM_CAPACITY_RULES:
        raise ProgramError(f"rule={rule!r} is not allowed; one of {PJM_CAPACITY_RULES}")
    first, last = min(PJM_BRA_RTO_USD_PER_MW_DAY), max(PJM_BRA_RTO_USD_PER_MW_DAY)
    table = np.array([PJM_BRA_RTO_USD_PER_MW_DAY[y][0] for y in range(first, last + 1)])
    if rule == "user":
        if user_price_usd_per_mw_day is None or not (
            np.isfinite(user_price_usd_per_mw_day) and user_price_usd_per_mw_day >= 0
        ):
            raise ProgramError(
                f"user_price_usd_per_mw_day={user_price_usd_per_mw_day!r} is not allowed with "
                "rule='user'; give a price >= 0 in $/MW-day"
            )
        after = float(user_price_usd_per_mw_day)
    else:
        after = float(table[-1])
    idx = np.clip(years - first, 0, len(table) - 1)
    return np.where(years > last, after, table[idx])


def pjm_delivery_year(when: date) -> int:
    """The PJM delivery year (June-May) a date falls in, as its starting calendar year."""
    return when.year if when.month >= 6 else when.year - 1


def pjm_capacity_schedule_usd_per_mw_hour(
    start: date,
    n_months: int,
    *,
    rule: str = "hold_last",
    user_price_usd_per_mw_day: float | None = None,
) -> np.ndarray:
    """Per-month PJM capacity payment, $/MW per hour, ``(n_months,)`` from ``start``'s month:
    each month's delivery-year BRA price (or the rule after 2027/28) / 24."""
    months = start.month - 1 + np.arange(int(n_months))
    year = start.year + months // 12
    cal_month = months % 12 + 1
    dy = np.where(cal_month >= 6, year, year - 1)
    return (
        pjm_capacity_price_usd_per_mw_day(
            dy, rule=rule, user_price_usd_per_mw_day=user_price_usd_per_mw_day
        )
        / 24.0
    )


def pjm_terms(as_of: date) -> tuple[ProgramTerms, ...]:
    """PJM programs for the delivery year ``as_of`` falls in."""
    dy = pjm_delivery_year(as_of)
    price = float(pjm_capacity_price_usd_per_mw_day(dy))
    _, status, src = PJM_BRA_RTO_USD_PER_MW_DAY.get(dy, PJM_BRA_RTO_USD_PER_MW_DAY[2027])
    if dy > max(PJM_BRA_RTO_USD_PER_MW_DAY):
        status, src = "assumption", "last published BRA price held (rule hold_last): " + src
    return (
        ProgramTerms(
            f"PJM capacity: load management DR ({dy}/{(dy + 1) % 100:02d} BRA)", "PJM", price,
            "usd_per_mw_day", committed_share=0.5, notice_hours=0.5, max_event_hours=None,
            max_events_per_year=None, expected_deployment_hours_per_year=10.0,
            penalty="Capacity Performance non-performance charge per MW short in each "
            "Performance Assessment Interval (PJM RAA; rate tied to Net CONE) [recalled]",
            eligibility="a load curtails below its peak load contribution; annual product, "
            "available all year (Capacity Performance); via a Curtailment Service Provider",
            source=f"RTO clearing price {price:.2f} $/MW-day: {src}; 30-minute notice and 10 h/yr "
            "of events are assumptions", status=status,
        ),
        ProgramTerms(
            "PJM transmission: network service peak load (1CP) avoidance", "PJM", 50.0,
            "usd_per_kw_year", months_active=(6, 7, 8), committed_share=0.95,
            expected_deployment_hours_per_year=40.0, peak_catch_rate=0.8, max_events_per_year=1,
            penalty="none: a missed peak sets next year's network transmission charge",
            default=False,
            eligibility="any load: the zone's NITS rate applies to the load at the zone's "
            "annual peak hour; off by default like ERCOT 4CP, because the charge falls on every "
            "path (switch it on for all strategies, not only the demand-response one)",
            source="NITS charges follow each customer's load at the zone's single annual peak "
            "(PJM OATT, network service peak load); $50/kW-year is an assumption (zonal rates "
            "differ); 80% catch and 40 h/yr peak watch are assumptions", status="assumption",
        ),
        ProgramTerms(
            "PJM capacity: peak load contribution (5CP) avoidance", "PJM", price * 365.0 / 1_000.0,
            "usd_per_kw_year", months_active=(6, 7, 8, 9), committed_share=0.95,
            expected_deployment_hours_per_year=60.0, peak_catch_rate=0.8, max_events_per_year=5,
            default=False,
            penalty="none: a missed peak raises next year's capacity obligation",
            eligibility="alternative to selling load management DR (the same MW cannot do both): "
            "a load pays capacity on its share of PJM's five summer peaks",
            source=f"capacity obligation = BRA price x peak load contribution (PJM Manual 19); "
            f"{price:.2f} $/MW-day x 365 / 1000; catch rate an assumption", status="derived",
        ),
        ProgramTerms(
            "PJM economic demand response", "PJM", 0.0, "usd_per_mwh", committed_share=0.5,
            notice_hours=None, penalty="none (offers are voluntary)", default=False,
            eligibility="paid LMP for dispatched reductions above the Net Benefits Price; for a "
            "load already avoiding the LMP on an index contract this is the same saving, so it "
            "is valued at 0 here to avoid double counting",
            source="PJM Manual 11 section 10 (economic load response) [recalled]", status="recalled",
        ),
    )  # fmt: skip


# --- MISO --------------------------------------------------------------------------------------------

# Planning Resource Auction seasonal clearing prices, $/MW-day, MISO-wide (North/Central when split).
MISO_PRA_USD_PER_MW_DAY: dict[int, dict[str, tuple[float, str, str]]] = {
    2024: {
        "summer": (30.00, "published", "MISO 2024/25 PRA press release (misoenergy.org, 2024-04-25)"),
        "fall": (15.00, "published", "MISO 2024/25 PRA press release"),
        "winter": (0.75, "published", "MISO 2024/25 PRA press release"),
        "spring": (34.10, "published", "MISO 2024/25 PRA press release"),
    },
    2025: {
        "summer": (666.50, "published", "MISO 2025/26 PRA (utilitydive.com/news/miso-capacity-auction)"),
        "fall": (91.60, "published", "MISO 2025/26 PRA, North/Central; South $74.09 (energymag.solar)"),
        "winter": (33.20, "published", "MISO 2025/26 PRA (energymag.solar)"),
        "spring": (69.88, "published", "MISO 2025/26 PRA (energymag.solar)"),
    },
}  # fmt: skip
MISO_SEASON_MONTHS: dict[str, tuple[int, ...]] = {
    "summer": (6, 7, 8), "fall": (9, 10, 11), "winter": (12, 1, 2), "spring": (3, 4, 5),
}  # fmt: skip


def miso_terms(as_of: date) -> tuple[ProgramTerms, ...]:
    """MISO load-modifying resources, one program per PRA season of the planning year of
    ``as_of`` (the last published year held after 2025/26, an assumption)."""
    py = as_of.year if as_of.month >= 6 else as_of.year - 1
    py_used = min(max(py, min(MISO_PRA_USD_PER_MW_DAY)), max(MISO_PRA_USD_PER_MW_DAY))
    terms = []
    for season, months in MISO_SEASON_MONTHS.items():
        price, status, src = MISO_PRA_USD_PER_MW_DAY[py_used][season]
        if py_used != py:
            status, src = "assumption", f"{py_used}/{(py_used + 1) % 100:02d} price held: {src}"
        terms.append(
            ProgramTerms(
                f"MISO LMR in the PRA ({season} {py_used}/{(py_used + 1) % 100:02d})", "MISO",
                price, "usd_per_mw_day", months_active=tuple(sorted(months)), committed_share=0.5,
                notice_hours=6.0, max_event_hours=4.0, max_events_per_year=5,
                expected_deployment_hours_per_year=2.0,
                penalty="non-performance: charged the real-time LMP on the shortfall and loses "
                "accreditation (MISO Tariff Module E-1) [recalled]",
                eligibility="load-modifying resource registered through the LSE; accredited MW "
                "sold in the PRA",
                source=f"{src}; notice, duration and events per MISO LMR rules [recalled]; "
                "2 h/yr per season of deployments an assumption", status=status,
            )
        )  # fmt: skip
    return tuple(terms)


# --- the others ------------------------------------------------------------------------------------

NYISO_TERMS: tuple[ProgramTerms, ...] = (
    ProgramTerms(
        "NYISO ICAP special case resource (summer)", "NYISO", 3.00, "usd_per_kw_month",
        months_active=(5, 6, 7, 8, 9, 10), notice_hours=2.0, max_event_hours=4.0,
        expected_deployment_hours_per_year=8.0,
        penalty="shortfall penalties and a reduced enrolment after poor performance in an event "
        "or audit (NYISO ICAP Manual section 4.12) [recalled]",
        eligibility="interruptible load of 100 kW+ through a Responsible Interface Party; "
        "21-hour standby notice, 2-hour dispatch notice",
        source="notice terms: Enel NYISO SCR guidelines (enel625.zendesk.com); event length up to "
        "4 h: loadvizpro.com/kb/dsm/kb-nyiso; $3.00/kW-month Rest-of-State summer ICAP is an "
        "assumption (NYC Zone J ~$19/kW-month per loadvizpro)", status="assumption",
    ),
    ProgramTerms(
        "NYISO ICAP special case resource (winter)", "NYISO", 1.00, "usd_per_kw_month",
        months_active=(1, 2, 3, 4, 11, 12), notice_hours=2.0, max_event_hours=4.0,
        expected_deployment_hours_per_year=2.0, penalty="as summer",
        eligibility="as summer", source="$1.00/kW-month Rest-of-State winter ICAP is an assumption",
        status="assumption",
    ),
    ProgramTerms(
        "NYISO SCR / EDRP event energy payment", "NYISO", 500.0, "usd_per_mwh",
        notice_hours=2.0, max_event_hours=4.0, expected_deployment_hours_per_year=8.0,
        penalty="none for EDRP (voluntary)", committed_share=0.5,
        eligibility="the greater of $500/MWh or the LBMP for verified reductions in events",
        source="nypa.gov (NYISO SCR energy payment 'greater of $0.50/kWh or 100% of market "
        "price'); NYISO MST Attachment G (EDRP, 2-hour notice); 8 h/yr an assumption",
        status="published",
    ),
    ProgramTerms(
        "NYISO demand-side ancillary services (DSASP)", "NYISO", 5.0, "usd_per_mw_hour",
        notice_hours=10 / 60, committed_share=0.3, paid_only_while_running=True, default=False,
        eligibility="loads with telemetry may sell operating reserves; needs a qualified "
        "telemetry set-up",
        source="NYISO demand response programs page (DSASP); $5/MW-h reserve price an assumption",
        status="assumption",
    ),
)  # fmt: skip

SPP_TERMS: tuple[ProgramTerms, ...] = (
    ProgramTerms(
        "SPP capacity payment", "SPP", 0.0, "usd_per_mw_day", can_join=False, default=False,
        eligibility="none: SPP has no centralised capacity market (load-serving entities meet "
        "their planning reserve margin bilaterally), so flexibility earns no capacity price",
        source="SPP resource adequacy (planning reserve margin met by LSEs) [recalled]",
        status="recalled",
    ),
    ProgramTerms(
        "SPP utility interruptible rider", "SPP", 3.0, "usd_per_kw_month", committed_share=0.5,
        notice_hours=1.0, max_event_hours=8.0, expected_deployment_hours_per_year=20.0,
        penalty="utility tariff: loss of the credit for the month and a re-rate [assumption]",
        eligibility="through the interconnecting utility's interruptible tariff, where one exists",
        source="assumption: $3/kW-month interruptible credit (utility tariffs differ)",
        status="assumption",
    ),
)  # fmt: skip

CAISO_TERMS: tuple[ProgramTerms, ...] = (
    ProgramTerms(
        "CAISO capacity auction", "CAISO", 0.0, "usd_per_mw_day", can_join=False, default=False,
        eligibility="none: California resource adequacy is bilateral (CPUC RA program), no ISO "
        "capacity auction; a load sells capacity only through a utility program or an RA contract",
        source="CPUC resource adequacy program [recalled]", status="recalled",
    ),
    ProgramTerms(
        "Utility base interruptible program (PG&E / SCE BIP)", "CAISO", 8.0, "usd_per_kw_month",
        committed_share=0.5, notice_hours=0.5, max_event_hours=4.0, max_events_per_year=10,
        expected_deployment_hours_per_year=10.0,
        penalty="excess-energy charge on load above the firm service level in events [recalled]",
        eligibility="utility customers of 100 kW+; reaches CAISO as a reliability demand "
        "response resource",
        source="PG&E/SCE Schedule BIP [recalled]; $8/kW-month an assumption", status="assumption",
    ),
)  # fmt: skip

ISONE_TERMS: tuple[ProgramTerms, ...] = (
    ProgramTerms(
        "ISO-NE forward capacity (active demand capacity resource)", "ISO-NE", 2.61,
        "usd_per_kw_month", committed_share=0.5, notice_hours=0.5,
        expected_deployment_hours_per_year=5.0,
        penalty="Pay-for-Performance: charged the performance payment rate on the shortfall in "
        "scarcity conditions [recalled]",
        eligibility="dispatchable demand resource with telemetry; obligations from the FCA",
        source="payment rate for resources in summer 2024 $2.61/kW-month (ISO-NE IMM Summer 2024 "
        "quarterly report, isonewswire.com 2024-12-11); 30-minute notice [recalled]",
        status="published",
    ),
)  # fmt: skip


def _utility_terms(region: str) -> tuple[ProgramTerms, ...]:
    return (
        ProgramTerms(
            "Market programs", region, 0.0, "usd_per_mw_day", can_join=False, default=False,
            eligibility="none: no organised wholesale market; a vertically integrated utility "
            "sells the load its energy and capacity under a tariff",
            source="EIA: regions outside RTOs (utility balancing authorities) [recalled]",
            status="recalled",
        ),
        ProgramTerms(
            "Utility interruptible / curtailable rider", region, 3.0, "usd_per_kw_month",
            committed_share=0.5, notice_hours=1.0, max_event_hours=8.0, max_events_per_year=20,
            expected_deployment_hours_per_year=20.0,
            penalty="loss of the credit and a re-rate to firm service [assumption]",
            eligibility="where the utility offers an interruptible rider",
            source="assumption: $3/kW-month interruptible credit (utility tariffs differ)",
            status="assumption",
        ),
    )  # fmt: skip


SOUTHEAST_TERMS = _utility_terms("Southeast")
WEST_TERMS = _utility_terms("West")


def with_committed_share(terms: ProgramTerms, committed_share: float) -> ProgramTerms:
    """The same program with another committed share (a site's own enrolment)."""
    if not (np.isfinite(committed_share) and 0 <= committed_share <= 1):
        raise ProgramError(f"committed_share={committed_share!r} is not allowed; must be in [0, 1]")
    return (
        replace(terms, committed_share=committed_share, model_program=None)
        if (terms.model_program is None)
        else replace(
            terms, model_program=replace(terms.model_program, committed_share=committed_share)
        )
    )
