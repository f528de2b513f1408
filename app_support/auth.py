"""Who may see and who may change the inventory.

Off by default: with no ``[auth]`` section in Streamlit's secrets file the app is the embedded
default for one person on a laptop, and everyone is the editor "local". With an ``[auth]`` section
(Streamlit's built-in OpenID Connect sign-in, ``st.login``), every visitor must sign in, and
``[hashpivot]`` in the same secrets file lists who may do what::

    [hashpivot]
    editors = ["alice@example.com"]        # may save, delete, import and restore
    viewers = ["bob@example.com"]          # optional: without it, anyone signed in may view

The store records the signed-in user's e-mail with every change (``sites.store`` audit trail).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import streamlit as st

from sites.store import LOCAL_USER

EDITOR = "editor"
VIEWER = "viewer"
ACCESS_KEY = "hashpivot_access"


@dataclass(frozen=True)
class Access:
    """The user of this session and what they may do."""

    user: str  # e-mail of the signed-in user, or "local" when sign-in is off
    role: str  # EDITOR or VIEWER

    @property
    def can_edit(self) -> bool:
        return self.role == EDITOR


@dataclass(frozen=True)
class AuthSettings:
    """Sign-in on or off, and the role lists (lower-case e-mails); ``viewers`` None = anyone."""

    enabled: bool
    editors: frozenset[str] = frozenset()
    viewers: frozenset[str] | None = None


def _emails(values: object, key: str) -> frozenset[str]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValueError(f"[hashpivot] {key} must be a list of e-mail addresses")
    return frozenset(str(v).strip().lower() for v in values if str(v).strip())


def settings_from(secrets: Mapping[str, object]) -> AuthSettings:
    """Sign-in settings from a secrets mapping: on when it has an ``[auth]`` section."""
    if "auth" not in secrets:
        return AuthSettings(enabled=False)
    section = secrets.get("hashpivot", {}) or {}
    if not isinstance(section, Mapping):
        raise ValueError("[hashpivot] in the secrets file must be a table")
    editors = _emails(section.get("editors", []), "editors")
    viewers = section.get("viewers")
    return AuthSettings(
        enabled=True,
        editors=editors,
        viewers=None if viewers is None else _emails(viewers, "viewers"),
    )


def role_for(email: str | None, settings: AuthSettings) -> str | None:
    """EDITOR, VIEWER, or None (may not use the app) for a signed-in e-mail."""
    if not settings.enabled:
        return EDITOR
    if not email:
        return None
    who = email.strip().lower()
    if who in settings.editors:
        return EDITOR
    if settings.viewers is None or who in settings.viewers:
        return VIEWER
    return None


def _secrets() -> Mapping[str, object]:
    try:
        return {k: st.secrets[k] for k in st.secrets}
    except Exception:  # no secrets file: sign-in is off
        return {}


def gate() -> Access:
    """Run at the top of every page run (app.py): sign the visitor in when sign-in is on, stop
    the run for a visitor who is not signed in or not allowed, and remember the Access."""
    settings = settings_from(_secrets())
    if not settings.enabled:
        access = Access(LOCAL_USER, EDITOR)
        st.session_state[ACCESS_KEY] = access
        return access
    if not st.user.is_logged_in:
        st.session_state.pop(ACCESS_KEY, None)
        st.title("Hashpivot")
        st.info("Sign in to see the site inventory and its valuations.")
        st.button("Sign in", type="primary", on_click=st.login)
        st.stop()
    email = st.user.get("email")
    role = role_for(str(email) if email else None, settings)
    if role is None:
        st.session_state.pop(ACCESS_KEY, None)
        st.error("This account may not use Hashpivot. Ask an administrator to add it.")
        st.text(f"Signed in as {email or 'an account without an e-mail address'}")
        st.button("Sign out", on_click=st.logout)
        st.stop()
    access = Access(str(email), role)
    st.session_state[ACCESS_KEY] = access
    with st.sidebar:
        st.text(f"Signed in as {access.user} ({access.role})")
        st.button("Sign out", on_click=st.logout, key="sign_out")
    return access


def current() -> Access:
    """This session's Access (set by ``gate``); viewer-only if the gate has not run."""
    access = st.session_state.get(ACCESS_KEY)
    return access if isinstance(access, Access) else Access(LOCAL_USER, VIEWER)
