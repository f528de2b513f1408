"""The inventory database: a SQLAlchemy 2 repository of sites and named scenarios.

``SiteStore(url=None)`` opens any SQLAlchemy URL (SQLite, PostgreSQL via ``postgresql+psycopg://``).
Without a URL it uses ``$HASHPIVOT_DB_URL`` or else a SQLite file in the user's data folder
(``platformdirs.user_data_dir("hashpivot")``), which is created and seeded with the example
portfolio on first use.

Tables: ``sites`` (one flat column per ``sites.schema.SITE_COLUMNS`` plus ``version``),
``scenarios`` (name, JSON) and ``meta`` (``schema_version``). Each save of a site increments its
version; saving with an ``expected_version`` that is no longer the stored one raises
``StaleSiteError`` and writes nothing (optimistic concurrency: two app sessions editing one site
cannot overwrite each other). A database written by a newer schema version is refused; an older
one is upgraded in place.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import platformdirs
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

from sites.errors import (
    ScenarioNotFoundError,
    SchemaVersionError,
    SiteNotFoundError,
    SitesError,
    StaleSiteError,
)
from sites.io import CLEAR_TOKEN, parse_sites, read_rows, write_sites
from sites.schema import (
    COLUMN_KINDS,
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
SCHEMA_VERSION = 2
MAX_SCENARIO_NAME_LENGTH = 200

_SQL_TYPES: dict[str, Callable[[], Any]] = {
    "float": lambda: Float(precision=53),  # double precision on PostgreSQL: exact round trip
    "int": Integer,
    "str": Text,
    "bool": Boolean,
    "date": Date,
    "fleet": Text,
}

metadata = MetaData()
sites_table = Table(
    "sites",
    metadata,
    Column("id", String(MAX_ID_LENGTH), primary_key=True),
    *(
        Column(c, _SQL_TYPES[COLUMN_KINDS[c]](), nullable=COLUMN_KINDS[c] == "date")
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


class StoreError(SitesError, RuntimeError):
    """The database cannot be opened or used (bad URL, unreachable server, locked or damaged file,
    a write refused by the database); the message says what failed and where (password hidden).
    Any transaction under way was rolled back, so nothing of the failed operation was written."""


class ScenarioDataError(SitesError, ValueError):
    """A scenario name or its data cannot be stored."""


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


class SiteStore:
    """Repository of sites and scenarios over one SQLAlchemy engine.

    ``url``: any SQLAlchemy URL; None = ``default_url()``. ``seed``: fill a newly created database
    with the example portfolio; None = only for the default database (url not given).
    """

    def __init__(self, url: str | None = None, *, seed: bool | None = None) -> None:
        self._url = default_url() if url is None else url
        seed = (url is None) if seed is None else seed
        with self._guard("open"):
            self.engine: Engine = self._make_engine(self._url)
            # Create the tables and seed them in ONE transaction: if seeding fails, nothing is
            # left behind and the next open creates and seeds the database again.
            with self._write() as conn:
                if self._open(conn) and seed:
                    self._write_many(conn, _seed_sites(), created_only=True)

    @contextlib.contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """Re-raise a database error as StoreError saying what failed and where (the transaction,
        if any, has already been rolled back by ``engine.begin()``)."""
        try:
            yield
        except SQLAlchemyError as exc:
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            raise StoreError(
                f"could not {action} the site database {self.path_or_url}: "
                f"{detail[0] if detail else type(exc).__name__}"
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
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
            return create_engine(url, connect_args={"timeout": 30})
        return create_engine(url, pool_pre_ping=True)

    @property
    def path_or_url(self) -> str:
        """Where the data lives: the SQLite file path, or the URL with any password hidden."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            u = make_url(self._url)
        except ArgumentError:
            return "(a database URL that could not be read)"  # never echo a URL with a password
        if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:"):
            return str(Path(u.database).expanduser())
        return u.render_as_string(hide_password=True)

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
        self, site: Site, expected_version: int | None = None, *, today: date | None = None
    ) -> int:
        """Validate and store one site; return its new version.

        ``expected_version``: the version the edit started from (``get_with_version``); when the
        stored version differs, StaleSiteError is raised and nothing is written. 0 means "must be
        new". None saves without the check (creates, or overwrites the stored site).
        """
        return self.apply_changes([(site, expected_version)], today=today)[site.id]

    def delete(self, site_id: str, expected_version: int | None = None) -> None:
        """Delete a site (SiteNotFoundError if absent; StaleSiteError if the version moved on)."""
        self.apply_changes([], deletes=[(site_id, expected_version)])

    def apply_changes(
        self,
        saves: Sequence[tuple[Site, int | None]],
        deletes: Sequence[tuple[str, int | None]] = (),
        *,
        today: date | None = None,
    ) -> dict[str, int]:
        """Save and delete many sites in ONE transaction, each against the version its edit
        started from (None: no check; 0 on a save: must be new). Any validation problem, stale
        version or missing site raises before anything is written, and the database is left as
        it was. Returns the new version of every saved site."""
        check_sites([site for site, _ in saves], today=today)
        new_versions: dict[str, int] = {}
        with self._guard("save the changes to"), self._write() as conn:
            for site_id, expected in deletes:
                current = self._current_version(conn, site_id)
                if current is None:
                    raise SiteNotFoundError(f"no site with id {site_id!r} in {self.path_or_url}")
                if expected is not None and current != expected:
                    raise StaleSiteError(site_id, expected, current)
                conn.execute(sites_table.delete().where(sites_table.c.id == site_id))
            for site, expected in saves:
                current = self._current_version(conn, site.id)
                if expected is not None and (current or 0) != expected:
                    raise StaleSiteError(site.id, expected, current)
                row = _site_to_row(site)
                if current is None:
                    conn.execute(sites_table.insert().values(**row, version=1))
                    new_versions[site.id] = 1
                    continue
                result = conn.execute(
                    sites_table.update()
                    .where(sites_table.c.id == site.id, sites_table.c.version == current)
                    .values(**{k: v for k, v in row.items() if k != "id"}, version=current + 1)
                )
                if result.rowcount != 1:  # changed between our read and write
                    raise StaleSiteError(site.id, current, self._current_version(conn, site.id))
                new_versions[site.id] = current + 1
        return new_versions

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
    ) -> ImportReport:
        """Insert or update many sites inside the caller's transaction.

        ``seen_versions``: the version of each stored site the rows were merged onto; an update
        only applies to that version (StaleSiteError otherwise, and the caller's transaction rolls
        back). ``created_only``: leave stored ids alone (seeding).
        """
        versions = dict(conn.execute(select(sites_table.c.id, sites_table.c.version)).all())
        created: list[str] = []
        updated: list[str] = []
        inserts = []
        for site in sites:
            row = _site_to_row(site)
            if site.id not in versions:
                inserts.append({**row, "version": 1})
                created.append(site.id)
                continue
            if created_only:
                continue
            seen = versions[site.id] if seen_versions is None else seen_versions.get(site.id, 0)
            result = conn.execute(
                sites_table.update()
                .where(sites_table.c.id == site.id, sites_table.c.version == seen)
                .values(**{k: v for k, v in row.items() if k != "id"}, version=seen + 1)
            )
            if result.rowcount != 1:  # saved by another session after the base was read
                raise StaleSiteError(site.id, seen, versions[site.id])
            updated.append(site.id)
        if inserts:
            conn.execute(sites_table.insert(), inserts)
        return ImportReport(tuple(created), tuple(updated))

    def import_file(
        self, path: str | Path, fmt: str | None = None, *, today: date | None = None
    ) -> ImportReport:
        """Import a .csv or .xlsx file: validate every row first, then write all rows in one
        transaction. Rows whose id is stored update that site (partial update by id: blank cells
        and missing columns keep the stored value, ``(clear)`` empties a text, date or fleet
        cell); others are created. The stored sites the rows are merged onto are read inside the
        write transaction and each update applies only to the version read, so an edit saved by
        another session is never overwritten (StaleSiteError, nothing written). Any problem raises
        SiteValidationError listing them all, and nothing is written."""
        header, rows = read_rows(path, fmt)
        with self._guard("import into"), self._write() as conn:
            stored = conn.execute(select(sites_table)).mappings().all()
            base = {str(r["id"]): _row_to_site(r) for r in stored}
            seen = {str(r["id"]): int(r["version"]) for r in stored}
            sites = parse_sites(header, rows, base=base, today=today)
            return self._write_many(conn, sites, seen_versions=seen)

    def export_file(self, path: str | Path, fmt: str | None = None) -> Path:
        """Write every site to a .csv or .xlsx file (format from the extension unless ``fmt``)."""
        return write_sites(self.list(), path, fmt)

    # --- scenarios -----------------------------------------------------------------------

    def save_scenario(self, name: str, data: Mapping[str, object]) -> None:
        """Save (or replace) a scenario under ``name``; ``data`` must be JSON-serialisable."""
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_SCENARIO_NAME_LENGTH:
            raise ScenarioDataError(
                f"scenario name = {name!r}: must be non-blank text of at most "
                f"{MAX_SCENARIO_NAME_LENGTH} characters"
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


def _seed_sites() -> list[Site]:
    """The example portfolio a new default database is seeded with."""
    from sites.portfolio import load_example_portfolio

    return load_example_portfolio()


def _upgrade_1_to_2(conn: Connection) -> None:
    """Schema 1 -> 2: add sites.version (existing rows start at 1) and the scenarios table."""
    conn.execute(text("ALTER TABLE sites ADD COLUMN version INTEGER NOT NULL DEFAULT 1"))
    scenarios_table.create(conn, checkfirst=True)


_UPGRADES = {1: _upgrade_1_to_2}
