"""``hashpivot value``: value sites under a scenario, print the decisions, write the board pack.

hashpivot value SITES.csv|xlsx [--site ID ...] [--scenario NAME|FILE] [--out pack.xlsx]
                [--out pack.pdf] [--json]
hashpivot value --store [URL] ...
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.common import (
    DEFAULT_STORE,
    INVALID_INPUT,
    OK,
    CliInputError,
    Progress,
    UsageError,
    open_store,
    print_json,
    resolve_scenario,
    safe,
)

MAX_SITES_FILE_BYTES = 50_000_000  # far above any real inventory (28 sites are ~15 kB of CSV)
OUT_FORMATS = (".xlsx", ".pdf")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "value",
        help="value sites and write the board pack",
        description="Value every site (of a CSV/Excel file or the store) under a scenario; print "
        "each recommendation, or JSON; write the board pack as .xlsx and/or .pdf.",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("sites", nargs="?", metavar="SITES",
                        help="a .csv or .xlsx site file (the inventory's columns)")  # fmt: skip
    source.add_argument("--store", nargs="?", const=DEFAULT_STORE, metavar="URL",
                        help="value the sites of a store: a SQLAlchemy URL, or none for the "
                        "default store (HASHPIVOT_DB_URL or the user's SQLite file)")  # fmt: skip
    p.add_argument("--site", action="append", default=[], metavar="ID",
                   help="only this site id (repeat for several)")  # fmt: skip
    p.add_argument(
        "--scenario",
        metavar="NAME|FILE",
        help="a scenario saved in the store (by name) or a .json file; default: base",
    )
    p.add_argument(
        "--out",
        action="append",
        default=[],
        metavar="PATH",
        help="write the board pack: .xlsx workbook or .pdf memo (repeat for both)",
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )
    p.set_defaults(run=run)


def _read_sites(args: argparse.Namespace) -> list:
    from sites.io import read_sites

    if args.sites is not None:
        path = Path(args.sites)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise CliInputError(
                [f"SITES {safe(path)!r}: cannot read it ({exc.strerror})"]
            ) from None
        if size > MAX_SITES_FILE_BYTES:
            raise CliInputError([f"SITES {safe(path)!r}: {size:,} bytes; at most "
                                 f"{MAX_SITES_FILE_BYTES:,} bytes"])  # fmt: skip
        sites = read_sites(path)  # SiteValidationError lists every row's problems
    else:
        sites = open_store(args.store).list()
    if args.site:
        by_id = {s.id: s for s in sites}
        missing = [i for i in args.site if i not in by_id]
        if missing:
            raise CliInputError([f"--site {safe(i)!r}: no site with this id" for i in missing])
        sites = [by_id[i] for i in dict.fromkeys(args.site)]
    if not sites:
        raise CliInputError(["no site to value: the file or store holds none"])
    return sites


def _check_outputs(paths: list[str]) -> list[Path]:
    out = []
    for raw in paths:
        path = Path(raw)
        if path.suffix.lower() not in OUT_FORMATS:
            raise UsageError(f"--out {safe(raw)!r}: the board pack is written as .xlsx or .pdf")
        if not path.parent.exists():
            raise CliInputError([f"--out {safe(raw)!r}: folder {safe(path.parent)} does not exist"])
        out.append(path)
    return out


def site_json(result) -> dict:  # noqa: ANN001 - reports.SiteResult
    """One site's decision as plain values (what ``--json`` prints per site)."""
    from dataclasses import asdict

    from reports import decision_view as view
    from reports.tables import return_figure

    d, s = result.decision, result.site
    value, basis = return_figure(*view.conversion_return(d))
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
        "breakevens": asdict(d.breakevens),
        "reasons": [{"text": r.text, "impact_usd": r.impact_usd} for r in d.reasons],
    }


def run(args: argparse.Namespace) -> int:
    from reports import build_pack, write_pack
    from valuation.saved_scenario import scenario_changes

    outputs = _check_outputs(args.out)
    sites = _read_sites(args)
    scenario, name = resolve_scenario(args.scenario, args.store)
    progress = Progress("Valuing", args.progress)
    pack = build_pack(sites, scenario, scenario_name=name, progress=progress)
    written = []
    if pack.results:
        for path in outputs:
            progress.note(f"Writing {path}…")
            written.append(str(write_pack(pack, path)))
    problems = [f"site {f.site.id!r} ({f.site.name}): not valued: {f.reason}"
                for f in pack.failures]  # fmt: skip
    if args.json:
        print_json({
            "ok": not problems,
            "scenario": {"name": name, "market_as_of": scenario.market.as_of,
                         "changes": scenario_changes(scenario)},
            "made_on": pack.made_on,
            "sites": [site_json(r) for r in pack.results],
            "not_valued": [{"site_id": f.site.id, "name": f.site.name, "reason": f.reason}
                           for f in pack.failures],
            "written": written,
        })  # fmt: skip
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
        for out_path in written:
            print(f"Wrote {safe(out_path)}")
    if problems:
        for p in problems:
            print(f"hashpivot value: {safe(p)}", file=sys.stderr)
        return INVALID_INPUT
    return OK
