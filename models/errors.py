"""The ``models`` package's exception family: catch ``ModelsError`` for any of them.

Messages name the field, the value and what is allowed; input errors are also ``ValueError``.
"""

from __future__ import annotations

__all__ = ["CalibrationError", "ModelsError", "RetrofitInputError"]


class ModelsError(Exception):
    """Base class of every error raised by the ``models`` package."""


class RetrofitInputError(ModelsError, ValueError):
    """A retrofit target or a site field is outside what the model supports."""


class CalibrationError(ModelsError, ValueError):
    """A project-history file or frame cannot be used for calibration."""
