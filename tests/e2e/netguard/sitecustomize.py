"""Loaded by the Streamlit server under test (PYTHONPATH): the same offline guard as the test
process, and a log of every refused address, which the browser tests read.

Python imports ``sitecustomize`` at start-up from sys.path; this one is only on the path of the
server that tests/e2e/conftest.py starts.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/, for loopback.py
from loopback import NetworkAccessError, guarded_connect, guarded_getaddrinfo  # noqa: E402

_LOG = Path(os.environ["HASHPIVOT_NETGUARD_LOG"])
_LOG.with_suffix(".armed").write_text(str(os.getpid()))


def _logged(guard):
    def call(*args, **kwargs):
        try:
            return guard(*args, **kwargs)
        except NetworkAccessError as exc:
            with _LOG.open("a") as log:
                log.write(f"{exc}\n")
            raise

    return call


socket.socket.connect = _logged(guarded_connect)
socket.getaddrinfo = _logged(guarded_getaddrinfo)
