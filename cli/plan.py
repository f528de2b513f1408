"""``hashpivot plan``: which sites to convert and in which year, under an equity budget and a cap
on the critical IT MW tenants will take a year.

hashpivot plan SITES.csv|xlsx [--site ID ...] [--scenario NAME|FILE] [--budget-per-year USD]
               [--budget-total USD] [--mw-cap-per-year MW] [--loan-to-cost SHARE] [--json]
hashpivot plan --store [URL] ...

Amounts take a suffix k, M or B (``--budget-per-year 750M``). Values by start year are the
deterministic ones (``valuation.conversion_plan``); the plan is exact (``valuation.portfolio``).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import sys
from collections.abc import Iterator

from cli.common import (
    INVALID_INPUT,
    OK,
    CliInputError,
    Progress,
    add_site_source,
    bad_values,
    collecting,
    listed_if_bad,
    print_json,
    read_sites,
    resolve_scenario,
    safe,
    stored_price_histories,
    with_problems,
)

MAX_AMOUNT_USD = 1e13  # far above any company's capex budget ($10 trillion)
MAX_MW = 1e6
_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9}
_AMOUNT = re.compile(
    r"^\s*\$?\s*([0-9][0-9_,]*(?:\.[0-9]*)?(?:e[+-]?[0-9]+)?)\s*([kmb]?)\s*$", re.I
)


def _amount(option: str, upper: float, unit: str):  # noqa: ANN202 - an argparse type
    @listed_if_bad
    def parse(text: str) -> float:
        m = _AMOUNT.match(text)
        value = (
            float(m.group(1).replace(",", "").replace("_", "")) * _SUFFIX[m.group(2).lower()]
            if m
            else math.nan
        )
        if not (math.isfinite(value) and 0 <= value <= upper):
            raise argparse.ArgumentTypeError(
                f"{option} {safe(text)!r}: allowed a number of {unit} from 0 to {upper:,.0f}"
                + (" (suffix k, M or B allowed)" if unit == "USD" else "")
            )
        return value

    return parse


@listed_if_bad
def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 <= value < 1):
        raise argparse.ArgumentTypeError(
            f"--loan-to-cost {safe(text)!r}: allowed a share in [0, 1) (0.8 = 80%)"
        )
    return value


PLAN_OPTIONS = ("budget_per_year", "budget_total", "mw_cap_per_year", "loan_to_cost")


def add_budget_options(p: argparse.ArgumentParser, *, loan_to_cost_default: float | None) -> None:
    """The plan's budget options (``hashpivot plan`` and ``hashpivot value --plan``), each bound
    by its type (a bad value is an input problem naming the option, listed with the others by
    ``cli.common.bad_values``): ``--budget-per-year``, ``--budget-total``, ``--mw-cap-per-year``,
    ``--loan-to-cost``."""
    from valuation.portfolio import DEFAULT_LOAN_TO_COST

    p.add_argument("--budget-per-year", type=_amount("--budget-per-year", MAX_AMOUNT_USD, "USD"),
                   metavar="USD", help="equity budget each funding year (e.g. 750M)")  # fmt: skip
    p.add_argument("--budget-total", type=_amount("--budget-total", MAX_AMOUNT_USD, "USD"),
                   metavar="USD", help="equity budget over the whole plan (e.g. 3B)")  # fmt: skip
    p.add_argument("--mw-cap-per-year", type=_amount("--mw-cap-per-year", MAX_MW, "MW"),
                   metavar="MW", help="critical IT MW tenants take a year (leases started)")  # fmt: skip
    p.add_argument("--loan-to-cost", type=_share, default=loan_to_cost_default, metavar="SHARE",
                   help=f"project debt share of capex (default {DEFAULT_LOAN_TO_COST}: Galaxy "
                   "Helios' 80%% loan-to-cost, 2025)")  # fmt: skip


def register(subparsers: argparse._SubParsersAction) -> None:
    from valuation.portfolio import DEFAULT_LOAN_TO_COST

    p = subparsers.add_parser(
        "plan",
        help="which sites to convert and when, under a budget and an MW cap",
        description="Plan the portfolio's conversions: each site's start year maximising the "
        "value of converting, with equity (capex less project debt) within a budget per year "
        "and/or in total and the critical IT MW started each year within a cap. Prints the "
        "timeline, the funding curve by year and what another $100M of budget is worth.",
    )
    add_site_source(p)
    p.add_argument("--scenario", metavar="NAME|FILE",
                   help="a scenario saved in the store (by name) or a .json file; default: base")  # fmt: skip
    add_budget_options(p, loan_to_cost_default=DEFAULT_LOAN_TO_COST)
    p.add_argument("--json", action="store_true", help="print the plan as JSON on stdout")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")  # fmt: skip
    p.set_defaults(run=run)


@contextlib.contextmanager
def _quiet_solver() -> Iterator[None]:
    """The solver's library prints progress lines on the process's stdout: send them to the
    null device while it runs, so ``--json`` stays one JSON document."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's capture)
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def make_plan(
    sites: list,
    scenario,
    *,
    budget_per_year: float | None,  # noqa: ANN001, ANN201
    budget_total: float | None,
    mw_cap_per_year: float | None,
    loan_to_cost: float,
    progress: Progress,
    price_histories: dict | None = None,
):
    """The plan ``hashpivot plan`` makes (also ``hashpivot value --plan``): each site's starts
    valued, on its stored price history when ``price_histories`` has one (a site that cannot be
    is listed in ``problems``; the plan goes on without it), then the plan solved. Returns
    ``(ConversionPlan, StartTable, problems)``."""
    from models import ModelsError
    from sites.errors import SitesError
    from valuation.conversion_plan import plan_portfolio, site_starts, start_table
    from valuation.errors import ValuationError

    starts, kept, problems = [], [], []
    histories = price_histories or {}
    for i, site in enumerate(sites):  # one valuation per site, each failure named
        progress(i, len(sites), site)
        try:
            starts.append(site_starts(site, scenario, price_history=histories.get(site.id)))
            kept.append(site)
        except (ValuationError, ModelsError, SitesError) as exc:  # listed; the plan goes on
            problems.append(f"site {site.id!r} ({site.name}): not valued: {exc}")
    progress(len(sites), len(sites), "")
    if not kept:
        raise CliInputError(problems or ["no site to plan"])
    table = start_table(kept, scenario, starts=starts)
    progress.note("Solving the plan…")
    with _quiet_solver():
        result = plan_portfolio(
            table,
            equity_budget_usd_per_year=budget_per_year,
            equity_budget_usd_total=budget_total,
            mw_cap_per_year=mw_cap_per_year,
            loan_to_cost=loan_to_cost,
            first_year=scenario.market.as_of.year,
        )
    return result, table, problems


def plan_payload(
    result,
    table,
    *,
    name: str,
    scenario,
    inputs: dict,  # noqa: ANN001
    problems: list[str],
) -> dict:
    """What ``hashpivot plan --json`` prints (without ``ok``)."""
    plan = result.plan
    return {
        "scenario": {"name": name, "market_as_of": scenario.market.as_of},
        "inputs": {**inputs, "values": table.source},
        "value_usd": plan.value_usd,
        "optimal": plan.optimal,
        "mip_gap": plan.mip_gap,
        "shadow_value_usd": plan.shadow_value_usd,
        "budget_increment_usd": plan.budget_increment_usd,
        "shadow_sentence": result.shadow_sentence,
        "timeline": result.timeline.to_dict(orient="records"),
        "funding": result.funding.to_dict(orient="records"),
        "not_converted": [s for s in table.site_ids if s not in set(result.timeline["site_id"])],
        "not_valued": problems,
    }


def plan_inputs(args: argparse.Namespace) -> dict:
    """The budget options as given (``inputs`` of the JSON; ``values`` is added from the table)."""
    return {"budget_per_year_usd": args.budget_per_year, "budget_total_usd": args.budget_total,
            "mw_cap_per_year": args.mw_cap_per_year, "loan_to_cost": args.loan_to_cost}  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from valuation.formatting import distance_to_best, usd

    problems = bad_values(args)  # every input problem at once: numbers, sites, scenario
    sites = collecting(problems, lambda: read_sites(args))
    scenario, name = with_problems(problems, lambda: resolve_scenario(args.scenario, args.store))
    assert sites is not None  # with_problems raised otherwise
    progress = Progress("Valuing starts", args.progress)
    result, table, problems = make_plan(
        sites, scenario, budget_per_year=args.budget_per_year, budget_total=args.budget_total,
        mw_cap_per_year=args.mw_cap_per_year, loan_to_cost=args.loan_to_cost, progress=progress,
        price_histories=stored_price_histories(args, sites),
    )  # fmt: skip
    plan = result.plan
    funding = result.funding
    if args.json:
        print_json({"ok": not problems, **plan_payload(result, table, name=name, scenario=scenario,
                                                       inputs=plan_inputs(args),
                                                       problems=problems)})  # fmt: skip
    else:
        state = "optimal" if plan.optimal else f"best found, {distance_to_best(plan.mip_gap)}"
        print(f"Scenario {safe(name)} (market as of {scenario.market.as_of}): "
              f"{len(result.timeline)} of {len(table.site_ids)} sites convert; plan value "
              f"{usd(plan.value_usd)} over the best paths that do not convert ({state}).")  # fmt: skip
        for r in result.timeline.itertuples():
            print(f"- {r.calendar_year}: {safe(r.name)} ({safe(r.site_id)}), "
                  f"{r.critical_it_mw:,.0f} MW IT, value {usd(r.value_usd)}, "
                  f"capex {usd(r.capex_usd)}, equity {usd(r.equity_usd)}")  # fmt: skip
        print("Funding by year (capex / equity):")
        for f in funding[funding["capex_usd"] > 0].itertuples():
            print(f"  {f.calendar_year}: {usd(f.capex_usd)} / {usd(f.equity_usd)}")
        print(result.shadow_sentence)
    for p in problems:
        print(f"hashpivot plan: {safe(p)}", file=sys.stderr)
    return OK if not problems else INVALID_INPUT
