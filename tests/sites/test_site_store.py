"""The SQLAlchemy store on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import csv
import dataclasses
import io
import socket
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from site_strategies import TODAY, valid_sites
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from sites import (
    ScenarioNotFoundError,
    SchemaVersionError,
    Site,
    SiteNotFoundError,
    SiteValidationError,
    StaleSiteError,
    load_example_portfolio,
)
from sites.schema import Facility, PowerRights
from sites.store import ENV_VAR, SCHEMA_VERSION, SiteStore

SITE = Site(
    id="alpha",
    name="Alpha",
    latitude=31.0,
    longitude=-100.0,
    state="TX",
    grid_region="ERCOT",
    power=PowerRights(energized_mw=80.0, contracted_mw=120.0, contract_expiry=date(2033, 6, 30)),
    facility=Facility(hall_count=2, hall_power_mw=40.0, fleet=(("S21", 1000), ("S19 XP", 500))),
)


@pytest.fixture
def store(db_url: str) -> Iterator[SiteStore]:
    s = SiteStore(db_url)
    yield s
    s.close()


def test_crud(store: SiteStore) -> None:
    assert store.list() == []
    assert store.save(SITE, today=TODAY) == 1
    assert store.get("alpha") == SITE
    assert store.get_with_version("alpha") == (SITE, 1)
    edited = dataclasses.replace(SITE, notes="edited")
    assert store.save(edited, expected_version=1, today=TODAY) == 2
    assert store.list() == [edited]
    store.delete("alpha")
    assert store.list() == []
    with pytest.raises(SiteNotFoundError, match="alpha"):
        store.get("alpha")
    with pytest.raises(SiteNotFoundError):
        store.delete("alpha")


def test_stale_save_is_refused_and_nothing_is_written(store: SiteStore) -> None:
    store.save(SITE, today=TODAY)
    mine, v_mine = store.get_with_version("alpha")
    theirs, v_theirs = store.get_with_version("alpha")
    store.save(dataclasses.replace(theirs, name="Theirs"), expected_version=v_theirs, today=TODAY)
    with pytest.raises(StaleSiteError) as info:
        store.save(dataclasses.replace(mine, name="Mine"), expected_version=v_mine, today=TODAY)
    err = info.value
    assert (err.site_id, err.expected_version, err.stored_version) == ("alpha", 1, 2)
    assert "'alpha'" in str(err) and "version 1" in str(err) and "version 2" in str(err)
    assert store.get_with_version("alpha")[0].name == "Theirs"
    assert store.get_with_version("alpha")[1] == 2
    with pytest.raises(StaleSiteError):
        store.delete("alpha", expected_version=1)
    with pytest.raises(StaleSiteError, match="already exists"):
        store.save(SITE, expected_version=0, today=TODAY)


def test_apply_changes_is_all_or_nothing(store: SiteStore) -> None:
    """Two app sessions: one deletes a site and edits another while the other session has already
    moved the second one on. The whole batch is refused and the database is left as it was."""
    beta = dataclasses.replace(SITE, id="beta", name="Beta")
    store.save(SITE, today=TODAY)
    store.save(beta, today=TODAY)
    store.save(dataclasses.replace(beta, notes="theirs"), expected_version=1, today=TODAY)
    before = store.list_with_versions()
    with pytest.raises(StaleSiteError) as info:
        store.apply_changes(
            [(dataclasses.replace(beta, notes="mine"), 1)],
            deletes=[("alpha", 1)],
            today=TODAY,
        )
    assert (info.value.site_id, info.value.expected_version, info.value.stored_version) == (
        "beta",
        1,
        2,
    )
    assert store.list_with_versions() == before  # alpha not deleted, beta not overwritten
    versions = store.apply_changes(
        [(dataclasses.replace(beta, notes="mine"), 2), (dataclasses.replace(SITE, id="gamma"), 0)],
        deletes=[("alpha", 1)],
        today=TODAY,
    )
    assert versions == {"beta": 3, "gamma": 1}
    assert sorted(s.id for s in store.list()) == ["beta", "gamma"]


def test_invalid_site_is_not_saved(store: SiteStore) -> None:
    with pytest.raises(SiteValidationError) as info:
        store.save(dataclasses.replace(SITE, latitude=123.0), today=TODAY)
    assert [p.column for p in info.value.problems] == ["latitude"]
    assert store.list() == []


def _fifty_rows(bad: int | None) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(
        ["id", "name", "energized_mw", "contracted_mw", "interruptible_share"]
        + ["latitude", "longitude", "grid_region"]
    )
    for i in range(50):
        share = "1.5" if i == bad else "0.25"
        w.writerow([f"site-{i:02d}", f"Site {i}", "10", "20", share, "31.5", "-97.1", "ERCOT"])
    return buf.getvalue()


def test_fifty_row_import_with_one_bad_row_writes_nothing(store: SiteStore, tmp_path: Path) -> None:
    store.save(SITE, today=TODAY)
    path = tmp_path / "fifty.csv"
    path.write_text(_fifty_rows(bad=17))
    with pytest.raises(SiteValidationError) as info:
        store.import_file(path, today=TODAY)
    (p,) = info.value.problems
    assert (p.row, p.column, p.value) == (19, "interruptible_share", 1.5)  # site-17 on row 19
    assert store.list() == [SITE]
    path.write_text(_fifty_rows(bad=None))
    report = store.import_file(path, today=TODAY)
    assert len(report.created) == 50 and report.updated == ()
    assert len(store.list()) == 51


def test_import_updates_by_id_partially(store: SiteStore, tmp_path: Path) -> None:
    store.save(SITE, today=TODAY)
    path = tmp_path / "partial.xlsx"
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["id", "name", "energized_mw"])
    wb.active.append(["alpha", "Alpha renamed", 100])
    wb.save(path)
    report = store.import_file(path, today=TODAY)
    assert report == type(report)(created=(), updated=("alpha",))
    assert "1 updated" in str(report)
    site, version = store.get_with_version("alpha")
    assert version == 2
    assert site == dataclasses.replace(
        SITE, name="Alpha renamed", power=dataclasses.replace(SITE.power, energized_mw=100.0)
    )


def test_export_import_round_trip(store: SiteStore, tmp_path: Path, db_url: str) -> None:
    portfolio = load_example_portfolio()
    for s in portfolio:
        store.save(s, today=TODAY)
    for fmt in ("csv", "xlsx"):
        path = store.export_file(tmp_path / f"all.{fmt}")
        other = SiteStore("sqlite://")
        other.import_file(path, today=TODAY)
        assert other.list() == sorted(portfolio, key=lambda s: s.id)
        other.close()


def test_scenarios(store: SiteStore) -> None:
    assert store.list_scenarios() == []
    store.save_scenario("central", {"discount_rate_per_year": 0.1, "horizon_months": 180})
    store.save_scenario("downside", {"btc_price_usd": 40000.0, "nested": {"a": [1, 2]}})
    store.save_scenario("central", {"discount_rate_per_year": 0.12})
    assert store.list_scenarios() == ["central", "downside"]
    assert store.load_scenario("central") == {"discount_rate_per_year": 0.12}
    assert store.load_scenario("downside")["nested"] == {"a": [1, 2]}
    store.delete_scenario("downside")
    with pytest.raises(ScenarioNotFoundError, match="downside"):
        store.load_scenario("downside")
    with pytest.raises(ValueError, match="JSON"):
        store.save_scenario("bad", {"when": object()})


@pytest.mark.parametrize(
    ("name", "why"),
    [("Bear", "built-in preset"), (" base ", "built-in preset"), ("BULL", "built-in preset"),
     ("x.JSON", "ends in .json"), ("\x1b[31mred", "control character"), ("  ", "blank")],
)  # fmt: skip
def test_a_scenario_name_that_would_mislead_is_refused(store: SiteStore, name, why) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match=why) as info:
        store.save_scenario(name, {"a": 1})
    assert repr(name) in str(info.value) and "allowed:" in str(info.value)
    assert store.list_scenarios() == []


def test_newer_schema_is_refused(db_url: str) -> None:
    SiteStore(db_url).close()
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE meta SET value = :v WHERE key = 'schema_version'"),
            {"v": str(SCHEMA_VERSION + 1)},
        )
    engine.dispose()
    with pytest.raises(SchemaVersionError, match="newer Hashpivot") as info:
        SiteStore(db_url)
    assert f"schema version {SCHEMA_VERSION + 1}" in str(info.value)


def test_older_schema_is_upgraded(db_url: str) -> None:
    # Build a schema-1 database by hand: sites without a version column (nor the columns of
    # later schemas), no scenarios table.
    engine = create_engine(db_url)
    from sites.store import sites_table

    later = ("version", "fleet_commissioning_year")
    cols = ", ".join(
        f"{c.name} {c.type.compile(engine.dialect)}" + (" PRIMARY KEY" if c.primary_key else "")
        for c in sites_table.columns
        if c.name not in later
    )
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE sites ({cols})"))
        conn.execute(text("CREATE TABLE meta (key VARCHAR(50) PRIMARY KEY, value TEXT NOT NULL)"))
        conn.execute(text("INSERT INTO meta VALUES ('schema_version', '1')"))
    engine.dispose()
    from sites.store import _site_to_row

    row = {k: v for k, v in _site_to_row(SITE).items() if k not in later}
    names = ", ".join(row)
    params = ", ".join(f":{k}" for k in row)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO sites ({names}) VALUES ({params})"), row)
    engine.dispose()
    store = SiteStore(db_url)
    assert store.schema_version == SCHEMA_VERSION
    assert store.get_with_version("alpha") == (SITE, 1)
    store.save_scenario("after-upgrade", {"ok": True})
    assert store.save(dataclasses.replace(SITE, notes="n"), expected_version=1, today=TODAY) == 2
    store.close()


def test_default_url_from_environment_is_created_and_seeded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "nested" / "inventory.sqlite3"
    monkeypatch.setenv(ENV_VAR, f"sqlite:///{path}")
    store = SiteStore()
    assert store.path_or_url == str(path)
    assert path.exists()
    portfolio = load_example_portfolio()
    assert store.list() == sorted(portfolio, key=lambda s: s.id)
    store.delete(portfolio[0].id)
    store.close()
    again = SiteStore()  # not re-seeded: the database already exists
    assert len(again.list()) == len(portfolio) - 1
    again.close()


def test_default_url_is_in_the_user_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from sites.store import default_url

    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # the user data folder on Linux
    assert default_url() == f"sqlite:///{tmp_path}/hashpivot/hashpivot.sqlite3"
    monkeypatch.setenv(ENV_VAR, "  sqlite:////data/other.db ")
    assert default_url() == "sqlite:////data/other.db"


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(valid_sites(), min_size=1, max_size=3, unique_by=lambda s: s.id))
def test_any_valid_site_survives_a_store_round_trip(store: SiteStore, sites: list[Site]) -> None:
    for s in store.list():
        store.delete(s.id)
    for s in sites:
        store.save(s, today=TODAY)
    assert store.list() == sorted(sites, key=lambda s: s.id)
    for s in sites:
        assert store.get(s.id) == s


# --- import against concurrent edits, one-transaction seeding, database errors in words -----------


def test_import_refuses_to_overwrite_an_edit_saved_after_its_base_was_read(
    store: SiteStore, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import parses and validates its file outside the write transaction (issue 16 item 4:
    no write lock while a file is read), so another session can commit between the base read
    and the write, on SQLite as on PostgreSQL; the update then matches no row (version moved on)
    and is refused, and the other session's edit survives."""
    import sites.store as store_module

    store.save(SITE, today=TODAY)
    path = tmp_path / "rename.csv"
    path.write_text("id,name\nalpha,Alpha from the file\n")
    real_parse = store_module.parse_sites
    outcome: dict[str, object] = {}

    def parse_then_edit_elsewhere(*args, **kwargs):
        sites = real_parse(*args, **kwargs)
        other = SiteStore(db_url)
        site, version = other.get_with_version("alpha")
        other.save(dataclasses.replace(site, name="Other session"), version, today=TODAY)
        other.close()
        outcome["other"] = "written"
        return sites

    monkeypatch.setattr(store_module, "parse_sites", parse_then_edit_elsewhere)
    with pytest.raises(StaleSiteError) as info:
        store.import_file(path, today=TODAY)
    assert (info.value.expected_version, info.value.stored_version) == (1, 2)
    assert outcome["other"] == "written"
    # The other session's edit survives; the import wrote nothing.
    assert store.get_with_version("alpha") == (
        dataclasses.replace(SITE, name="Other session"),
        2,
    )


def test_a_failed_seed_leaves_an_empty_database_seeded_on_the_next_open(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sites.store as store_module
    from sites.store import StoreError

    portfolio = load_example_portfolio()
    # Two rows with one id: the seed's insert fails inside the database (primary key).
    monkeypatch.setattr(store_module, "_seed_sites", lambda: [portfolio[0], portfolio[0]])
    with pytest.raises(StoreError, match="could not open the site database"):
        SiteStore(db_url, seed=True)
    engine = create_engine(db_url)
    from sqlalchemy import inspect

    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == []  # tables were created in the same transaction
    engine.dispose()
    monkeypatch.setattr(store_module, "_seed_sites", lambda: portfolio)
    again = SiteStore(db_url, seed=True)
    assert again.list() == sorted(portfolio, key=lambda s: s.id)
    again.close()


def test_a_write_the_database_refuses_is_a_store_error_in_words(tmp_path: Path) -> None:
    from sites.store import StoreError

    path = tmp_path / "refusing.sqlite3"
    s = SiteStore(f"sqlite:///{path}")
    s.save(SITE, today=TODAY)
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # stands in for a full disk or a constraint the server enforces
        conn.execute(
            text(
                "CREATE TRIGGER refuse BEFORE UPDATE ON sites "
                "BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END"
            )
        )
    engine.dispose()
    with pytest.raises(StoreError) as info:
        s.save(dataclasses.replace(SITE, name="Renamed"), 1, today=TODAY)
    assert str(info.value) == (
        f"could not save the changes to the site database {path}: disk quota exceeded"
    )
    assert isinstance(info.value.__cause__, SQLAlchemyError)
    assert s.get_with_version("alpha") == (SITE, 1)  # rolled back, nothing written
    s.close()


def test_a_damaged_database_file_is_a_store_error_in_words(tmp_path: Path) -> None:
    from sites.store import StoreError

    path = tmp_path / "damaged.sqlite3"
    s = SiteStore(f"sqlite:///{path}")
    s.save(SITE, today=TODAY)
    s.close()  # no pooled connection: the next call opens the file again
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=r"could not read the sites from the site database .*"):
        s.list()
    with pytest.raises(StoreError, match="could not save scenario 'central'"):
        s.save_scenario("central", {"a": 1})


def test_an_unreachable_server_is_a_store_error_without_the_password() -> None:
    from sites.store import StoreError

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        with pytest.raises(StoreError) as info:
            SiteStore(
                f"postgresql+psycopg://hp:s3cret@127.0.0.1:{port}/hashpivot?connect_timeout=5"
            )
    message = str(info.value)
    assert message.startswith(
        f"could not open the site database postgresql+psycopg://hp:***@127.0.0.1:{port}/hashpivot"
    )
    assert "s3cret" not in message


# --- Unknown values (issue 13): NULL columns, and the schema 3 -> 4 upgrade ------------------------


def _unknown_site() -> Site:
    from sites.schema import Connectivity, Land, Substation

    return dataclasses.replace(
        SITE,
        id="unknown",
        land=Land(None, 12.0, None),
        power=dataclasses.replace(SITE.power, contract_price_usd_per_mwh=None),
        substation=Substation(on_site=None, distance_km=None, capacity_mva=None),
        connectivity=Connectivity(
            fiber_distance_km=None,
            carrier_count=None,
            design_dry_bulb_c=None,
            design_wet_bulb_c=24.0,
            water_availability=None,
        ),
    )


def test_unknown_values_are_stored_as_null_and_read_back_as_none(store: SiteStore) -> None:
    site = _unknown_site()
    store.save(site, today=TODAY)
    assert store.get("unknown") == site
    assert store.get("unknown").substation.capacity_mva is None
    edited = dataclasses.replace(site, land=dataclasses.replace(site.land, acres_owned=0.0))
    store.save(edited, expected_version=1, today=TODAY)
    (latest, first) = store.history("unknown")[:2]
    assert first.after == site and latest.before == site and latest.after == edited
    assert latest.after is not None and latest.after.land.acres_owned == 0.0  # a real zero
    frame = store.frame()
    assert frame.loc[frame["id"] == "unknown", "substation_capacity_mva"].isna().all()


def test_schema_3_database_is_upgraded_to_nullable_unknown_columns(db_url: str) -> None:
    # A schema-3 database: the same sites table, but every column NOT NULL but dates and the
    # commissioning year (as schema 3 made it), with one site and its audit entry.
    from sqlalchemy import MetaData, Table

    from sites.store import history_table, meta_table, sites_table

    old = MetaData()
    Table(
        "sites",
        old,
        *(
            c._copy()
            for c in sites_table.columns  # noqa: SLF001
        ),
    )
    for column in old.tables["sites"].columns:
        if column.name not in ("contract_expiry", "queue_energization_date",
                               "fleet_commissioning_year"):  # fmt: skip
            column.nullable = False
    meta_table.to_metadata(old)
    history_table.to_metadata(old)
    engine = create_engine(db_url)
    from sites.store import _site_to_row

    with engine.begin() as conn:
        old.create_all(conn)
        conn.execute(old.tables["meta"].insert().values(key="schema_version", value="3"))
        conn.execute(old.tables["sites"].insert().values(**_site_to_row(SITE), version=4))
    engine.dispose()
    store = SiteStore(db_url)
    assert store.schema_version == SCHEMA_VERSION == 5  # through 4 (nullable) and 5 (prices)
    assert store.get_with_version("alpha") == (SITE, 4)  # values and version kept
    unknown = dataclasses.replace(
        SITE, power=dataclasses.replace(SITE.power, contract_price_usd_per_mwh=None)
    )
    assert store.save(unknown, expected_version=4, today=TODAY) == 5
    assert store.get("alpha").power.contract_price_usd_per_mwh is None
    assert [e.action for e in store.history("alpha")] == ["save"]
    store.save(_unknown_site(), today=TODAY)
    assert store.get("unknown") == _unknown_site()
    store.close()
