"""One real ``streamlit run app.py`` server for the whole browser-test session.

The server listens on a free loopback port, keeps its inventory in a temporary SQLite file
(``HASHPIVOT_DB_URL``) and its home folder in a temporary directory, so a test run never touches
the user's data. Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM), launched with software
WebGL for deck.gl; no ``playwright install`` download.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests
from loopback import chromium_or_skip, free_port

NETGUARD_DIR = Path(__file__).resolve().parent / "netguard"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
STARTUP_TIMEOUT_S = 30.0


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": chromium_or_skip(),
        "args": [
            "--no-sandbox",
            # WebGL (the map) on SwiftShader where there is no GPU; pages composite in software.
            # Forcing every frame through SwiftShader (--use-angle=swiftshader) costs a core.
            "--enable-unsafe-swiftshader",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1440, "height": 1000}}


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def app_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app's home folder for the session; its database is ``app_db_url``."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="session")
def app_db_url(app_home: Path) -> str:
    """The SQLAlchemy URL of the database the app under test uses (seeded on first start)."""
    return f"sqlite:///{app_home / 'hashpivot-e2e.sqlite'}"


@pytest.fixture(scope="session")
def app_url(app_home: Path, app_db_url: str) -> Iterator[str]:
    """Start the app, wait for its health endpoint, yield its URL, stop it."""
    chromium_or_skip()
    home = app_home
    port = free_port()
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "HASHPIVOT_DB_URL": app_db_url,
        # The server process gets the offline guard too (netguard/sitecustomize.py).
        "PYTHONPATH": os.pathsep.join(
            [str(NETGUARD_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        "HASHPIVOT_NETGUARD_LOG": str(home / "netguard.log"),
    }
    log_path = home / "streamlit.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "app.py"),
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.fileWatcherType",
                "none",
                # No --browser.gatherUsageStats here: .streamlit/config.toml must turn it off.
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                if requests.get(f"{url}/_stcore/health", timeout=1).text == "ok":
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit not healthy after {STARTUP_TIMEOUT_S} s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture
def server_refused(app_home: Path, app_url: str):
    """A function giving every connection the app's server process tried beyond loopback
    (refused by its guard); it fails if the guard is not armed in that process."""

    def read() -> list[str]:
        log = app_home / "netguard.log"
        assert log.with_suffix(".armed").exists(), "the server's network guard is not armed"
        return log.read_text().splitlines() if log.exists() else []

    return read


@pytest.fixture
def external_requests(page) -> list[str]:
    """Every request the page makes to a host other than this machine, in order."""
    seen: list[str] = []

    def record(request) -> None:
        parsed = urlparse(request.url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname not in LOCAL_HOSTS:
            seen.append(request.url)

    page.on("request", record)
    return seen
