"""Bear, base and bull risk presets as named scenarios in the store's scenario table.

A preset is a scenario plus its Monte Carlo drivers, saved in the saved-scenario form of
``valuation.saved_scenario`` with one more key::

    {"format": 1, "changes": {...}, "market_as_of": "2025-11-03",
     "risk_drivers": {...RiskDrivers.to_dict()...}, "risk_preset": "bear"}

``scenario_from_saved`` reads such a row like any other (the extra keys are ignored), so the app's
and the command line's scenario pickers list presets too; :func:`named_risk_from_saved` reads the
drivers back (a scenario saved without them runs with the base preset's drivers). The store is
any object with ``save_scenario(name, data)`` and ``load_scenario(name)`` (``sites.store.
SiteStore``); valuation does not import the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from valuation.drivers import PRESETS, DriverError, RiskDrivers
from valuation.errors import ValuationError
from valuation.saved_scenario import saved_form, scenario_from_saved
from valuation.scenario import Scenario

__all__ = [
    "PRESET_NAMES",
    "NamedRisk",
    "PresetError",
    "ScenarioStore",
    "load_preset",
    "named_risk_from_saved",
    "preset",
    "save_preset",
    "save_presets",
    "saved_risk_form",
]

# The names the presets are saved under (store scenario names).
PRESET_NAMES: Mapping[str, str] = {"bear": "Risk: bear", "base": "Risk: base", "bull": "Risk: bull"}


class PresetError(ValuationError, ValueError):
    """A risk preset cannot be made or read: names the field, the value and what is allowed."""


class ScenarioStore(Protocol):
    def save_scenario(self, name: str, data: Mapping[str, object]) -> None: ...
    def load_scenario(self, name: str) -> dict: ...


@dataclass(frozen=True)
class NamedRisk:
    """A named scenario and the Monte Carlo drivers that go with it (what ``simulate`` takes)."""

    name: str
    scenario: Scenario
    drivers: RiskDrivers


def preset(kind: str, scenario: Scenario | None = None) -> NamedRisk:
    """The bear, base or bull preset's drivers (``valuation.drivers.PRESETS``, sourced there) on
    ``scenario`` (the base scenario when None), named as saved (:data:`PRESET_NAMES`)."""
    if kind not in PRESETS:
        raise PresetError(f"preset={kind!r} is not allowed: one of {sorted(PRESETS)}")
    return NamedRisk(PRESET_NAMES[kind], scenario or Scenario(), PRESETS[kind])


def saved_risk_form(named: NamedRisk, kind: str | None = None) -> dict[str, Any]:
    """The saved-scenario form with the drivers (module docstring)."""
    form = saved_form(named.scenario)
    form["risk_drivers"] = named.drivers.to_dict()
    if kind is not None:
        form["risk_preset"] = kind
    return form


def named_risk_from_saved(name: str, data: Mapping[str, Any]) -> NamedRisk:
    """A saved scenario (with or without drivers) as a :class:`NamedRisk`."""
    scenario = scenario_from_saved(data)
    raw = data.get("risk_drivers") if isinstance(data, Mapping) else None
    if raw is None:
        return NamedRisk(name, scenario, PRESETS["base"])
    if not isinstance(raw, Mapping):
        raise PresetError(f"risk_drivers={raw!r:.80} is not allowed: a JSON object of drivers")
    try:
        drivers = RiskDrivers.from_dict(raw)
    except (DriverError, TypeError) as exc:
        raise PresetError(f"scenario {name!r}: risk_drivers cannot be read: {exc}") from None
    return NamedRisk(name, scenario, drivers)


def save_preset(store: ScenarioStore, named: NamedRisk, kind: str | None = None) -> None:
    """Save ``named`` under its name (replacing one of that name)."""
    store.save_scenario(named.name, saved_risk_form(named, kind))


def load_preset(store: ScenarioStore, name: str) -> NamedRisk:
    """The scenario saved under ``name`` with its drivers (the store's error when none)."""
    return named_risk_from_saved(name, store.load_scenario(name))


def save_presets(store: ScenarioStore, scenario: Scenario | None = None) -> list[str]:
    """Save bear, base and bull on ``scenario``; returns the names saved."""
    names = []
    for kind in ("bear", "base", "bull"):
        named = preset(kind, scenario)
        save_preset(store, named, kind)
        names.append(named.name)
    return names
