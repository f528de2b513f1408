"""A named scenario as it is saved (the store's scenario table, a JSON file): its changes against
the base scenario and the market snapshot date it was made on, so a newer snapshot re-bases it and
shows what moved.

Saved form (JSON-ready)::

    {"format": 1, "changes": {...}, "market_as_of": "2025-11-03"}

(a risk preset adds ``risk_drivers`` and ``risk_preset``, ``valuation.risk_presets``, and the app
``market_snapshot``; any other top-level key is refused, by name).

``changes`` holds only the inputs that differ from ``Scenario()`` (nested like
``Scenario.to_dict()``: ``{"market": {"btc_price_usd": 90000.0}, "lease_rate_usd_per_kw_month":
110.0}``). Reading also accepts a plain ``Scenario.to_dict()`` (whole or partial), as a file
written by hand would be.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from datetime import date
from typing import Any

from valuation.errors import ValuationError
from valuation.market import GENESIS_DATE, LAST_MARKET_DATE, MAX_DATE_TEXT_LENGTH
from valuation.power import MAX_SOURCE_LENGTH
from valuation.scenario import Scenario

FORMAT_VERSION = 1
# The saved form's top level, nothing else: its own keys, the two a risk preset adds
# (valuation.risk_presets: its Monte Carlo drivers, read there, and which preset it is) and the
# market the app saves beside it (app_support.assumptions.saved_data, read by what_moved).
SAVED_KEYS = (
    "format", "changes", "market_as_of", "risk_drivers", "risk_preset", "market_snapshot",
)  # fmt: skip
# Sanity limits on any value of a saved scenario, checked before its inputs are read, so that a
# value no input allows is named by where it is (not quoted whole, or failing in float()):
# * a whole number of at most 20 digits: every input's own bound is far below 10^20 (the largest,
#   capex, 10^8 USD per MW); beyond ~309 digits an int is no float at all.
MAX_WHOLE_NUMBER_DIGITS = 20
# * text of at most the longest text an input holds (a demand-response program's source).
MAX_TEXT_LENGTH = MAX_SOURCE_LENGTH
# * a key of at most 100 characters: the longest input name has 36.
MAX_KEY_LENGTH = 100


class SavedScenarioError(ValuationError, ValueError):
    """A saved scenario cannot be read: unknown fields, values out of range, a bad shape."""


def scenario_changes(scenario: Scenario, base: Scenario | None = None) -> dict[str, Any]:
    """The inputs of ``scenario`` that differ from ``base`` (``Scenario()`` when None), nested as
    ``Scenario.to_dict()``; lists (DR programs) are kept whole when any part differs."""
    return _diff(scenario.to_dict(), (base or Scenario()).to_dict())


def _diff(new: Mapping[str, Any], old: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            inner = _diff(value, before)
            if inner:
                out[key] = inner
        elif value != before:
            out[key] = value
    return out


def saved_form(scenario: Scenario) -> dict[str, Any]:
    """What to save for ``scenario``: its changes against the base and its market's date.

    Parameters
    ----------
    scenario : Scenario
        The scenario to save.

    Returns
    -------
    dict
        JSON-ready: ``format`` (the saved form's version), ``changes`` (inputs that differ from
        ``Scenario()``, in their units) and ``market_as_of`` (ISO date).

    Examples
    --------
    >>> import dataclasses
    >>> from valuation.saved_scenario import saved_form
    >>> from valuation.scenario import Scenario
    >>> saved_form(dataclasses.replace(Scenario(), lease_rate_usd_per_kw_month=140.0))
    {'format': 1, 'changes': {'lease_rate_usd_per_kw_month': 140.0}, 'market_as_of': '2025-11-03'}
    """
    return {
        "format": FORMAT_VERSION,
        "changes": scenario_changes(scenario),
        "market_as_of": scenario.market.as_of.isoformat(),
    }


def scenario_from_saved(data: Mapping[str, Any]) -> Scenario:
    """The scenario a saved form (or a plain ``Scenario.to_dict()``, whole or partial) describes.

    The changes are applied to today's base scenario.

    Parameters
    ----------
    data : mapping
        A :func:`saved_form`, or a ``Scenario.to_dict()`` (whole or partial).

    Returns
    -------
    Scenario
        The base scenario with the saved changes.

    Raises
    ------
    SavedScenarioError
        Naming the problem (wrong format version, an unknown or invalid input).

    Examples
    --------
    >>> from valuation.saved_scenario import scenario_from_saved
    >>> saved = {"format": 1, "changes": {"lease_rate_usd_per_kw_month": 140.0}}
    >>> scenario_from_saved(saved).lease_rate_usd_per_kw_month
    140.0
    """
    if not isinstance(data, Mapping):
        raise SavedScenarioError(f"a saved scenario is a JSON object; got {type(data).__name__}")
    _check_values(data)
    if "changes" in data:
        unknown = [k for k in data if k not in SAVED_KEYS]
        if unknown:
            raise SavedScenarioError(
                f"unknown key{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(reprlib.repr(k) for k in unknown)} beside 'changes'; allowed: "
                f"{', '.join(SAVED_KEYS)} (or a scenario's inputs alone, without 'changes')"
            )
        version = data.get("format", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise SavedScenarioError(
                f"format = {reprlib.repr(version)}: this Hashpivot reads saved scenarios of "
                f"format {FORMAT_VERSION}"
            )
        if "market_as_of" in data:
            _check_market_as_of(data["market_as_of"])
        snapshot = data.get("market_snapshot", {})  # risk_drivers: valuation.risk_presets reads it
        if not isinstance(snapshot, Mapping):
            raise SavedScenarioError(
                f"market_snapshot = {reprlib.repr(snapshot)}: allowed: a JSON object of the "
                "market's fields"
            )
        changes = data["changes"]
        if not isinstance(changes, Mapping):
            raise SavedScenarioError(
                f"changes = {reprlib.repr(changes)}: must be a JSON object of inputs"
            )
    else:
        changes = data
    try:
        return Scenario.from_dict(dict(changes))
    except ValuationError as exc:
        raise SavedScenarioError(str(exc)) from None
    except (TypeError, ValueError, KeyError) as exc:
        # A nested part with an unknown or mistyped field (e.g. mining.speed): name it.
        raise SavedScenarioError(f"the scenario's inputs cannot be read: {exc}") from None


def _check_market_as_of(value: object) -> None:
    """``market_as_of`` is the ISO date of a market snapshot (bounded text); else the error names
    it, the value (shortened) and what is allowed."""
    day = None
    if isinstance(value, str) and len(value) <= MAX_DATE_TEXT_LENGTH:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
    if day is None or not GENESIS_DATE <= day <= LAST_MARKET_DATE:
        raise SavedScenarioError(
            f"market_as_of = {reprlib.repr(value)}: allowed: a date YYYY-MM-DD from "
            f"{GENESIS_DATE} to {LAST_MARKET_DATE} (the market snapshot's date)"
        )


def _check_values(data: Mapping[str, Any]) -> None:
    """Every key and value of ``data``, at any depth, within the sanity limits above (whole
    numbers of at most MAX_WHOLE_NUMBER_DIGITS digits, text of at most MAX_TEXT_LENGTH
    characters, keys of at most MAX_KEY_LENGTH); else the error names where (``a.b[2].c``), the
    value shortened and what is allowed. Walked without recursion: JSON as deep as the parser
    takes cannot overflow the stack here."""
    stack: list[tuple[str, object]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH:
                    raise SavedScenarioError(
                        f"{where or 'the scenario'} has a key {reprlib.repr(key)}: allowed: input "
                        f"names of at most {MAX_KEY_LENGTH} characters"
                    )
                stack.append((f"{where}.{key}" if where else key, item))
        elif isinstance(value, list | tuple):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(value))
        elif isinstance(value, str) and len(value) > MAX_TEXT_LENGTH:
            raise SavedScenarioError(
                f"{where} = {reprlib.repr(value)} ({len(value):,} characters): allowed: text of "
                f"at most {MAX_TEXT_LENGTH:,} characters"
            )
        elif (
            isinstance(value, int)
            and not isinstance(value, bool)
            and abs(value) >= 10**MAX_WHOLE_NUMBER_DIGITS  # no str(): it may be too long to print
        ):
            digits = int(value.bit_length() * 0.30103) + 1  # log10(2): about, never printed
            raise SavedScenarioError(
                f"{where} = a whole number of about {digits:,} digits: allowed: at most "
                f"{MAX_WHOLE_NUMBER_DIGITS} digits, within the input's own range"
            )
