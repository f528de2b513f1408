"""Who may change what: the audit trail in the store (every save, delete, import and restore with
time, user and the row before and after; nothing lost to an overwrite; restore), the roles from
configuration, and the Inventory page for a viewer and an editor (AppTest; sign-in itself is
driven end to end in the browser test against a local OpenID Connect provider)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_support import auth
from sites.schema import Site
from sites.store import LOCAL_USER, SCHEMA_VERSION, SiteStore

ROOT = Path(__file__).resolve().parents[2]
A = Site(id="a", name="Alpha", latitude=31.0, longitude=-100.0, grid_region="ERCOT")


def test_audit_trail_records_every_change_with_user_and_rows(db_url: str, tmp_path: Path) -> None:
    store = SiteStore(db_url)
    t0 = datetime.now(UTC) - timedelta(seconds=5)
    store.save(A, expected_version=0, user="alice@example.com")
    store.save(dataclasses.replace(A, name="Alpha 2"), expected_version=1)
    path = tmp_path / "i.csv"
    path.write_text("id,name\na,Alpha 3\n")
    store.import_file(path, user="bob@example.com")
    store.delete("a", expected_version=3, user="alice@example.com")
    entries = store.history("a")
    assert [(e.action, e.user, e.version_before, e.version_after) for e in entries] == [
        ("delete", "alice@example.com", 3, None),
        ("import", "bob@example.com", 2, 3),
        ("save", LOCAL_USER, 1, 2),
        ("save", "alice@example.com", None, 1),
    ]
    assert [e.after.name if e.after else None for e in entries] == [
        None,
        "Alpha 3",
        "Alpha 2",
        "Alpha",
    ]
    assert [e.before.name if e.before else None for e in entries] == [
        "Alpha 3",
        "Alpha 2",
        "Alpha",
        None,
    ]
    assert all(t0 <= e.at <= datetime.now(UTC) + timedelta(seconds=5) for e in entries)
    # Nothing is lost: every version ever stored can be brought back, even after the delete.
    first = entries[-1].entry_id
    assert store.restore("a", first, expected_version=0, user="alice@example.com") == 1
    assert store.get("a") == A
    assert store.history("a")[0].action == "restore"
    assert store.history_site_ids() == ["a"]
    store.close()


def test_a_schema_2_database_is_upgraded_with_the_trail(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    store = SiteStore(url)
    store.save(A)
    store.close()
    engine = create_engine(url)
    with engine.begin() as conn:  # back to schema 2: no trail, no commissioning-year column
        conn.execute(text("DROP TABLE site_history"))
        conn.execute(text("ALTER TABLE sites DROP COLUMN fleet_commissioning_year"))
        conn.execute(text("UPDATE meta SET value = '2' WHERE key = 'schema_version'"))
    engine.dispose()
    store = SiteStore(url)
    assert store.schema_version == SCHEMA_VERSION == 5  # 4: nullable columns, 5: price histories
    assert store.get("a") == A  # the year is unknown (None) for existing rows
    year = dataclasses.replace(
        A, facility=dataclasses.replace(A.facility, fleet_commissioning_year=2023)
    )
    store.save(year, expected_version=1, user="carol")
    assert store.get("a").facility.fleet_commissioning_year == 2023
    assert store.history("a")[0].user == "carol"
    store.close()


def test_roles_from_configuration() -> None:
    off = auth.settings_from({})
    assert not off.enabled and auth.role_for(None, off) == auth.EDITOR  # the laptop default
    on = auth.settings_from(
        {"auth": {"client_id": "x"}, "hashpivot": {"editors": ["Alice@Example.com"]}}
    )
    assert auth.role_for("alice@example.com", on) == auth.EDITOR
    assert auth.role_for("bob@example.com", on) == auth.VIEWER  # no viewers list: anyone views
    assert auth.role_for(None, on) is None
    closed = auth.settings_from({"auth": {}, "hashpivot": {"editors": ["a@x"], "viewers": ["b@x"]}})
    assert auth.role_for("b@x", closed) == auth.VIEWER
    assert auth.role_for("c@x", closed) is None
    with pytest.raises(ValueError, match="editors must be a list"):
        auth.settings_from({"auth": {}, "hashpivot": {"editors": "a@x"}})


@pytest.fixture
def inventory_db(app_store_url: str) -> str:
    """The app's store (the root conftest's ``app_store_url``)."""
    return app_store_url


def _inventory_as(access: auth.Access | None) -> AppTest:
    """The Inventory page run on its own with this session's access (what auth.gate sets after
    sign-in; AppTest cannot sign in through a provider)."""
    at = AppTest.from_file(str(ROOT / "app_pages" / "inventory.py"), default_timeout=60)
    if access is not None:
        at.session_state[auth.ACCESS_KEY] = access
    return at


def test_a_viewer_cannot_edit_import_or_restore(inventory_db: str) -> None:
    SiteStore(inventory_db, seed=True).close()
    at = _inventory_as(auth.Access("bob@example.com", auth.VIEWER)).run()
    assert not at.exception
    labels = {b.label for b in at.button}
    assert not {"Save changes", "Import file", "Restore this version"} & labels
    assert len(at.dataframe) >= 1  # the inventory, read only
    assert "inventory_editor" not in at.session_state  # no editable table was drawn
    assert any("read only" in c.value for c in at.caption)


def test_an_editors_change_appears_in_the_trail_with_their_name(inventory_db: str) -> None:
    store = SiteStore(inventory_db, seed=True)
    first = store.list()[0]
    at = _inventory_as(auth.Access("alice@example.com", auth.EDITOR)).run()
    at.session_state["inventory_editor"] = {
        "edited_rows": {0: {"name": "Renamed by Alice"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    next(b for b in at.button if b.label == "Save changes").click().run()
    assert not at.exception
    latest = store.history(first.id)[0]
    assert (latest.user, latest.action, latest.after.name) == (
        "alice@example.com",
        "save",
        "Renamed by Alice",
    )
    assert latest.before == first
    # The editor restores the version before their change from the page.
    at.run()
    at.selectbox(key="inventory_history_site").set_value(first.id).run()
    seed_entry = store.history(first.id)[-1].entry_id
    at.selectbox(key="inventory_history_entry").set_value(seed_entry).run()
    next(b for b in at.button if b.label == "Restore this version").click().run()
    assert not at.exception
    assert store.get(first.id) == first
    assert store.history(first.id)[0].action == "restore"
    store.close()
