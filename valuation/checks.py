"""Input checks shared by every valuation module: one way to say what a value may be.

Two kinds of input, one helper each:

- Array arguments of the vectorised functions: :func:`as_float_array` converts, :func:`require`
  refuses the first element breaking a rule (naming the argument, the element and the rule),
  :func:`scalar_or_array` gives a 0-d result back as a float.
- Scalar fields of the frozen assumption dataclasses: a :class:`Rule` per field, built with
  :func:`number`, :func:`whole`, :func:`one_of`, :func:`flag`, :func:`instance_of` or
  :func:`tuple_of`, checked by :func:`check_fields` in ``__post_init__``. A rule refuses
  ``None`` (unless ``optional``), strings, booleans where a number is expected, and ``inf`` or
  ``nan``. The message is always ``"{Class}.{field}={value!r} is not allowed: {what is allowed}"``.

Every helper takes the calling module's error class (``valuation.errors``), so each module's
errors stay its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

__all__ = [
    "Rule",
    "as_float_array",
    "broadcast_shape",
    "check_fields",
    "check_value",
    "first_bad",
    "flag",
    "instance_of",
    "is_number",
    "number",
    "one_of",
    "require",
    "scalar_or_array",
    "tuple_of",
    "whole",
]

_ErrorClass = type[Exception]


# --- array arguments ------------------------------------------------------------------------------


def as_float_array(value: object, name: str, error: _ErrorClass) -> np.ndarray:
    """``value`` as a float array; ``error`` naming ``name`` and the value when not numeric."""
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise error(f"{name} must be numeric (a number or array); got {value!r}") from exc


def first_bad(mask: np.ndarray) -> tuple[int, ...]:
    """Index of the first true element of ``mask`` (``()`` for a 0-d mask)."""
    return tuple(int(i) for i in np.argwhere(mask)[0]) if np.ndim(mask) else ()


def require(
    arr: np.ndarray, ok: np.ndarray | bool, name: str, rule: str, error: _ErrorClass
) -> None:
    """Raise ``error`` naming the first element of ``arr`` where ``ok`` is false, and ``rule``."""
    ok_arr = np.broadcast_to(np.asarray(ok), arr.shape)
    if ok_arr.all():
        return
    if arr.ndim == 0:
        raise error(f"{name}={float(arr)!r} is not allowed; {rule}")
    idx = first_bad(~ok_arr)
    raise error(f"{name}[{idx}]={float(arr[idx])!r} is not allowed; {rule}")


def broadcast_shape(shapes: Mapping[str, tuple[int, ...]], error: _ErrorClass) -> tuple[int, ...]:
    """The shape that arrays, named by their argument, broadcast to (numpy's rules); ``error``
    naming every argument and its shape when they do not."""
    try:
        return tuple(np.broadcast_shapes(*shapes.values()))
    except ValueError:
        listed = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise error(
            f"the shapes of {listed} do not broadcast; each axis, counted from the right, must "
            "be equal or 1"
        ) from None


def scalar_or_array(x: np.ndarray | float) -> np.ndarray | float:
    """A Python float for a 0-d result, the array otherwise."""
    return float(x) if np.ndim(x) == 0 else np.asarray(x)


# --- dataclass fields -----------------------------------------------------------------------------


def is_number(value: object) -> bool:
    """True for a finite real number (int, float, numpy scalar), never for a bool or a string."""
    return (
        isinstance(value, Real | np.integer | np.floating)
        and not isinstance(value, bool | np.bool_)
        and math.isfinite(float(value))
    )


@dataclass(frozen=True)
class Rule:
    """What one field allows: ``admits(value)`` and the words for it, ``allowed``."""

    admits: Callable[[object], bool]
    allowed: str

    def or_none(self) -> Rule:
        """The same rule, with ``None`` also allowed."""
        return Rule(lambda v: v is None or self.admits(v), f"None or {self.allowed}")


def _range_text(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high:g}"
    return ""


def _in_range(
    x: float, low: float | None, high: float | None, low_open: bool, high_open: bool
) -> bool:
    above = low is None or (x > low if low_open else x >= low)
    below = high is None or (x < high if high_open else x <= high)
    return above and below


def number(
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    whole_months: bool = False,
    note: str = "",
) -> Rule:
    """A finite real number in the range (bounds closed unless ``*_open``); ``whole_months``:
    a number of years that is a whole number of months (``value * 12`` an integer)."""

    def admits(v: object) -> bool:
        if not is_number(v):
            return False
        x = float(v)  # type: ignore[arg-type]
        if not _in_range(x, low, high, low_open, high_open):
            return False
        months = x * 12  # inf for x near the float maximum: not a whole number of months
        return not whole_months or (math.isfinite(months) and abs(months - round(months)) < 1e-9)

    notes = "; ".join(n for n in (note, "a whole number of months" * whole_months) if n)
    words = " ".join(
        w for w in ("a finite number", _range_text(low, high, low_open, high_open)) if w
    )
    return Rule(admits, f"{words} ({notes})" if notes else words)


def whole(
    low: int | None = None, high: int | None = None, *, high_open: bool = False, note: str = ""
) -> Rule:
    """A whole number (an int, not a bool or a float) in ``[low, high]`` (``high`` excluded with
    ``high_open``)."""

    def admits(v: object) -> bool:
        if not isinstance(v, Integral | np.integer) or isinstance(v, bool | np.bool_):
            return False
        return _in_range(int(v), low, high, False, high_open)

    words = " ".join(
        w
        for w in (
            "a whole number",
            _range_text(low, high, False, high_open),
            f"({note})" * bool(note),
        )
        if w
    )
    return Rule(admits, words)


def one_of(choices: tuple[object, ...]) -> Rule:
    """One of ``choices`` (compared with ``==``; a bool never stands for a number)."""
    return Rule(
        lambda v: isinstance(v, str | int | float) and not isinstance(v, bool) and v in choices,
        f"one of {choices}",
    )


def flag() -> Rule:
    """``True`` or ``False``, nothing else."""
    return Rule(lambda v: isinstance(v, bool | np.bool_), "True or False")


def instance_of(cls: type) -> Rule:
    """An instance of ``cls``."""
    return Rule(lambda v: isinstance(v, cls), f"a {cls.__name__}")


def tuple_of(cls: type) -> Rule:
    """A tuple whose every item is an instance of ``cls`` (empty allowed)."""
    return Rule(
        lambda v: isinstance(v, tuple) and all(isinstance(x, cls) for x in v),
        f"a tuple of {cls.__name__}",
    )


def check_value(name: str, value: object, rule: Rule, error: _ErrorClass) -> None:
    """Raise ``error``, ``"{name}={value!r} is not allowed: {what is allowed}"``, unless ``rule``
    admits ``value`` (for a scalar argument of a function)."""
    if not rule.admits(value):
        raise error(f"{name}={value!r} is not allowed: {rule.allowed}")


def check_fields(obj: object, rules: Mapping[str, Rule], error: _ErrorClass) -> None:
    """Check each named field of ``obj`` against its rule, in order; the first broken one raises
    ``error`` naming the class and the field (``"Class.field"``), the value and what is allowed."""
    for name, rule in rules.items():
        check_value(f"{type(obj).__name__}.{name}", getattr(obj, name), rule, error)
