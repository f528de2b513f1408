"""Live market data: a real HTTP server on loopback plays the API; failures fall back offline."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from loopback import LIVE_API_ANSWERS as ANSWERS
from loopback import serve_json as _serve

from valuation.errors import LiveDataError
from valuation.live import (
    MAX_FEE_ROWS,
    MAX_NETWORK_HASHRATE_EH_S,
    MAX_REPLY_BYTES,
    fetch_market_state,
    parse_live_market,
)
from valuation.market import DEFAULT_MARKET

TODAY = date(2026, 11, 29)


@pytest.fixture
def api(live_api_url: str) -> str:
    return live_api_url


def test_live_figures_replace_the_defaults(api: str) -> None:
    live = fetch_market_state(api_url=api, timeout_s=2, today=TODAY)
    assert live.is_live
    m = live.market
    assert m.btc_price_usd == 91_250
    # 150 T x 2^32 / 600 s = 1.0737e21 H/s = 1,073.7 EH/s
    assert m.network_hashrate_eh_s == pytest.approx(150.0e12 * 2**32 / 600 / 1e18)
    assert m.network_hashrate_eh_s == pytest.approx(1073.74, abs=0.01)
    # mean of 2,000,000 and 4,000,000 sats = 3,000,000 sats = 0.03 BTC
    assert m.fees_btc_per_block == pytest.approx(0.03)
    assert m.as_of == TODAY
    assert "live" in m.sources["btc_price_usd"]
    # what was not fetched keeps the defaults
    assert m.network_hashrate_growth_per_year == DEFAULT_MARKET.network_hashrate_growth_per_year
    assert "$91,250" in live.message


def test_unreachable_source_falls_back_to_the_dated_defaults() -> None:
    server = _serve(ANSWERS)
    port = server.server_address[1]
    server.shutdown()
    server.server_close()  # nothing listens on this port any more
    live = fetch_market_state(api_url=f"http://127.0.0.1:{port}/api", timeout_s=1, today=TODAY)
    assert not live.is_live
    assert live.market == DEFAULT_MARKET
    assert "using the defaults as of 2025-11-03" in live.message


def test_a_slow_source_times_out_and_falls_back() -> None:
    server = _serve(ANSWERS, delay_s=2.0)
    try:
        live = fetch_market_state(
            api_url=f"http://127.0.0.1:{server.server_address[1]}/api", timeout_s=0.3
        )
    finally:
        server.shutdown()
    assert not live.is_live
    assert live.market == DEFAULT_MARKET
    assert "timed out" in live.message  # it gave up at its timeout, not after the 2 s answer


def test_a_malformed_answer_names_the_field_and_falls_back() -> None:
    server = _serve({**ANSWERS, "/api/v1/prices": {"time": 1, "USD": "n/a"}})
    try:
        live = fetch_market_state(
            api_url=f"http://127.0.0.1:{server.server_address[1]}/api", timeout_s=2
        )
    finally:
        server.shutdown()
    assert not live.is_live
    assert "prices.USD" in live.message


@pytest.mark.parametrize(
    ("prices", "hashrate", "fees", "field"),
    [
        ({"USD": -5}, ANSWERS["/api/v1/mining/hashrate/3d"], [{"avgFees": 1}], "prices.USD"),
        ({"USD": 1}, {"currentDifficulty": None}, [{"avgFees": 1}], "currentDifficulty"),
        ({"USD": 1}, {"currentDifficulty": 1e12}, [], "fees answer is empty"),
    ],
)
def test_parse_rejects_bad_fields(prices, hashrate, fees, field) -> None:
    with pytest.raises(Exception, match=field):
        parse_live_market(prices, hashrate, fees, DEFAULT_MARKET, TODAY)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="api_url"):
        fetch_market_state(api_url="ftp://example.org")
    with pytest.raises(ValueError, match="timeout_s"):
        fetch_market_state(api_url="http://127.0.0.1:9", timeout_s=0)


def test_the_api_root_comes_from_the_environment(api: str, monkeypatch) -> None:
    monkeypatch.setenv("HASHPIVOT_LIVE_API_URL", api)
    live = fetch_market_state(timeout_s=2, today=TODAY)
    assert live.is_live and api in live.message


# --- Hostile answers: a real server on loopback writes them byte by byte --------------------------


@contextmanager
def _raw_api(
    write: Callable[[BaseHTTPRequestHandler], None], seen: list | None = None
) -> Iterator[str]:
    """A loopback server whose every GET is answered by ``write(handler)`` (status line, headers
    and body as it likes); yields the API root. ``seen`` collects (path, Authorization header)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if seen is not None:
                seen.append((self.path, self.headers.get("Authorization")))
            with suppress(OSError):  # the client hung up: what the bounded reader is meant to do
                write(self)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()


def _answer(handler: BaseHTTPRequestHandler, body: bytes, length: int | None = None) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    if length is not None:
        handler.send_header("Content-Length", str(length))
    handler.end_headers()
    handler.wfile.write(body)


def _normal(handler: BaseHTTPRequestHandler) -> None:
    body = json.dumps(ANSWERS[handler.path.partition("?")[0]]).encode()
    _answer(handler, body, len(body))


def test_a_reply_declared_too_large_is_refused_unread() -> None:
    def huge(handler: BaseHTTPRequestHandler) -> None:
        _answer(handler, b"[" * 1000, length=300_000_000)  # says 300 MB, sends 1 KB

    with _raw_api(huge) as root:
        live = fetch_market_state(api_url=root, timeout_s=2, today=TODAY)
    assert not live.is_live and live.market == DEFAULT_MARKET
    # refused on the declared length, not after waiting for the 300 MB that never come (that
    # would end in the deadline's message instead)
    assert "the reply is 300,000,000 bytes" in live.message
    assert f"at most {MAX_REPLY_BYTES:,} bytes" in live.message


def test_an_undeclared_endless_reply_stops_at_the_byte_cap() -> None:
    sent = [0]

    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.end_headers()  # no Content-Length: the body runs until the connection closes
        chunk = b"1," * 32_768
        while sent[0] < 300_000_000:
            handler.wfile.write(chunk)
            sent[0] += len(chunk)

    with _raw_api(endless) as root:
        live = fetch_market_state(api_url=root, timeout_s=5, today=TODAY)
    assert not live.is_live and live.market == DEFAULT_MARKET
    assert f"more than {MAX_REPLY_BYTES:,} bytes" in live.message
    assert sent[0] < 50 * MAX_REPLY_BYTES  # the client hung up near the cap (plus socket buffers)


def test_a_reply_dripping_slowly_is_cut_at_the_deadline() -> None:
    sent = [0]

    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        for _ in range(100):  # one byte every 0.1 s: each read is well inside the socket timeout
            handler.wfile.write(b" ")
            handler.wfile.flush()
            sent[0] += 1
            time.sleep(0.1)

    with _raw_api(drip) as root:
        live = fetch_market_state(api_url=root, timeout_s=0.5, today=TODAY)
        sent_when_cut = sent[0]
    assert not live.is_live and live.market == DEFAULT_MARKET
    assert "took longer than 0.5 s" in live.message
    assert sent_when_cut < 100  # cut while the drip was still going, not after its 10 s


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (b"[" * 200_000 + b"]" * 200_000, "nested"),  # RecursionError in json
        (b"\xff\xfe{}", "UTF-8"),
        (b"1" * 10_000, "digits"),  # int() refuses more than 4,300 digits
        (b'{"USD": NaN}', "NaN"),
    ],
    ids=["deeply-nested", "not-utf8", "huge-integer", "nan"],
)
def test_a_hostile_json_body_falls_back(body: bytes, what: str) -> None:
    with _raw_api(lambda h: _answer(h, body, len(body))) as root:
        live = fetch_market_state(api_url=root, timeout_s=2, today=TODAY)
    assert not live.is_live and live.market == DEFAULT_MARKET, what
    assert "using the defaults" in live.message


@pytest.mark.parametrize(
    "write",
    [
        lambda h: _answer(h, b'{"USD": 1', length=1000),  # closes after 9 of 1,000 bytes
        lambda h: h.wfile.write(b"NOT-HTTP garbage\r\n\r\n"),  # no status line
        lambda h: h.wfile.write(b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 200 + b"\r\n"),
    ],
    ids=["truncated", "bad-status-line", "too-many-headers"],
)
def test_a_broken_http_answer_falls_back(write) -> None:
    with _raw_api(write) as root:
        live = fetch_market_state(api_url=root, timeout_s=2, today=TODAY)
    assert not live.is_live and live.market == DEFAULT_MARKET
    assert "using the defaults" in live.message


@pytest.mark.parametrize(
    ("path", "answer", "field", "shown"),
    [
        ("/api/v1/prices", {"USD": 1e308}, "prices.USD", "1e+308"),
        ("/api/v1/prices", {"USD": 10_000_001}, "prices.USD", "10000001"),
        ("/api/v1/prices", {"USD": 0.5}, "prices.USD", "0.5"),
        ("/api/v1/prices", {"USD": 10**400}, "prices.USD", "1000000000"),  # float() overflows
        (
            "/api/v1/mining/hashrate/3d",
            {"currentDifficulty": 1e300},
            "hashrate.currentDifficulty",
            "1e+300",
        ),
        ("/api/v1/mining/blocks/fees/24h", [{"avgFees": 1e18}], "fees[0].avgFees", "1e+18"),
    ],
    ids=[
        "price-1e308",
        "price-above-10M",
        "price-below-1",
        "price-400-digits",
        "difficulty-1e300",
        "fees-1e18",
    ],
)
def test_an_out_of_range_figure_falls_back_naming_it(path, answer, field, shown) -> None:
    server = _serve({**ANSWERS, path: answer})
    try:
        live = fetch_market_state(
            api_url=f"http://127.0.0.1:{server.server_address[1]}/api", timeout_s=2, today=TODAY
        )
    finally:
        server.shutdown()
        server.server_close()
    assert not live.is_live and live.market == DEFAULT_MARKET
    assert field in live.message and shown in live.message
    assert "allowed" in live.message


def test_the_range_limits_let_the_real_figures_through() -> None:
    m = parse_live_market(
        {"USD": 9_999_999},
        {"currentDifficulty": 1.3e16},
        [{"avgFees": 50e8}],
        DEFAULT_MARKET,
        TODAY,
    )
    assert m.btc_price_usd == 9_999_999
    assert m.network_hashrate_eh_s < MAX_NETWORK_HASHRATE_EH_S


def test_too_many_fee_rows_are_refused() -> None:
    fees = [{"avgFees": 1}] * (MAX_FEE_ROWS + 1)
    with pytest.raises(LiveDataError, match=f"at most {MAX_FEE_ROWS:,}"):
        parse_live_market({"USD": 1}, {"currentDifficulty": 1e12}, fees, DEFAULT_MARKET, TODAY)


def test_a_long_bad_value_is_cut_short_in_the_message() -> None:
    with pytest.raises(LiveDataError, match="prices.USD") as info:
        parse_live_market(
            {"USD": "x" * 100_000}, {"currentDifficulty": 1e12}, [1], DEFAULT_MARKET, TODAY
        )
    assert len(str(info.value)) < 300


PASSWORD = "s3cret-Pw"


def test_credentials_never_appear_in_a_fallback_message() -> None:
    server = _serve(ANSWERS)
    port = server.server_address[1]
    server.shutdown()
    server.server_close()  # nothing listens here any more
    live = fetch_market_state(
        api_url=f"http://ana:{PASSWORD}@127.0.0.1:{port}/api", timeout_s=1, today=TODAY
    )
    assert not live.is_live
    assert PASSWORD not in live.message
    assert "ana:***@127.0.0.1" in live.message


def test_credentials_go_as_basic_auth_and_stay_out_of_the_message() -> None:
    seen: list = []
    with _raw_api(_normal, seen) as root:
        url = root.replace("http://", f"http://ana:{PASSWORD}@")
        live = fetch_market_state(api_url=url, timeout_s=2, today=TODAY)
    assert live.is_live, live.message
    assert PASSWORD not in live.message and "ana:***@" in live.message
    expected = "Basic " + base64.b64encode(f"ana:{PASSWORD}".encode()).decode()
    assert [auth for _, auth in seen] == [expected] * 3
    assert all(path.startswith("/api/v1/") for path, _ in seen)  # no user-info in the request


def test_a_query_on_the_api_root_stays_after_each_endpoint_and_is_masked() -> None:
    seen: list = []
    with _raw_api(_normal, seen) as root:
        live = fetch_market_state(api_url=f"{root}?api_key={PASSWORD}", timeout_s=2, today=TODAY)
    assert live.is_live, live.message
    assert [path for path, _ in seen] == [
        f"/api/v1/prices?api_key={PASSWORD}",
        f"/api/v1/mining/hashrate/3d?api_key={PASSWORD}",
        f"/api/v1/mining/blocks/fees/24h?api_key={PASSWORD}",
    ]
    assert PASSWORD not in live.message and "api_key=***" in live.message


@pytest.mark.parametrize(
    "url",
    [f"ftp://ana:{PASSWORD}@example.org/api", f"http://ana:{PASSWORD}@127.0.0.1/" + "a" * 5000],
    ids=["ftp", "too-long"],
)
def test_a_refused_url_is_named_without_its_password(url: str) -> None:
    with pytest.raises(ValueError, match="api_url") as info:
        fetch_market_state(api_url=url)
    assert PASSWORD not in str(info.value)
    assert len(str(info.value)) < 500


def test_a_redirect_away_from_http_is_refused() -> None:
    def redirect(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", "ftp://127.0.0.1:9/x")
        handler.end_headers()

    with _raw_api(redirect) as root:
        live = fetch_market_state(api_url=root, timeout_s=2, today=TODAY)
    assert not live.is_live and "using the defaults" in live.message
    assert "redirected to ftp://127.0.0.1:9/x" in live.message
