"""Offline by default: the guard in conftest.py refuses connections beyond this machine, and the
whole valuation of the example portfolio runs under it."""

from __future__ import annotations

import socket

import pytest
from loopback import NetworkAccessError

from sites import load_example_portfolio
from valuation.decision import compare_portfolio


def test_guard_refuses_a_remote_host_and_allows_loopback() -> None:
    with pytest.raises(NetworkAccessError, match="203.0.113.7"):
        socket.create_connection(("203.0.113.7", 443), timeout=1)
    with pytest.raises(NetworkAccessError, match="example.com"):
        socket.getaddrinfo("example.com", 443)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    with socket.create_connection(server.getsockname(), timeout=1):
        pass
    server.close()


def test_portfolio_valuation_needs_no_network() -> None:
    table = compare_portfolio(load_example_portfolio())
    assert len(table) == len(load_example_portfolio())
    assert (table["error"] == "").all()


def test_the_app_servers_guard_refuses_and_logs(tmp_path) -> None:
    """tests/e2e/netguard/sitecustomize.py, as the browser tests load it into the app's server."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    log = tmp_path / "netguard.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).parent / "e2e" / "netguard"),
        "HASHPIVOT_NETGUARD_LOG": str(log),
    }
    code = "import socket\ntry:\n    socket.create_connection(('203.0.113.7', 80), timeout=1)\nexcept Exception as e:\n    print(type(e).__name__)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "NetworkAccessError"
    assert log.with_suffix(".armed").exists()
    assert "203.0.113.7" in log.read_text()
