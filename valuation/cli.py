"""The ``hashpivot`` command line (version and help until the command-line issue lands)."""

from __future__ import annotations

import argparse

from valuation import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hashpivot",
        description="Hashpivot: keep mining, convert to AI hosting, or split a site.",
        epilog="Start the app with: streamlit run app.py",
    )
    parser.add_argument("--version", action="version", version=f"hashpivot {__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    parser.parse_args(argv)
    parser.print_help()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
