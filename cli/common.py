"""What the commands share: exit codes, the input error that lists every problem, the store and
scenario a command names, terminal-safe text, JSON output and the progress bar."""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

import numpy as np

T = TypeVar("T")

OK = 0
INVALID_INPUT = 1
USAGE = 2
INTERNAL = 3

MAX_SEED = 2**63 - 1  # numpy's seeding takes any whole number >= 0; this keeps it one int64
MAX_SCENARIO_FILE_BYTES = 1_000_000  # a scenario is a few kB of JSON
MAX_SITES_FILE_BYTES = 50_000_000  # far above any real inventory (28 sites are ~15 kB of CSV)
SITES_FILE = "a .csv or .xlsx file"  # what a sites file argument allows, said when it is not one
DEFAULT_STORE = "(default)"  # --store with no URL: HASHPIVOT_DB_URL or the user's SQLite file


class CliInputError(Exception):
    """The command's input is invalid; ``problems`` lists every problem, each naming where."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = [str(p) for p in problems] or ["invalid input"]
        super().__init__("; ".join(self.problems))


class UsageError(Exception):
    """The command was called wrongly (exit code 2), e.g. an option given without the mode it
    belongs to (``--seed`` without ``--risk-paths``)."""


@dataclass(frozen=True)
class BadValue:
    """An option's value outside what the option allows, kept by argparse (see
    :func:`listed_if_bad`) so that the command lists it with every other input problem and
    exits 1, where argparse would stop at the first and exit 2. Shown as the text given."""

    text: str
    problem: str

    def __str__(self) -> str:
        return safe(self.text)


def listed_if_bad(parse: Callable[[str], T]) -> Callable[[str], T | BadValue]:
    """An argparse ``type`` from ``parse`` (raising ``ArgumentTypeError`` naming the option and
    what it allows): a value it refuses becomes a :class:`BadValue` for :func:`bad_values`."""

    def checked(text: str) -> T | BadValue:
        try:
            return parse(text)
        except argparse.ArgumentTypeError as exc:
            return BadValue(text, str(exc))

    return checked


def bad_values(args: argparse.Namespace) -> list[str]:
    """Every option value of ``args`` outside its bounds, each problem naming the option."""
    return [v.problem for v in vars(args).values() if isinstance(v, BadValue)]


def whole_number(option: str, low: int, high: int) -> Callable[[str], int | BadValue]:
    """An argparse ``type``: a whole number from ``low`` to ``high`` ("1_000" and "1,000" read
    as 1000), else a :class:`BadValue` naming the option and what it allows."""

    def parse(text: str) -> int:
        try:
            value: int | None = int(text.strip().replace("_", "").replace(",", ""))
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{option} {safe(text)!r}: allowed a whole number from {low:,} to {high:,}"
            )
        return value

    return listed_if_bad(parse)


def collecting(problems: list[str], read: Callable[[], T]) -> T | None:
    """``read()``, or None with its input problems added to ``problems``: a command reads all
    its inputs, the last through :func:`with_problems`, which raises every problem at once."""
    try:
        return read()
    except CliInputError as exc:
        problems.extend(exc.problems)
        return None


def with_problems(problems: list[str], read: Callable[[], T]) -> T:
    """``read()``, its input problems listed together with ``problems`` (raised when any)."""
    try:
        got = read()
    except CliInputError as exc:
        raise CliInputError([*exc.problems, *problems]) from None
    if problems:
        raise CliInputError(problems)
    return got


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(text: object) -> str:
    """User text for a terminal: control characters (escape sequences included) shown as ``?``."""
    return _CONTROL.sub("?", str(text))


def jsonable(value: Any) -> Any:
    """Plain JSON values: nan and infinities as null, numpy scalars as numbers, dates ISO."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        x = float(value)
        return x if math.isfinite(x) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str):
        return value
    return str(value)


def print_json(payload: Mapping[str, Any], stream: TextIO | None = None) -> None:
    """One JSON document on stdout (strict JSON: no NaN)."""
    stream = stream or sys.stdout
    stream.write(json.dumps(jsonable(payload), indent=2, allow_nan=False) + "\n")


def open_store(url: str | None, *, create: bool = False):  # noqa: ANN201 - sites.store.SiteStore
    """The store a command names: ``--store URL``; ``--store`` alone or no option, the default
    store (``HASHPIVOT_DB_URL`` or the user's SQLite file, seeded with the example portfolio).
    A SQLite file named by ``--store`` must exist unless the command writes (``create``): a
    mistyped path to read would otherwise make an empty database and report none."""
    from sites.redact import mask_credentials, url_secrets
    from sites.store import SiteStore, missing_sqlite_file, url_problem

    if url in (None, DEFAULT_STORE):
        return SiteStore(None)
    shown = safe(mask_credentials(url, url_secrets(url)))
    problem = url_problem(url)
    if problem:  # named by the option, before the store tries to open it
        raise CliInputError([f"--store {shown!r}: {problem}"])
    if not create and (missing := missing_sqlite_file(url)) is not None:
        raise CliInputError([f"--store {shown!r}: no database at {safe(missing)}; allowed: an "
                             "existing one (hashpivot sites import FILE --store URL makes one)"])  # fmt: skip
    return SiteStore(url)


def check_file_size(path: Path, flag: str, max_bytes: int, what: str, allowed: str) -> None:
    """A file the user named under ``flag`` exists, is a file (not a folder: ``allowed`` says
    what is, e.g. "a .json file") and holds at most ``max_bytes`` (``what`` says of what, e.g.
    " of JSON"); else the error names the flag, the file and what is allowed."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CliInputError([f"{flag} {safe(path)!r}: cannot read it ({exc.strerror})"]) from None
    if path.is_dir():
        raise CliInputError([f"{flag} {safe(path)!r}: is a folder; allowed: {allowed}"])
    if size > max_bytes:
        raise CliInputError([f"{flag} {safe(path)!r}: {size:,} bytes; at most "
                             f"{max_bytes:,} bytes{what}"])  # fmt: skip


def output_file_problem(raw: str, flag: str, allowed: str) -> str | None:
    """What stops writing a file the user named under ``flag`` (an existing folder, a missing or
    read-only folder, a read-only file), or None; ``allowed`` says what is (e.g. "a .xlsx or
    .pdf file path")."""
    path = Path(raw)
    where = f"{flag} {safe(raw)!r}"
    if path.is_dir():
        return f"{where}: is a folder; allowed: {allowed}"
    if not path.parent.is_dir():
        return f"{where}: folder {safe(path.parent)} does not exist"
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return f"{where}: folder {safe(path.parent)} is not writable"
    if path.exists() and not (path.is_file() and os.access(path, os.W_OK)):
        return f"{where}: exists and cannot be replaced; allowed: a writable file path"
    return None


def load_scenario_json(
    text: str, where: str, allowed: str = "a scenario object a few levels deep"
) -> Any:
    """JSON text of a scenario (a file, a ``--set`` value) read; ``where`` names it in the error
    (the option and the file or input). A whole number of more digits than any input allows, or
    nesting deeper than Python's parser recurses (``allowed`` says what is), is an input error
    naming ``where``; ``json.JSONDecodeError`` passes to the caller."""
    from valuation.saved_scenario import MAX_WHOLE_NUMBER_DIGITS

    def bounded_int(number: str) -> int:
        # refused before Python converts it: over 4,300 digits it refuses with a message about
        # its own limit, naming neither the file nor the input (raised through json.loads)
        digits = len(number.lstrip("-"))
        if digits > MAX_WHOLE_NUMBER_DIGITS:
            raise CliInputError([f"{where}: a whole number of {digits:,} digits; allowed: at most "
                                 f"{MAX_WHOLE_NUMBER_DIGITS} digits (every input's own range is "
                                 "far smaller)"])  # fmt: skip
        return int(number)

    try:
        return json.loads(text, parse_int=bounded_int)
    except RecursionError:  # e.g. [[[...]]] nested deeper than Python's parser recurses
        raise CliInputError([f"{where}: JSON nested too deeply; allowed: {allowed}"]) from None


_STORE_HELP = (
    "a SQLAlchemy URL, or none for the default store (HASHPIVOT_DB_URL or the user's SQLite file)"
)


def add_store_option(p: argparse.ArgumentParser | Any, what: str = "the store") -> None:
    """``--store [URL]`` (``DEFAULT_STORE`` when given without a URL): ``what`` it names."""
    p.add_argument("--store", nargs="?", const=DEFAULT_STORE, metavar="URL",
                   help=f"{what}: {_STORE_HELP}")  # fmt: skip


def add_site_source(p: argparse.ArgumentParser) -> None:
    """The sites a command values, as :func:`read_sites` reads them: ``SITES`` (a file) or
    ``--store [URL]``, one of the two, and ``--site ID`` (repeatable) to keep only some."""
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("sites", nargs="?", metavar="SITES",
                        help="a .csv or .xlsx site file (the inventory's columns)")  # fmt: skip
    add_store_option(source, "the sites of a store")
    p.add_argument("--site", action="append", default=[], metavar="ID",
                   help="only this site id (repeat for several)")  # fmt: skip


def read_sites(args: Any) -> list:
    """The sites a command names: ``SITES`` (a .csv or .xlsx file, bounded) or ``--store``,
    then only the ``--site`` ids given (in that order); an unknown id or no site is an error."""
    from sites.io import read_sites as read_site_file

    if args.sites is not None:
        path = Path(args.sites)
        check_file_size(path, "SITES", MAX_SITES_FILE_BYTES, "", SITES_FILE)
        sites = read_site_file(path)  # SiteValidationError lists every row's problems
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


def stored_price_histories(args: Any, sites: list) -> dict:
    """The sites' price histories stored beside them (``SiteStore.price_history``) by site id,
    when the sites come from ``--store``; a site is valued on its history in the months it
    covers, as the app values it (one that cannot be read is said on stderr and left out). A
    sites file carries none: ``{}``."""
    if getattr(args, "sites", None) is not None:
        return {}
    from valuation.regions import stored_price_histories as read_histories

    found, problems = read_histories(open_store(args.store), (s.id for s in sites))
    for site_id, problem in problems.items():  # valued on its region's curve, and said
        print(f"hashpivot: site {safe(site_id)!r}: stored price history not used: "
              f"{safe(problem)}", file=sys.stderr)  # fmt: skip
    return found


def read_scenario_file(path: Path, flag: str = "--scenario"):  # noqa: ANN201 - a Scenario
    """A scenario from a JSON file (the saved form or a ``Scenario.to_dict()``), read as UTF-8
    with or without a byte-order mark (Windows editors write one); ``flag`` is the option or
    argument that named the file, named in every error."""
    from valuation.saved_scenario import SavedScenarioError, scenario_from_saved

    where = f"{flag} {safe(path)!r}"
    check_file_size(path, flag, MAX_SCENARIO_FILE_BYTES, " of JSON", "a .json scenario file")
    try:
        data = load_scenario_json(path.read_text(encoding="utf-8-sig"), where)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CliInputError([f"{where}: not JSON text ({exc})"]) from None
    try:
        return scenario_from_saved(data)
    except SavedScenarioError as exc:
        raise CliInputError([f"{where}: {exc}"]) from None


def resolve_scenario(spec: str | None, store_url: str | None, flag: str = "--scenario"):  # noqa: ANN201
    """``(Scenario, name)`` for ``--scenario NAME|FILE`` (``flag`` names the option or argument
    in errors): None is the base scenario ("base"); a path to a .json file (or any existing
    file) is read; otherwise a name saved in the store ("base", when not saved under that name,
    is the base scenario)."""
    from sites.errors import ScenarioNotFoundError
    from valuation.saved_scenario import SavedScenarioError, scenario_from_saved
    from valuation.scenario import Scenario

    if spec is None:
        return Scenario(), "base"
    path = Path(spec)
    if spec.lower().endswith(".json") or path.is_file():
        return read_scenario_file(path, flag), path.stem
    store = open_store(store_url)
    try:
        data = store.load_scenario(spec)
    except ScenarioNotFoundError:
        if spec == "base":
            return Scenario(), "base"
        names = store.list_scenarios()
        raise CliInputError(
            [
                f"{flag} {safe(spec)!r}: no scenario of that name in {safe(store.path_or_url)}; "
                f"saved: {', '.join(safe(n) for n in names) or 'none'} (or give a .json file)"
            ]
        ) from None
    try:
        return scenario_from_saved(data), spec
    except SavedScenarioError as exc:
        raise CliInputError([f"scenario {safe(spec)!r} as saved: {exc}"]) from None


class Progress:
    """A progress bar on stderr, drawn in place, for runs over many sites. ``enabled`` None: only
    when stderr is a terminal (a pipe or a log file gets no bar)."""

    WIDTH = 28

    def __init__(self, label: str, enabled: bool | None = None, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.label = label
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._drawn = False

    def __call__(self, done: int, total: int, item: object = "") -> None:
        if not self.enabled or total <= 0:
            return
        filled = round(self.WIDTH * done / total)
        name = safe(getattr(item, "name", item))[:30]
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total} "
            f"{name:<30}"
        )
        self.stream.flush()
        self._drawn = True
        if done >= total:
            self.stream.write("\n")
            self._drawn = False

    def note(self, text: str) -> None:
        """A line of its own (what is being written), when the bar is on."""
        if self.enabled:
            self.stream.write(("\n" if self._drawn else "") + text + "\n")
            self._drawn = False
