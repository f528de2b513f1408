"""User text shown safely: never as Markdown or HTML, credentials never shown.

Site names, operators, counties, ids and notes come from users and files. Streamlit renders the
body of ``st.markdown``, ``st.caption``, ``st.warning`` and friends as Markdown, where
``![x](http://host/p.png)`` makes the viewer's browser fetch that address and ``[t](https://..)``
is a live link. Pages show user text with ``st.text`` or in tables; where a sentence mixes user
text into Markdown, ``md_escape`` makes every Markdown character literal. The map's tooltip is a
deck.gl TEXT tooltip (never an HTML template), so its values need no escaping. ``safe_message`` is
what a page shows for an exception.
"""

from __future__ import annotations

import re

from sites.redact import mask_credentials

# Every ASCII punctuation character may be backslash-escaped in CommonMark (spec 2.4); escaping
# them all leaves no link, image, emphasis, heading, list, table, HTML, math ($) or Streamlit
# directive (:red[...], :material/icon:) syntax.
_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")
_NEWLINES = re.compile(r"[\r\n]+")
# GitHub-flavoured Markdown makes a bare URL, "www.host" or an e-mail address a live link after
# escapes are read, so escaping cannot stop it: a WORD JOINER (U+2060, invisible) inside "://",
# after "www" and after "@" breaks each pattern.
_WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"://|(?i:\bwww)(?=\.)|@")
MAX_MESSAGE_CHARS = 2_000  # a page shows at most this much of an error's message


def _unlinked(text: str) -> str:
    return _AUTOLINK.sub(
        lambda m: ":" + _WORD_JOINER + "//" if m.group(0) == "://" else m.group(0) + _WORD_JOINER,
        text,
    )


def md_escape(text: object, secrets: tuple[str, ...] = ()) -> str:
    """``text`` made literal inside Markdown: ASCII punctuation backslash-escaped, line breaks
    turned into spaces (a newline could start a heading, a list or a table), no bare URL, "www."
    or e-mail address left to become a link, credentials masked (``secrets``: literal strings
    to hide too, see ``sites.redact.url_secrets``)."""
    flat = _NEWLINES.sub(" ", mask_credentials(text, secrets))
    return _MD_PUNCT.sub(r"\\\1", _unlinked(flat))


def plain_message(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """An exception's message as plain text (for ``st.text``): credentials masked, cut to
    :data:`MAX_MESSAGE_CHARS` (a file's 100,000-character column name may be in it)."""
    text = mask_credentials(str(exc) or type(exc).__name__, secrets)
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS] + f"… ({len(text) - MAX_MESSAGE_CHARS:,} more characters)"
    return text


def safe_message(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """An exception's message for a page: :func:`plain_message` with Markdown made literal."""
    return md_escape(plain_message(exc, secrets))
