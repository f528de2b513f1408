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
# user:password@host quoted without its scheme (as a resolver error quotes a host it was given)
_BARE_USERINFO = re.compile(r"(?<![\w/:])(?P<user>[\w.+\-%]+):(?P<password>[^\s/'\"@]+)@(?=[\w\[])")
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


def url_secrets(url: str) -> tuple[str, ...]:
    """The secret pieces of a URL, to scrub from messages that quote parts of it: the password
    (everything between the user's ':' and the LAST '@' of the authority), each piece of it
    between unencoded '@' (a driver that split it there may quote ``tail@host``), and the values
    of credential-like query parameters."""
    found: list[str] = []
    m = _USERINFO.search(url)
    if m:
        _, sep, password = m.group("userinfo").partition(":")
        if sep and password:
            found.append(password)
            found.extend(piece for piece in password.split("@") if len(piece) >= 3)
    found.extend(p.group("value") for p in _PAIR.finditer(url))
    return tuple(sorted(set(found), key=len, reverse=True))


def mask_credentials(text: object, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with every password, token or secret replaced by ``***``.

    Parameters
    ----------
    text : object
        Any object, as ``str`` (an error message, a database URL).
    secrets : tuple of str, default ()
        Literal strings to hide too (``url_secrets`` of the URL a message is about).

    Returns
    -------
    str
        The text with the URL user-info password and ``key=value`` secrets masked.

    Examples
    --------
    >>> from sites.redact import mask_credentials
    >>> mask_credentials("postgresql://ana:s3cret@db.example.com/sites")
    'postgresql://ana:***@db.example.com/sites'
    >>> mask_credentials("could not connect: token=abc123")
    'could not connect: token=***'
    """
    out = str(text)
    for secret in secrets:
        if secret:
            out = out.replace(secret, MASK)
    out = _USERINFO.sub(_mask_userinfo, out)
    out = _BARE_USERINFO.sub(lambda m: f"{m.group('user')}:{MASK}@", out)
    return _PAIR.sub(lambda m: f"{m.group('key')}{m.group('sep')}{MASK}", out)
