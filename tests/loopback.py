"""Test helpers for staying offline: the network guard that conftest.py installs, a real HTTP
server on loopback that plays the live market API, a free loopback port, and the Chromium the
browser tests drive. A module of its own (not conftest.py, whose name other test folders reuse)
so tests can import it by name."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

# Debian's Chromium (``apt-get install chromium``; bash scripts/test.sh installs it) or $CHROMIUM.
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chromium_or_skip() -> str:
    """The Chromium binary's path; without one the test fails under CI (so a missing browser
    never passes silently there) and is skipped with the install hint elsewhere."""
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return CHROMIUM
    message = (
        f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium` "
        "(bash scripts/test.sh does this) or point $CHROMIUM at a Chromium binary."
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class NetworkAccessError(RuntimeError):
    """A test tried to reach a host other than this machine."""


_real_connect = socket.socket.connect
_real_getaddrinfo = socket.getaddrinfo
_LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "", None}


def _is_local(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    return host in _LOCAL_NAMES or (isinstance(host, str) and host.startswith("127."))


def guarded_connect(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):  # type: ignore[index]
        raise NetworkAccessError(f"test tried to connect to {address!r}; tests stay offline")
    return _real_connect(self, address)


def guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
    if not _is_local(host):
        raise NetworkAccessError(f"test tried to resolve {host!r}; tests stay offline")
    return _real_getaddrinfo(host, *args, **kwargs)


# --- A loopback server playing the live market API (valuation.live) --------------------------------

LIVE_API_ANSWERS: dict[str, object] = {
    "/api/v1/prices": {"time": 1_795_000_000, "USD": 91_250, "EUR": 84_000},
    "/api/v1/mining/hashrate/3d": {"currentHashrate": 1.1e21, "currentDifficulty": 150.0e12},
    "/api/v1/mining/blocks/fees/24h": [
        {"avgHeight": 925_000, "timestamp": 1, "avgFees": 2_000_000},
        {"avgHeight": 925_010, "timestamp": 2, "avgFees": 4_000_000},
    ],
}


def serve_json(answers: dict[str, object], delay_s: float = 0.0) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            time.sleep(delay_s)
            if self.path not in answers:
                self.send_error(404)
                return
            body = json.dumps(answers[self.path]).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test): nothing to answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
