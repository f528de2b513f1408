"""Live market data, only on an explicit call: BTC price, network difficulty and fees per block.

Nothing here runs at import time. ``fetch_market_state`` asks a mempool.space-compatible REST API
(the public instance by default, or the user's own node) with a timeout, and on any failure
returns the dated offline defaults with a message saying what failed, so a valuation never stops
for want of a network.

The API is not trusted: each reply is read to at most ``MAX_REPLY_BYTES`` within ``timeout_s``,
and each figure must lie in a sane range (``MIN_``/``MAX_`` constants below) or the fetch falls
back naming the field and its value. Credentials in the URL (``https://user:password@host/api``)
are sent as HTTP Basic authentication, never in the request line, and are masked (``***``) in
every message.

Endpoints (mempool.space REST API reference, https://mempool.space/api, read 2026-11-29):
``GET /v1/prices`` -> ``{"time": s, "USD": price, ...}``;
``GET /v1/mining/hashrate/3d`` -> ``{"currentHashrate": H/s, "currentDifficulty": D, ...}``;
``GET /v1/mining/blocks/fees/24h`` -> ``[{"avgHeight", "timestamp", "avgFees": sats}, ...]``.
"""

from __future__ import annotations

import base64
import http.client
import json
import math
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import IO, Any

from sites.redact import mask_credentials, url_secrets
from valuation.errors import LiveDataError
from valuation.market import (
    DEFAULT_MARKET,
    MAX_BTC_PRICE_USD,
    MAX_NETWORK_HASHRATE_EH_S,
    MarketState,
    difficulty_from_hashrate_eh_s,
    hashrate_eh_s_from_difficulty,
)

DEFAULT_API_URL = "https://mempool.space/api"
API_URL_ENV_VAR = "HASHPIVOT_LIVE_API_URL"  # e.g. the user's own mempool node
DEFAULT_TIMEOUT_S = 5.0
SATS_PER_BTC = 100_000_000
MAX_API_URL_CHARS = 2_048  # the common practical limit for a URL; an API root is far shorter

# A market API reply is a few KB (mempool.space: /v1/prices ~150 B, /v1/mining/hashrate/3d and
# /v1/mining/blocks/fees/24h ~10 KB each). 1 MB leaves ample room for a chatty node while a broken
# or hostile server (300 MB took the process to 1.3 GB) cannot fill memory.
MAX_REPLY_BYTES = 1_000_000
_READ_CHUNK_BYTES = 64 * 1024

# Sane ranges for the fetched figures: wide enough for any real market, narrow enough that a
# broken feed (USD 1e308 overflows the valuation's products to inf) falls back instead.
# BTC above $1 since 2011; the upper limits are the scenario's own (valuation.market).
MIN_BTC_PRICE_USD = 1.0
MIN_DIFFICULTY = 1.0  # the protocol minimum
MAX_DIFFICULTY = float(difficulty_from_hashrate_eh_s(MAX_NETWORK_HASHRATE_EH_S))  # ~1.4e16
# Fees per block: the largest fee ever paid by one transaction was ~291 BTC (2016); 1,000 BTC
# per block is far above any real average.
MAX_FEES_BTC_PER_BLOCK = 1_000.0
# /v1/mining/blocks/fees/24h answers ~144 blocks (grouped); 10,000 rows is far beyond a day.
MAX_FEE_ROWS = 10_000
_MAX_SHOWN_CHARS = 80  # a value quoted in a message is cut to this many characters


@dataclass(frozen=True)
class LiveMarket:
    """The market state to use and where it came from.

    ``is_live`` is False when the call failed and ``market`` is the offline fallback; ``message``
    says what was fetched, or what failed, in words for the app.
    """

    market: MarketState
    is_live: bool
    message: str


def _clip(text: str, limit: int = _MAX_SHOWN_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _shown(value: object) -> str:
    """``repr(value)`` cut short for a message (a reply may hold a megabyte-long string)."""
    return _clip(repr(value))


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s): urllib would also follow one to ftp://, which the byte
    cap and the deadline below do not cover. (The Basic-auth header is never forwarded: it is an
    unredirected header.)"""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if not newurl.lower().startswith(("http://", "https://")):
            fp.close()
            raise LiveDataError(
                f"the API redirected to {_clip(newurl)}; allowed: an http:// or https:// address"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _read_capped(response: http.client.HTTPResponse, deadline: float, timeout_s: float) -> bytes:
    """The reply's body: at most ``MAX_REPLY_BYTES``, all of it before ``deadline``.

    The socket timeout bounds each read only (a server dripping a byte a second never trips it),
    so the deadline is checked between reads; each read is one system call (``read1``) that the
    socket timeout bounds, so a body ends within about ``2 x timeout_s`` of the request's start.
    """
    declared = (response.headers.get("Content-Length") or "").strip()
    digits = declared.isascii() and declared.isdigit()
    if digits and (len(declared) > 12 or int(declared) > MAX_REPLY_BYTES):
        size = f"{int(declared):,}" if len(declared) <= 12 else f"a {len(declared)}-digit number of"
        raise LiveDataError(
            f"the reply is {size} bytes; at most {MAX_REPLY_BYTES:,} bytes are allowed"
        )
    chunks: list[bytes] = []
    total = 0
    while True:
        if time.monotonic() > deadline:
            raise LiveDataError(
                f"the reply took longer than {timeout_s:g} s; allowed: {timeout_s:g} s per request"
            )
        chunk = response.read1(min(_READ_CHUNK_BYTES, MAX_REPLY_BYTES + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > MAX_REPLY_BYTES:
            raise LiveDataError(
                f"the reply is more than {MAX_REPLY_BYTES:,} bytes; at most {MAX_REPLY_BYTES:,} "
                "bytes are allowed"
            )
    if response.length:  # the server closed the connection before its Content-Length
        raise LiveDataError(f"the reply ended after {total:,} of {total + response.length:,} bytes")
    return b"".join(chunks)


def _get_json(url: str, timeout_s: float, authorization: str | None = None) -> object:
    """GET ``url`` and parse its JSON, bounded in bytes and in wall time (see ``_read_capped``)."""
    deadline = time.monotonic() + timeout_s
    request = urllib.request.Request(url, headers={"User-Agent": "hashpivot"})
    if authorization:
        request.add_unredirected_header("Authorization", authorization)
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    with opener.open(request, timeout=timeout_s) as response:  # http(s) only: checked by the caller
        body = _read_capped(response, deadline, timeout_s)
    return json.loads(body.decode("utf-8"))


def _number_in(value: object, field: str, low: float, high: float, allowed: str) -> float:
    """``value`` as a float if it is a number in ``[low, high]``; else a LiveDataError naming the
    field, the value (cut short) and ``allowed``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LiveDataError(f"{field} is {_shown(value)}; expected a number ({allowed})")
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        number = math.inf
    if not (math.isfinite(number) and low <= number <= high):
        raise LiveDataError(f"{field} is {_shown(value)}; allowed: {allowed}")
    return number


def parse_live_market(
    prices: object, hashrate: object, fees: object, base: MarketState, as_of: date
) -> MarketState:
    """Build a MarketState from the three endpoint answers; fields not fetched keep ``base``.

    Fees per block: the mean of the 24 h ``avgFees`` (sats) converted to BTC. Network hashrate:
    from ``currentDifficulty`` (D x 2^32 / 600 s), the same definition as the defaults.
    """
    if not isinstance(prices, dict):
        raise LiveDataError(f"prices answer is {type(prices).__name__}; expected an object")
    if not isinstance(hashrate, dict):
        raise LiveDataError(f"hashrate answer is {type(hashrate).__name__}; expected an object")
    if not isinstance(fees, list) or not fees:
        raise LiveDataError("fees answer is empty; expected a list of blocks with avgFees")
    if len(fees) > MAX_FEE_ROWS:
        raise LiveDataError(
            f"fees answer has {len(fees):,} rows; at most {MAX_FEE_ROWS:,} are allowed"
        )
    btc_price_usd = _number_in(
        prices.get("USD"),
        "prices.USD",
        MIN_BTC_PRICE_USD,
        MAX_BTC_PRICE_USD,
        f"{MIN_BTC_PRICE_USD:,.0f} to {MAX_BTC_PRICE_USD:,.0f} USD per BTC",
    )
    difficulty = _number_in(
        hashrate.get("currentDifficulty"),
        "hashrate.currentDifficulty",
        MIN_DIFFICULTY,
        MAX_DIFFICULTY,
        f"{MIN_DIFFICULTY:,.0f} to {MAX_DIFFICULTY:.3g} (a network of at most "
        f"{MAX_NETWORK_HASHRATE_EH_S:,.0f} EH/s)",
    )
    max_fee_sats = MAX_FEES_BTC_PER_BLOCK * SATS_PER_BTC
    fee_sats = [
        _number_in(
            row.get("avgFees") if isinstance(row, dict) else row,
            f"fees[{i}].avgFees",
            math.nextafter(0.0, 1.0),  # more than 0, as before
            max_fee_sats,
            f"more than 0 and at most {max_fee_sats:,.0f} sats ({MAX_FEES_BTC_PER_BLOCK:,.0f} BTC)",
        )
        for i, row in enumerate(fees)
    ]
    fees_btc_per_block = sum(fee_sats) / len(fee_sats) / SATS_PER_BTC
    source = f"live, mempool.space-compatible API, fetched {as_of.isoformat()}"
    return replace(
        base,
        as_of=as_of,
        btc_price_usd=btc_price_usd,
        network_hashrate_eh_s=float(hashrate_eh_s_from_difficulty(difficulty)),
        fees_btc_per_block=fees_btc_per_block,
        sources={
            **base.sources,
            "as_of": source,
            "btc_price_usd": f"{source}: /v1/prices USD",
            "network_hashrate_eh_s": f"{source}: /v1/mining/hashrate/3d currentDifficulty",
            "fees_btc_per_block": f"{source}: mean avgFees of /v1/mining/blocks/fees/24h",
        },
    )


def fetch_market_state(
    base: MarketState = DEFAULT_MARKET,
    *,
    api_url: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    today: date | None = None,
) -> LiveMarket:
    """Fetch today's BTC price, difficulty and fees; fall back to ``base`` on any failure.

    ``api_url``: the API root; None takes ``$HASHPIVOT_LIVE_API_URL`` or the public instance.
    Only http(s) URLs of at most ``MAX_API_URL_CHARS`` characters are accepted (else
    ``ValueError``); ``user:password@`` in it is sent as HTTP Basic authentication.
    ``timeout_s`` bounds each of the three requests, its whole download included. Every message
    masks the URL's credentials.
    """
    api_url = api_url or os.environ.get(API_URL_ENV_VAR) or DEFAULT_API_URL
    secrets = url_secrets(api_url)

    def masked(text: object, limit: int) -> str:  # mask first: a cut could split a password
        return _clip(mask_credentials(text, secrets), limit)

    if len(api_url) > MAX_API_URL_CHARS:
        raise ValueError(
            f"api_url is {len(api_url):,} characters long ({masked(api_url, 60)}); allowed: an "
            f"http:// or https:// URL of at most {MAX_API_URL_CHARS:,} characters"
        )
    if not api_url.startswith(("http://", "https://")):
        raise ValueError(
            f"api_url is {masked(repr(api_url), 200)}; allowed: an http:// or https:// URL"
        )
    if not (math.isfinite(timeout_s) and timeout_s > 0):
        raise ValueError(f"timeout_s is {timeout_s!r}; allowed: a positive number of seconds")
    shown_root = masked(api_url.rstrip("/"), 200)
    as_of = today or datetime.now(UTC).date()
    try:
        root, authorization = _split_credentials(api_url)
        prices = _get_json(_endpoint(root, "/v1/prices"), timeout_s, authorization)
        hashrate = _get_json(_endpoint(root, "/v1/mining/hashrate/3d"), timeout_s, authorization)
        fees = _get_json(_endpoint(root, "/v1/mining/blocks/fees/24h"), timeout_s, authorization)
        market = parse_live_market(prices, hashrate, fees, base, as_of)
    # Everything a server or the network can cause: OSError covers URLError, HTTPError and
    # timeouts; HTTPException a broken status line, too many headers or an InvalidURL;
    # ValueError bad JSON or UTF-8 (and MarketError); RecursionError deeply nested JSON.
    except (
        OSError,
        http.client.HTTPException,
        ValueError,
        RecursionError,
        LiveDataError,
    ) as exc:
        if isinstance(exc, urllib.error.HTTPError):
            reason: object = f"HTTP {exc.code} {exc.reason}"
        else:
            reason = getattr(exc, "reason", exc) or type(exc).__name__
        return LiveMarket(
            base,
            False,
            f"Live data unavailable from {shown_root} ({masked(reason, 300)}); using the "
            f"defaults as of {base.as_of.isoformat()}.",
        )
    return LiveMarket(
        market,
        True,
        f"Live data from {shown_root} as of {as_of.isoformat()}: "
        f"BTC ${market.btc_price_usd:,.0f}, {market.network_hashrate_eh_s:,.0f} EH/s, "
        f"{market.fees_btc_per_block:.4f} BTC fees per block.",
    )


def _split_credentials(api_url: str) -> tuple[urllib.parse.SplitResult, str | None]:
    """The API root without ``user:password@`` (urllib would take it for part of the host name),
    and the HTTP Basic ``Authorization`` value it stands for (None without credentials)."""
    parts = urllib.parse.urlsplit(api_url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    root = parts._replace(netloc=hostport)
    if not at:
        return root, None
    user, _, password = userinfo.partition(":")
    pair = f"{urllib.parse.unquote(user)}:{urllib.parse.unquote(password)}"
    return root, "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def _endpoint(root: urllib.parse.SplitResult, path: str) -> str:
    """``path`` under the root's path; the root's query (e.g. ``?api_key=...``) is kept."""
    return urllib.parse.urlunsplit(root._replace(path=root.path.rstrip("/") + path))
