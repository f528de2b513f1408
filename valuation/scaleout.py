"""Run a per-(site, block range) Monte Carlo valuation locally or on a Dask cluster.

The unit of work is one site and one chunk of whole path blocks (``valuation.drivers``): the
task draws the chunk's driver paths, calls ``value_fn(site, paths)`` for the ``(paths,
strategies)`` NPVs in USD, and reduces them to one :class:`BlockSummary` per block of
``BLOCK_SIZE_PATHS`` paths (count, exactly rounded sums with ``math.fsum``, strategy-beats-
strategy counts). Results are combined block by block in block order with ``math.fsum`` (exactly
rounded, so independent of how blocks were grouped), and the portfolio's per-path NPV is the sum
over sites in the order given. So the same seed gives the same numbers, bit for bit, whatever the
chunk size, the worker count, or whether Dask ran it.

Locally (``client=None``, the default) this is a plain loop over chunks and sites; nothing imports
Dask. Given a ``dask.distributed.Client`` (or a scheduler address such as
``"tcp://10.0.0.5:8786"``, which opens and closes its own client) the site-by-chunk tasks run on
the cluster; per chunk a reduce task sums the sites' NPVs there, and only the block summaries come
back (plus every path's NPVs when ``keep_paths=True``, needed for exact percentiles).
``dask.distributed`` is the optional extra ``hashpivot[scale]``.

``value_fn`` must value each path from that path's drivers alone (no statistics across paths),
be deterministic, and be importable on the workers (a module-level function).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from valuation import risk_stats
from valuation.drivers import (
    BLOCK_SIZE_PATHS,
    BasePaths,
    DriverPaths,
    RiskDrivers,
    block_ranges,
    generate_blocks,
)
from valuation.errors import ValuationError
from valuation.threads import map_in_threads

__all__ = [
    "BlockSummary",
    "PortfolioRisk",
    "RiskSummary",
    "ScaleoutError",
    "run_portfolio",
    "summarize_blocks",
    "ValueFn",
]

ValueFn = Callable[[Any, DriverPaths], np.ndarray]


class ScaleoutError(ValuationError, ValueError):
    """Bad input to the scale-out runner: names the argument, the value and what is allowed."""


@dataclass(frozen=True)
class BlockSummary:
    """One block's sufficient statistics per strategy: count, sum and sum of squares (USD,
    exactly rounded), and ``beats[i, j]`` = paths where strategy i's NPV exceeds strategy j's."""

    block: int
    n: int
    sum_usd: tuple[float, ...]
    sum_sq_usd2: tuple[float, ...]
    beats: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class RiskSummary:
    """Combined statistics over all paths of one site (or the portfolio), per strategy.

    ``beats_probability[i, j]``: share of paths where strategy i beats strategy j strictly.
    ``npv_usd`` (``(paths, strategies)``) only when the run kept paths; percentiles and expected
    shortfall then come from it exactly.
    """

    n_paths: int
    mean_usd: np.ndarray
    se_usd: np.ndarray
    beats_probability: np.ndarray
    npv_usd: np.ndarray | None = None

    def percentiles(self, q: Sequence[float] = (0.10, 0.50, 0.90)) -> np.ndarray:
        """``(len(q), strategies)`` percentiles; needs ``keep_paths=True``."""
        return risk_stats.percentiles(self._kept(), q)

    def expected_shortfall(self, alpha: float = 0.05) -> np.ndarray:
        """Per-strategy mean of the worst ``alpha`` share of paths; needs ``keep_paths=True``."""
        return np.asarray(risk_stats.expected_shortfall(self._kept(), alpha))

    def _kept(self) -> np.ndarray:
        if self.npv_usd is None:
            raise ScaleoutError(
                "npv_usd was not kept; allowed: run with keep_paths=True for percentiles"
            )
        return self.npv_usd


@dataclass(frozen=True)
class PortfolioRisk:
    """Per-site summaries (in the order the sites were given) and the portfolio's."""

    sites: tuple[RiskSummary, ...]
    portfolio: RiskSummary


def summarize_blocks(values: np.ndarray, first_block: int) -> list[BlockSummary]:
    """Block summaries of ``(paths, strategies)`` NPVs whose first path starts ``first_block``."""
    v = np.asarray(values, dtype=float)
    if v.ndim != 2 or not np.all(np.isfinite(v)):
        raise ScaleoutError(
            f"values have shape {v.shape}; allowed: finite (paths, strategies) NPVs in USD"
        )
    cols = np.ascontiguousarray(v.T)
    out: list[BlockSummary] = []
    for start in range(0, v.shape[0], BLOCK_SIZE_PATHS):  # loop over blocks: fsum per block
        block = cols[:, start : start + BLOCK_SIZE_PATHS]
        beats = (block[:, None, :] > block[None, :, :]).sum(axis=2)
        out.append(
            BlockSummary(
                block=first_block + start // BLOCK_SIZE_PATHS,
                n=int(block.shape[1]),
                sum_usd=tuple(math.fsum(row) for row in block),
                sum_sq_usd2=tuple(math.fsum(row) for row in block * block),
                beats=tuple(tuple(int(c) for c in r) for r in beats),
            )
        )
    return out


def _combine(blocks: Sequence[BlockSummary], npv: np.ndarray | None) -> RiskSummary:
    ordered = sorted(blocks, key=lambda b: b.block)
    n = sum(b.n for b in ordered)
    k = len(ordered[0].sum_usd)
    s1 = np.array([math.fsum(b.sum_usd[j] for b in ordered) for j in range(k)])
    s2 = np.array([math.fsum(b.sum_sq_usd2[j] for b in ordered) for j in range(k)])
    beats = np.sum([np.array(b.beats) for b in ordered], axis=0)
    mean = s1 / n
    if n > 1:
        var = np.maximum(s2 - s1 * s1 / n, 0.0) / (n - 1)
        se = np.sqrt(var / n)
    else:
        se = np.full(k, np.nan)
    return RiskSummary(
        n_paths=n, mean_usd=mean, se_usd=se, beats_probability=beats / n, npv_usd=npv
    )


# --- tasks (module level so Dask can ship them) ---------------------------------------------


def _site_chunk(
    value_fn: ValueFn,
    site: Any,
    base: BasePaths,
    drivers: RiskDrivers,
    seed: int,
    first_block: int,
    last_block: int,
    n_paths: int,
) -> np.ndarray:
    paths = generate_blocks(base, drivers, seed, first_block, last_block)
    stop = min(paths.n_paths, n_paths - paths.first_path)
    paths = paths.take(0, stop)
    values = np.asarray(value_fn(site, paths), dtype=float)
    if values.ndim != 2 or values.shape[0] != paths.n_paths:
        raise ScaleoutError(
            f"value_fn returned shape {values.shape}; allowed: ({paths.n_paths} paths, strategies)"
        )
    return values


def _summaries(values: np.ndarray, first_block: int) -> list[BlockSummary]:
    return summarize_blocks(values, first_block)


def _portfolio_values(*site_values: np.ndarray) -> np.ndarray:
    total = np.array(site_values[0], dtype=float, copy=True)
    for v in site_values[1:]:  # site order, fixed
        total = total + v
    return total


# --- runner ----------------------------------------------------------------------------------


def run_portfolio(
    value_fn: ValueFn,
    sites: Sequence[Any],
    base: BasePaths | Sequence[BasePaths],
    drivers: RiskDrivers | Sequence[RiskDrivers],
    *,
    seed: int,
    n_paths: int,
    blocks_per_chunk: int = 4,
    client: Any = None,
    keep_paths: bool = False,
) -> PortfolioRisk:
    """Value every site on the same ``n_paths`` driver paths; summaries per site and in total.

    Paths are drawn in chunks of ``blocks_per_chunk`` blocks (:func:`valuation.drivers.generate_blocks`),
    each site valued on each chunk and only block summaries kept, so memory stays bounded; the
    numbers do not depend on the chunk size or the worker count.

    Parameters
    ----------
    value_fn : callable
        ``value_fn(site, paths) -> (paths, strategies)`` NPVs in USD; every site must return the
        same strategy columns (the portfolio adds them).
    sites : sequence
        What ``value_fn`` takes, one per site.
    base : BasePaths or sequence of BasePaths
        One for all sites or one per site (same months).
    drivers : RiskDrivers or sequence of RiskDrivers
        One for all sites or one per site (the same seed and blocks, so per-site drivers share
        every draw: e.g. a per-site signing probability applied to one common uniform per path).
    seed : int
        Whole number >= 0.
    n_paths : int
        Paths per site (the same paths for every site).
    blocks_per_chunk : int, default 4
        Blocks of ``BLOCK_SIZE_PATHS`` paths per task.
    client : dask.distributed.Client or str, optional
        None runs locally; a client or a scheduler address runs on Dask.
    keep_paths : bool, default False
        Keep each path's NPVs (for exact percentiles).

    Returns
    -------
    PortfolioRisk
        ``sites`` (one RiskSummary per site, in order) and ``portfolio``: ``n_paths``,
        ``mean_usd`` and ``se_usd`` per strategy (USD), ``beats_probability``.

    Examples
    --------
    A toy value function: strategy 0 is worth the site's scale times the final BTC price, strategy
    1 a fixed $1M:

    >>> import numpy as np
    >>> from valuation.drivers import BasePaths, RiskDrivers
    >>> from valuation.scaleout import run_portfolio
    >>> def value_fn(scale, paths):
    ...     btc_final_usd = paths.btc_price_usd[:, -1] * scale
    ...     return np.stack([btc_final_usd, np.full(paths.n_paths, 1e6)], axis=1)
    >>> risk = run_portfolio(value_fn, [1.0, 2.0], BasePaths.from_market(n_months=24),
    ...                      RiskDrivers(), seed=7, n_paths=2048)
    >>> risk.portfolio.n_paths, (risk.portfolio.mean_usd / 1e3).round(1)
    (2048, array([ 310.7, 2000. ]))
    >>> risk.portfolio.beats_probability.round(3)
    array([[0.   , 0.001],
           [0.999, 0.   ]])
    """
    sites = list(sites)
    if not sites:
        raise ScaleoutError("sites is empty; allowed: one or more sites")
    bases = [base] * len(sites) if isinstance(base, BasePaths) else list(base)
    if len(bases) != len(sites) or not all(isinstance(b, BasePaths) for b in bases):
        raise ScaleoutError(
            f"base has {len(bases)} entries for {len(sites)} sites; allowed: one BasePaths or one per site"
        )
    drivers = [drivers] * len(sites) if isinstance(drivers, RiskDrivers) else list(drivers)
    if len(drivers) != len(sites) or not all(isinstance(d, RiskDrivers) for d in drivers):
        raise ScaleoutError(
            f"drivers has {len(drivers)} entries for {len(sites)} sites; allowed: one RiskDrivers"
            " or one per site"
        )
    chunks = block_ranges(n_paths, blocks_per_chunk)
    if client is None:
        return _run_local(value_fn, sites, bases, drivers, seed, n_paths, chunks, keep_paths)
    if isinstance(client, str):
        from distributed import Client  # lazy: only the scale extra needs it

        with Client(client) as owned:
            return _run_dask(
                owned, value_fn, sites, bases, drivers, seed, n_paths, chunks, keep_paths
            )
    return _run_dask(client, value_fn, sites, bases, drivers, seed, n_paths, chunks, keep_paths)


def _assemble(
    site_blocks: list[list[BlockSummary]],
    portfolio_blocks: list[BlockSummary],
    site_values: list[list[np.ndarray]] | None,
    portfolio_values: list[np.ndarray] | None,
) -> PortfolioRisk:
    sites = tuple(
        _combine(blocks, None if site_values is None else np.concatenate(site_values[i]))
        for i, blocks in enumerate(site_blocks)
    )
    port = _combine(
        portfolio_blocks, None if portfolio_values is None else np.concatenate(portfolio_values)
    )
    return PortfolioRisk(sites=sites, portfolio=port)


def _run_local(value_fn, sites, bases, drivers, seed, n_paths, chunks, keep_paths):  # noqa: ANN001, ANN202
    site_blocks: list[list[BlockSummary]] = [[] for _ in sites]
    site_values: list[list[np.ndarray]] = [[] for _ in sites]
    port_blocks: list[BlockSummary] = []
    port_values: list[np.ndarray] = []
    tasks = [(first, last, site, b, d) for first, last in chunks
             for site, b, d in zip(sites, bases, drivers, strict=True)]  # fmt: skip

    def task_values(task: tuple) -> np.ndarray:
        first, last, site, b, d = task
        return _site_chunk(value_fn, site, b, d, seed, first, last, n_paths)

    results = map_in_threads(task_values, tasks)
    for first, _last in chunks:
        values = [next(results) for _ in sites]
        for i, v in enumerate(values):
            site_blocks[i].extend(_summaries(v, first))
            if keep_paths:
                site_values[i].append(v)
        total = _portfolio_values(*values)
        port_blocks.extend(_summaries(total, first))
        if keep_paths:
            port_values.append(total)
    return _assemble(
        site_blocks,
        port_blocks,
        site_values if keep_paths else None,
        port_values if keep_paths else None,
    )


def _run_dask(client, value_fn, sites, bases, drivers, seed, n_paths, chunks, keep_paths):  # noqa: ANN001, ANN202
    site_sum_f: list[list[Any]] = [[] for _ in sites]
    site_val_f: list[list[Any]] = [[] for _ in sites]
    port_sum_f: list[Any] = []
    port_val_f: list[Any] = []
    for first, last in chunks:
        vals = [
            client.submit(_site_chunk, value_fn, site, b, d, seed, first, last, n_paths, pure=False)
            for site, b, d in zip(sites, bases, drivers, strict=True)
        ]
        for i, f in enumerate(vals):
            site_sum_f[i].append(client.submit(_summaries, f, first, pure=False))
            if keep_paths:
                site_val_f[i].append(f)
        total = client.submit(_portfolio_values, *vals, pure=False)
        port_sum_f.append(client.submit(_summaries, total, first, pure=False))
        if keep_paths:
            port_val_f.append(total)
    site_blocks = [[b for part in client.gather(fs) for b in part] for fs in site_sum_f]
    port_blocks = [b for part in client.gather(port_sum_f) for b in part]
    site_values = [client.gather(fs) for fs in site_val_f] if keep_paths else None
    port_values = client.gather(port_val_f) if keep_paths else None
    return _assemble(site_blocks, port_blocks, site_values, port_values)
