"""Monte Carlo risk of a site's strategies: every strategy of ``compare`` on the same driver paths.

``simulate(site, scenario, n_paths=, seed=)`` draws correlated driver paths
(``valuation.drivers``) and values the rows ``compare`` chose (keep mining, the DR partnership,
the sale, convert, the best hybrid hall count and the best mine-then-convert start; every path
keeps those decisions: choosing them path by path is the option-to-wait work's, not hindsight)
through the one named-strategy evaluator ``valuation.strategies.evaluate``. Per path:

* hashprice ``(K, n)``: the drivers' path (BTC, fees, network hashrate with its lagged response
  and the equilibrium floor; ``valuation.drivers.as_hashprice_path``);
* power: the region's price-duration curve ``(n, points)`` times the path's power price level
  ``(K, n)`` for contracts priced on the curve (index plus adder: the price paid; fixed PPA: the
  resale value of curtailed energy). A utility tariff has no curve: its flat price does not move
  (an assumption: a regulated tariff does not follow the wholesale level);
* lease rate ``(K,)``: the site's rate (``SiteModel.lease_rate_usd_per_kw_month``) times the
  path's lease-rate scale at the convert row's signing month (the plan's lease-up: signing at
  ``max(lease_up_months, months_to_power)``; every row takes that path's rate);
* capex ``(K,)``: the path's capex scale (log-normal overrun) on every retrofit cost;
* tenant signing: one uniform per path against the site's signing probability (the one
  ``compare`` uses, from the scenario and the site's readiness, unless ``signing_probability``
  is given). A path where no tenant signs values every converting row as keep mining; a path
  where one signs takes the rows' ``npv_signed_usd``, at the plan's lease-up (the signing MONTH
  is not drawn per path). In a portfolio every site reads the same uniform: a strong tenant
  market signs every site whose odds clear it (an assumption: one common tenant market);
* construction delay: the path's delay (whole months) is rounded to the nearest of
  :data:`DELAY_GRID_MONTHS` and the path is valued with the site model built with
  ``construction_delay_months`` increased by it (the halls' ready-for-service months, rent and
  placed-in-service later; spend spread over the longer build; mining stops at the same
  construction start);
* tenant default: in expectation, through ``TenantCredit``: the drivers' yearly default
  probability is combined with the scenario's (``1 - (1 - p_scenario)(1 - p_drivers)``) and the
  rent is the expected collection with the scenario's recovery and backstop shares. The drawn
  default month is not used (default risk moves every signed path's value, not its spread).

With every volatility, extra drift and risk at zero (``RiskDrivers.deterministic()``) and a
signing probability of 0 or 1, every path equals ``compare``'s NPV of every strategy.

Seeding and chunks: paths come in fixed blocks of ``BLOCK_SIZE_PATHS`` (one SeedSequence child
each, ``valuation.drivers``), a chunk is whole blocks, and the evaluator runs on fixed slices of
each block (the slice size depends only on the model), so path ``i``'s numbers do not depend on
the chunk size, the worker count or whether Dask ran it. ``simulate_portfolio`` runs through
``valuation.scaleout.run_portfolio`` (locally, or on a ``dask.distributed`` client).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from valuation import risk_stats
from valuation.drivers import (
    BLOCK_SIZE_PATHS,
    PRESETS,
    BasePaths,
    DriverPaths,
    RiskDrivers,
    block_ranges,
    generate_blocks,
)
from valuation.errors import ValuationError
from valuation.power import PriceSeries, ScaledPricePoints
from valuation.scenario import Scenario
from valuation.stories import Stories, path_features, stories
from valuation.strategies import (
    NOT_CONVERTING,
    STRATEGY_ORDER,
    MiningRows,
    SiteModel,
    build_site_model,
    evaluate,
    mining_blocks,
    on_rows,
)
from valuation.threads import map_in_threads

if TYPE_CHECKING:
    from sites.schema import Site

__all__ = [
    "DELAY_GRID_MONTHS",
    "EVAL_SLICE_PATHS",
    "RiskError",
    "SiteRisk",
    "PortfolioRiskResult",
    "PreparedSite",
    "MAX_CHUNK_PATHS",
    "MAX_PATHS",
    "SLICE_BYTES",
    "SUMMARY_KEYS",
    "prepare",
    "site_drivers",
    "simulate",
    "simulate_portfolio",
    "value_paths",
]

# Delay buckets (months): a path's drawn delay is rounded to the nearest (ties to the shorter).
# Few buckets keep the models built per site few; an assumption of the method (a 10-month delay
# is valued as 12).
DELAY_GRID_MONTHS: tuple[int, ...] = (0, 3, 6, 12, 24, 36)
# Bytes one mining slice may give each (paths, profiles, months) temporary of the mining model
# (it holds a few at once; the price points are never multiplied out per path,
# ``valuation.power.ScaledPricePoints``): bounds memory whatever the chunk size.
SLICE_BYTES = 48_000_000
# Paths per evaluator call (the finance engine's (paths, rows, months) arrays: ~100 kB a row).
EVAL_SLICE_PATHS = 128
MAX_PATHS = 1_000_000  # per call; the kept (paths, columns) matrix stays under ~100 MB
MAX_CHUNK_PATHS = 16 * BLOCK_SIZE_PATHS  # ~280 MB of driver paths at 180 months
SUMMARY_KEYS: tuple[str, ...] = (*STRATEGY_ORDER, "best_converting", "best_not_converting")


class RiskError(ValuationError, ValueError):
    """Bad input to the risk simulation: names the argument, the value and what is allowed."""


@dataclass(frozen=True)
class PreparedSite:
    """One site ready to value on driver paths (what a Dask task ships): the sub-models of the
    rows ``compare`` chose, one per delay bucket, and how rows map to strategies.

    ``models[j]`` is the chosen-rows model with ``DELAY_GRID_MONTHS[j]`` more months of delay;
    ``row_of`` each strategy's row in those models; ``start_rows`` the rows of every
    mine-then-convert start (convert now, each later start, never) when asked, else empty;
    ``start_month`` their decision months (0 = now, -1 = never).
    """

    site_id: str
    models: tuple[SiteModel, ...]
    row_of: Mapping[str, int]
    converting_rows: tuple[int, ...]  # the rows that convert among the converting strategies'
    start_rows: np.ndarray
    start_month: np.ndarray
    signing_probability: float
    signing_month: int
    deterministic_npv_usd: Mapping[str, float]
    slice_paths: int
    with_extras: bool
    base: BasePaths

    @property
    def model(self) -> SiteModel:
        return self.models[0]


def _chosen_rows(model: SiteModel, npv_usd: np.ndarray) -> tuple[dict[str, int], dict[str, int]]:
    """Each strategy's best row under the base case's row NPVs ``npv_usd`` (``compare``'s own
    ranking), and each converting strategy's best row among the rows that convert
    (mine-then-convert's "never" is keep mining): what "converting wins" compares."""
    from valuation.decision import _Ranking

    rank = _Ranking.of(model, npv_usd)
    return rank.row_of, rank.converting_row_of


def prepare(
    site: Site,
    scenario: Scenario | None = None,
    drivers: RiskDrivers | None = None,
    *,
    start_rows: bool = False,
    signing_probability: float | None = None,
    extras: bool = False,
    price_history: PriceSeries | None = None,
) -> PreparedSite:
    """Build the site's models for ``simulate`` (validated as ``compare`` does), on the site's
    ``price_history`` in the months it covers as ``compare`` uses one (the power driver scales
    that curve as it scales the region's); ``extras``: ``value_paths`` also returns the start
    rows and the story features."""
    from models import estimate_retrofit
    from sites.schema import Site as SiteType
    from sites.validation import check_site

    if not isinstance(site, SiteType):
        raise RiskError(f"site={type(site).__name__} is not allowed: a sites.schema.Site")
    scenario = scenario or Scenario()
    drivers = drivers or PRESETS["base"]
    check_site(site, today=scenario.market.as_of)
    retrofit = estimate_retrofit(site, as_of=scenario.market.as_of)
    credit = scenario.tenant_credit
    p_default = 1.0 - (1.0 - credit.default_probability_per_year) * (
        1.0 - drivers.tenant_default_probability_per_year
    )
    risk_scenario = replace(
        scenario, tenant_credit=replace(credit, default_probability_per_year=p_default)
    )
    full = build_site_model(site, scenario, retrofit, price_history=price_history)
    det = evaluate(full).npv_usd
    row_of, converting_row_of = _chosen_rows(full, det)  # the deterministic base case's decisions
    deterministic = {k: float(det[r]) for k, r in row_of.items()}
    plan = full.plan
    mtc = plan.groups["mine_then_convert"]
    rows = {plan.keep_row, plan.dr_row, plan.sale_row, *row_of.values(),
            *converting_row_of.values()}  # fmt: skip
    if start_rows:
        rows |= {int(r) for r in mtc}
    rows_sorted = np.array(sorted(rows))
    pos = {int(r): i for i, r in enumerate(rows_sorted)}
    delays = DELAY_GRID_MONTHS if drivers.delay_probability > 0 else (0,)
    models = []
    for d in delays:
        s_d = replace(
            risk_scenario,
            construction_delay_months=scenario.construction_delay_months + d,
        )
        m_d = (
            full
            if (d == 0 and s_d == scenario)
            else build_site_model(site, s_d, retrofit, price_history=price_history)
        )
        models.append(on_rows(m_d, rows_sorted))
        # Every bucket's rows mine on the base bucket's profiles (the delay moves the halls'
        # ready-for-service, not the construction start that ends mining), so one mining call
        # per path serves them all.
        for name, got, want in (
            ("mining_weight_mw", models[-1].plan.mining_weight_mw, models[0].plan.mining_weight_mw),
            ("end_month", models[-1].profiles.end_month, models[0].profiles.end_month),
        ):
            if not np.array_equal(got, want):
                raise RiskError(
                    f"site {site.id!r}: the model with {d} more months of delay mines on other "
                    f"profiles ({name} differs); allowed: the same mining in every delay bucket"
                )
    p = full.signing_probability if signing_probability is None else float(signing_probability)
    if not (math.isfinite(p) and 0.0 <= p <= 1.0):
        raise RiskError(f"signing_probability={signing_probability!r}: a probability in [0, 1]")
    month = int(min(max(scenario.lease_up_months, full.months_to_power), full.n_months - 1))
    detail = np.where(plan.detail[mtc] < 0, -1, plan.detail[mtc])
    detail[0] = 0  # the convert row: start now
    sub = models[0]
    per_path = 8 * sub.profiles.end_month.size * full.n_months
    slice_paths = 1 << max(0, min(10, int(math.log2(max(1, SLICE_BYTES // per_path)))))
    return PreparedSite(
        site_id=site.id,
        models=tuple(models),
        row_of={k: pos[r] for k, r in row_of.items()},
        converting_rows=tuple(sorted({pos[r] for r in converting_row_of.values()})),
        start_rows=np.array([pos[int(r)] for r in mtc]) if start_rows else np.zeros(0, int),
        start_month=detail if start_rows else np.zeros(0, int),
        signing_probability=p,
        signing_month=month,
        deterministic_npv_usd=deterministic,
        slice_paths=slice_paths,
        with_extras=extras,
        base=BasePaths.from_market(scenario.market, scenario.horizon_months),
    )


def site_drivers(prepared: PreparedSite, drivers: RiskDrivers) -> RiskDrivers:
    """The drivers a site's paths are drawn with: its own signing probability, the plan's
    lease-up (signing month and default hazard are drawn but the values use the plan's)."""
    return replace(
        drivers,
        signing_probability=prepared.signing_probability,
        lease_up_months=0,
        lease_up_spread_months=0,
    )


def _blocks(model: SiteModel, hp: np.ndarray, power_scale: np.ndarray) -> MiningRows:
    """``mining_blocks`` on driver paths, summed onto the model's rows: hashprice ``(K, n)``
    and the power level ``(K, n)`` scaling the region curve for contracts priced on it (module
    docstring)."""
    curve = model.prices_usd_per_mwh  # (n, points), ascending
    prices = ScaledPricePoints(curve, power_scale) if curve.shape[-1] else None
    return cast(MiningRows, mining_blocks(model, hp, prices=prices, per_row=True))


def _take(blocks: MiningRows, idx: np.ndarray) -> MiningRows:
    unit, dr = blocks
    return MiningRows({k: v[idx] for k, v in unit.items()}, {k: v[idx] for k, v in dr.items()})


def _value_block(prep: PreparedSite, paths: DriverPaths) -> np.ndarray:
    """``(K, R)`` row NPVs of the chosen-rows model on ``paths`` (at most one block; each
    path's own drivers): mining on slices of ``prep.slice_paths`` paths (memory), summed onto
    the rows, then the evaluator per delay bucket on slices of ``EVAL_SLICE_PATHS`` paths."""
    base = prep.models[0]
    parts = []
    for start in range(0, paths.n_paths, prep.slice_paths):
        stop = min(start + prep.slice_paths, paths.n_paths)
        parts.append(_blocks(base, paths.hashprice_usd_per_ph_day[start:stop],
                             paths.power_price_scale[start:stop]))  # fmt: skip
    if len(parts) == 1:
        unit, dr = parts[0]
    else:
        unit = {k: np.concatenate([p[0][k] for p in parts]) for k in parts[0][0]}
        dr = {k: np.concatenate([p[1][k] for p in parts]) for k in parts[0][1]}
    del parts
    rate = base.lease_rate_usd_per_kw_month * paths.lease_rate_scale[:, prep.signing_month]
    grid = np.asarray(DELAY_GRID_MONTHS[: len(prep.models)])
    bucket = np.abs(paths.delay_months[:, None] - grid[None, :]).argmin(axis=1)
    out = np.empty((paths.n_paths, base.plan.n_rows))
    for j in np.unique(bucket):  # a loop over the few delay buckets
        in_bucket = np.flatnonzero(bucket == j)
        # The evaluator on slices of the bucket's paths: its (paths, rows, months) arrays stay
        # small (memory bounded whatever the number of rows, e.g. every start row).
        for first in range(0, in_bucket.size, EVAL_SLICE_PATHS):
            idx = in_bucket[first : first + EVAL_SLICE_PATHS]
            got = evaluate(
                prep.models[j],
                lease_rate_usd_per_kw_month=rate[idx],
                capex_scale=paths.capex_scale[idx],
                blocks=_take(MiningRows(unit, dr), idx),
                # the blocks are the paths' mining; this prices the fleet sold with the site
                hashprice_usd_per_ph_day=paths.hashprice_usd_per_ph_day[idx],
            )
            out[idx] = got.npv_signed_usd
    signed = paths.signing_month >= 0
    plan = base.plan
    keep = out[:, plan.keep_row]
    return np.where(signed[:, None] | ~plan.signed[None, :], out, keep[:, None])


def value_paths(prep: PreparedSite, paths: DriverPaths) -> np.ndarray:
    """``(K, C)`` per path: the six strategies (``STRATEGY_ORDER``), the best converting and the
    best non-converting strategy's NPV, then (``with_rows``) every mine-then-convert start row
    and the four story features (``valuation.stories.FEATURES``); USD but the features.

    Module-level so Dask can ship it; ``paths`` is a chunk of whole blocks (the last one possibly
    cut), valued block by block, so no number depends on the chunk size."""
    parts = []
    for start in range(0, paths.n_paths, BLOCK_SIZE_PATHS):
        part = paths.take(start, min(start + BLOCK_SIZE_PATHS, paths.n_paths))
        parts.append(_value_block(prep, part))
    rows = np.concatenate(parts)
    strat = np.stack([rows[:, prep.row_of[k]] for k in STRATEGY_ORDER], axis=1)
    conv = rows[:, list(prep.converting_rows)].max(axis=1)
    non = strat[:, [STRATEGY_ORDER.index(k) for k in NOT_CONVERTING]].max(axis=1)
    cols = [strat, conv[:, None], non[:, None]]
    if prep.with_extras:
        cols.append(rows[:, prep.start_rows])
        cols.append(path_features(paths, prep.base))
    return np.concatenate(cols, axis=1)


@dataclass(frozen=True)
class SiteRisk:
    """One site's Monte Carlo result under one named scenario.

    ``npv_usd``: each strategy key of ``compare`` -> ``(n_paths,)`` NPVs (USD) on the decisions
    ``compare`` made; ``deterministic_npv_usd`` compare's own. ``row_npv_usd`` ``(n_paths, M)``:
    every mine-then-convert start row (``row_detail``: decision month, 0 = convert now, -1 =
    never), when simulated with ``start_rows=True`` (else ``(n_paths, 0)``). ``features``
    ``(n_paths, 4)``: the story features of each path (``valuation.stories``).
    """

    site_id: str
    scenario_name: str
    n_paths: int
    seed: int
    drivers: RiskDrivers
    npv_usd: dict[str, np.ndarray]
    best_converting_usd: np.ndarray
    best_not_converting_usd: np.ndarray
    row_npv_usd: np.ndarray
    row_detail: np.ndarray
    features: np.ndarray
    deterministic_npv_usd: dict[str, float]
    signing_probability: float

    def summary(self, alpha: float = 0.05) -> pd.DataFrame:
        """Per strategy: mean, its standard error, P10, P50, P90, expected shortfall (USD)."""
        return risk_stats.summarize(self.npv_usd, alpha)

    def probability_converting_wins(self) -> tuple[float, float]:
        """``(p, se)``: share of paths where the best converting strategy beats the best one
        that does not convert (strictly), and its standard error."""
        p, se = risk_stats.probability_beats(self.best_converting_usd, self.best_not_converting_usd)
        return float(p), float(se)

    def report_table(self) -> pd.DataFrame:
        """The summary with the scenario, paths and seed on every row, and the probability that
        converting wins, for an export (``reports.ReportSection(title, table)``)."""
        table = self.summary().reset_index()
        p, se = self.probability_converting_wins()
        table.insert(0, "scenario", self.scenario_name)
        table.insert(1, "site_id", self.site_id)
        table["deterministic_npv_usd"] = [self.deterministic_npv_usd[k] for k in table.strategy]
        table["p_converting_wins"] = p
        table["p_converting_wins_se"] = se
        table["n_paths"] = self.n_paths
        table["seed"] = self.seed
        # The headline columns lead (a memo page shows the first eight): each strategy's mean and
        # percentiles and the probability that converting wins, then the rest.
        lead = ["scenario", "site_id", "strategy", "mean_usd", "p10_usd", "p50_usd", "p90_usd",
                "p_converting_wins", "p_converting_wins_se"]  # fmt: skip
        return table[lead + [c for c in table.columns if c not in lead]]

    def stories(self, n_stories: int = 4, seed: int = 0) -> Stories:
        """Representative scenarios: k-means on the paths' features, each strategy's mean NPV."""
        m = np.stack([self.npv_usd[k] for k in STRATEGY_ORDER], axis=1)
        return stories(self.features, m, STRATEGY_ORDER, n_stories=n_stories, seed=seed)


def _check_run(n_paths: object, seed: object, chunk_paths: object) -> int:
    for name, v, lo in (
        ("n_paths", n_paths, 1),
        ("seed", seed, 0),
        ("chunk_paths", chunk_paths, 1),
    ):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < lo:
            raise RiskError(f"{name}={v!r} is not allowed: a whole number >= {lo}")
    if int(n_paths) > MAX_PATHS:  # type: ignore[call-overload]
        raise RiskError(f"n_paths={n_paths!r} is not allowed: at most {MAX_PATHS:,} (more: Dask)")
    if int(chunk_paths) > MAX_CHUNK_PATHS:  # type: ignore[call-overload]
        raise RiskError(
            f"chunk_paths={chunk_paths!r} is not allowed: at most {MAX_CHUNK_PATHS:,} (a chunk's "
            "driver paths take ~17 kB a path)"
        )
    return max(1, -(-int(chunk_paths) // BLOCK_SIZE_PATHS))  # type: ignore[call-overload]


def _resolve(
    scenario: Scenario | Any | None, drivers: RiskDrivers | None
) -> tuple[Scenario, RiskDrivers, str]:
    """Scenario, drivers and name from a Scenario, a saved preset (``valuation.risk_presets.
    NamedRisk``) or None (the base scenario with the base preset)."""
    name = "base"
    preset_drivers = PRESETS["base"]
    if scenario is None:
        scen = Scenario()
    elif isinstance(scenario, Scenario):
        scen = scenario
        name = "custom" if scenario != Scenario() else "base"
    elif hasattr(scenario, "scenario") and hasattr(scenario, "drivers"):
        scen, preset_drivers, name = scenario.scenario, scenario.drivers, scenario.name
    else:
        raise RiskError(
            f"scenario={type(scenario).__name__} is not allowed: a Scenario, a NamedRisk preset "
            "(valuation.risk_presets) or None"
        )
    return scen, drivers or preset_drivers, name


def simulate(
    site: Site,
    scenario: Scenario | Any | None = None,
    *,
    n_paths: int,
    seed: int,
    drivers: RiskDrivers | None = None,
    chunk_paths: int = BLOCK_SIZE_PATHS,
    client: Any = None,
    start_rows: bool = False,
    signing_probability: float | None = None,
    scenario_name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    price_history: PriceSeries | None = None,
) -> SiteRisk:
    """Monte Carlo NPVs of every strategy of ``compare`` for ``site`` (module docstring).

    ``scenario``: a ``Scenario`` (drivers default to the base preset), a saved preset
    (``valuation.risk_presets.NamedRisk``: its scenario and drivers) or None (base).
    ``drivers`` replaces the preset's. ``chunk_paths`` (rounded up to whole blocks of
    ``BLOCK_SIZE_PATHS``) bounds memory; it changes no number. ``client``: a
    ``dask.distributed.Client`` or scheduler address runs the chunks on Dask (same numbers).
    ``start_rows``: also every mine-then-convert start row per path (``row_npv_usd``).
    ``signing_probability``: None uses the site's (as ``compare``). ``progress(done, total)``
    is called after each chunk (local runs). ``price_history``: the site's own prices in the
    months they cover (as ``compare``).
    """
    blocks_per_chunk = _check_run(n_paths, seed, chunk_paths)
    scen, drv, name = _resolve(scenario, drivers)
    name = scenario_name or name
    prep = prepare(site, scen, drv, start_rows=start_rows, signing_probability=signing_probability,
                   extras=True, price_history=price_history)  # fmt: skip
    base = prep.base
    d_site = site_drivers(prep, drv)
    n = int(n_paths)
    if client is None:
        chunks = block_ranges(n, blocks_per_chunk)

        def chunk_values(chunk: tuple[int, int]) -> np.ndarray:
            paths = generate_blocks(base, d_site, int(seed), *chunk)
            return value_paths(prep, paths.take(0, min(paths.n_paths, n - paths.first_path)))

        parts = []
        for i, values in enumerate(map_in_threads(chunk_values, chunks)):
            parts.append(values)
            if progress is not None:
                progress(i + 1, len(chunks))
        matrix = np.concatenate(parts)
    else:
        from valuation.scaleout import run_portfolio

        res = run_portfolio(value_paths, [prep], base, d_site, seed=int(seed), n_paths=n,
                            blocks_per_chunk=blocks_per_chunk, client=client,
                            keep_paths=True)  # fmt: skip
        assert res.sites[0].npv_usd is not None
        matrix = res.sites[0].npv_usd
    k = len(STRATEGY_ORDER)
    m_rows = prep.start_rows.size
    return SiteRisk(
        site_id=site.id,
        scenario_name=name,
        n_paths=n,
        seed=int(seed),
        drivers=drv,
        npv_usd={key: matrix[:, i].copy() for i, key in enumerate(STRATEGY_ORDER)},
        best_converting_usd=matrix[:, k].copy(),
        best_not_converting_usd=matrix[:, k + 1].copy(),
        row_npv_usd=matrix[:, k + 2 : k + 2 + m_rows].copy(),
        row_detail=prep.start_month.copy(),
        features=matrix[:, k + 2 + m_rows :].copy(),
        deterministic_npv_usd=dict(prep.deterministic_npv_usd),
        signing_probability=prep.signing_probability,
    )


@dataclass(frozen=True)
class PortfolioRiskResult:
    """Per-site and portfolio summaries over the same paths (``valuation.scaleout``).

    ``table`` has one row per site and one for the portfolio (``site_id`` "portfolio"): per
    strategy the mean NPV and its standard error, and the probability (with its standard error)
    that the best converting path beats the best path that does not convert."""

    scenario_name: str
    n_paths: int
    seed: int
    site_ids: tuple[str, ...]
    risk: Any  # valuation.scaleout.PortfolioRisk
    table: pd.DataFrame

    def report_table(self) -> pd.DataFrame:
        """``table`` with the scenario first and the paths and seed on every row, for an export
        (``reports.ReportSection(title, table)``), as :meth:`SiteRisk.report_table`. The
        headline columns lead (a memo page shows the first eight): the best converting and best
        non-converting means and the probability converting wins, then every strategy's."""
        lead = ["site_id", "best_converting_mean_usd", "best_converting_se_usd",
                "best_not_converting_mean_usd", "best_not_converting_se_usd",
                "p_converting_wins", "p_converting_wins_se"]  # fmt: skip
        table = self.table[lead + [c for c in self.table.columns if c not in lead]].copy()
        table.insert(0, "scenario", self.scenario_name)
        table["n_paths"] = self.n_paths
        table["seed"] = self.seed
        return table


def simulate_portfolio(
    sites: Sequence[Site],
    scenario: Scenario | Any | None = None,
    *,
    n_paths: int,
    seed: int,
    drivers: RiskDrivers | None = None,
    chunk_paths: int = 4 * BLOCK_SIZE_PATHS,
    client: Any = None,
    keep_paths: bool = False,
    scenario_name: str | None = None,
    price_histories: Mapping[str, PriceSeries] | None = None,
) -> PortfolioRiskResult:
    """Every site on the same paths (common BTC, hashrate, power level, lease market, and one
    tenant-market uniform per path); summaries per site and for the portfolio (per path, the sum
    over sites of each strategy, of each site's best converting and best non-converting NPV).
    ``client``: None local, or a ``dask.distributed.Client`` / scheduler address.
    ``price_histories``: each site's own prices by site id (as ``compare_portfolio``)."""
    from valuation.scaleout import run_portfolio

    blocks_per_chunk = _check_run(n_paths, seed, chunk_paths)
    sites = list(sites)
    if not sites:
        raise RiskError("sites is empty; allowed: one or more sites")
    scen, drv, name = _resolve(scenario, drivers)
    name = scenario_name or name
    histories = price_histories or {}
    preps = [prepare(s, scen, drv, price_history=histories.get(s.id)) for s in sites]
    res = run_portfolio(value_paths, preps, [p.base for p in preps], [site_drivers(p, drv) for p in preps],
                        seed=int(seed), n_paths=int(n_paths), blocks_per_chunk=blocks_per_chunk,
                        client=client, keep_paths=keep_paths)  # fmt: skip
    k = len(STRATEGY_ORDER)
    rows = []
    for sid, summ in (*zip((p.site_id for p in preps), res.sites, strict=True),
                      ("portfolio", res.portfolio)):  # fmt: skip
        row: dict[str, object] = {"site_id": sid}
        for i, key in enumerate(SUMMARY_KEYS):
            row[f"{key}_mean_usd"] = float(summ.mean_usd[i])
            row[f"{key}_se_usd"] = float(summ.se_usd[i])
        p = float(summ.beats_probability[k, k + 1])
        row["p_converting_wins"] = p
        row["p_converting_wins_se"] = math.sqrt(p * (1 - p) / summ.n_paths)
        rows.append(row)
    return PortfolioRiskResult(
        scenario_name=name,
        n_paths=int(n_paths),
        seed=int(seed),
        site_ids=tuple(p.site_id for p in preps),
        risk=res,
        table=pd.DataFrame(rows),
    )
