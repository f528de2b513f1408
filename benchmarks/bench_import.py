"""Benchmark: importing a 10,000-row site file (issue 16: goal under 3 s), CSV and .xlsx.

Run: ``python3 benchmarks/bench_import.py`` (``--rows N``; ``--quick`` for 1,000 rows). Builds a
file of N distinct sites with every column filled (the example portfolio repeated with new ids),
then times in a temporary SQLite store: ``SiteStore.import_file`` creating N sites, the same file
again updating them, and the floor of the same work, ``csv.reader`` over the file plus one
``executemany`` insert of the raw rows into a plain SQLite table, measured in the same run. Prints
seconds and the ratio to the floor.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import sqlite3
import tempfile
import time
from pathlib import Path

from sites import load_example_portfolio
from sites.io import write_sites
from sites.store import SiteStore

GOAL_S = 3.0


def make_sites(n: int) -> list:
    base = load_example_portfolio()
    return [dataclasses.replace(base[i % len(base)], id=f"bench-{i:06d}") for i in range(n)]


def floor_s(path: Path, tmp: Path) -> float:
    """csv.reader over the file and one executemany of the raw rows into plain SQLite."""
    t0 = time.perf_counter()
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    conn = sqlite3.connect(tmp / "floor.sqlite3")
    cols = ", ".join(f'"{c}"' for c in rows[0])
    conn.execute(f"CREATE TABLE t ({cols})")
    conn.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(rows[0]))})", rows[1:])
    conn.commit()
    conn.close()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 rows")
    args = parser.parse_args()
    n = 1_000 if args.quick else args.rows
    sites = make_sites(n)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for fmt in ("csv", "xlsx"):
            path = write_sites(sites, tmp / f"sites.{fmt}")
            store = SiteStore(f"sqlite:///{tmp / f'bench-{fmt}.sqlite3'}")
            t0 = time.perf_counter()
            report = store.import_file(path)
            create_s = time.perf_counter() - t0
            assert len(report.created) == n
            t0 = time.perf_counter()
            report = store.import_file(path)
            update_s = time.perf_counter() - t0
            assert len(report.updated) == n
            store.close()
            base = floor_s(write_sites(sites, tmp / "floor.csv"), tmp) if fmt == "csv" else None
            size_mb = path.stat().st_size / 1e6
            line = (
                f"{fmt:4s} {n:,} rows ({size_mb:.1f} MB): create {create_s:.2f} s, "
                f"update {update_s:.2f} s (goal < {GOAL_S:.0f} s: "
                f"{'met' if max(create_s, update_s) < GOAL_S else 'NOT met'})"
            )
            if base is not None:
                line += (
                    f"; floor (csv.reader + executemany) {base:.2f} s, ratio {create_s / base:.1f}x"
                )
            print(line)
            (tmp / "floor.sqlite3").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
