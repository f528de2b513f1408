"""``hashpivot value``: value sites under a scenario, print the decisions, write the board pack.

hashpivot value SITES.csv|xlsx [--site ID ...] [--scenario NAME|FILE] [--out pack.xlsx]
                [--out pack.pdf] [--risk-paths N [--seed S] [--wait]]
                [--plan [--budget-per-year USD] [--budget-total USD] [--mw-cap-per-year MW]
                [--loan-to-cost SHARE]] [--json]
hashpivot value --store [URL] ...

``--risk-paths`` adds the Monte Carlo run ``hashpivot risk`` makes (``cli.risk.simulate_sites``:
one site alone, several on the same paths) and ``--plan`` the conversion plan ``hashpivot plan``
makes (``cli.plan.make_plan``), both on the sites valued, to the pack as its risk and plan
sections (``reports.sections``, as the app's Board pack page) and to ``--json``; ``--wait``
adds the option to wait of the one site on the run's paths (as ``hashpivot risk --wait``). With
``--risk-paths``, ``--scenario`` also takes the risk presets bear, base and bull (as
``hashpivot risk --scenario``); the sites are valued under the preset's scenario.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.common import (
    INVALID_INPUT,
    MAX_SEED,
    OK,
    BadValue,
    CliInputError,
    Progress,
    UsageError,
    add_site_source,
    bad_values,
    collecting,
    output_file_problem,
    print_json,
    read_sites,
    resolve_scenario,
    safe,
    stored_price_histories,
    whole_number,
    with_problems,
)

OUT_FORMATS = (".xlsx", ".pdf")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "value",
        help="value sites and write the board pack",
        description="Value every site (of a CSV/Excel file or the store) under a scenario; print "
        "each recommendation, or JSON; write the board pack as .xlsx and/or .pdf.",
    )
    add_site_source(p)
    p.add_argument(
        "--scenario",
        metavar="NAME|FILE",
        help="a scenario saved in the store (by name) or a .json file; with --risk-paths also "
        "the risk presets bear, base or bull (as hashpivot risk); default: base",
    )
    p.add_argument(
        "--out",
        action="append",
        default=[],
        metavar="PATH",
        help="write the board pack: .xlsx workbook or .pdf memo (repeat for both)",
    )
    from cli.plan import add_budget_options
    from cli.risk import MAX_PATHS

    extra = p.add_argument_group(
        "risk and plan in the pack",
        "Add the Monte Carlo run of `hashpivot risk` and the plan of `hashpivot plan` (same "
        "options, same numbers) to the pack and to --json, on the sites valued.",
    )
    extra.add_argument("--risk-paths", type=whole_number("--risk-paths", 1, MAX_PATHS), metavar="N",
                       help=f"run the Monte Carlo with N paths (1 to {MAX_PATHS:,}); one site "
                       "alone, several on the same paths")  # fmt: skip
    extra.add_argument("--seed", type=whole_number("--seed", 0, MAX_SEED), metavar="S",
                       help="the Monte Carlo's random seed (with --risk-paths; default 0)")  # fmt: skip
    extra.add_argument("--wait", action="store_true",
                       help="with --risk-paths and one site: the option to wait on the same "
                       "paths (as hashpivot risk --wait)")  # fmt: skip
    extra.add_argument("--plan", action="store_true",
                       help="plan which sites convert and when (budget options below)")  # fmt: skip
    add_budget_options(extra, loan_to_cost_default=None)
    p.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )
    p.set_defaults(run=run)


def _check_outputs(paths: list[str]) -> list[Path]:
    """Every ``--out`` path, each checked writable (``output_file_problem``: an existing folder, a
    missing or read-only folder, a read-only file; all problems listed) before any is written, so
    a bad second target leaves no first file behind."""
    out, problems = [], []
    for raw in paths:
        path = Path(raw)
        problem = output_file_problem(raw, "--out", "a .xlsx or .pdf file path")
        if problem is None and path.suffix.lower() not in OUT_FORMATS:
            problem = f"--out {safe(raw)!r}: allowed a .xlsx workbook or a .pdf memo"
        if problem is not None:
            problems.append(problem)
        out.append(path)
    if problems:
        raise CliInputError(problems)
    return out


def site_json(result) -> dict:  # noqa: ANN001 - reports.SiteResult
    """One site's decision as plain values (what ``--json`` prints per site)."""
    from dataclasses import asdict

    from reports import decision_view as view
    from reports.tables import return_figure

    d, s = result.decision, result.site
    value, basis = return_figure(view.conversion_return(d))
    return {
        "site_id": s.id,
        "name": s.name,
        "operator": s.operator,
        "best_strategy": view.best_key(d),
        "recommendation": d.recommendation,
        "value_of_converting_usd": view.value_of_converting_usd(d),
        "return_on_converting_per_year": value,
        "return_on_converting_basis": basis,
        "strategies": {k: {"label": r.label, **asdict(r.summary)} for k, r in d.strategies.items()},
        # the break-evens alone, and today's value of each one's assumption under the same key
        "breakevens": d.breakevens.values,
        "today": d.breakevens.today,
        "reasons": [{"text": r.text, "impact_usd": r.impact_usd} for r in d.reasons],
    }


def _check_extras(args: argparse.Namespace) -> None:
    """``--seed`` only with ``--risk-paths``, the budget options only with ``--plan``."""
    from cli.plan import PLAN_OPTIONS

    if args.seed is not None and args.risk_paths is None:
        raise UsageError(f"--seed {args.seed}: allowed only with --risk-paths N (the Monte "
                         "Carlo's seed)")  # fmt: skip
    if args.wait and args.risk_paths is None:
        raise UsageError("--wait: allowed only with --risk-paths N (the option's paths)")
    if not args.plan:
        for name in PLAN_OPTIONS:
            value = getattr(args, name)
            if value is not None:
                flag = "--" + name.replace("_", "-")
                if isinstance(value, BadValue):
                    shown = str(value)
                else:
                    shown = f"{value:,.0f}" if value >= 1 else f"{value:g}"
                raise UsageError(f"{flag} {shown}: allowed only with --plan (a plan option)")


def _scenario(args: argparse.Namespace):  # noqa: ANN202
    """``(Scenario, name, NamedRisk or None)``: ``--scenario`` as ``hashpivot value`` reads it,
    or with ``--risk-paths`` as ``hashpivot risk`` does (presets too, with their drivers)."""
    if args.risk_paths is None:
        return (*resolve_scenario(args.scenario, args.store), None)
    from cli.risk import _named_risk

    named = _named_risk(args.scenario or "base", args.store)
    return named.scenario, "base" if args.scenario is None else named.name, named


class _Decisions:
    """``compare`` once per site (a failure kept and raised again), on the site's stored price
    history when it has one: the pack is made twice, once to find the sites that value, then
    with the risk and plan sections run on them."""

    def __init__(self, price_histories: dict | None = None) -> None:
        self._got: dict[str, object] = {}
        self._histories = price_histories or {}

    def __call__(self, site, scenario):  # noqa: ANN001, ANN204
        from valuation.decision import compare

        if site.id not in self._got:
            try:
                self._got[site.id] = compare(
                    site, scenario, price_history=self._histories.get(site.id)
                )
            except ValueError as exc:
                self._got[site.id] = exc
        got = self._got[site.id]
        if isinstance(got, Exception):
            raise got
        return got


def run(args: argparse.Namespace) -> int:
    from cli.plan import make_plan, plan_inputs, plan_payload
    from cli.risk import (
        risk_payload,
        simulate_sites,
        wait_option,
        wait_payload,
        wait_problems,
        wait_text,
    )
    from reports import build_pack, write_pack
    from reports.sections import plan_sections, risk_sections, wait_sections
    from valuation.portfolio import DEFAULT_LOAN_TO_COST
    from valuation.saved_scenario import scenario_changes

    _check_extras(args)
    # Every input problem at once: the numbers, the outputs, the sites, --wait's limits, the
    # scenario.
    problems = bad_values(args)
    outputs = collecting(problems, lambda: _check_outputs(args.out))
    sites = collecting(problems, lambda: read_sites(args))
    if args.wait and sites is not None:
        problems += wait_problems(args.risk_paths, len(sites), paths_flag="--risk-paths")
    scenario, name, named = with_problems(problems, lambda: _scenario(args))
    assert outputs is not None and sites is not None  # with_problems raised otherwise
    seed = 0 if args.seed is None else args.seed
    if args.plan and args.loan_to_cost is None:
        args.loan_to_cost = DEFAULT_LOAN_TO_COST
    progress = Progress("Valuing", args.progress)
    histories = stored_price_histories(args, sites)
    decide = _Decisions(histories)
    pack = build_pack(sites, scenario, scenario_name=name, progress=progress, decide=decide)
    valued = [r.site for r in pack.results]
    risk = plan = wait = None
    plan_problems: list[str] = []
    if valued and named is not None:
        risk = simulate_sites(valued, named, n_paths=args.risk_paths, seed=seed,
                              progress=Progress("Simulating", args.progress),
                              price_histories=histories)  # fmt: skip
        if args.wait:
            wait = wait_option(valued[0], named, n_paths=args.risk_paths, seed=seed,
                               progress=progress, price_history=histories.get(valued[0].id))  # fmt: skip
    if valued and args.plan:
        plan, table, plan_problems = make_plan(
            valued, scenario, budget_per_year=args.budget_per_year,
            budget_total=args.budget_total, mw_cap_per_year=args.mw_cap_per_year,
            loan_to_cost=args.loan_to_cost, progress=Progress("Valuing starts", args.progress),
            price_histories=histories,
        )  # fmt: skip
    if risk is not None or plan is not None:  # the same decisions, now with the sections
        waits = [] if wait is None else wait_sections(valued[0].id, wait, seed=seed,
                                                      scenario_name=named.name)  # fmt: skip
        pack = build_pack(sites, scenario, scenario_name=name, made_on=pack.made_on,
                          decide=decide, risk=[*risk_sections(risk), *waits] or None,
                          plan=plan_sections(plan) or None)  # fmt: skip
    written = []
    if pack.results:
        for path in outputs:
            progress.note(f"Writing {path}…")
            try:
                written.append(str(write_pack(pack, path)))
            except OSError as exc:  # e.g. the disk filled up: say which --out, and what was written
                raise CliInputError([f"--out {safe(path)!r}: cannot write it ({exc.strerror}); "
                                     f"written: {', '.join(written) or 'none'}"]) from None  # fmt: skip
    problems = [f"site {f.site.id!r} ({f.site.name}): not valued: {f.reason}"
                for f in pack.failures]  # fmt: skip
    problems = list(dict.fromkeys([*problems, *plan_problems]))
    if args.json:
        out = {
            "ok": not problems,
            "scenario": {"name": name, "market_as_of": scenario.market.as_of,
                         "changes": scenario_changes(scenario)},
            "made_on": pack.made_on,
            "sites": [site_json(r) for r in pack.results],
            "not_valued": [{"site_id": f.site.id, "name": f.site.name, "reason": f.reason}
                           for f in pack.failures],
            "written": written,
        }  # fmt: skip
        if risk is not None:
            out["risk"] = risk_payload(risk, named)
        if wait is not None:
            out["option_to_wait"] = wait_payload(wait)
        if plan is not None:
            out["plan"] = plan_payload(plan, table, name=name, scenario=scenario,
                                       inputs=plan_inputs(args), problems=plan_problems)  # fmt: skip
        print_json(out)
    else:
        from reports import decision_view as view
        from valuation.formatting import usd

        print(f"Scenario {safe(name)} (market as of {scenario.market.as_of}): "
              f"{len(pack.results)} of {len(sites)} sites valued")  # fmt: skip
        for r in pack.results:
            d = r.decision
            who = f"{r.site.name} ({r.site.operator})" if r.site.operator else r.site.name
            print(f"- {safe(who)}: {view.best_key(d)}; value of converting "
                  f"{usd(view.value_of_converting_usd(d))}. {safe(d.recommendation)}")  # fmt: skip
        if risk is not None:
            print(_risk_line(risk))
        if wait is not None:
            print(wait_text(wait))
        if plan is not None:
            print(f"Plan: {len(plan.timeline)} of {len(table.site_ids)} sites convert; plan value "
                  f"{usd(plan.value_usd)}. {safe(plan.shadow_sentence)}")  # fmt: skip
        for out_path in written:
            print(f"Wrote {safe(out_path)}")
    if problems:
        for p in problems:
            print(f"hashpivot value: {safe(p)}", file=sys.stderr)
        return INVALID_INPUT
    return OK


def _risk_line(risk) -> str:  # noqa: ANN001 - SiteRisk or PortfolioRiskResult
    """One line of the Monte Carlo run: the chance converting beats not converting."""
    if getattr(risk, "site_id", None) is not None:
        p, se = risk.probability_converting_wins()
        where = safe(risk.site_id)
    else:
        row = risk.table[risk.table["site_id"] == "portfolio"].iloc[0]
        p, se = float(row["p_converting_wins"]), float(row["p_converting_wins_se"])
        where = f"portfolio of {len(risk.site_ids)} sites"
    return (f"Risk ({where}, {risk.n_paths:,} paths, seed {risk.seed}): P(converting beats not "
            f"converting) = {p:.1%} ± {se:.1%}")  # fmt: skip
