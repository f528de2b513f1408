"""``hashpivot scenarios list|show|save``: named scenarios in the store's scenario table (shared
with the app), saved as their changes against the base scenario (``valuation.saved_scenario``).

    hashpivot scenarios save "Lease 110" --set lease_rate_usd_per_kw_month=110 \\
        --set market.btc_price_usd=90000
    hashpivot scenarios save "From file" --from scenario.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from cli.common import (
    OK,
    CliInputError,
    add_store_option,
    load_scenario_json,
    open_store,
    print_json,
    read_scenario_file,
    resolve_scenario,
    safe,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("scenarios", help="list, show or save named scenarios",
                              description="Named scenarios in the store, shared with the app.")  # fmt: skip
    sub = p.add_subparsers(dest="scenarios_command", metavar="{list,show,save}", required=True)
    lst = sub.add_parser("list", help="names of the saved scenarios")
    add_store_option(lst)
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(run=run_list)
    show = sub.add_parser("show", help="a scenario's changes against the base, and every input")
    show.add_argument("name", metavar="NAME|FILE")
    add_store_option(show)
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=run_show)
    save = sub.add_parser("save", help="save a scenario under a name (replacing one of that name)")
    save.add_argument("name", metavar="NAME")
    save.add_argument(
        "--from",
        dest="from_file",
        metavar="FILE",
        help="start from a .json scenario file (default: the base scenario)",
    )
    save.add_argument("--set", action="append", default=[], metavar="INPUT=VALUE",
                      help="change one input, dotted as in 'scenarios show' "
                      "(e.g. market.btc_price_usd=90000); repeat for several")  # fmt: skip
    add_store_option(save)
    save.add_argument("--json", action="store_true")
    save.set_defaults(run=run_save)


def run_list(args: argparse.Namespace) -> int:
    store = open_store(args.store)
    names = store.list_scenarios()
    if args.json:
        print_json({"ok": True, "store": store.path_or_url, "scenarios": names})
    else:
        for n in names:
            print(safe(n))
        print(f"{len(names)} saved scenarios in {safe(store.path_or_url)}")
    return OK


def run_show(args: argparse.Namespace) -> int:
    from valuation.saved_scenario import scenario_changes

    scenario, name = resolve_scenario(args.name, args.store, "NAME|FILE")
    changes = scenario_changes(scenario)
    if args.json:
        print_json({"ok": True, "name": name, "market_as_of": scenario.market.as_of,
                    "changes": changes, "scenario": scenario.to_dict()})  # fmt: skip
        return OK
    print(f"Scenario {safe(name)}: market as of {scenario.market.as_of}")
    flat = _flatten(changes)
    if not flat:
        print("No change from the base scenario.")
    for key, value in flat.items():
        print(f"  {safe(key)} = {safe(json.dumps(value))}")
    return OK


def _flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _parse_set(item: str) -> tuple[list[str], Any]:
    if "=" not in item:
        raise CliInputError([f"--set {safe(item)!r}: write INPUT=VALUE, e.g. "
                             "lease_rate_usd_per_kw_month=110"])  # fmt: skip
    key, raw = item.split("=", 1)
    path = [p for p in key.strip().split(".") if p]
    try:  # numbers, true/false, null, "text"; bounded (a number's digits, nesting)
        value = load_scenario_json(raw, f"--set {safe(key)!r}",
                                   "a number, true/false, null or text")  # fmt: skip
    except json.JSONDecodeError:
        value = raw.strip()  # bare text, e.g. lease_structure=modified_gross
    return path, value


def run_save(args: argparse.Namespace) -> int:
    from valuation.saved_scenario import SavedScenarioError, saved_form, scenario_from_saved
    from valuation.scenario import Scenario

    base = read_scenario_file(Path(args.from_file), "--from") if args.from_file else Scenario()
    data = base.to_dict()
    problems = []
    for item in args.set:
        path, value = _parse_set(item)
        node = data
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
            if not isinstance(node, dict):
                break
        if not path or not isinstance(node, dict) or path[-1] not in node:
            problems.append(f"--set {safe(item)!r}: no input {'.'.join(path)!r}; "
                            "'hashpivot scenarios show base' lists them")  # fmt: skip
            continue
        node[path[-1]] = value
    if problems:
        raise CliInputError(problems)
    try:
        scenario = scenario_from_saved(data)
    except SavedScenarioError as exc:
        raise CliInputError([f"scenario {safe(args.name)!r}: {exc}"]) from None
    store = open_store(args.store, create=True)
    form = saved_form(scenario)
    store.save_scenario(args.name, form)  # ScenarioDataError names a bad name
    if args.json:
        print_json({"ok": True, "name": args.name, "saved": form, "store": store.path_or_url})
    else:
        print(f"Saved scenario {safe(args.name)} in {safe(store.path_or_url)} "
              f"({len(_flatten(form['changes']))} changes from the base)")  # fmt: skip
    return OK
