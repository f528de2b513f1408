"""What the store makes of a database URL before it opens one: only a SQLite URL names a local
file (another database's name is the server's), and a URL of no database dialect is refused in
words, naming what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from sites.store import SiteStore, StoreError, missing_sqlite_file, url_problem


@pytest.mark.parametrize(
    "url",
    ["postgresql://ana:pw@dbhost:5432/db", "postgresql+psycopg://u@h/hashpivot", "mysql://u@h/db"],
)
def test_only_a_sqlite_url_names_a_local_file(url: str) -> None:
    assert url_problem(url) is None
    assert missing_sqlite_file(url) is None


def test_a_missing_sqlite_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nope.db"
    assert missing_sqlite_file(f"sqlite:///{path}") == path
    path.touch()
    assert missing_sqlite_file(f"sqlite:///{path}") is None


@pytest.mark.parametrize("url", ["file:///etc/passwd", "https://example.com/db", "etc/passwd"])
def test_a_url_of_no_database_is_refused_in_words(url: str) -> None:
    problem = url_problem(url)
    assert problem is not None and problem.startswith("not a database URL; allowed:")
    assert "sqlite:///" in problem and "postgresql+psycopg://" in problem
    with pytest.raises(StoreError, match="not a database URL"):
        SiteStore(url)


def test_an_unknown_driver_is_named_without_the_password() -> None:
    problem = url_problem("postgresql+nodriver://ana:s3cret@h/db")
    assert problem is not None
    assert problem.startswith("no driver 'nodriver' for postgresql; allowed:")
    with pytest.raises(StoreError) as info:
        SiteStore("postgresql+nodriver://ana:s3cret@h/db")
    assert "s3cret" not in str(info.value)
