"""Shared fixtures: a REAL PostgreSQL server for the store tests (marked ``postgres``), and a
guard that fails any test whose process opens a connection beyond this machine (offline by
default: nothing may reach the network at import time or in tests)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from loopback import (
    LIVE_API_ANSWERS,
    free_port,
    guarded_connect,
    guarded_getaddrinfo,
    serve_json,
)

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin. "
    "Install them, e.g. `sudo apt-get install postgresql` on Debian/Ubuntu "
    "(scripts/test.sh does this), then rerun."
)


# CI explores the same examples on every run (a fixed seed per test), so a landing is decided by
# the code, not by the draw; local runs keep exploring and remember what they found. No deadline
# on an example: speed is the benchmarks' business, and two test workers share the cores.
settings.register_profile("local", deadline=None)
settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "local")


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.getaddrinfo = guarded_getaddrinfo  # type: ignore[assignment]


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist's ``--dist loadgroup`` (scripts/test.sh) the browser tests (marked
    ``e2e``) form one group, run by one worker one at a time: a browser and its app server take
    a core, and two at once would starve each other's timeouts. The other tests are shared out
    to both workers."""
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(pytest.mark.xdist_group("browser"))


def _find_pg_bin() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    for cand in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(cand, "initdb").exists() and Path(cand, "pg_ctl").exists():
            return Path(cand)
    return None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Start a throw-away PostgreSQL server on a free loopback port; yield a SQLAlchemy URL.

    As root the server runs as the ``postgres`` system user in a temp dir it owns (PostgreSQL
    refuses to run as root). Without the binaries: fail when $CI is set, else skip with a hint.
    """
    bindir = _find_pg_bin()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail(INSTALL_HINT)
        pytest.skip(INSTALL_HINT)
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="hashpivot-pg-"))
    if as_root:
        import pwd

        pw = pwd.getpwnam("postgres")
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
        tmp.chmod(0o700)
        runuser = shutil.which("runuser")
        prefix = [runuser, "-u", "postgres", "--"] if runuser else ["su", "postgres", "-c"]
    data, sock, log = tmp / "data", tmp / "sock", tmp / "server.log"

    def run(args: list[str]) -> None:
        cmd = prefix + args if prefix[:1] != ["su"] else prefix + [" ".join(args)]
        subprocess.run(cmd, check=True, capture_output=True, cwd=tmp, timeout=120)

    run(["mkdir", "-p", str(sock)])
    run(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]
    )
    port = free_port()
    opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
    try:
        run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                opts,
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
    except subprocess.CalledProcessError as exc:
        text = log.read_text() if log.exists() else ""
        shutil.rmtree(tmp, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {exc.stderr!r}\n{text}")
    try:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute("CREATE DATABASE hashpivot_test")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/hashpivot_test"
    finally:
        subprocess.run(
            prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
            if prefix[:1] != ["su"]
            else prefix + [f"{bindir / 'pg_ctl'} -D {data} -m fast -w stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh empty store database: a SQLite file, and the real PostgreSQL server above (left
    empty for the next test). tests/app overrides it with the app's own store."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
        return
    from sqlalchemy import create_engine

    from sites.store import metadata

    url = request.getfixturevalue("postgres_url")
    yield url
    engine = create_engine(url)
    with engine.begin() as conn:
        metadata.drop_all(conn)
    engine.dispose()


@pytest.fixture
def app_store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite store for the app under test (``HASHPIVOT_DB_URL``). The store and the
    valuations are cached resources: they are cleared before and after, so each test starts on
    its own database."""
    import streamlit as st

    url = f"sqlite:///{tmp_path / 'hashpivot-app.sqlite'}"
    monkeypatch.setenv("HASHPIVOT_DB_URL", url)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield url
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def live_api_url() -> Iterator[str]:
    """A real HTTP server on loopback answering like the mempool.space API."""
    server = serve_json(LIVE_API_ANSWERS)
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _app_heap_not_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """app.py freezes its process's heap after its first run (``app_support.heap``). AppTest runs
    app.py inside the test worker, where that would take every object alive then (pytest's, the
    fixtures') out of the cycle collector for the rest of the run: tests mark it done. Tests
    outside the app's folders may not import the app's helpers; they never run app.py."""
    try:
        from app_support import heap
    except ImportError:
        return
    monkeypatch.setattr(heap, "_frozen", True)
