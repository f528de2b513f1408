"""Item 9: two sessions creating one new id at once: the loser gets the stale-save error (and its
"discard and reload" path), never a duplicate-key message nor a silent update of the other's row.
Item 10: dates are YYYY-MM-DD only, a formula cell without a saved value is a problem, and the
text "(clear)" round-trips."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

import pytest
from hostile_files import HEADER, xlsx_formula_without_value
from sqlalchemy import create_engine, text

from sites.errors import SiteValidationError, StaleSiteError
from sites.io import read_sites, write_sites
from sites.schema import Site
from sites.store import SiteStore, _site_to_row

NEW = Site(id="new", name="Mine", latitude=31.0, longitude=-100.0, grid_region="ERCOT")
THEIRS = dataclasses.replace(NEW, name="Theirs")


@pytest.mark.postgres
def test_item09_concurrent_create_on_postgres_is_a_stale_save(postgres_url: str) -> None:
    from sites.store import metadata

    store = SiteStore(postgres_url)
    engine = create_engine(postgres_url)
    try:
        other = engine.connect()
        tx = other.begin()
        row = {**_site_to_row(THEIRS), "version": 1}
        names = ", ".join(row)
        other.execute(
            text(f"INSERT INTO sites ({names}) VALUES ({', '.join(':' + k for k in row)})"), row
        )
        outcome: dict[str, BaseException | int] = {}

        def mine() -> None:
            try:
                outcome["result"] = store.save(NEW, expected_version=0)
            except BaseException as exc:  # noqa: BLE001 - the test inspects it
                outcome["result"] = exc

        worker = threading.Thread(target=mine)
        worker.start()  # blocks on the other session's uncommitted row
        time.sleep(0.5)
        tx.commit()
        other.close()
        worker.join(timeout=20)
        result = outcome["result"]
        assert isinstance(result, StaleSiteError), result  # was: duplicate key value violates...
        assert (result.expected_version, result.stored_version) == (0, 1)
        assert "already exists" in str(result)
        assert store.get_with_version("new") == (THEIRS, 1)
    finally:
        store.close()
        with engine.begin() as conn:
            metadata.drop_all(conn)
        engine.dispose()


def test_item09_concurrent_import_of_one_new_id_never_updates_the_others_row(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sites.store as store_module

    store = SiteStore(db_url)
    path = tmp_path / "new.csv"
    path.write_text(f"{HEADER}\nnew,Mine,31,-100,ERCOT\n")
    real_parse = store_module.parse_sites

    def parse_while_another_session_creates_it(*args, **kwargs):
        sites = real_parse(*args, **kwargs)
        other = SiteStore(db_url)
        other.save(THEIRS, expected_version=0)
        other.close()
        return sites

    monkeypatch.setattr(store_module, "parse_sites", parse_while_another_session_creates_it)
    with pytest.raises(StaleSiteError) as info:
        store.import_file(path)
    assert (info.value.expected_version, info.value.stored_version) == (0, 1)
    assert store.get_with_version("new") == (THEIRS, 1)  # their row, untouched
    store.close()


@pytest.mark.parametrize(
    "bad", ["20300101", "2030-W01-1", "2030-1-1", "2030-01-01T00:00", "2030-02-30"]
)
def test_item10_dates_are_yyyy_mm_dd_only(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "d.csv"
    path.write_text(f"{HEADER},contract_expiry\na,A,31,-100,ERCOT,{bad}\n")
    with pytest.raises(SiteValidationError) as info:
        read_sites(path)
    (problem,) = info.value.problems
    assert (problem.row, problem.column, problem.value) == (2, "contract_expiry", bad)
    assert "YYYY-MM-DD" in problem.rule


def test_item10_a_formula_without_a_saved_value_is_a_problem() -> None:
    name, data = xlsx_formula_without_value()
    with pytest.raises(SiteValidationError) as info:
        read_sites(data, "xlsx", name=name)
    (problem,) = info.value.problems
    assert (problem.row, problem.column, problem.value) == (2, "hall_count", "=1+1")
    assert "no saved value" in problem.rule


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_item10_the_text_clear_round_trips(tmp_path: Path, fmt: str) -> None:
    sites = [
        dataclasses.replace(NEW, id=f"s{i}", notes=note, county=note)
        for i, note in enumerate(["(clear)", " (CLEAR) ", "'(clear)", "''(clear)"])
    ]
    path = write_sites(sites, tmp_path / f"clear.{fmt}")
    assert read_sites(path) == sites
    # And an import onto the stored sites keeps them: "(clear)" written by a user still clears.
    store = SiteStore(f"sqlite:///{tmp_path / 's.sqlite3'}")
    for site in sites:
        store.save(site)
    store.import_file(path)
    assert store.list() == sites
    cleared = tmp_path / "cleared.csv"
    cleared.write_text("id,notes\ns1,(clear)\n")
    store.import_file(cleared)
    assert store.get("s1").notes == ""
    store.close()
