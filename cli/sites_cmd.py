"""``hashpivot sites import|export|list``: the inventory in a store, from and to CSV/Excel files."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import (
    MAX_SITES_FILE_BYTES,
    OK,
    SITES_FILE,
    CliInputError,
    add_store_option,
    check_file_size,
    open_store,
    output_file_problem,
    print_json,
    safe,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sites", help="import, export or list the inventory",
                              description="The inventory in a store.")  # fmt: skip
    sub = p.add_subparsers(dest="sites_command", metavar="{import,export,list}", required=True)
    imp = sub.add_parser("import", help="import a .csv or .xlsx file (every row checked first)")
    imp.add_argument("file", metavar="FILE")
    add_store_option(imp)
    imp.add_argument("--json", action="store_true", help="print what was done as JSON")
    imp.set_defaults(run=run_import)
    exp = sub.add_parser("export", help="write every site to a .csv or .xlsx file")
    exp.add_argument("file", metavar="FILE")
    add_store_option(exp)
    exp.add_argument("--json", action="store_true", help="print what was done as JSON")
    exp.set_defaults(run=run_export)
    lst = sub.add_parser("list", help="list the sites")
    add_store_option(lst)
    lst.add_argument("--json", action="store_true", help="print the sites as JSON")
    lst.set_defaults(run=run_list)


def run_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    check_file_size(path, "FILE", MAX_SITES_FILE_BYTES, "", SITES_FILE)
    store = open_store(args.store, create=True)
    report = store.import_file(path)  # SiteValidationError lists every problem; nothing written
    if args.json:
        print_json({"ok": True, "created": report.created, "updated": report.updated,
                    "store": store.path_or_url})  # fmt: skip
    else:
        print(f"{safe(report)} into {safe(store.path_or_url)}")
    return OK


def run_export(args: argparse.Namespace) -> int:
    path = Path(args.file)
    problem = output_file_problem(args.file, "FILE", f"{SITES_FILE} path")
    if problem is None and path.suffix.lower() not in (".csv", ".xlsx"):
        problem = f"FILE {safe(path)!r}: export writes .csv or .xlsx"
    if problem is not None:
        raise CliInputError([problem])
    store = open_store(args.store)
    written = store.export_file(path)
    n = len(store.list())
    if args.json:
        print_json({"ok": True, "written": str(written), "sites": n})
    else:
        print(f"Wrote {n} sites to {safe(written)}")
    return OK


def run_list(args: argparse.Namespace) -> int:
    store = open_store(args.store)
    sites = store.list()
    if args.json:
        print_json({
            "ok": True,
            "store": store.path_or_url,
            "sites": [{"id": s.id, "name": s.name, "operator": s.operator, "state": s.state,
                       "grid_region": s.grid_region, "contracted_mw": s.power.contracted_mw,
                       "status": s.status} for s in sites],
        })  # fmt: skip
        return OK
    for s in sites:
        mw = s.power.contracted_mw
        print(f"{safe(s.id)}\t{safe(s.name)}\t{safe(s.operator)}\t{safe(s.state)}\t"
              f"{'' if mw is None else f'{mw:g} MW'}")  # fmt: skip
    print(f"{len(sites)} sites in {safe(store.path_or_url)}")
    return OK
