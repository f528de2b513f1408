"""Items 1 and 3: a sheet's declared size is not trusted, and uploads are bounded in bytes, rows
and unzipped size; every refused hostile upload costs under 300 MB, measured in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from hostile_files import (
    HOSTILE_UPLOADS,
    csv_too_many_bytes,
    csv_too_many_rows,
    small_xlsx,
    xlsx_dimension_bomb,
    xlsx_zip_bomb,
)

from sites.errors import SiteFileError
from sites.io import MAX_DATA_ROWS, MAX_FILE_BYTES, read_sites

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PEAK_LIMIT_MB = 300

# Runs in a fresh interpreter: the growth of peak RSS (VmHWM) over the RSS after imports, while
# reading one hostile file.
_PROBE = r"""
import json, resource, sys, time
# A regression must fail this test, not exhaust the machine: 3 GB of address space at most.
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import openpyxl, sites.io, sites.store  # imports first: their memory is not the upload's
import hostile_files
from sites.errors import SitesError

def status(key):
    for line in open('/proc/self/status'):
        if line.startswith(key):
            return int(line.split()[1]) / 1024.0

name, data = hostile_files.HOSTILE_UPLOADS[sys.argv[3]]()
import gc; gc.collect()
with open('/proc/self/clear_refs', 'w') as fh:  # reset the peak (VmHWM): making the file is not
    fh.write('5')                                # reading it
base = status('VmRSS')
t0 = time.perf_counter()
try:
    sites.io.read_sites(data, name.rsplit('.', 1)[1], name=name)
    outcome = 'read'
except SitesError as exc:
    outcome = type(exc).__name__ + ': ' + str(exc)[:200]
print(json.dumps({'growth_mb': status('VmHWM') - base, 'seconds': time.perf_counter() - t0,
                  'outcome': outcome}))
"""


def peak_growth(kind: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(ROOT), str(HERE), kind],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("kind", sorted(HOSTILE_UPLOADS))
def test_item01_03_every_hostile_upload_peaks_under_300_mb(kind: str) -> None:
    result = peak_growth(kind)
    print(kind, result)
    assert result["growth_mb"] < PEAK_LIMIT_MB, result
    if kind != "xlsx_dimension_bomb":  # that one is a valid two-row file, read within bounds
        assert result["outcome"].startswith(("SiteFileError", "SiteValidationError")), result


def test_item01_declared_dimension_is_not_trusted() -> None:
    name, data = xlsx_dimension_bomb("A1:XFD8000")
    t0 = time.perf_counter()
    sites = read_sites(data, "xlsx", name=name)
    assert time.perf_counter() - t0 < 5.0  # was 5 s and 1.1 GB; a generous bound, not a benchmark
    assert [s.id for s in sites] == ["s0", "s1"]


def test_item03_upload_limit_in_the_server_config() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 1024 * 1024 == MAX_FILE_BYTES


def test_item03_too_many_bytes_refused_in_words() -> None:
    name, data = csv_too_many_bytes()
    with pytest.raises(SiteFileError, match=r"too-big\.csv is larger than the 10 MB"):
        read_sites(data, "csv", name=name)


def test_item03_too_many_rows_refused_in_words() -> None:
    name, data = csv_too_many_rows()
    with pytest.raises(SiteFileError, match=rf"more than {MAX_DATA_ROWS:,} data rows"):
        read_sites(data, "csv", name=name)
    _, at_limit = csv_too_many_rows(MAX_DATA_ROWS)
    assert len(read_sites(at_limit, "csv")) == MAX_DATA_ROWS


def test_item03_zip_bomb_refused_before_parsing() -> None:
    name, data = xlsx_zip_bomb()
    assert len(data) < 1_000_000
    with pytest.raises(SiteFileError, match=r"zip-bomb\.xlsx expands to"):
        read_sites(data, "xlsx", name=name)


def test_item03_xlsx_row_limit_counts_rows_not_declared_size() -> None:
    assert len(read_sites(small_xlsx(3), "xlsx")) == 3
