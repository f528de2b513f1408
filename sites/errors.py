"""The ``sites`` exception family: every error the inventory raises derives from ``SitesError``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class SitesError(Exception):
    """Base class of every error raised by the ``sites`` package."""


@dataclass(frozen=True)
class Problem:
    """One validation problem: where (row as the user sees it in the file, column), what, which rule.

    ``row`` is None when a single Site is validated outside a file; in a CSV or Excel file the
    header is row 1, so the first site is row 2.
    """

    row: int | None
    column: str
    value: object
    rule: str

    def __str__(self) -> str:
        where = f"row {self.row}, " if self.row is not None else ""
        return f"{where}{self.column} = {self.value!r}: {self.rule}"


class SiteValidationError(SitesError, ValueError):
    """One or more sites break the inventory rules; ``.problems`` lists every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        n = len(self.problems)
        head = "; ".join(str(p) for p in self.problems[:5])
        more = f"; and {n - 5} more" if n > 5 else ""
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the site data: {head}{more}")


class StaleSiteError(SitesError, ValueError):
    """A save was based on an older copy of the site than the one stored: nothing was written."""

    def __init__(self, site_id: str, expected_version: int, stored_version: int | None) -> None:
        self.site_id = site_id
        self.expected_version = expected_version
        self.stored_version = stored_version
        if stored_version is None:
            msg = (
                f"site {site_id!r} was edited from version {expected_version}, but it has been "
                "deleted since; nothing was saved. Reload the inventory and re-apply your edits."
            )
        elif expected_version == 0:
            msg = (
                f"site {site_id!r} already exists (version {stored_version}); it was expected to be "
                "new, so nothing was saved. Choose another id or edit the stored site."
            )
        else:
            msg = (
                f"site {site_id!r} was edited from version {expected_version}, but version "
                f"{stored_version} has been saved since (another session edited it); nothing was "
                "saved. Reload the site and re-apply your edits."
            )
        super().__init__(msg)


class SiteNotFoundError(SitesError, KeyError):
    """No site with this id in the store."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "site not found"


class ScenarioNotFoundError(SitesError, KeyError):
    """No scenario saved under this name."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "scenario not found"


class SchemaVersionError(SitesError, RuntimeError):
    """The database was written by a newer Hashpivot than this one, or its layout is unknown."""


class SiteFileError(SitesError, ValueError):
    """A site file cannot be read at all (unknown extension, missing id column, unreadable)."""
