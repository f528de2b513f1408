"""Monthly cash flows of a site's strategies: keep mining, mining with a DR partnership, convert,
and hybrids converting the first k whole halls (k = 0..H).

Strategies are linear in MW per hall before tax, so each hall's pre-tax components are built
once (mining if kept, mining until its construction starts if converted, rent, landlord costs,
retrofit capex) and every hybrid is a cumulative sum over halls: row k = all halls kept plus the
change of converting halls 1..k. A converting hall's fleet decides refresh-or-retire on its own
window (it mines only until its construction starts), so mining is valued per MW once per
distinct construction start (:func:`mining_profiles`), not once for the whole site. Terminal
value per row: the converted halls' leases plus the continuation value of every fleet still
running at the horizon (``MiningCashFlows.continuation_value_usd``), taxed together on the gain
over the row's remaining basis. Tax (NOL carry-forward) and terminal value are not linear, so all
rows go through ``valuation.finance.project_cash_flows`` in one vectorised call of shape
``(..., H + 2, n_months)``: rows 0..H the hybrids (0 = keep mining, H = convert), row H + 1 mining
with the DR partnership. Drivers (lease rate, capex, hashprice) may carry a leading batch axis for
break-evens and reasons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from valuation.errors import StrategyError
from valuation.finance import ProjectCashFlows, monthly_rate, npv, project_cash_flows
from valuation.hosting import (
    LeasePhase,
    LeaseTerms,
    check_critical_it_supported,
    construction_spend_usd,
    landlord_costs_usd,
    leased_critical_it_mw_by_phase,
    rent_usd_by_phase,
)
from valuation.mining import HashpricePath, hashprice_path, mining_cash_flows
from valuation.power import DemandResponseProgram, PowerContract, ercot_sample_curve
from valuation.scenario import Scenario

if TYPE_CHECKING:
    from models import RetrofitEstimate
    from sites.schema import Site

STRATEGY_KEYS: tuple[str, ...] = ("keep_mining", "mining_with_dr", "convert", "hybrid")
STRATEGY_LABELS: dict[str, str] = {
    "keep_mining": "Keep mining (economic curtailment)",
    "mining_with_dr": "Keep mining with a demand-response partnership",
    "convert": "Convert the whole site to AI hosting",
    "hybrid": "Hybrid: convert some halls, mine on the rest",
}
MINING_CAPEX_CLASS = 5  # mining equipment: 5-year MACRS (fleet refresh)
RETROFIT_CLASSES = (5, 15, 39)


@dataclass(frozen=True)
class SiteModel:
    """Per-hall pre-tax building blocks of a site's strategies, each ``(H, n_months)`` in USD.

    ``rent_unit_usd`` is rent at $1/kW-month; the landlord's costs split into a part proportional
    to rent (triple net), a part proportional to retrofit capex (tax, insurance) and a fixed part
    (opex, all-in power). ``retrofit_capex_usd[class]`` at the scenario capex (cash, at spend);
    ``retrofit_placed_in_service_usd[class]`` the same money as tax basis, placed in service at
    each hall's ready-for-service month. ``terminal_contracted`` and ``terminal_capitalised``
    hold, per hall, the horizon value of one unit of each NOI component (rows: rent at $1/kW-month
    net of the rent-proportional cost, landlord capex-driven cost, landlord fixed cost), see
    :func:`hall_terminal_values_usd`.
    """

    site_id: str
    scenario: Scenario
    hall_names: tuple[str, ...]
    mining_mw_by_hall: np.ndarray  # (H,) gross MW given to mining today
    critical_it_mw_by_hall: np.ndarray  # (H,)
    construction_start_month: np.ndarray  # (H,)
    ready_for_service_month: np.ndarray  # (H,) including any delay
    retrofit_capex_total_usd: float  # at the scenario capex, with contingency
    rent_unit_usd: np.ndarray
    landlord_per_rent: float
    landlord_capex_usd: np.ndarray  # tax and insurance at the scenario capex
    landlord_fixed_usd: np.ndarray
    retrofit_capex_usd: dict[int, np.ndarray]
    retrofit_placed_in_service_usd: dict[int, np.ndarray]  # tax basis placed in service at RFS
    lease_end_month: np.ndarray  # (H,) first month after each hall's base term
    terminal_contracted: np.ndarray  # (3, H) horizon value of contracted NOI, see _hall_terminal
    terminal_capitalised: np.ndarray  # (3, H) horizon value of the capitalised NOI at lease end
    hashprice: HashpricePath
    prices_usd_per_mwh: np.ndarray  # (n_months, points) price-duration curve per month
    contract: PowerContract
    # The scenario's demand-response programs that run in the site's grid region (an ERCOT
    # program pays nothing to a site in PJM); empty: the partnership row equals keep mining.
    dr_programs: tuple[DemandResponseProgram, ...] = ()
    cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_halls(self) -> int:
        return len(self.hall_names)

    @property
    def n_months(self) -> int:
        return self.scenario.horizon_months

    @property
    def critical_it_mw(self) -> float:
        return float(self.critical_it_mw_by_hall.sum())

    @property
    def capex_usd_per_critical_mw(self) -> float:
        return self.retrofit_capex_total_usd / self.critical_it_mw


def build_site_model(
    site: Site, scenario: Scenario | None = None, retrofit: RetrofitEstimate | None = None
) -> SiteModel:
    """Per-hall blocks for ``site`` under ``scenario`` (base when None), using ``retrofit``
    (``models.estimate_retrofit(site)`` when None) for halls, schedule, PUE and capex."""
    from models import estimate_retrofit

    scenario = scenario or Scenario()
    retrofit = retrofit or estimate_retrofit(site)
    n = scenario.horizon_months
    halls = retrofit.halls
    crit = np.array([h.critical_it_mw for h in halls], dtype=float)
    check_critical_it_supported(
        site, float(crit.sum()), retrofit.design_pue, firmed=scenario.firmed
    )
    start = np.array([h.construction_start_month for h in halls], dtype=int)
    rfs = np.array([h.ready_for_service_month for h in halls], dtype=int)
    if np.any(rfs < start):
        raise StrategyError(
            f"ready_for_service_month={rfs.tolist()} is not allowed: a hall cannot be ready before "
            f"its construction_start_month={start.tolist()}"
        )
    delay = scenario.construction_delay_months
    # Only energized power can mine: a site waiting for its interconnection has no mining
    # business today (building one, machines and all, is not a strategy valued here).
    mining_mw = np.full(len(halls), site.power.energized_mw / len(halls))

    by_class = retrofit.capex_by_class_usd(scenario.capex_scenario)
    class_total = sum(by_class.values())
    if scenario.capex_usd_per_critical_mw is not None:
        total = scenario.capex_usd_per_critical_mw * float(crit.sum())
        shares = {c: (v / class_total if class_total > 0 else (1.0 if c == 39 else 0.0))
                  for c, v in by_class.items()}  # fmt: skip
    else:
        total = class_total
        shares = {c: (v / class_total if class_total > 0 else 0.0) for c, v in by_class.items()}
    total *= 1.0 + scenario.contingency
    hall_share = crit / crit.sum()
    spend = construction_spend_usd(total * hall_share, start, rfs, n, delay_months=delay)
    retrofit_capex = {c: spend * shares.get(c, 0.0) for c in RETROFIT_CLASSES}
    # MACRS starts when a hall is placed in service (IRS Pub 946 ch. 3), not while it is built:
    # the hall's cumulative spend becomes basis at its ready-for-service month (spend after it,
    # if any, as it is paid). A hall not in service by the horizon stays construction in progress.
    in_service_now = np.arange(n)[None, :] >= (rfs + delay)[:, None]
    placed_cum = np.cumsum(spend, axis=-1) * in_service_now
    placed = np.diff(placed_cum, axis=-1, prepend=0.0)
    retrofit_placed = {c: placed * shares.get(c, 0.0) for c in RETROFIT_CLASSES}

    # Leases run past the horizon: the grid is extended to 12 months beyond the last lease end
    # (or the horizon) so the terminal value can read each hall's contracted and renewal NOI.
    term_months = int(round(scenario.lease_term_years * 12))
    lease_end = rfs + delay + term_months
    n_ext = max(n, int(lease_end.max())) + 12
    lease = LeaseTerms(
        critical_it_mw=float(crit.sum()),
        rate_usd_per_kw_month=1.0,
        term_years=scenario.lease_term_years,
        escalator_per_year=scenario.lease_escalator_per_year,
        structure=scenario.lease_structure,
        design_pue=retrofit.design_pue,
        free_rent_months=scenario.free_rent_months,
        phases=tuple(LeasePhase(float(c), int(r) + delay) for c, r in zip(crit, rfs, strict=True)),
        renewal_probability=scenario.renewal_probability,
        # Renewed in expectation for good: the extended grid's end, in whole years.
        renewal_term_years=float(math.ceil(n_ext / 12)),
        credit=scenario.tenant_credit,
    )
    rent_unit = rent_usd_by_phase(lease, n_ext)
    leased_mw = leased_critical_it_mw_by_phase(lease, n_ext)
    months = np.arange(n_ext)[None, :]
    in_service = (months >= (rfs + delay)[:, None]).astype(float)
    capex_in_service = (total * hall_share)[:, None] * in_service
    costs = scenario.hosting_costs
    contract = PowerContract.from_site(
        site, contract_price_usd_per_mwh=scenario.power_price_usd_per_mwh
    )
    power_price = contract.price_usd_per_mwh + contract.adder_usd_per_mwh
    if scenario.lease_structure == "triple_net":
        per_rent, capex_part, fixed = (
            costs.non_recoverable_share_of_rent,
            0.0 * leased_mw,
            0.0 * leased_mw,
        )
    else:
        per_rent = 0.0
        common: dict[str, Any] = dict(rent_usd=0.0, costs=costs, power_price_usd_per_mwh=power_price,
                      design_pue=retrofit.design_pue)  # fmt: skip
        capex_part = landlord_costs_usd(
            "modified_gross", leased_critical_it_mw=0.0 * leased_mw,
            capex_in_service_usd=capex_in_service, **common,
        )  # fmt: skip
        fixed = landlord_costs_usd(
            scenario.lease_structure, leased_critical_it_mw=leased_mw,
            capex_in_service_usd=0.0 * capex_in_service, **common,
        )  # fmt: skip

    landlord_capex_ext = np.broadcast_to(np.asarray(capex_part, dtype=float), rent_unit.shape)
    landlord_fixed_ext = np.broadcast_to(np.asarray(fixed, dtype=float), rent_unit.shape)
    w_contracted, w_capitalised = _terminal_weights(scenario, lease_end, n, n_ext)
    components = np.stack(
        [rent_unit * (1.0 - per_rent), landlord_capex_ext, landlord_fixed_ext]
    )  # (3, H, n_ext)
    terminal_contracted = np.sum(components * w_contracted, axis=-1)
    terminal_capitalised = np.sum(components * w_capitalised, axis=-1)

    path = hashprice_path(scenario.market, n)
    curve = ercot_sample_curve(scenario.price_curve_points)
    cal_month = (scenario.market.as_of.month - 1 + np.arange(n)) % 12
    prices: np.ndarray | None = curve.prices_usd_per_mwh[cal_month]
    if contract.contract_type != "index_plus_adder":
        # A fixed price or tariff: the curve gives the resale value of curtailed energy (fixed PPA)
        # or nothing (tariff: the flat price is the only signal).
        prices = prices if contract.contract_type == "fixed_ppa" else None
    return SiteModel(
        dr_programs=tuple(p for p in scenario.dr_programs if p.grid_region == site.grid_region),
        site_id=site.id,
        scenario=scenario,
        hall_names=tuple(h.hall for h in halls),
        mining_mw_by_hall=mining_mw,
        critical_it_mw_by_hall=crit,
        construction_start_month=start,
        ready_for_service_month=rfs + delay,
        retrofit_capex_total_usd=float(total),
        rent_unit_usd=rent_unit[:, :n],
        landlord_per_rent=float(per_rent),
        landlord_capex_usd=np.ascontiguousarray(landlord_capex_ext[:, :n]),
        landlord_fixed_usd=np.ascontiguousarray(landlord_fixed_ext[:, :n]),
        retrofit_capex_usd=retrofit_capex,
        retrofit_placed_in_service_usd=retrofit_placed,
        lease_end_month=lease_end,
        terminal_contracted=terminal_contracted,
        terminal_capitalised=terminal_capitalised,
        hashprice=path,
        prices_usd_per_mwh=prices if prices is not None else np.empty((n, 0)),
        contract=contract,
    )


def _terminal_weights(
    scenario: Scenario, lease_end_month: np.ndarray, n_months: int, n_ext: int
) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``(H, n_ext)`` that turn a hall's monthly NOI on the extended grid into its value
    at the horizon (stated at month ``n_months - 1``, like every terminal value here).

    With ``S = max(lease end, n_months)``, the first month the hall's base lease no longer covers
    (or the first month after the horizon for a hall already in its renewal):

    * contracted: months ``n_months <= m < S`` discounted, ``(1 + r) ** -(m - n_months + 1)``;
    * capitalised: the twelve months ``S <= m < S + 12`` (the renewal NOI, already weighted by
      ``renewal_probability`` in the rent and leased MW) times the capitalisation factor
      ``1 / exit_cap_rate`` (exit cap) or ``1 / (r_year - growth)`` (perpetuity), discounted
      ``(1 + r) ** -(S - n_months)``: the value at month ``S - 1`` of the flows from ``S`` on.

    So a lease still running at the horizon is worth its remaining contracted NOI plus
    ``renewal_probability`` x the exit-cap value at its end, and a lease that ended inside the
    horizon (rent already renewal-weighted since its end) is worth the exit-cap value of its
    expected NOI: one renewal mechanism whichever side of the horizon a lease ends, so value
    moves smoothly with the horizon. Method "none": all weights 0.
    """
    terminal = scenario.terminal
    h = lease_end_month.shape[0]
    zeros = np.zeros((h, n_ext))
    if terminal.method == "none":
        return zeros, zeros
    r_month = float(monthly_rate(scenario.discount_rate_per_year))
    if terminal.method == "exit_cap":
        cap_factor = 1.0 / terminal.exit_cap_rate
    else:
        spread = scenario.discount_rate_per_year - terminal.growth_per_year
        if spread <= 0:
            raise StrategyError(
                f"terminal.growth_per_year={terminal.growth_per_year!r} is not allowed: a "
                f"perpetuity needs it below discount_rate_per_year={scenario.discount_rate_per_year!r}"
            )
        cap_factor = 1.0 / spread
    months = np.arange(n_ext, dtype=float)[None, :]
    start = np.maximum(lease_end_month, n_months).astype(float)[:, None]
    contracted = np.where(
        (months >= n_months) & (months < start), (1.0 + r_month) ** -(months - n_months + 1.0), 0.0
    )
    in_year = (months >= start) & (months < start + 12.0)
    capitalised = np.where(in_year, cap_factor * (1.0 + r_month) ** -(start - n_months), 0.0)
    return contracted, capitalised


def hall_terminal_values_usd(
    model: SiteModel,
    lease_rate_usd_per_kw_month: np.ndarray | float,
    capex_scale: np.ndarray | float = 1.0,
) -> np.ndarray:
    """Each converted hall's value (USD) at the horizon, ``(..., H)`` for drivers shaped ``(...)``.

    ``contracted NOI value + max(0, capitalised NOI value)``: a renewal that would lose money is
    not signed, so its capitalised value is floored at 0; contracted NOI is owed either way.
    NOI is linear in the drivers (rent x rate, landlord capex-driven cost x capex scale), so each
    part is ``rate * a - k * b - c`` from the per-hall coefficients on the model.
    """
    rate = np.asarray(lease_rate_usd_per_kw_month, dtype=float)[..., None]
    k = np.asarray(capex_scale, dtype=float)[..., None]

    def value(coef: np.ndarray) -> np.ndarray:
        return rate * coef[0] - k * coef[1] - coef[2]

    return value(model.terminal_contracted) + np.maximum(0.0, value(model.terminal_capitalised))


def _mining(
    model: SiteModel,
    power_mw: np.ndarray,
    hashprice_usd_per_ph_day: np.ndarray,
    programs: tuple = (),
    contract: PowerContract | None = None,
    prices: np.ndarray | None = None,
    power_end_month: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Pre-tax mining rows ``{"revenue", "opex", "capex"}`` (USD, ``(..., n_months)``) and the
    fleet's ``"continuation_value"`` at the horizon (USD, ``(...)``, at the scenario discount
    rate; 0 with terminal method "none") from ``valuation.mining.mining_cash_flows``."""
    contract = contract or model.contract
    if prices is None:
        prices = model.prices_usd_per_mwh if model.prices_usd_per_mwh.shape[-1] else None
    mcf = mining_cash_flows(
        power_mw, hashprice_usd_per_ph_day, assumptions=model.scenario.mining, contract=contract,
        prices=prices, programs=programs, start=model.scenario.market.as_of,
        discount_rate_per_year=model.scenario.discount_rate_per_year,
        power_end_month=power_end_month,
    )  # fmt: skip
    # Terminal method "none" values nothing past the horizon, mining included.
    valued = model.scenario.terminal.method != "none"
    return {
        "revenue": mcf.revenue_usd + mcf.curtailment_credit_usd + mcf.dr_payment_usd,
        "opex": mcf.power_cost_usd + mcf.opex_usd,
        "capex": mcf.capex_usd,
        "continuation_value": mcf.continuation_value_usd * valued,
    }


def _keep_mw(model: SiteModel) -> np.ndarray:
    """Gross MW per hall per month if every hall keeps mining, ``(H, n)``."""
    return np.broadcast_to(model.mining_mw_by_hall[:, None], (model.n_halls, model.n_months))


@dataclass(frozen=True)
class MiningProfiles:
    """The 1-MW mining profiles a site's rows need, one per distinct stop month.

    Profile 0 mines every month (a kept hall, stop month inf); profile ``u >= 1`` mines until
    ``end_month[u]``, the construction start shared by the halls ``hall_profile == u``. A hall's
    mining is its MW times its profile's per-MW block: mining is linear in MW, so the refresh
    decision (margin against capex, both per MW) is the same for any MW on the same profile,
    and halls starting in the same month share one valuation.
    """

    power_mw: np.ndarray  # (P, n_months) 1 while mining, else 0
    end_month: np.ndarray  # (P,) first month without mining; inf for profile 0
    hall_profile: np.ndarray  # (H,) profile of each hall when it converts
    convert_weight_mw: np.ndarray  # (P,) MW of the halls converting on each profile


def mining_profiles(model: SiteModel) -> MiningProfiles:
    """The model's :class:`MiningProfiles` (cached on the model)."""
    prof = model.cache.get("mining_profiles")
    if prof is None:
        starts = np.unique(model.construction_start_month)
        end = np.r_[np.inf, starts.astype(float)]
        hall_profile = 1 + np.searchsorted(starts, model.construction_start_month)
        prof = MiningProfiles(
            power_mw=(np.arange(model.n_months)[None, :] < end[:, None]).astype(float),
            end_month=end,
            hall_profile=hall_profile,
            convert_weight_mw=np.bincount(
                hall_profile, weights=model.mining_mw_by_hall, minlength=end.size
            ),
        )
        model.cache["mining_profiles"] = prof
    return prof


def mining_blocks(
    model: SiteModel,
    hashprice_usd_per_ph_day: np.ndarray | None = None,
    *,
    contract: PowerContract | None = None,
    prices: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Mining per gross MW on each of the model's profiles, and the whole site's DR-partnership
    row, for a hashprice path ``(n_months,)`` or ``(K, n_months)`` (the scenario's when None).

    The first dict holds ``"revenue"``, ``"opex"``, ``"capex"`` (USD per MW, ``(..., P,
    n_months)``) and ``"continuation_value"`` (USD per MW, ``(..., P)``) for the profiles of
    :func:`mining_profiles` (0 = keep mining; then one per construction start, mining stopping
    there for good, so each converting hall's refresh-or-retire decision sees its own window);
    the second the same keys for the DR row, ``(..., n_months)`` and ``(...)``. The base
    market's blocks are cached on the model: they do not depend on the lease or capex drivers.
    """
    base_market = hashprice_usd_per_ph_day is None and contract is None and prices is None
    if base_market and "base_mining" in model.cache:
        return model.cache["base_mining"]
    hp = np.asarray(
        model.hashprice.hashprice_usd_per_ph_day
        if hashprice_usd_per_ph_day is None
        else hashprice_usd_per_ph_day,
        dtype=float,
    )
    prof = mining_profiles(model)
    unit = _mining(
        model, prof.power_mw, hp[..., None, :], contract=contract, prices=prices,
        power_end_month=prof.end_month,
    )  # fmt: skip
    dr = _mining(model, _keep_mw(model).sum(axis=0), hp, model.dr_programs, contract, prices)
    if base_market:
        model.cache["base_mining"] = (unit, dr)
    return unit, dr


def _site_totals(model: SiteModel) -> dict[str, np.ndarray]:
    """Whole-site ``(n,)`` sums over halls for the convert row's hosting parts (cached)."""
    totals = model.cache.get("totals")
    if totals is None:
        totals = {
            "rent_unit": np.sum(model.rent_unit_usd, axis=-2),
            "landlord_capex": np.sum(
                np.broadcast_to(model.landlord_capex_usd, model.rent_unit_usd.shape), axis=-2
            ),
            "landlord_fixed": np.sum(
                np.broadcast_to(model.landlord_fixed_usd, model.rent_unit_usd.shape), axis=-2
            ),
        }
        for c, v in model.retrofit_capex_usd.items():
            totals[f"retrofit_{c}"] = np.sum(v, axis=-2)
        for c, v in model.retrofit_placed_in_service_usd.items():
            totals[f"placed_{c}"] = np.sum(v, axis=-2)
        model.cache["totals"] = totals
    return totals


def _project_flows(
    s: Scenario,
    revenue: np.ndarray,
    opex: np.ndarray,
    capex_by_class: dict[int, np.ndarray],
    noi: np.ndarray,
    placed_by_class: dict[int, np.ndarray],
    terminal_value: np.ndarray,
) -> ProjectCashFlows:
    """The finance engine on strategy rows (taxes, the lease-aware terminal value ``(...,)``
    per row, taxed on the sale) under the scenario."""
    shape = np.broadcast_shapes(
        revenue.shape, opex.shape, noi.shape, (*np.shape(terminal_value), 1),
        *(v.shape for v in capex_by_class.values()),
        *(v.shape for v in placed_by_class.values()),
    )  # fmt: skip
    return project_cash_flows(
        revenue_usd=np.broadcast_to(revenue, shape),
        opex_usd=opex,
        capex_by_class_usd=capex_by_class,
        discount_rate_per_year=s.discount_rate_per_year,
        tax=s.tax,
        terminal=s.terminal,
        noi_usd=noi,
        placed_in_service_by_class_usd=placed_by_class,
        terminal_value_usd=np.maximum(0.0, terminal_value),
    )


def evaluate_ends(
    model: SiteModel,
    *,
    lease_rate_usd_per_kw_month: np.ndarray | float,
    capex_scale: np.ndarray | float = 1.0,
    blocks: tuple[dict[str, np.ndarray], ...] | None = None,
) -> np.ndarray:
    """NPVs (USD) of keep mining, convert and the DR partnership, ``(..., 3)``, built from
    whole-site sums (no per-hall rows).

    ``lease_rate_usd_per_kw_month`` and ``capex_scale`` are scalars or ``(K,)``; ``blocks`` from
    :func:`mining_blocks` (base market when None) carry ``(n,)`` or ``(K, n)``. The same
    formulas as :func:`evaluate`'s rows 0, H and H + 1, summed over halls first.
    """
    s = model.scenario
    n = model.n_months
    unit, dr = mining_blocks(model) if blocks is None else blocks
    tot = _site_totals(model)
    prof = mining_profiles(model)
    keep_mw = float(model.mining_mw_by_hall.sum())
    w = prof.convert_weight_mw

    def keep_site(key: str) -> np.ndarray:  # every hall on profile 0
        return unit[key][..., 0, :] * keep_mw

    def convert_site(key: str) -> np.ndarray:  # each hall on its own profile
        return np.einsum("...pn,p->...n", unit[key], w)

    rate = np.asarray(lease_rate_usd_per_kw_month, dtype=float)[..., None]
    k = np.asarray(capex_scale, dtype=float)[..., None]
    rent = tot["rent_unit"] * rate
    landlord = rent * model.landlord_per_rent + tot["landlord_capex"] * k + tot["landlord_fixed"]
    zero = np.zeros(n)

    def rows(keep: np.ndarray, convert: np.ndarray, dr_row: np.ndarray) -> np.ndarray:
        shape = np.broadcast_shapes(np.shape(keep), np.shape(convert), np.shape(dr_row))
        return np.stack([np.broadcast_to(x, shape) for x in (keep, convert, dr_row)], axis=-2)

    keep_capex, conv_capex = keep_site("capex"), convert_site("capex")
    revenue = rows(keep_site("revenue"), convert_site("revenue") + rent, dr["revenue"])
    opex = rows(keep_site("opex"), convert_site("opex") + landlord, dr["opex"])
    capex_by_class = {
        MINING_CAPEX_CLASS: rows(
            keep_capex, conv_capex + tot[f"retrofit_{MINING_CAPEX_CLASS}"] * k, dr["capex"]
        )
    }
    placed_by_class = {
        MINING_CAPEX_CLASS: rows(
            keep_capex, conv_capex + tot[f"placed_{MINING_CAPEX_CLASS}"] * k, dr["capex"]
        )
    }
    for c in (15, 39):
        capex_by_class[c] = rows(zero, tot[f"retrofit_{c}"] * k, zero)
        placed_by_class[c] = rows(zero, tot[f"placed_{c}"] * k, zero)
    noi = rows(zero, rent - landlord, zero)
    # Terminal values: the fleets still running at the horizon (mining rows; converted halls
    # stopped mining at their construction start) and the converted halls' leases.
    cv = unit["continuation_value"]
    tv_convert = hall_terminal_values_usd(model, rate[..., 0], k[..., 0]).sum(axis=-1)
    terminal_value = np.stack(
        np.broadcast_arrays(cv[..., 0] * keep_mw, tv_convert + cv @ w, dr["continuation_value"]),
        axis=-1,
    )
    flows = _project_flows(s, revenue, opex, capex_by_class, noi, placed_by_class, terminal_value)
    return np.asarray(npv(monthly_rate(s.discount_rate_per_year), flows.levered_fcf_usd))


def evaluate(
    model: SiteModel,
    *,
    lease_scale: np.ndarray | float = 1.0,
    capex_scale: np.ndarray | float = 1.0,
    hashprice_usd_per_ph_day: np.ndarray | None = None,
    contract: PowerContract | None = None,
    prices: np.ndarray | None = None,
    full: bool = False,
    ends_only: bool = False,
) -> dict[str, np.ndarray]:
    """Cash flows of every hybrid row and the DR row, batched over drivers.

    ``lease_scale`` multiplies the scenario lease rate and ``capex_scale`` the retrofit capex,
    each shaped ``(K,)`` or scalar; ``hashprice_usd_per_ph_day`` is ``(n_months,)`` or
    ``(K, n_months)``. Returns ``npv_usd`` shaped ``(K, H + 2)`` (or ``(H + 2,)`` unbatched) and,
    with ``full``, the finance engine's arrays ``(..., H + 2, n_months)`` plus the pre-tax
    components ``rent_usd``, ``landlord_usd``, ``retrofit_capex_usd``, ``mining_net_usd``.
    ``ends_only`` keeps rows keep mining, convert, DR only: ``npv_usd`` is then ``(K, 3)``.
    """
    if full and ends_only:
        raise StrategyError("full=True and ends_only=True is not allowed: choose one")
    s = model.scenario
    n, h = model.n_months, model.n_halls
    blocks = mining_blocks(model, hashprice_usd_per_ph_day, contract=contract, prices=prices)
    if ends_only:
        lease_usd = s.lease_rate_usd_per_kw_month * np.asarray(lease_scale, dtype=float)
        return {
            "npv_usd": evaluate_ends(
                model, lease_rate_usd_per_kw_month=lease_usd, capex_scale=capex_scale,
                blocks=blocks,
            )
        }  # fmt: skip
    lease = np.asarray(lease_scale, dtype=float)[..., None, None]
    capex_k = np.asarray(capex_scale, dtype=float)[..., None, None]
    unit, dr = blocks
    prof = mining_profiles(model)
    mw = model.mining_mw_by_hall[:, None]
    # Per hall (..., H, n): kept on profile 0, converted on its own profile.
    kept_idx = np.zeros(h, dtype=int)
    mined_keep = {k: unit[k][..., kept_idx, :] * mw for k in ("revenue", "opex", "capex")}
    mined_conv = {k: unit[k][..., prof.hall_profile, :] * mw for k in ("revenue", "opex", "capex")}

    rate = s.lease_rate_usd_per_kw_month
    rent = model.rent_unit_usd * rate * lease  # (..., H, n)
    landlord = (
        rent * model.landlord_per_rent
        + model.landlord_capex_usd * capex_k
        + model.landlord_fixed_usd
    )
    retro = {c: v * capex_k for c, v in model.retrofit_capex_usd.items()}
    placed = {c: v * capex_k for c, v in model.retrofit_placed_in_service_usd.items()}

    def hybrid_rows(keep: np.ndarray, change: np.ndarray) -> np.ndarray:
        # Row k: all halls kept plus the change of converting halls 1..k.
        total = keep.sum(axis=-2, keepdims=True)
        zero = np.zeros_like(total)
        steps = np.cumsum(change, axis=-2)
        return np.concatenate([zero, steps], axis=-2) + total  # (..., H + 1, n)

    rows: dict[str, np.ndarray] = {}
    for key in ("revenue", "opex", "capex"):
        keep, conv = mined_keep[key], mined_conv[key]
        rows[key] = hybrid_rows(keep, conv - keep)
    zeros_h = np.zeros(np.broadcast_shapes(rent.shape, landlord.shape))
    rent_rows = hybrid_rows(zeros_h, np.broadcast_to(rent, zeros_h.shape))
    landlord_rows = hybrid_rows(zeros_h, np.broadcast_to(landlord, zeros_h.shape))

    def class_rows(by_class: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
        return {
            c: hybrid_rows(
                np.zeros(np.broadcast_shapes(v.shape, (h, n))),
                np.broadcast_to(v, np.broadcast_shapes(v.shape, (h, n))),
            )
            for c, v in by_class.items()
        }

    retro_rows = class_rows(retro)
    placed_rows = class_rows(placed)
    # Row k's terminal value: the leases of halls 1..k, plus the fleets still running at the
    # horizon (halls k+1..H kept; a converted hall's fleet only if it starts building past the
    # horizon); the DR row its own fleet's.
    hall_tv = hall_terminal_values_usd(
        model, rate * np.asarray(lease_scale, dtype=float), np.asarray(capex_scale, dtype=float)
    )  # (..., H)
    cv = unit["continuation_value"]  # (..., P) per MW
    cv_keep = cv[..., kept_idx] * model.mining_mw_by_hall
    cv_conv = cv[..., prof.hall_profile] * model.mining_mw_by_hall
    cv_rows = cv_keep.sum(axis=-1, keepdims=True) + np.concatenate(
        [np.zeros((*cv.shape[:-1], 1)), np.cumsum(cv_conv - cv_keep, axis=-1)], axis=-1
    )  # (..., H + 1)
    lease_rows = np.concatenate(
        [np.zeros((*hall_tv.shape[:-1], 1)), np.cumsum(hall_tv, axis=-1)], axis=-1
    )
    hybrid_tv, dr_tv = np.broadcast_arrays(
        lease_rows + cv_rows, dr["continuation_value"][..., None]
    )
    tv_rows = np.concatenate([hybrid_tv, dr_tv[..., :1]], axis=-1)  # (..., H + 2)

    def with_dr(x: np.ndarray, dr_row: np.ndarray | float) -> np.ndarray:
        shape = np.broadcast_shapes(x.shape[:-2], np.shape(dr_row)[:-1] if np.ndim(dr_row) else ())
        xb = np.broadcast_to(x, (*shape, *x.shape[-2:]))
        d = np.broadcast_to(dr_row, (*shape, n))[..., None, :]
        return np.concatenate([xb, d], axis=-2)

    revenue = with_dr(rows["revenue"] + rent_rows, dr["revenue"])
    opex = with_dr(rows["opex"] + landlord_rows, dr["opex"])
    capex_by_class = {
        MINING_CAPEX_CLASS: with_dr(rows["capex"] + retro_rows[MINING_CAPEX_CLASS], dr["capex"])
    }
    placed_by_class = {
        MINING_CAPEX_CLASS: with_dr(rows["capex"] + placed_rows[MINING_CAPEX_CLASS], dr["capex"])
    }
    for c in (15, 39):
        capex_by_class[c] = with_dr(retro_rows[c], np.zeros(n))
        placed_by_class[c] = with_dr(placed_rows[c], np.zeros(n))
    noi = with_dr(rent_rows - landlord_rows, np.zeros(n))
    flows = _project_flows(s, revenue, opex, capex_by_class, noi, placed_by_class, tv_rows)
    out: dict[str, np.ndarray] = {
        "npv_usd": np.asarray(npv(monthly_rate(s.discount_rate_per_year), flows.levered_fcf_usd))
    }
    if full:
        out.update(flows.as_dict())
        shape = flows.levered_fcf_usd.shape
        out["rent_usd"] = np.broadcast_to(with_dr(rent_rows, np.zeros(n)), shape)
        out["landlord_usd"] = np.broadcast_to(with_dr(landlord_rows, np.zeros(n)), shape)
        retro_total = np.asarray(sum(retro_rows.values()))
        out["retrofit_capex_usd"] = np.broadcast_to(with_dr(retro_total, np.zeros(n)), shape)
        mining_net = with_dr(rows["revenue"] - rows["opex"] - rows["capex"],
                             dr["revenue"] - dr["opex"] - dr["capex"])  # fmt: skip
        out["mining_net_usd"] = np.broadcast_to(mining_net, shape)
    return out


def row_index(model: SiteModel, key: str, halls_converted: int | None = None) -> int:
    """Row of ``key`` in :func:`evaluate`'s ``(H + 2)`` axis (hybrid: ``halls_converted``)."""
    if key == "keep_mining":
        return 0
    if key == "convert":
        return model.n_halls
    if key == "mining_with_dr":
        return model.n_halls + 1
    if key == "hybrid":
        if halls_converted is None or not 0 <= halls_converted <= model.n_halls:
            raise StrategyError(
                f"halls_converted={halls_converted!r} is not allowed: 0..{model.n_halls} halls"
            )
        return halls_converted
    raise StrategyError(f"strategy={key!r} is not allowed: one of {STRATEGY_KEYS}")
