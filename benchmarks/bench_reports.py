"""Benchmark: the board pack for N sites of the example portfolio (default 4; ``--sites 28`` for
the whole portfolio): valuing them (``reports.build_pack``, the baseline of this run), writing
the workbook and writing the memo. Prints seconds per site and each step's ratio to the baseline,
so a busy machine moves all three together.

Run: ``python3 benchmarks/bench_reports.py [--sites N] [--quick]`` (``--quick``: 2 sites, one run).
"""

from __future__ import annotations

import argparse

from timing import median_seconds

from reports import build_pack, pack_bytes
from sites import load_example_portfolio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=4, help="sites in the pack (max 28)")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs (median)")
    parser.add_argument("--quick", action="store_true", help="2 sites, one run")
    args = parser.parse_args()
    n, repeat = (2, 1) if args.quick else (args.sites, args.repeat)
    sites = load_example_portfolio()[:n]
    pack = build_pack(sites)  # warm: imports, price curve, fonts
    pack_bytes(pack, "xlsx"), pack_bytes(pack, "pdf")
    value_s = median_seconds(lambda: build_pack(sites), repeat)
    xlsx_s = median_seconds(lambda: pack_bytes(pack, "xlsx"), repeat)
    pdf_s = median_seconds(lambda: pack_bytes(pack, "pdf"), repeat)
    print(f"board pack, {len(pack.results)} sites, median of {repeat}:")
    for name, t in (("value (baseline)", value_s), ("workbook", xlsx_s), ("memo", pdf_s)):
        print(f"  {name:<17} {t:7.2f} s  {t / len(sites) * 1000:7.0f} ms/site  "
              f"{t / value_s:5.1f}x baseline")  # fmt: skip


if __name__ == "__main__":
    main()
