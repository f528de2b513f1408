"""The ``hashpivot`` console script: parse the command line, run the command, map every error to
an exit code and a message (never a traceback).

When the reader of standard output goes away (``hashpivot sites list | head -1``) the command
stops quietly with exit code 141, 128 + SIGPIPE, as a shell reports for a command a closed pipe
ends (``set -o pipefail`` sees it, as it sees ``cat`` in ``cat big | head``).

A command is a module with ``register(subparsers)`` that adds its parser and sets ``run`` (a
function of the parsed arguments returning the exit code); list it in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import typing
from collections.abc import Sequence

from cli import plan, risk, scenarios, sites_cmd, value
from cli.common import (
    INTERNAL,
    INVALID_INPUT,
    OK,
    USAGE,
    CliInputError,
    UsageError,
    print_json,
    safe,
)
from valuation import __version__

COMMANDS = (value, sites_cmd, scenarios, risk, plan)
CLOSED_PIPE = 141  # 128 + SIGPIPE: the reader of standard output went away


class _Parser(argparse.ArgumentParser):
    """argparse's parser whose own usage errors ("unrecognized arguments: ...", which quote what
    was typed) reach the terminal as every other message does: control characters shown as
    ``?`` and credentials masked. Its subcommands' parsers are of this class too."""

    def error(self, message: str) -> typing.NoReturn:
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"{self.prog}: error: {_shown(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="hashpivot",
        description="Hashpivot: keep mining, convert to AI hosting, or split a site.",
        epilog="Exit codes: 0 success, 1 invalid input (every problem listed), 2 usage, "
        "3 internal error, 141 output pipe closed early. Start the app with: bash scripts/app.sh",
    )
    parser.add_argument("--version", action="version", version=f"hashpivot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return parser


def _shown(text: object) -> str:
    """Text for the terminal (``safe``) with any credential masked: a library's message may
    quote a URL or address the user gave."""
    from sites.redact import mask_credentials

    return mask_credentials(safe(text))


def _problems(exc: BaseException) -> list[str]:
    """Every problem an input error carries, one line each (a site file's rows and columns),
    credentials masked."""
    from sites.errors import SiteValidationError

    if isinstance(exc, CliInputError | SiteValidationError):
        return [_shown(p) for p in exc.problems]
    return [_shown(exc)]


def _stdout_closed() -> int:
    """Stop quietly when standard output's reader went away: point stdout at the null device (so
    the interpreter's last flush raises nothing) and return :data:`CLOSED_PIPE`."""
    with contextlib.suppress(OSError, ValueError):  # ValueError: a stdout without a descriptor
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return CLOSED_PIPE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line (:func:`_main`); a reader of standard output that went away, even
    while an error is printed, ends it quietly (:func:`_stdout_closed`)."""
    try:
        return _main(argv)
    except BrokenPipeError:
        return _stdout_closed()


def _main(argv: Sequence[str] | None = None) -> int:
    """Run ``hashpivot`` with ``argv`` (default: the process's arguments); return the exit code."""
    from models import ModelsError
    from reports import ReportError
    from sites.errors import SitesError
    from valuation.errors import ValuationError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help and --version exit 0; argparse's usage errors exit 2
        return OK if exc.code in (0, None) else USAGE
    if getattr(args, "run", None) is None:
        parser.print_help(sys.stderr)
        return USAGE
    as_json = getattr(args, "json", False)
    name = " ".join(p for p in (args.command, getattr(args, f"{args.command}_command", None)) if p)
    try:
        code = args.run(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return code
    except BrokenPipeError:
        return _stdout_closed()
    except UsageError as exc:
        print(f"hashpivot {name}: {_shown(exc)}", file=sys.stderr)
        return USAGE
    except (CliInputError, SitesError, ValuationError, ModelsError, ReportError, ValueError,
            OSError) as exc:  # fmt: skip
        problems = _problems(exc)
        print(f"hashpivot {name}: {len(problems)} problem{'s' if len(problems) != 1 else ''}:",
              file=sys.stderr)  # fmt: skip
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        if as_json:
            print_json({"ok": False, "exit_code": INVALID_INPUT, "problems": problems})
        return INVALID_INPUT
    except KeyboardInterrupt:
        print(f"hashpivot {name}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so in one line, no traceback
        print(f"hashpivot {name}: internal error ({type(exc).__name__}): {_shown(exc)}",
              file=sys.stderr)  # fmt: skip
        return INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
