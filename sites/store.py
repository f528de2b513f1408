"""The inventory database: a SQLAlchemy 2 repository of sites and named scenarios.

``SiteStore(url=None)`` opens any SQLAlchemy URL (SQLite, PostgreSQL via ``postgresql+psycopg://``).
Without a URL it uses ``$HASHPIVOT_DB_URL`` or else a SQLite file in the user's data folder
(``platformdirs.user_data_dir("hashpivot")``), which is created and seeded with the example
portfolio on first use.

Tables: ``sites`` (one flat column per ``sites.schema.SITE_COLUMNS`` plus ``version``),
``scenarios`` (name, JSON), ``meta`` (``schema_version``), ``site_price_history`` (a site's own
price history: first timestamp, interval and the prices as one compressed blob, bounded; see
``save_price_history``) and ``site_history``, the audit trail:
every save, delete, import and restore with its time (UTC), the user ("local" when nobody is
signed in), the action, and the row before and after as JSON, so nothing is lost to an overwrite
and ``restore`` brings any earlier version back. Each save of a site increments its
version; saving with an ``expected_version`` that is no longer the stored one raises
``StaleSiteError`` and writes nothing (optimistic concurrency: two app sessions editing one site
cannot overwrite each other). A database written by a newer schema version is refused; an older
one is upgraded in place. Opening takes no write lock when the schema is already current.

Files are parsed and validated before any write transaction starts (an import never holds the
SQLite write lock while it reads a file); each update then applies only to the version the file
was merged onto, and a row for a new id that another session created meanwhile is refused, so
nothing another session saved is overwritten (``StaleSiteError``).
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import unicodedata
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import platformdirs
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from sites.errors import (
    ScenarioNotFoundError,
    SchemaVersionError,
    SiteNotFoundError,
    SitesError,
    StaleSiteError,
)
from sites.io import CLEAR_TOKEN, parse_sites, read_rows, write_sites
from sites.redact import mask_credentials, url_secrets
from sites.schema import (
    COLUMN_KINDS,
    MAX_ABS_PRICE_USD_PER_MWH,
    SITE_COLUMNS,
    Site,
    fleet_from_text,
    fleet_to_text,
    from_record,
    to_record,
)
from sites.validation import MAX_ID_LENGTH, check_sites

ENV_VAR = "HASHPIVOT_DB_URL"
APP_NAME = "hashpivot"
DB_FILE_NAME = "hashpivot.sqlite3"
# Version 1 (pre-release layout): sites without the version column, no scenarios table.
# Version 2: adds sites.version (optimistic concurrency) and the scenarios table.
# Version 3: adds sites.fleet_commissioning_year and the site_history audit table.
# Version 4: the columns that may be unknown (sites.schema.UNKNOWN_COLUMNS) become nullable (NULL =
# unknown, valued conservatively by sites.unknowns); stored values are kept as they are.
# Version 5: adds the site_price_history table (a site's own price history).
SCHEMA_VERSION = 5
MAX_SCENARIO_NAME_LENGTH = 200
# Names a saved scenario may not take: the risk presets (valuation.drivers.PRESETS), which
# ``--scenario NAME`` reads before the store, so a saved "Bear" would never be used.
RESERVED_SCENARIO_NAMES: tuple[str, ...] = ("base", "bear", "bull")
SCENARIO_NAME_RULE = (
    f"non-blank text of at most {MAX_SCENARIO_NAME_LENGTH} characters, without control "
    f"characters, not {'/'.join(RESERVED_SCENARIO_NAMES)} (any case) and not ending in .json"
)
MAX_USER_LENGTH = 200
LOCAL_USER = "local"  # the user recorded when nobody is signed in (the embedded default)
ACTIONS: tuple[str, ...] = ("save", "delete", "import", "restore")
# A site's price history: 5-, 15-, 30- or 60-minute intervals (valuation.power.load_price_file's
# own set), at most a year of 5-minute prices and a little more (105,120 intervals; the Market
# page's upload bound), prices within +/- sites.schema.MAX_ABS_PRICE_USD_PER_MWH, hub and source
# text at most 200 characters.
PRICE_HISTORY_MINUTES: tuple[int, ...] = (5, 15, 30, 60)
MAX_PRICE_HISTORY_INTERVALS = 110_000
MAX_PRICE_HISTORY_TEXT = 200

_SQL_TYPES: dict[str, Callable[[], Any]] = {
    "float": lambda: Float(precision=53),  # double precision on PostgreSQL: exact round trip
    "int": Integer,
    "optional_int": Integer,
    "optional_float": lambda: Float(precision=53),
    "optional_bool": Boolean,
    "optional_choice": Text,
    "str": Text,
    "bool": Boolean,
    "date": Date,
    "fleet": Text,
}

_NULLABLE_KINDS = ("date", "optional_int", "optional_float", "optional_bool", "optional_choice")
metadata = MetaData()
sites_table = Table(
    "sites",
    metadata,
    Column("id", String(MAX_ID_LENGTH), primary_key=True),
    *(
        Column(c, _SQL_TYPES[COLUMN_KINDS[c]](), nullable=COLUMN_KINDS[c] in _NULLABLE_KINDS)
        for c in SITE_COLUMNS
        if c != "id"
    ),
    Column("version", Integer, nullable=False),
)
scenarios_table = Table(
    "scenarios",
    metadata,
    Column("name", String(MAX_SCENARIO_NAME_LENGTH), primary_key=True),
    Column("data_json", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
meta_table = Table(
    "meta",
    metadata,
    Column("key", String(50), primary_key=True),
    Column("value", Text, nullable=False),
)
price_history_table = Table(
    "site_price_history",
    metadata,
    Column("site_id", String(MAX_ID_LENGTH), primary_key=True),
    Column("start_at", String(40), nullable=False),  # ISO date-time of the first interval
    Column("interval_minutes", Integer, nullable=False),
    Column("n_intervals", Integer, nullable=False),
    Column("prices_blob", LargeBinary, nullable=False),  # zlib of little-endian float64 $/MWh
    Column("hub", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("user_name", String(MAX_USER_LENGTH), nullable=False),
)
history_table = Table(
    "site_history",
    metadata,
    Column("entry_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("user_name", String(MAX_USER_LENGTH), nullable=False),
    Column("action", String(20), nullable=False),
    Column("site_id", String(MAX_ID_LENGTH), nullable=False, index=True),
    Column("version_before", Integer, nullable=True),
    Column("version_after", Integer, nullable=True),
    Column("before_json", Text, nullable=True),
    Column("after_json", Text, nullable=True),
)


class StoreError(SitesError, RuntimeError):
    """The database cannot be opened or used (bad URL, unreachable server, locked or damaged file,
    a write refused by the database); the message says what failed and where (password hidden).
    Any transaction under way was rolled back, so nothing of the failed operation was written."""


class ScenarioDataError(SitesError, ValueError):
    """A scenario name or its data cannot be stored."""


class PriceHistoryError(SitesError, ValueError):
    """A price history that cannot be stored: the message names the field, the value and what
    is allowed; nothing was written."""


@dataclass(frozen=True)
class StoredPriceHistory:
    """A site's stored price history: evenly spaced ``timestamps`` (naive, as loaded: UTC or
    local standard time) and ``prices_usd_per_mwh`` ($/MWh), the interval in minutes, the hub
    and source text, and when and by whom it was saved. ``valuation.regions.
    price_series_from_stored`` turns it into a ``valuation.power.PriceSeries``."""

    site_id: str
    timestamps: pd.DatetimeIndex
    prices_usd_per_mwh: np.ndarray
    interval_minutes: int
    hub: str
    source: str
    updated_at: datetime
    user: str

    @property
    def interval_hours(self) -> float:
        return self.interval_minutes / 60.0


@dataclass(frozen=True)
class ImportReport:
    """What an import did: ids created and ids updated (a partial update by id keeps the stored
    value of every column left out of the file or left blank; ``(clear)`` empties a text, date or
    fleet cell)."""

    created: tuple[str, ...]
    updated: tuple[str, ...]

    def __str__(self) -> str:
        return (
            f"imported {len(self.created) + len(self.updated)} sites: {len(self.created)} new, "
            f"{len(self.updated)} updated by id (blank cells and columns not in the file kept their "
            f"stored values; {CLEAR_TOKEN} cleared a cell)"
        )


@dataclass(frozen=True)
class HistoryEntry:
    """One entry of a site's audit trail: when (UTC), who, what, and the row before and after
    (None before a create, None after a delete)."""

    entry_id: int
    at: datetime
    user: str
    action: str
    site_id: str
    version_before: int | None
    version_after: int | None
    before: Site | None
    after: Site | None


def url_problem(url: str) -> str | None:
    """Why SQLAlchemy cannot read ``url`` as a database URL, in words that never quote its
    password (a port that is not a number, no ``dialect://``), or None."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        u = make_url(url)
    except ArgumentError:
        return _NOT_A_DATABASE_URL
    except ValueError:  # the one ValueError make_url raises: int() of the port
        return "the port must be a number (e.g. 5432)"
    # A URL of a scheme SQLAlchemy has no dialect for (file:///etc/passwd, https://...) parses,
    # and would fail only when opened, naming a plugin: refuse it here, in words. Loading the
    # dialect class imports no database driver and opens no connection.
    try:
        u.set(drivername=u.get_backend_name()).get_dialect()
    except NoSuchModuleError:
        return _NOT_A_DATABASE_URL
    try:
        u.get_dialect()
    except NoSuchModuleError:
        return (f"no driver {u.get_driver_name()!r} for {u.get_backend_name()}; allowed: e.g. "
                "sqlite:///sites.db or postgresql+psycopg://user@host:5432/db")  # fmt: skip
    return None


_NOT_A_DATABASE_URL = (
    "not a database URL; allowed: dialect://user@host:port/database, e.g. sqlite:///sites.db "
    "or postgresql+psycopg://user@host:5432/db"
)


def missing_sqlite_file(url: str) -> Path | None:
    """The SQLite file ``url`` names when it does not exist yet (opening the store would create
    it, with its folders), else None: a command that only reads says so instead. Any other
    database (PostgreSQL, ...) is the driver's to find: None."""
    if url_problem(url) is not None:
        return None
    path = _sqlite_file_path(url)  # None for any other database
    return path if path is not None and not path.exists() else None


def default_url() -> str:
    """``$HASHPIVOT_DB_URL`` if set, else the SQLite file in the user's data folder."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return env
    path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / DB_FILE_NAME
    return f"sqlite:///{path}"


def _row_to_site(row: Mapping[Any, Any]) -> Site:
    rec = {c: row[c] for c in SITE_COLUMNS}
    rec["fleet"] = fleet_from_text(str(rec["fleet"] or ""))
    return from_record(rec)


def _site_to_row(site: Site) -> dict[str, object]:
    rec = to_record(site)
    rec["fleet"] = fleet_to_text(site.facility.fleet)
    return rec


def _site_json(site: Site | Mapping[str, object] | None) -> str | None:
    """A site's row (or the row itself, as ``_site_to_row`` makes it) as JSON for the audit trail
    (dates as YYYY-MM-DD, the fleet as text)."""
    if site is None:
        return None
    row = _site_to_row(site) if isinstance(site, Site) else site
    return json.dumps(row, default=date.isoformat, sort_keys=True)


def _site_from_json(payload: str | None) -> Site | None:
    if payload is None:
        return None
    rec = json.loads(payload)
    for column, kind in COLUMN_KINDS.items():
        if kind == "date" and rec.get(column) is not None:
            rec[column] = date.fromisoformat(rec[column])
    rec.setdefault("fleet_commissioning_year", None)  # entries written before a new column
    rec["fleet"] = fleet_from_text(str(rec.get("fleet") or ""))
    return from_record({c: rec[c] for c in SITE_COLUMNS if c in rec})


def _check_user(user: str) -> str:
    if not isinstance(user, str) or not user.strip() or len(user) > MAX_USER_LENGTH:
        raise ValueError(
            f"user = {user!r}: must be non-blank text of at most {MAX_USER_LENGTH} characters"
        )
    return user


class SiteStore:
    """Repository of sites and scenarios over one SQLAlchemy engine.

    Every write (``save``, ``delete``, ``import_file``, ``restore``) takes ``user=`` for the audit
    trail and an optional ``expected_version`` (optimistic locking: ``StaleSiteError`` and nothing
    written when the stored version moved on). ``list()``, ``get(id)``, ``history(id)`` (newest
    first, deleted sites included) and ``export_file(path)`` (.csv or .xlsx) read.

    Parameters
    ----------
    url : str, optional
        Any SQLAlchemy URL (``sqlite://`` in memory, ``sqlite:///sites.db``, ``postgresql+psycopg://...``);
        None = ``default_url()`` (``$HASHPIVOT_DB_URL``, else a SQLite file in the user's data
        folder).
    seed : bool, optional
        Fill a newly created database with the example portfolio; None = only for the default
        database (url not given).

    Examples
    --------
    >>> import dataclasses
    >>> from sites import load_example_portfolio
    >>> from sites.store import SiteStore
    >>> store = SiteStore("sqlite://", seed=False)  # an empty database in memory
    >>> store.save(load_example_portfolio()[0], user="ana")  # returns the new version
    1
    >>> site = store.get("riot-rockdale")
    >>> store.save(dataclasses.replace(site, name="Rockdale North"), expected_version=1, user="ben")
    2
    >>> [(e.user, e.action, e.version_after) for e in store.history("riot-rockdale")]
    [('ben', 'save', 2), ('ana', 'save', 1)]
    >>> first = store.history("riot-rockdale")[-1]
    >>> store.restore("riot-rockdale", first.entry_id, expected_version=2, user="ana")
    3
    >>> store.get("riot-rockdale").name
    'Rockdale'
    >>> store.delete("riot-rockdale", user="ana")
    >>> store.list()
    []
    """

    def __init__(self, url: str | None = None, *, seed: bool | None = None) -> None:
        self._url = default_url() if url is None else url
        seed = (url is None) if seed is None else seed
        problem = url_problem(self._url)
        if problem:
            shown = mask_credentials(self._url, url_secrets(self._url))
            raise StoreError(f"database URL {shown!r}: {problem}")
        with self._guard("open"):
            self.engine: Engine = self._make_engine(self._url)
            if self._is_current():
                return  # nothing to create or upgrade: no write lock taken
            # Create the tables and seed them in ONE transaction: if seeding fails, nothing is
            # left behind and the next open creates and seeds the database again.
            with self._write() as conn:
                if self._open(conn) and seed:
                    self._write_many(conn, _seed_sites(), created_only=True, user=LOCAL_USER)

    @contextlib.contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """Re-raise a database error as StoreError saying what failed and where (the transaction,
        if any, has already been rolled back by ``engine.begin()``)."""
        try:
            yield
        except SitesError:
            raise  # the store's own errors (validation, stale save, not found) pass through
        except Exception as exc:  # SQLAlchemy, the driver, the network: a StoreError in words
            orig = getattr(exc, "orig", None) if isinstance(exc, SQLAlchemyError) else None
            detail = str(orig or exc).strip().splitlines()
            first = detail[0] if detail else type(exc).__name__
            raise StoreError(
                mask_credentials(
                    f"could not {action} the site database {self.path_or_url}: {first}",
                    url_secrets(self._url),
                )
            ) from exc

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction. On SQLite it starts with BEGIN IMMEDIATE: the write lock is taken
        before the first read, so read-then-write (versions, an import's base) cannot interleave
        with another writer, and DDL is part of the transaction (pysqlite would otherwise run
        CREATE TABLE outside it)."""
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield conn

    # --- engine and schema ---------------------------------------------------------------

    @staticmethod
    def _make_engine(url: str) -> Engine:
        from sqlalchemy.engine import make_url

        u = make_url(url)
        if u.get_backend_name() == "sqlite":
            db = u.database or ""
            if db in ("", ":memory:"):
                # One shared connection, or every checkout would see a fresh empty database.
                return create_engine(
                    url, poolclass=StaticPool, connect_args={"check_same_thread": False}
                )
            file_path = _sqlite_file_path(url)
            if file_path is not None:
                file_path.parent.mkdir(parents=True, exist_ok=True)
            if db.startswith("file:") and "uri" not in u.query:
                # Without uri=true SQLite takes "file:/x/y.db" as a relative path under a folder
                # named "file:" in the working directory.
                u = u.update_query_dict({"uri": "true"})
            return create_engine(u, connect_args={"timeout": 30})
        return create_engine(url, pool_pre_ping=True)

    @property
    def path_or_url(self) -> str:
        """Where the data lives: the SQLite file path, or the URL with any password hidden."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            u = make_url(self._url)
        except (ArgumentError, ValueError):  # ValueError: a port that is not a number
            return "(a database URL that could not be read)"  # never echo a URL with a password
        if u.get_backend_name() == "sqlite":
            file_path = _sqlite_file_path(self._url)
            if file_path is not None:
                return str(file_path)
        # The raw URL, masked: render_as_string(hide_password=True) shows a password passed as
        # a query parameter and the part after an unencoded '@' in a password.
        return mask_credentials(self._url, url_secrets(self._url))

    def _is_current(self) -> bool:
        """True when the schema exists at SCHEMA_VERSION (read without any write lock)."""
        with self.engine.connect() as conn:
            if "meta" not in set(inspect(conn).get_table_names()):
                return False
            raw = conn.execute(
                select(meta_table.c.value).where(meta_table.c.key == "schema_version")
            ).scalar()
        return raw == str(SCHEMA_VERSION)

    def _open(self, conn: Connection) -> bool:
        """Create, check or upgrade the schema; True when the database was created now."""
        tables = set(inspect(conn).get_table_names())
        if "meta" not in tables:
            if "sites" in tables:
                raise SchemaVersionError(
                    f"the database {self.path_or_url} has a 'sites' table but no 'meta' table: it "
                    "was not written by Hashpivot; point HASHPIVOT_DB_URL at another database"
                )
            metadata.create_all(conn)
            conn.execute(
                meta_table.insert().values(key="schema_version", value=str(SCHEMA_VERSION))
            )
            return True
        raw = conn.execute(
            select(meta_table.c.value).where(meta_table.c.key == "schema_version")
        ).scalar()
        try:
            found = int(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise SchemaVersionError(
                f"the database {self.path_or_url} records schema_version = {raw!r}; expected a "
                f"whole number from 1 to {SCHEMA_VERSION}"
            ) from None
        if found > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"the database {self.path_or_url} was written by a newer Hashpivot (schema version "
                f"{found}); this version reads schema versions up to {SCHEMA_VERSION}. Upgrade "
                "Hashpivot, or point HASHPIVOT_DB_URL at another database."
            )
        if found < 1:
            raise SchemaVersionError(
                f"the database {self.path_or_url} records schema_version = {found}; expected 1 to "
                f"{SCHEMA_VERSION}"
            )
        for version in range(found, SCHEMA_VERSION):
            _UPGRADES[version](conn)
            conn.execute(
                meta_table.update()
                .where(meta_table.c.key == "schema_version")
                .values(value=str(version + 1))
            )
        return False

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the database."""
        with self._guard("read the schema version of"), self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(meta_table.c.value).where(meta_table.c.key == "schema_version")
                ).scalar_one()
            )

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    # --- sites ---------------------------------------------------------------------------

    def list(self) -> list[Site]:
        """Every site, sorted by id."""
        return [s for s, _ in self.list_with_versions()]

    def list_with_versions(self) -> builtins.list[tuple[Site, int]]:
        """Every site with its stored version, sorted by id."""
        with self._guard("read the sites from"), self.engine.connect() as conn:
            rows = conn.execute(select(sites_table).order_by(sites_table.c.id)).mappings().all()
        return [(_row_to_site(r), int(r["version"])) for r in rows]

    def frame(self) -> pd.DataFrame:
        """Every site as a flat table (the file columns, fleet as text) plus its ``version``."""
        pairs = self.list_with_versions()
        records = [{**_site_to_row(s), "version": v} for s, v in pairs]
        return pd.DataFrame(records, columns=[*SITE_COLUMNS, "version"])

    def get(self, site_id: str) -> Site:
        """The site with this id; SiteNotFoundError when there is none."""
        return self.get_with_version(site_id)[0]

    def get_with_version(self, site_id: str) -> tuple[Site, int]:
        """The site with this id and its stored version (pass it back to ``save``)."""
        with self._guard(f"read site {site_id!r} from"), self.engine.connect() as conn:
            row = (
                conn.execute(select(sites_table).where(sites_table.c.id == site_id))
                .mappings()
                .first()
            )
        if row is None:
            raise SiteNotFoundError(f"no site with id {site_id!r} in {self.path_or_url}")
        return _row_to_site(row), int(row["version"])

    def save(
        self,
        site: Site,
        expected_version: int | None = None,
        *,
        today: date | None = None,
        user: str = LOCAL_USER,
    ) -> int:
        """Validate and store one site; return its new version.

        ``expected_version``: the version the edit started from (``get_with_version``); when the
        stored version differs, StaleSiteError is raised and nothing is written. 0 means "must be
        new". None saves without the check (creates, or overwrites the stored site). ``user``:
        who saves, for the audit trail.
        """
        return self.apply_changes([(site, expected_version)], today=today, user=user)[site.id]

    def delete(
        self, site_id: str, expected_version: int | None = None, *, user: str = LOCAL_USER
    ) -> None:
        """Delete a site (SiteNotFoundError if absent; StaleSiteError if the version moved on).
        The deleted row stays in the audit trail and can be restored."""
        self.apply_changes([], deletes=[(site_id, expected_version)], user=user)

    def apply_changes(
        self,
        saves: Sequence[tuple[Site, int | None]],
        deletes: Sequence[tuple[str, int | None]] = (),
        *,
        today: date | None = None,
        user: str = LOCAL_USER,
        action: str = "save",
    ) -> dict[str, int]:
        """Save and delete many sites in ONE transaction, each against the version its edit
        started from (None: no check; 0 on a save: must be new). Any validation problem, stale
        version or missing site raises before anything is written, and the database is left as
        it was. A new id another session created meanwhile is a StaleSiteError too (also on
        PostgreSQL, where the database reports it as a duplicate key). Every change is recorded
        in the audit trail under ``user``. Returns the new version of every saved site."""
        _check_user(user)
        check_sites([site for site, _ in saves], today=today)
        new_versions: dict[str, int] = {}
        inserting: tuple[str, int | None] | None = None
        try:
            with self._guard("save the changes to"), self._write() as conn:
                trail: list[dict[str, object]] = []
                for site_id, expected in deletes:
                    row = self._current_row(conn, site_id)
                    if row is None:
                        raise SiteNotFoundError(
                            f"no site with id {site_id!r} in {self.path_or_url}"
                        )
                    stored = int(row["version"])
                    if expected is not None and stored != expected:
                        raise StaleSiteError(site_id, expected, stored)
                    conn.execute(sites_table.delete().where(sites_table.c.id == site_id))
                    trail.append(
                        _trail_row("delete", site_id, _row_to_site(row), stored, None, None)
                    )
                for site, expected in saves:
                    row = self._current_row(conn, site.id)
                    current = None if row is None else int(row["version"])
                    if expected is not None and (current or 0) != expected:
                        raise StaleSiteError(site.id, expected, current)
                    values = _site_to_row(site)
                    if current is None:
                        inserting = (site.id, expected)
                        conn.execute(sites_table.insert().values(**values, version=1))
                        inserting = None
                        new_versions[site.id] = 1
                        trail.append(_trail_row(action, site.id, None, None, site, 1))
                        continue
                    result = conn.execute(
                        sites_table.update()
                        .where(sites_table.c.id == site.id, sites_table.c.version == current)
                        .values(
                            **{k: v for k, v in values.items() if k != "id"}, version=current + 1
                        )
                    )
                    if result.rowcount != 1:  # changed between our read and write
                        raise StaleSiteError(site.id, current, self._current_version(conn, site.id))
                    new_versions[site.id] = current + 1
                    assert row is not None  # an update: the row was read above
                    trail.append(
                        _trail_row(action, site.id, _row_to_site(row), current, site, current + 1)
                    )
                _write_trail(conn, trail, user)
        except StoreError as exc:
            if inserting is not None and isinstance(exc.__cause__, IntegrityError):
                site_id, expected = inserting
                raise StaleSiteError(site_id, expected or 0, self._version_now(site_id)) from None
            raise
        return new_versions

    def _version_now(self, site_id: str) -> int | None:
        with self._guard(f"read site {site_id!r} from"), self.engine.connect() as conn:
            return self._current_version(conn, site_id)

    @staticmethod
    def _current_row(conn: Connection, site_id: str) -> Mapping[str, Any] | None:
        row = conn.execute(select(sites_table).where(sites_table.c.id == site_id)).mappings()
        first = row.first()
        return None if first is None else dict(first)

    @staticmethod
    def _current_version(conn: Connection, site_id: str) -> int | None:
        return conn.execute(
            select(sites_table.c.version).where(sites_table.c.id == site_id)
        ).scalar()

    @staticmethod
    def _write_many(
        conn: Connection,
        sites: Sequence[Site],
        *,
        created_only: bool = False,
        seen_versions: Mapping[str, int] | None = None,
        before: Mapping[str, Site | Mapping[str, object]] | None = None,
        user: str = LOCAL_USER,
    ) -> ImportReport:
        """Insert or update many sites inside the caller's transaction; record each change in
        the audit trail (``before``: the stored sites the rows were merged onto).

        ``seen_versions``: the version of each stored site the rows were merged onto; an update
        only applies to that version, and a row for an id that was not stored then is refused
        if it is stored now (StaleSiteError, and the caller's transaction rolls back).
        ``created_only``: leave stored ids alone (seeding).
        """
        versions = dict(conn.execute(select(sites_table.c.id, sites_table.c.version)).all())
        before = before or {}
        created: list[str] = []
        updated: list[str] = []
        inserts = []
        updates = []
        trail: list[dict[str, object]] = []
        for site in sites:
            row = _site_to_row(site)
            if site.id not in versions:
                if seen_versions is not None and site.id in seen_versions:
                    raise StaleSiteError(site.id, seen_versions[site.id], None)  # deleted since
                inserts.append({**row, "version": 1})
                created.append(site.id)
                trail.append(_trail_row("import", site.id, None, None, row, 1))
                continue
            if created_only:
                continue
            seen = versions[site.id] if seen_versions is None else seen_versions.get(site.id, 0)
            if seen != versions[site.id]:  # saved (or created) by another session since the read
                raise StaleSiteError(site.id, seen, versions[site.id])
            updates.append(
                {
                    **{f"v_{k}": v for k, v in row.items() if k != "id"},
                    "v_version": seen + 1,
                    "b_id": site.id,
                    "b_seen": seen,
                }
            )
            updated.append(site.id)
            trail.append(_trail_row("import", site.id, before.get(site.id), seen, row, seen + 1))
        if updates:
            # One statement for every update, each only where the version is still the one read
            # (the write lock on SQLite, the version match on PostgreSQL).
            stmt = (
                sites_table.update()
                .where(
                    sites_table.c.id == bindparam("b_id"),
                    sites_table.c.version == bindparam("b_seen"),
                )
                .values({c: bindparam(f"v_{c}") for c in [*SITE_COLUMNS[1:], "version"]})
            )
            result = conn.execute(stmt, updates)
            if conn.dialect.supports_sane_multi_rowcount and result.rowcount != len(updates):
                now = dict(conn.execute(select(sites_table.c.id, sites_table.c.version)).all())
                for u in updates:
                    if now.get(u["b_id"]) != u["v_version"]:
                        seen = int(str(u["b_seen"]))
                        raise StaleSiteError(str(u["b_id"]), seen, now.get(u["b_id"]))
        if inserts:
            conn.execute(sites_table.insert(), inserts)
        _write_trail(conn, trail, user)
        return ImportReport(tuple(created), tuple(updated))

    def import_file(
        self,
        path: str | Path,
        fmt: str | None = None,
        *,
        today: date | None = None,
        name: str | None = None,
        user: str = LOCAL_USER,
    ) -> ImportReport:
        """Import a .csv or .xlsx file: read, merge and validate every row first, outside any
        write transaction, then write all rows in one. Rows whose id is stored update that site
        (partial update by id: blank cells and missing columns keep the stored value,
        ``(clear)`` empties a text, date, fleet or unknown-able cell); others are created. Each update applies
        only to the version it was merged onto, and a row for a new id is refused if another
        session created that id meanwhile, so nothing saved elsewhere is overwritten
        (StaleSiteError, nothing written). Any problem raises SiteValidationError listing them
        all (SiteFileError when the file cannot be read, naming it: ``name``, defaulting to the
        path's name), and nothing is written. ``user``: who imports, for the audit trail."""
        _check_user(user)
        header, rows = read_rows(path, fmt, name=name)
        with self._guard("read the sites from"), self.engine.connect() as conn:
            stored = conn.execute(select(sites_table)).mappings().all()
        base = {str(r["id"]): _row_to_site(r) for r in stored}
        seen = {str(r["id"]): int(r["version"]) for r in stored}
        before = {str(r["id"]): {c: r[c] for c in SITE_COLUMNS} for r in stored}  # stored rows
        del stored
        sites = parse_sites(header, rows, base=base, today=today)
        try:
            with self._guard("import into"), self._write() as conn:
                return self._write_many(conn, sites, seen_versions=seen, before=before, user=user)
        except StoreError as exc:
            if isinstance(exc.__cause__, IntegrityError):  # PostgreSQL: created meanwhile
                for site in sites:
                    if site.id not in seen and (now := self._version_now(site.id)) is not None:
                        raise StaleSiteError(site.id, 0, now) from None
            raise

    # --- audit trail -----------------------------------------------------------------------

    def history(self, site_id: str) -> builtins.list[HistoryEntry]:
        """The audit trail of one site, newest first (also after the site was deleted)."""
        with self._guard(f"read the history of site {site_id!r} from"), self.engine.connect() as c:
            rows = (
                c.execute(
                    select(history_table)
                    .where(history_table.c.site_id == site_id)
                    .order_by(history_table.c.entry_id.desc())
                )
                .mappings()
                .all()
            )
        return [
            HistoryEntry(
                entry_id=int(r["entry_id"]),
                at=r["at"] if r["at"].tzinfo else r["at"].replace(tzinfo=UTC),
                user=str(r["user_name"]),
                action=str(r["action"]),
                site_id=str(r["site_id"]),
                version_before=r["version_before"],
                version_after=r["version_after"],
                before=_site_from_json(r["before_json"]),
                after=_site_from_json(r["after_json"]),
            )
            for r in rows
        ]

    def history_site_ids(self) -> builtins.list[str]:
        """Ids of every site with a recorded change (deleted sites included), sorted."""
        with self._guard("read the history from"), self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(history_table.c.site_id).distinct().order_by(history_table.c.site_id)
                ).scalars()
            )

    def restore(
        self,
        site_id: str,
        entry_id: int,
        expected_version: int | None,
        *,
        user: str = LOCAL_USER,
        today: date | None = None,
    ) -> int:
        """Bring back the site as it was in history entry ``entry_id`` (its row after that
        change; for a delete, the row deleted), saved as a new version against
        ``expected_version`` (the version now stored, 0 when the site is deleted). The restore is
        itself recorded. Returns the new version."""
        entry = next((e for e in self.history(site_id) if e.entry_id == entry_id), None)
        if entry is None:
            raise SiteNotFoundError(f"no history entry {entry_id} for site {site_id!r}")
        site = entry.after if entry.after is not None else entry.before
        if site is None:  # cannot happen: every entry has a before or an after
            raise SiteNotFoundError(f"history entry {entry_id} of {site_id!r} holds no row")
        return self.apply_changes(
            [(site, expected_version)], today=today, user=user, action="restore"
        )[site_id]

    def export_file(self, path: str | Path, fmt: str | None = None) -> Path:
        """Write every site to a .csv or .xlsx file (format from the extension unless ``fmt``)."""
        return write_sites(self.list(), path, fmt)

    # --- price histories -------------------------------------------------------------------

    def save_price_history(self, site_id: str, series: Any, *, user: str = LOCAL_USER) -> int:
        """Store (or replace) the price history of the stored site ``site_id``; return its
        number of intervals.

        ``series``: any object with ``timestamps`` (evenly spaced, sorted) and
        ``prices_usd_per_mwh`` (a ``valuation.power.PriceSeries``, or a ``StoredPriceHistory``),
        and optionally ``hub`` and ``source`` text. Everything is checked before the write
        (``PriceHistoryError`` naming the field, the value and what is allowed; SiteNotFoundError
        for an unknown site), so nothing is written when anything is wrong. The history stays
        when the site is deleted (a restored site finds it again);
        ``delete_price_history`` removes it."""
        _check_user(user)
        row = _price_history_row(series)
        now = datetime.now(UTC)
        with self._guard(f"save the price history of site {site_id!r} in"), self._write() as conn:
            if self._current_version(conn, site_id) is None:
                raise SiteNotFoundError(f"no site with id {site_id!r} in {self.path_or_url}")
            conn.execute(
                price_history_table.delete().where(price_history_table.c.site_id == site_id)
            )
            conn.execute(
                price_history_table.insert().values(
                    site_id=site_id, updated_at=now, user_name=user, **row
                )
            )
        return int(row["n_intervals"])

    def price_history(self, site_id: str) -> StoredPriceHistory | None:
        """The stored price history of ``site_id``, or None when it has none."""
        with self._guard(f"read the price history of site {site_id!r} from"):
            with self.engine.connect() as conn:
                r = (
                    conn.execute(
                        select(price_history_table).where(price_history_table.c.site_id == site_id)
                    )
                    .mappings()
                    .first()
                )
            if r is None:
                return None
            n, minutes = int(r["n_intervals"]), int(r["interval_minutes"])
            raw = zlib.decompress(bytes(r["prices_blob"]), bufsize=n * 8)
            prices = np.frombuffer(raw, dtype="<f8").astype(float)
            if prices.size != n:
                raise PriceHistoryError(
                    f"the stored price history of site {site_id!r} holds {prices.size} prices; "
                    f"its row says {n}: delete it and upload the file again"
                )
            stamps = pd.date_range(
                pd.Timestamp(r["start_at"]), periods=n, freq=pd.Timedelta(minutes=minutes)
            )
            at = r["updated_at"]
            return StoredPriceHistory(
                site_id=site_id,
                timestamps=stamps,
                prices_usd_per_mwh=prices,
                interval_minutes=minutes,
                hub=str(r["hub"]),
                source=str(r["source"]),
                updated_at=at if at.tzinfo else at.replace(tzinfo=UTC),
                user=str(r["user_name"]),
            )

    def delete_price_history(self, site_id: str) -> bool:
        """Delete the price history of ``site_id``; True when there was one."""
        where = price_history_table.c.site_id == site_id
        with self._guard(f"delete the price history of site {site_id!r} from"), self._write() as c:
            result = c.execute(price_history_table.delete().where(where))
        return bool(result.rowcount)

    def price_history_site_ids(self) -> builtins.list[str]:
        """Ids of the sites with a stored price history, sorted."""
        with self._guard("list the price histories in"), self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(price_history_table.c.site_id).order_by(price_history_table.c.site_id)
                ).scalars()
            )

    # --- scenarios -----------------------------------------------------------------------

    def save_scenario(self, name: str, data: Mapping[str, object]) -> None:
        """Save (or replace) a scenario under ``name`` (allowed: :data:`SCENARIO_NAME_RULE`);
        ``data`` must be JSON-serialisable."""
        problem = scenario_name_problem(name)
        if problem:
            raise ScenarioDataError(
                f"scenario name = {name!r}: {problem}; allowed: {SCENARIO_NAME_RULE}"
            )
        try:
            payload = json.dumps(dict(data), sort_keys=True, allow_nan=True)
        except (TypeError, ValueError) as exc:
            raise ScenarioDataError(
                f"scenario {name!r}: data must be JSON-serialisable (numbers, text, lists, dicts): {exc}"
            ) from None
        now = datetime.now(UTC)
        with self._guard(f"save scenario {name!r} in"), self._write() as conn:
            exists = conn.execute(
                select(scenarios_table.c.name).where(scenarios_table.c.name == name)
            ).scalar()
            if exists is None:
                conn.execute(
                    scenarios_table.insert().values(name=name, data_json=payload, updated_at=now)
                )
            else:
                conn.execute(
                    scenarios_table.update()
                    .where(scenarios_table.c.name == name)
                    .values(data_json=payload, updated_at=now)
                )

    def load_scenario(self, name: str) -> dict:
        """The scenario saved under ``name`` (ScenarioNotFoundError when none)."""
        with self._guard(f"read scenario {name!r} from"), self.engine.connect() as conn:
            payload = conn.execute(
                select(scenarios_table.c.data_json).where(scenarios_table.c.name == name)
            ).scalar()
        if payload is None:
            raise ScenarioNotFoundError(f"no scenario named {name!r} in {self.path_or_url}")
        return json.loads(payload)

    def list_scenarios(self) -> builtins.list[str]:
        """Names of the saved scenarios, sorted."""
        with self._guard("list the scenarios in"), self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(scenarios_table.c.name).order_by(scenarios_table.c.name)
                ).scalars()
            )

    def delete_scenario(self, name: str) -> None:
        """Delete a saved scenario (ScenarioNotFoundError when none)."""
        with self._guard(f"delete scenario {name!r} from"), self._write() as conn:
            result = conn.execute(scenarios_table.delete().where(scenarios_table.c.name == name))
        if result.rowcount == 0:
            raise ScenarioNotFoundError(f"no scenario named {name!r} in {self.path_or_url}")


def scenario_name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a saved scenario, or None: blank or too long; a control
    character (a terminal would run it as an escape sequence); a preset's name in any case (the
    preset would shadow it); or ending in ``.json`` (``--scenario`` reads that as a file)."""
    if not isinstance(name, str) or not name.strip():
        return "blank"
    if len(name) > MAX_SCENARIO_NAME_LENGTH:
        return f"{len(name):,} characters"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return "holds a control character"
    if name.strip().casefold() in RESERVED_SCENARIO_NAMES:
        return "is the name of a built-in preset"
    if name.strip().casefold().endswith(".json"):
        return "ends in .json (read as a file by --scenario)"
    return None


def _sqlite_file_path(url: str) -> Path | None:
    """The file a SQLite URL stores its data in, or None (in memory, a URI without a path, or
    not a SQLite URL: another database's name is no local file).

    A ``file:`` URI filename (``sqlite:///file:/data/hp.db?mode=rwc&uri=true``) is a URI, not a
    folder named ``file:``: its path is the URI's path.
    """
    from urllib.parse import unquote, urlparse

    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        return None
    db = u.database or ""
    if db in ("", ":memory:"):
        return None
    if db.startswith("file:"):
        parsed = urlparse(db)
        if "mode=memory" in parsed.query or not parsed.path:
            return None
        return Path(unquote(parsed.path)).expanduser()
    return Path(db).expanduser()


def _seed_sites() -> list[Site]:
    """The example portfolio a new default database is seeded with."""
    from sites.portfolio import load_example_portfolio

    return load_example_portfolio()


def _trail_row(
    action: str,
    site_id: str,
    before: Site | Mapping[str, object] | None,
    version_before: int | None,
    after: Site | Mapping[str, object] | None,
    version_after: int | None,
) -> dict[str, object]:
    return {
        "action": action,
        "site_id": site_id,
        "version_before": version_before,
        "version_after": version_after,
        "before_json": _site_json(before),
        "after_json": _site_json(after),
    }


def _write_trail(conn: Connection, trail: Sequence[dict[str, object]], user: str) -> None:
    """Append audit entries inside the caller's transaction (one time stamp per transaction)."""
    if trail:
        now = datetime.now(UTC)
        conn.execute(history_table.insert(), [{**t, "at": now, "user_name": user} for t in trail])


def _price_history_row(series: Any) -> dict[str, Any]:
    """The table row of a price history, every rule checked (``PriceHistoryError``)."""
    try:
        stamps = pd.DatetimeIndex(series.timestamps)
        prices = np.asarray(series.prices_usd_per_mwh, dtype=float)
    except (AttributeError, TypeError, ValueError) as exc:
        raise PriceHistoryError(
            f"price history {type(series).__name__}: needs timestamps (date-times) and "
            f"prices_usd_per_mwh (numbers) of equal length ({exc})"
        ) from None
    n = int(prices.size)
    if prices.ndim != 1 or n != len(stamps):
        raise PriceHistoryError(
            f"price history: {len(stamps)} timestamps and prices of shape {prices.shape}; "
            "expected one price per timestamp"
        )
    if not 2 <= n <= MAX_PRICE_HISTORY_INTERVALS:
        raise PriceHistoryError(
            f"price history has {n:,} intervals; allowed 2 to {MAX_PRICE_HISTORY_INTERVALS:,} "
            "(a year of 5-minute prices fits)"
        )
    if stamps.tz is not None:
        stamps = stamps.tz_convert("UTC").tz_localize(None)
    if stamps.hasnans:
        raise PriceHistoryError("price history: a timestamp is missing (NaT); none may be")
    steps = np.diff(stamps.values.astype("datetime64[s]").astype(np.int64)) / 60.0  # minutes
    minutes = float(steps[0])
    if minutes not in PRICE_HISTORY_MINUTES or not np.all(steps == minutes):
        bad = int(np.argmax(steps != minutes)) if np.all(steps > 0) else int(np.argmax(steps <= 0))
        raise PriceHistoryError(
            f"price history interval {float(steps[bad]):g} minutes after {stamps[bad]}; "
            f"timestamps must be evenly spaced at one of {PRICE_HISTORY_MINUTES} minutes"
        )
    finite = np.isfinite(prices) & (np.abs(prices) <= MAX_ABS_PRICE_USD_PER_MWH)
    if not finite.all():
        i = int(np.argmin(finite))
        raise PriceHistoryError(
            f"price_usd_per_mwh = {prices[i]!r} at {stamps[i]} is not allowed: a finite price "
            f"within +/- {MAX_ABS_PRICE_USD_PER_MWH:,.0f} $/MWh"
        )
    text_fields = {"hub": getattr(series, "hub", "") or "", "source": getattr(series, "source", "")}
    for name, value in text_fields.items():
        value = "" if value is None else value
        if not isinstance(value, str) or len(value) > MAX_PRICE_HISTORY_TEXT:
            raise PriceHistoryError(
                f"price history {name} = {str(value)[:40]!r}...: must be text of at most "
                f"{MAX_PRICE_HISTORY_TEXT} characters"
            )
        text_fields[name] = value
    blob = zlib.compress(prices.astype("<f8").tobytes(), 6)
    return {
        "start_at": stamps[0].isoformat(),
        "interval_minutes": int(minutes),
        "n_intervals": n,
        "prices_blob": blob,
        **text_fields,
    }


def _upgrade_1_to_2(conn: Connection) -> None:
    """Schema 1 -> 2: add sites.version (existing rows start at 1) and the scenarios table."""
    conn.execute(text("ALTER TABLE sites ADD COLUMN version INTEGER NOT NULL DEFAULT 1"))
    scenarios_table.create(conn, checkfirst=True)


def _upgrade_2_to_3(conn: Connection) -> None:
    """Schema 2 -> 3: add sites.fleet_commissioning_year (unknown for existing rows) and the
    site_history audit table."""
    columns = {c["name"] for c in inspect(conn).get_columns("sites")}
    if "fleet_commissioning_year" not in columns:
        conn.execute(text("ALTER TABLE sites ADD COLUMN fleet_commissioning_year INTEGER"))
    history_table.create(conn, checkfirst=True)


def _upgrade_3_to_4(conn: Connection) -> None:
    """Schema 3 -> 4: the columns that may be unknown become nullable (values kept as stored).

    PostgreSQL drops each NOT NULL in place. SQLite cannot alter a column's constraint, so the
    sites table is rebuilt inside the upgrade's transaction: renamed, created anew with the
    current layout, rows copied (version included), old table dropped. Only the sites table is
    touched; the audit trail keeps its rows (before/after JSON already allows nulls).
    """
    nullable = [c for c in SITE_COLUMNS if COLUMN_KINDS[c] in _NULLABLE_KINDS]
    if conn.dialect.name == "sqlite":
        present = [c["name"] for c in inspect(conn).get_columns("sites")]
        conn.exec_driver_sql("ALTER TABLE sites RENAME TO sites_before_v4")
        sites_table.create(conn)
        cols = ", ".join(f'"{c}"' for c in present if c in {*SITE_COLUMNS, "version"})
        conn.exec_driver_sql(f"INSERT INTO sites ({cols}) SELECT {cols} FROM sites_before_v4")
        conn.exec_driver_sql("DROP TABLE sites_before_v4")
        return
    for column in nullable:
        conn.execute(text(f'ALTER TABLE sites ALTER COLUMN "{column}" DROP NOT NULL'))


def _upgrade_add_price_history(conn: Connection) -> None:
    """The step to the schema version that adds the site_price_history table (no site has a
    history yet); idempotent (the table is created only when absent)."""
    price_history_table.create(conn, checkfirst=True)


_UPGRADES = {
    1: _upgrade_1_to_2,
    2: _upgrade_2_to_3,
    3: _upgrade_3_to_4,
    4: _upgrade_add_price_history,
}
