"""``--store URL`` on the command line: a command that only reads opens any database the URL
names (the "must exist" check is for SQLite files alone), a missing SQLite file is still refused,
a URL that names no database is refused in words, and a server that cannot be reached is named
with its password masked."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from cli_helpers import run_cli, sites_folder

from sites import load_example_portfolio

SITES = [s for s in load_example_portfolio() if s.id in ("corz-muskogee", "corz-marble")]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return sites_folder(tmp_path, monkeypatch, SITES)


def test_a_reading_command_opens_the_database_a_url_names(env, capsys, db_url) -> None:  # noqa: ANN001
    # PostgreSQL's database name ("hashpivot_test") was taken for a local file that does not
    # exist: every reading command was refused with "no database at hashpivot_test".
    code, _, err = run_cli(capsys, "sites", "import", "sites.csv", "--store", db_url)
    assert code == 0, err
    code, out, err = run_cli(capsys, "sites", "list", "--store", db_url)
    assert code == 0, err
    assert "corz-muskogee" in out and "corz-marble" in out
    code, out, err = run_cli(capsys, "scenarios", "list", "--store", db_url)
    assert code == 0, err
    assert "0 saved scenarios" in out


def test_a_missing_sqlite_file_is_still_refused(env, capsys, tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'typo' / 'nope.db'}"
    for command in (("sites", "list"), ("scenarios", "list")):
        code, _, err = run_cli(capsys, *command, "--store", url)
        assert code == 1, err
        assert f"no database at {tmp_path / 'typo' / 'nope.db'}; allowed: an existing one" in err
    assert not (tmp_path / "typo").exists()


@pytest.mark.parametrize("command", [("sites", "list"), ("sites", "import", "sites.csv")])
def test_a_url_that_names_no_database_is_refused_in_words(env, capsys, command) -> None:  # noqa: ANN001
    # Reading said "no database at etc/passwd"; writing failed opening it, naming a plugin.
    code, _, err = run_cli(capsys, *command, "--store", "file:///etc/passwd")
    assert code == 1, err
    assert "--store 'file:///etc/passwd': not a database URL; allowed:" in err
    assert "sqlite:///" in err and "postgresql+psycopg://" in err
    assert "plugin" not in err


def test_a_server_that_cannot_be_reached_is_named_without_its_password(env, capsys) -> None:  # noqa: ANN001
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        url = f"postgresql+psycopg://ana:pw-s3cret@127.0.0.1:{port}/db?connect_timeout=5"
        code, out, err = run_cli(capsys, "sites", "list", "--store", url)
    assert code == 1, err
    assert (
        f"could not open the site database postgresql+psycopg://ana:***@127.0.0.1:{port}/db" in err
    )
    assert "pw-s3cret" not in out + err
