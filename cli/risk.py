"""``hashpivot risk``: Monte Carlo NPVs of every strategy, for one site or a portfolio.

hashpivot risk SITES.csv|xlsx [--site ID ...] [--paths N] [--seed S] [--scenario bear|base|bull|
               NAME|FILE] [--scheduler tcp://HOST:8786] [--wait] [--json]
hashpivot risk --store [URL] ...

One site: per strategy mean, standard error, P10 / P50 / P90 and expected shortfall at 5%, and the
probability that converting beats not converting; ``--wait`` adds the option to wait on the
same scenario, drivers, paths and seed (``valuation.wait_option.site_wait_option``, run here:
its value over converting now, the decision in words, the share converted by each year).
Several sites: the portfolio run on the same paths (``valuation.risk.simulate_portfolio``), per
site and in total. ``--scheduler`` runs the
chunks on a Dask cluster (``pip install -e ".[scale]"``); the numbers equal the local run's.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from cli.common import (
    MAX_SEED,
    OK,
    BadValue,
    CliInputError,
    Progress,
    add_site_source,
    bad_values,
    collecting,
    open_store,
    print_json,
    read_scenario_file,
    read_sites,
    safe,
    stored_price_histories,
    whole_number,
    with_problems,
)

T = TypeVar("T")
MAX_PATHS = 1_000_000  # a million paths of one site is hours on one machine: use --scheduler


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "risk",
        help="Monte Carlo risk of every strategy (one site or a portfolio)",
        description="Value every strategy on correlated Monte Carlo paths (BTC, hashrate, fees, "
        "power, lease, signing, delay, capex) and print the NPV distribution per strategy and "
        "the probability that converting wins.",
    )
    add_site_source(p)
    p.add_argument("--paths", type=whole_number("--paths", 1, MAX_PATHS), default=2000,
                   metavar="N", help=f"Monte Carlo paths (1 to {MAX_PATHS:,}; default 2000)")  # fmt: skip
    p.add_argument("--seed", type=whole_number("--seed", 0, MAX_SEED), default=0, metavar="S",
                   help="random seed (>= 0)")  # fmt: skip
    p.add_argument("--scenario", metavar="PRESET|NAME|FILE", default="base",
                   help="bear, base or bull (the drivers' presets on the base scenario), a "
                   "scenario saved in the store, or a .json file; default: base")  # fmt: skip
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="a Dask scheduler address (tcp://HOST:8786): run the chunks there")  # fmt: skip
    p.add_argument("--start-rows", action="store_true",
                   help="also every mine-then-convert start row (one site only)")  # fmt: skip
    p.add_argument("--wait", action="store_true",
                   help="also the option to wait: convert now or later (one site; runs "
                   "here, not on --scheduler)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")  # fmt: skip
    p.set_defaults(run=run)


def _named_risk(spec: str, store_url: str | None):  # noqa: ANN202 - valuation.risk_presets.NamedRisk
    from sites.errors import ScenarioNotFoundError
    from valuation.drivers import PRESETS
    from valuation.risk_presets import NamedRisk, PresetError, named_risk_from_saved, preset

    if spec in PRESETS:
        return preset(spec)
    path = Path(spec)
    if spec.lower().endswith(".json") or path.is_file():
        return NamedRisk(path.stem, read_scenario_file(path), PRESETS["base"])
    store = open_store(store_url)
    try:
        data = store.load_scenario(spec)
    except ScenarioNotFoundError:
        names = store.list_scenarios()
        raise CliInputError([
            f"--scenario {safe(spec)!r}: not bear, base or bull, and no scenario of that name in "
            f"{safe(store.path_or_url)}; saved: {', '.join(safe(n) for n in names) or 'none'}"
        ]) from None  # fmt: skip
    try:
        return named_risk_from_saved(spec, data)
    except (PresetError, ValueError) as exc:
        raise CliInputError([f"scenario {safe(spec)!r} as saved: {safe(exc)}"]) from None


def _stats_json(summary) -> dict:  # noqa: ANN001 - pandas DataFrame
    return {str(k): {c: float(v) for c, v in row.items()} for k, row in summary.iterrows()}


def simulate_sites(
    sites: list,
    named,
    *,
    n_paths: int,
    seed: int,
    client=None,  # noqa: ANN001
    start_rows: bool = False,
    progress: Progress | None = None,
    price_histories: dict | None = None,
):  # noqa: ANN201
    """The run ``hashpivot risk`` makes (also ``hashpivot value --risk-paths``): one site,
    ``valuation.risk.simulate`` (a ``SiteRisk``, chunk progress on ``progress``); several, the
    portfolio on the same paths, ``simulate_portfolio`` (a ``PortfolioRiskResult``); each site
    on its stored price history when ``price_histories`` has one."""
    histories = price_histories or {}
    from valuation.risk import simulate, simulate_portfolio

    if len(sites) == 1:
        (site,) = sites
        draw = None if client or progress is None else (lambda d, t: progress(d, t, site))
        return simulate(site, named, n_paths=n_paths, seed=seed, client=client,
                        start_rows=start_rows, progress=draw,
                        price_history=histories.get(site.id))  # fmt: skip
    if progress is not None:
        progress.note(f"Simulating {len(sites)} sites on the same {n_paths:,} paths…")
    return simulate_portfolio(sites, named, n_paths=n_paths, seed=seed, client=client,
                              price_histories=histories)  # fmt: skip


def risk_payload(result, named, *, start_rows: bool = False) -> dict:  # noqa: ANN001
    """What ``hashpivot risk --json`` prints (without ``ok``) for ``simulate_sites``' result."""
    head = {"name": named.name, "market_as_of": named.scenario.market.as_of}
    site_id = getattr(result, "site_id", None)
    if site_id is None:
        return {"scenario": head, "n_paths": result.n_paths, "seed": result.seed,
                "sites": result.table.to_dict(orient="records")}  # fmt: skip
    p, se = result.probability_converting_wins()
    out = {"scenario": head, "n_paths": result.n_paths, "seed": result.seed, "site_id": site_id,
           "strategies": _stats_json(result.summary()),
           "deterministic_npv_usd": result.deterministic_npv_usd,
           "p_converting_wins": p, "p_converting_wins_se": se}  # fmt: skip
    if start_rows:
        out["start_rows"] = {
            "decision_month": result.row_detail.tolist(),
            "mean_npv_usd": result.row_npv_usd.mean(axis=0).tolist(),
        }
    return out


def wait_problems(n_paths: int | BadValue, n_sites: int, *, paths_flag: str) -> list[str]:
    """What stops ``--wait`` (one site, 2 to ``valuation.wait_option.MAX_PATHS`` paths), each
    by name: listed with the command's other input problems before any Monte Carlo runs (a
    paths value already out of its own bounds is listed by ``bad_values``, not again here)."""
    from valuation.wait_option import MAX_PATHS as WAIT_MAX_PATHS

    problems = []
    if n_sites != 1:
        problems.append(f"--wait: give one site (--site ID); {n_sites} given")
    if isinstance(n_paths, int) and not 2 <= n_paths <= WAIT_MAX_PATHS:
        problems.append(f"{paths_flag} {n_paths}: with --wait allowed 2 to {WAIT_MAX_PATHS:,}")
    return problems


def wait_option(  # noqa: ANN201
    site,  # noqa: ANN001
    named,  # noqa: ANN001
    *,
    n_paths: int,
    seed: int,
    progress: Progress,
    price_history=None,  # noqa: ANN001
):
    """The option to wait ``--wait`` adds: ``site_wait_option`` on the run's scenario, drivers,
    paths and seed, and the site's stored price history (a
    ``valuation.wait_option.WaitReport``)."""
    from valuation.wait_option import site_wait_option

    progress.note(f"Valuing the option to wait on {n_paths:,} paths…")
    return site_wait_option(site, named.scenario, drivers=named.drivers, n_paths=n_paths,
                            seed=seed, price_history=price_history)  # fmt: skip


def wait_payload(report) -> dict:  # noqa: ANN001 - valuation.wait_option.WaitReport
    """The option to wait as ``hashpivot risk --wait --json`` prints it (USD at month 0)."""
    return {
        "policy": report.policy,
        "decision": report.decision(),
        "fitted_rule": report.fitted_rule,
        "rule_agreement_share": report.rule_agreement_share,
        "value_usd": report.value_usd,
        "std_error_usd": report.std_error_usd,
        "convert_now_usd": report.convert_now_usd,
        "never_convert_usd": report.never_convert_usd,
        "option_to_wait_usd": report.option_to_wait_usd,
        "option_to_wait_std_error_usd": report.option_to_wait_std_error_usd,
        "converted_by_year": report.converted_by_year.tolist(),
    }


def wait_text(report) -> str:  # noqa: ANN001 - valuation.wait_option.WaitReport
    """The option to wait in words: its figures as the risk page and the pack name them, the
    shares converted, the decision and the paths' approximations."""
    from reports.sections import WAIT_LABELS, wait_decision_note
    from valuation.formatting import usd

    figures = "; ".join(
        f"{label} {usd(getattr(report, field))}" for field, label in WAIT_LABELS.items()
    )
    return (
        f"Option to wait ({report.n_paths:,} paths): {figures}. Converted: "
        f"{report.converted_text()}.\n{wait_decision_note(report)}"
    )


def on_scheduler(address: str | None, run_sites: Callable[[], T]) -> T:
    """``run_sites()``; with ``--scheduler``, an address Dask refuses or cannot reach (ValueError,
    OSError) is an input error naming ``--scheduler`` with the address's password masked (Dask
    quotes the address as given)."""
    from sites.errors import SitesError
    from sites.redact import mask_credentials, url_secrets
    from valuation.errors import ValuationError

    if not address:
        return run_sites()
    try:
        return run_sites()
    except (ValuationError, SitesError):
        raise  # the valuation's own errors, here or on a worker: not the address's fault
    except (ValueError, OSError) as exc:
        secrets = url_secrets(address)
        shown = safe(mask_credentials(address, secrets))
        raise CliInputError([f"--scheduler {shown!r}: cannot run there "
                             f"({safe(mask_credentials(exc, secrets))}); allowed: a reachable "
                             "Dask scheduler address such as tcp://HOST:8786"]) from None  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from valuation.formatting import usd

    # Every problem of the command line at once: the numbers, the sites, the scenario.
    problems = bad_values(args)
    sites = collecting(problems, lambda: read_sites(args))
    if sites is not None and args.start_rows and len(sites) != 1:
        problems.append("--start-rows: give one site (--site ID)")
    if sites is not None and args.wait:
        problems += wait_problems(args.paths, len(sites), paths_flag="--paths")
    named = with_problems(problems, lambda: _named_risk(args.scenario, args.store))
    assert sites is not None  # with_problems raised otherwise
    client = args.scheduler or None
    progress = Progress("Simulating", args.progress)
    histories = stored_price_histories(args, sites)
    result = on_scheduler(client, lambda: simulate_sites(
        sites, named, n_paths=args.paths, seed=args.seed, client=client,
        start_rows=args.start_rows, progress=progress, price_histories=histories))  # fmt: skip
    wait = None
    if args.wait:
        wait = wait_option(sites[0], named, n_paths=args.paths, seed=args.seed, progress=progress,
                           price_history=histories.get(sites[0].id))  # fmt: skip
    if args.json:
        payload = risk_payload(result, named, start_rows=args.start_rows)
        if wait is not None:
            payload["option_to_wait"] = wait_payload(wait)
        print_json({"ok": True, **payload})
        return OK
    if len(sites) == 1:
        (site,) = sites
        r = result
        summary = r.summary()
        p, se = r.probability_converting_wins()
        print(f"Scenario {safe(named.name)} (market as of {named.scenario.market.as_of}), "
              f"{safe(site.name)}: {r.n_paths:,} paths, seed {r.seed}")  # fmt: skip
        print(f"{'strategy':<20}{'mean':>14}{'± se':>12}{'P10':>14}{'P50':>14}{'P90':>14}"
              f"{'ES 5%':>14}")  # fmt: skip
        for key, row in summary.iterrows():
            print(f"{key!s:<20}{usd(row['mean_usd']):>14}{usd(row['se_usd']):>12}"
                  f"{usd(row['p10_usd']):>14}{usd(row['p50_usd']):>14}{usd(row['p90_usd']):>14}"
                  f"{usd(row['es5_usd']):>14}")  # fmt: skip
        print(f"P(converting beats not converting) = {p:.1%} ± {se:.1%}")
        if wait is not None:
            print(wait_text(wait))
        return OK
    print(f"Scenario {safe(named.name)}: {len(sites)} sites on the same {result.n_paths:,} "
          f"paths, seed {result.seed}")  # fmt: skip
    for _, row in result.table.iterrows():
        print(f"- {safe(row['site_id'])}: best converting {usd(row['best_converting_mean_usd'])}, "
              f"best not converting {usd(row['best_not_converting_mean_usd'])}; "
              f"P(converting wins) {row['p_converting_wins']:.1%}")  # fmt: skip
    return OK
