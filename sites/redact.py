"""Hide credentials in any text before it reaches a user: one helper for every message and page.

``mask_credentials`` replaces the password of every ``scheme://user:password@host`` URL (up to the
LAST ``@`` before the host, so a password holding an unencoded ``@`` is hidden whole) and the value
of every credential-like query parameter or ``key=value`` pair (``password``, ``passwd``, ``pwd``,
``secret``, ``token``, ``api_key``, ``apikey``, ``access_token``, ``client_secret``, ``key``,
``sslpassword``) with ``***``.
"""

from __future__ import annotations

import re

MASK = "***"
# scheme://user:password@host... : userinfo runs to the last '@' before the first '/', '?', '#'
# or whitespace that follows it.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^\s/?#]*)@")
_SECRET_KEYS = (
    "password",
    "passwd",
    "pwd",
    "secret",
    "client_secret",
    "token",
    "access_token",
    "refresh_token",
    "api_key",
    "apikey",
    "key",
    "sslpassword",
    "sslkey",
)
# key=value in a query string, a libpq DSN ("password=x host=y") or a message; value runs to the
# next '&', whitespace, quote, ';', ',' or ')'.
_PAIR = re.compile(
    r"(?P<key>\b(?:" + "|".join(_SECRET_KEYS) + r"))(?P<sep>\s*=\s*)(?P<value>[^&\s'\";,)]+)",
    re.IGNORECASE,
)


def _mask_userinfo(match: re.Match[str]) -> str:
    userinfo = match.group("userinfo")
    user, sep, _ = userinfo.partition(":")
    return f"{match.group('scheme')}{user}{':' + MASK if sep else ''}@"


def mask_credentials(text: object) -> str:
    """``text`` (any object, as ``str``) with every password, token or secret replaced by ``***``."""
    out = str(text)
    out = _USERINFO.sub(_mask_userinfo, out)
    return _PAIR.sub(lambda m: f"{m.group('key')}{m.group('sep')}{MASK}", out)
