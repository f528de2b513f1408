"""Items 12, 13, 14 and 16 on the pages (AppTest) and in the configuration: credentials are
masked everywhere, user text is shown as text, the tables' raw toolbar export is off, and
production settings show no traceback and make no stray ``file:`` folder."""

from __future__ import annotations

import dataclasses
import os
import re
import socket
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from sites.redact import mask_credentials
from sites.schema import Site
from sites.store import SiteStore, StoreError

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
SECRET = "hunter2"
PAYLOAD_IMG = "![x](http://127.0.0.1:9/p.png)"
PAYLOAD_LINK = "[click me](https://example.invalid/phish)"


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket closes


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


def _app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    if page is not None:
        at.switch_page(page)
    return at


def _everything_shown(at: AppTest) -> str:
    """Every text the page put on screen (bodies of Markdown elements included)."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "error", "warning", "success", "info", "text", "title"):
        parts.extend(str(getattr(e, "value", "")) for e in getattr(at, kind))
    return "\n".join(parts)


# --- item 12: credentials ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "hidden"),
    [
        ("postgresql+psycopg://hp@db.example/inv?password=hunter2&sslmode=require", "hunter2"),
        ("postgresql+psycopg://hp:hun@ter2@db.example/inv", "ter2"),
        ("postgresql://hp:hunter2@db.example:5432/inv", "hunter2"),
        ("live source https://me:tok3n@api.example/v1?api_key=K3Y failed", "tok3n"),
        ("live source https://api.example/v1?api_key=K3Y failed", "K3Y"),
        ("connection failed: host=db password=hunter2 user=hp", "hunter2"),
    ],
)
def test_item12_mask_credentials(raw: str, hidden: str) -> None:
    masked = mask_credentials(raw)
    assert hidden not in masked
    assert "***" in masked


def test_item12_store_url_and_errors_hide_query_and_at_sign_passwords() -> None:
    port = _closed_port()
    for url in (
        f"postgresql+psycopg://hp@127.0.0.1:{port}/inv?password={SECRET}&connect_timeout=3",
        f"postgresql+psycopg://hp:hun@ter2@127.0.0.1:{port}/inv?connect_timeout=3",
    ):
        with pytest.raises(StoreError) as info:
            SiteStore(url)
        message = str(info.value)
        assert SECRET not in message and "ter2" not in message, message
        assert f"127.0.0.1:{port}" in message or "could not open" in message


@pytest.mark.parametrize(
    "page", ["app_pages/inventory.py", "app_pages/portfolio.py", "app_pages/site.py"]
)
def test_item12_pages_never_show_the_database_password(
    app_env, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    port = _closed_port()
    monkeypatch.setenv(
        "HASHPIVOT_DB_URL",
        f"postgresql+psycopg://hp:hun@ter2@127.0.0.1:{port}/inv?password={SECRET}&connect_timeout=3",
    )
    at = _app(page).run()
    assert not at.exception
    shown = _everything_shown(at)
    assert at.error, "the page should say the inventory could not be read"
    assert SECRET not in shown and "ter2" not in shown, shown


def test_item12_market_warning_hides_the_live_source_credentials(
    app_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HASHPIVOT_DB_URL", f"sqlite:///{tmp_path / 'm.sqlite3'}")
    port = _closed_port()
    monkeypatch.setenv(
        "HASHPIVOT_LIVE_API_URL", f"http://me:{SECRET}@127.0.0.1:{port}/api?api_key=K3Y"
    )
    at = _app("app_pages/market.py").run()
    next(b for b in at.button if b.label == "Fetch live market data").click().run()
    assert not at.exception
    assert at.warning
    shown = _everything_shown(at)
    assert SECRET not in shown and "K3Y" not in shown, shown


# --- item 13: user text as text --------------------------------------------------------------------


def _markdown_bodies(at: AppTest) -> list[str]:
    out: list[str] = []
    for kind in ("markdown", "caption", "error", "warning", "success", "info"):
        out.extend(str(e.value) for e in getattr(at, kind))
    return out


def test_item13_site_page_shows_user_text_as_text(
    app_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'md.sqlite3'}"
    monkeypatch.setenv("HASHPIVOT_DB_URL", url)
    store = SiteStore(url, seed=True)
    first = store.list()[0]
    evil = dataclasses.replace(
        first, name=f"Evil {PAYLOAD_IMG}", operator=PAYLOAD_LINK, county=f"**bold** {PAYLOAD_IMG}"
    )
    store.save(evil)
    store.close()
    at = _app("app_pages/site.py")
    at.session_state["selected_site_id"] = first.id
    at.run()
    assert not at.exception
    assert any(PAYLOAD_LINK in t.value for t in at.text)  # the operator, literally, as text
    for body in _markdown_bodies(at):
        assert "](http" not in body, body  # no live image or link syntax reaches Markdown


def test_item13_portfolio_warning_shows_names_literally(
    app_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import valuation.decision as decision

    url = f"sqlite:///{tmp_path / 'md.sqlite3'}"
    monkeypatch.setenv("HASHPIVOT_DB_URL", url)
    store = SiteStore(url, seed=True)
    first = store.list()[0]
    store.save(dataclasses.replace(first, name=f"Evil {PAYLOAD_IMG} {PAYLOAD_LINK}"))
    store.close()
    real = decision.compare_portfolio

    def one_fails(sites, scenario=None, **kwargs):
        table = real(sites, scenario, **kwargs)
        if "error" not in table.columns:
            table["error"] = ""
        table.loc[table["site_id"] == first.id, "error"] = f"refused {PAYLOAD_LINK}"
        return table

    monkeypatch.setattr(decision, "compare_portfolio", one_fails)
    at = _app().run()
    assert not at.exception
    (warning,) = at.warning
    assert "could not be valued" in warning.value
    assert "](http" not in warning.value
    # what the reader sees: escapes read, the invisible word joiners that stop autolinks gone
    seen = re.sub(r"\\(.)", r"\1", warning.value).replace("\u2060", "")
    assert PAYLOAD_IMG in seen and PAYLOAD_LINK in seen


# --- items 14 and 16: configuration -----------------------------------------------------------------


def _config() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_item14_table_toolbar_export_is_off() -> None:
    assert _config()["client"]["disableDataExport"] is True


def test_item16_users_see_no_traceback() -> None:
    assert _config()["client"]["showErrorDetails"] == "none"


def test_item16_a_sqlite_file_uri_makes_no_stray_folder(tmp_path: Path) -> None:
    work = tmp_path / "cwd"
    work.mkdir()
    data = tmp_path / "data" / "inv.sqlite3"
    here = os.getcwd()
    os.chdir(work)
    try:
        for url in (f"sqlite:///file:{data}", f"sqlite:///file:{data}?mode=rwc&uri=true"):
            store = SiteStore(url)
            store.save(Site(id="a", name="A", latitude=31.0, longitude=-100.0))
            assert store.path_or_url == str(data)
            store.close()
    finally:
        os.chdir(here)
    assert list(work.iterdir()) == []  # no "file:" folder in the working directory
    assert data.exists()


def test_item15_map_tooltip_is_text_not_an_html_template(
    app_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tooltip never interprets values as HTML, whatever the installed Streamlit escapes
    (the browser test hovers it with a site named with markup)."""
    import json

    url = f"sqlite:///{tmp_path / 'map.sqlite3'}"
    monkeypatch.setenv("HASHPIVOT_DB_URL", url)
    SiteStore(url, seed=True).close()
    at = _app().run()
    assert not at.exception
    (chart,) = at.get("deck_gl_json_chart")
    spec = json.loads(chart.proto.json)
    tooltip = spec.get("tooltip") or json.loads(chart.proto.tooltip)
    assert "html" not in tooltip and "{label}" in tooltip["text"]  # name (operator), as text


@pytest.mark.postgres
def test_item12_inventory_page_hides_a_query_password_of_a_working_database(
    app_env, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test server trusts loopback, so the password is ignored by it but still in the URL."""
    from sqlalchemy import create_engine

    from sites.store import metadata

    url = f"{postgres_url}?password={SECRET}&application_name=hp"
    monkeypatch.setenv("HASHPIVOT_DB_URL", url)
    try:
        store = SiteStore(url, seed=True)
        assert SECRET not in store.path_or_url and "***" in store.path_or_url
        store.close()
        at = _app("app_pages/inventory.py").run()
        assert not at.exception
        shown = _everything_shown(at)
        assert "sites saved in" in shown and SECRET not in shown, shown
    finally:
        engine = create_engine(postgres_url)
        with engine.begin() as conn:
            metadata.drop_all(conn)
        engine.dispose()
