"""A named scenario as it is saved (the store's scenario table, a JSON file): its changes against
the base scenario and the market snapshot date it was made on, so a newer snapshot re-bases it and
shows what moved.

Saved form (JSON-ready)::

    {"format": 1, "changes": {...}, "market_as_of": "2025-11-03"}

``changes`` holds only the inputs that differ from ``Scenario()`` (nested like
``Scenario.to_dict()``: ``{"market": {"btc_price_usd": 90000.0}, "lease_rate_usd_per_kw_month":
110.0}``). Reading also accepts a plain ``Scenario.to_dict()`` (whole or partial), as a file
written by hand would be.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from valuation.errors import ValuationError
from valuation.scenario import Scenario

FORMAT_VERSION = 1


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
    if "changes" in data:
        version = data.get("format", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise SavedScenarioError(
                f"format = {version!r}: this Hashpivot reads saved scenarios of format "
                f"{FORMAT_VERSION}"
            )
        changes = data["changes"]
        if not isinstance(changes, Mapping):
            raise SavedScenarioError(f"changes = {changes!r}: must be a JSON object of inputs")
    else:
        changes = data
    try:
        return Scenario.from_dict(dict(changes))
    except ValuationError as exc:
        raise SavedScenarioError(str(exc)) from None
    except (TypeError, ValueError, KeyError) as exc:
        # A nested part with an unknown or mistyped field (e.g. mining.speed): name it.
        raise SavedScenarioError(f"the scenario's inputs cannot be read: {exc}") from None
