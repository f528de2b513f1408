"""The ``reports`` exception family: every error the board pack raises derives from ``ReportError``."""

from __future__ import annotations


class ReportError(Exception):
    """Base class of every error raised by the ``reports`` package."""


class ReportInputError(ReportError, ValueError):
    """A board pack cannot be made from what was given (no site, an unknown output format, a
    section that is not a table); the message names the input, its value and what is allowed."""
