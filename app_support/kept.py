"""Controls whose value outlives a visit to another page.

Streamlit forgets a widget's value when a run does not draw it (the reader is on another page),
so a budget typed on the plan page came back empty after a look at the portfolio. Such a
control keeps its value under a key of its own, which Streamlit does not clear: the widget
starts from it (``value=kept(key, default)``) and saves to it on every change
(``on_change=keep(key)``); ``kept_value`` gives a number input or slider all three. The widget
keeps its own key, so its identity does not change."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import streamlit as st

T = TypeVar("T")
_PREFIX = "kept:"


def kept(key: str, default: T) -> T:
    """The value the control ``key`` last had this session, else ``default``."""
    return st.session_state.get(_PREFIX + key, default)


def kept_value(key: str, default: Any) -> dict[str, Any]:
    """The keyword arguments of a number input or slider whose value is kept: its ``key``, the
    ``value`` it starts from and the ``on_change`` that saves it (``st.slider(label, lo, hi,
    **kept_value("plan_ltc", 0.8))``)."""
    return {"key": key, "value": kept(key, default), "on_change": keep(key)}


def kept_choices(key: str, options: Sequence[Any], default: Sequence[Any] = ()) -> list[Any]:
    """A multiselect's kept choices that are still among ``options`` (the inventory may have
    changed since), else ``default``."""
    return [v for v in kept(key, list(default)) if v in options]


def kept_index(key: str, options: Sequence[Any], default: int = 0) -> int:
    """A selectbox's or radio's kept choice as an index into ``options``, else ``default``."""
    value = kept(key, None)
    return list(options).index(value) if value in options else default


def keep(key: str) -> Callable[[], None]:
    """The ``on_change`` callback that saves the control's value as it changes."""

    def save() -> None:
        st.session_state[_PREFIX + key] = st.session_state[key]

    return save


def set_kept(key: str, value: Any) -> None:
    """Set a control and its kept value at once (a button's callback moving a control, or a
    page filling it in from a link)."""
    st.session_state[key] = value
    st.session_state[_PREFIX + key] = value
