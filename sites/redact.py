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
# or whitespace that follows it. The scheme starts where no scheme character precedes it and is
# at most 32 characters: unanchored, a long run of letters was rescanned from every position
# (quadratic: 100,000 letters in an uploaded header held the server for 9 s).
_USERINFO = re.compile(
    r"(?P<scheme>(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]{0,31}://)"
    r"(?P<userinfo>[^\s/?#]{0,512})@"
)
# user:password@host quoted without its scheme (as a resolver error quotes a host it was given);
# the user starts where no user character precedes it and each part is bounded, so a text such
# as "a:b;a:b;..." costs a bounded scan per start, not one to the end of the text.
_BARE_USERINFO = re.compile(
    r"(?<![\w/:.+\-%])(?P<user>[\w.+\-%]{1,128}):(?P<password>[^\s/'\"@]{1,256})@(?=[\w\[])"
)
# A URL-like token in any text: its password is found as ``url_secrets`` finds it (one holding
# '/', '?', '#' is cut short by the user-info pattern above).
_URL_TOKEN = re.compile(r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]{0,31}://[^\s'\"<>]{1,2048}")
# A password's pieces where a parser may split it: at '@' (3 characters or more, as a driver
# quotes "tail@host"), and at '/', '?', '#', ':' or a space (4 or more: shorter pieces would
# mask ordinary words of the message).
_AT_SPLIT = re.compile(r"@")
_URL_SPLIT = re.compile(r"[/?#\s:]+")
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
    r"(?P<key>\b(?:" + "|".join(_SECRET_KEYS) + r"))(?P<sep>\s*=\s*)(?P<value>[^&\s'\";,)]{1,512})",
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
    passwords = []
    m = _USERINFO.search(url)
    if m:
        passwords.append(m.group("userinfo").partition(":"))
    # A password holding an unencoded '/', '?', '#' or a space ends the pattern's user-info
    # early (SQLAlchemy still reads it whole, splitting at the last '@'): the authority read to
    # the URL's last '@' gives it too (more text hidden, never less).
    if "://" in url and "@" in url:
        passwords.append(url.split("://", 1)[1].rpartition("@")[0].partition(":"))
    for _, sep, password in passwords:
        if sep and password:
            found.append(password)
            found.extend(p for p in _AT_SPLIT.split(password) if len(p) >= 3)
            found.extend(p for p in _URL_SPLIT.split(password) if len(p) >= 4)
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
    # each URL in the text gives its own password (whole, even holding '/', '?', '#' or a space)
    secrets = (*secrets, *(s for t in _URL_TOKEN.findall(out) for s in url_secrets(t)))
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret:
            out = out.replace(secret, MASK)
    out = _USERINFO.sub(_mask_userinfo, out)
    out = _BARE_USERINFO.sub(lambda m: f"{m.group('user')}:{MASK}@", out)
    return _PAIR.sub(lambda m: f"{m.group('key')}{m.group('sep')}{MASK}", out)
