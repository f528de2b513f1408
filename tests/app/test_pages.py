"""Each page under streamlit.testing.v1.AppTest: it runs without an exception, shows its key
elements, and a changed input changes the shown value as the library says it should.

The app's store is a temporary SQLite file (``HASHPIVOT_DB_URL``), seeded by ``SiteStore`` with the
example portfolio. AppTest cannot type into ``st.data_editor``: its edits are seeded through
``session_state`` (the browser tests type into it).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from page_helpers import as_seen, metric_value
from streamlit.testing.v1 import AppTest

from sites.store import SiteStore

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TIMEOUT_S = 60


def _app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    if page is not None:
        at.switch_page(page)
    return at


def _store(url: str) -> SiteStore:
    return SiteStore(url, seed=True)  # as the app's SiteStore() seeds a new database


# --- Inventory ---------------------------------------------------------------------------------------


def test_inventory_lists_the_seeded_store(db_url):
    at = _app("app_pages/inventory.py").run()
    assert not at.exception
    assert at.title[0].value == "Inventory"
    n = len(_store(db_url).list())
    assert n >= 20  # the example portfolio seeds a new database
    assert any(f"{n} sites saved" in c.value for c in at.caption)
    labels = {b.label for b in at.get("download_button")}
    assert {"Inventory (.xlsx)", "Inventory (.csv)", "Template (.csv)"} <= labels


def test_inventory_refuses_a_bad_edit_with_its_rule(db_url):
    at = _app("app_pages/inventory.py").run()
    at.session_state["inventory_editor"] = {
        "edited_rows": {0: {"interruptible_share": 1.5}},  # allowed: 0..1
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    assert any("1 problem" in e.value for e in at.error)
    problems = next(d.value for d in at.dataframe if "Rule" in d.value.columns)
    assert list(problems["Column"]) == ["interruptible_share"]
    assert list(problems["Row"]) == [1]
    save = next(b for b in at.button if b.label == "Save changes")
    assert save.disabled


def test_inventory_saves_a_good_edit_and_a_delete(db_url):
    store = _store(db_url)
    first, second = store.list()[:2]
    at = _app("app_pages/inventory.py").run()
    at.session_state["inventory_editor"] = {
        "edited_rows": {0: {"contracted_mw": first.power.contracted_mw + 10.0}},
        "added_rows": [],
        "deleted_rows": [1],
    }
    at.run()
    next(b for b in at.button if b.label == "Save changes").click().run()
    assert not at.exception
    assert store.get(first.id).power.contracted_mw == first.power.contracted_mw + 10.0
    assert second.id not in {s.id for s in store.list()}
    assert any("1 site added or changed, 1 deleted" in s.value for s in at.success)


def _seed_edit(at: AppTest, edited_rows: dict) -> None:
    at.session_state["inventory_editor"] = {
        "edited_rows": edited_rows,
        "added_rows": [],
        "deleted_rows": [],
    }


def _click(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


def test_inventory_refuses_a_stale_save_in_words_and_reloads(db_url):
    store = _store(db_url)
    first = store.list()[0]
    at = _app("app_pages/inventory.py").run()
    _seed_edit(at, {0: {"contracted_mw": first.power.contracted_mw + 10.0}})
    at.run()
    # Another session (a second store on the same database) saves the same site in between.
    other = SiteStore(db_url)
    site, version = other.get_with_version(first.id)
    other.save(dataclasses.replace(site, notes="edited elsewhere"), version)
    at.run()
    assert any(
        first.id in as_seen(w.value) and "another session" in as_seen(w.value) for w in at.warning
    )
    _click(at, "Save changes")
    assert not at.exception
    (error,) = at.error
    assert f"site {first.id!r} was changed by another session" in as_seen(error.value)
    assert "Discard and reload" in as_seen(error.value)
    assert not at.success
    # Nothing written: the other session's edit stands, ours is not applied.
    assert store.get_with_version(first.id) == (
        dataclasses.replace(first, notes="edited elsewhere"),
        2,
    )
    _click(at, "Discard and reload")
    assert not at.exception and not at.error
    assert not at.session_state["inventory_editor"]["edited_rows"]
    save = next(b for b in at.button if b.label == "Save changes")
    assert save.disabled


def test_inventory_keeps_edits_when_another_session_saves_a_different_site(db_url):
    store = _store(db_url)
    first, _, third = store.list()[:3]
    at = _app("app_pages/inventory.py").run()
    _seed_edit(at, {0: {"contracted_mw": first.power.contracted_mw + 10.0}})
    at.run()
    other = SiteStore(db_url)
    site, version = other.get_with_version(third.id)
    other.save(dataclasses.replace(site, notes="edited elsewhere"), version)
    _click(at, "Save changes")
    assert not at.exception and not at.error
    assert any("1 site added or changed, 0 deleted" in s.value for s in at.success)
    assert store.get(first.id).power.contracted_mw == first.power.contracted_mw + 10.0
    assert store.get(third.id).notes == "edited elsewhere"  # not overwritten by our old copy


def test_inventory_shows_a_database_error_in_words_and_writes_nothing(db_url):
    from sqlalchemy import create_engine, text

    store = _store(db_url)
    first = store.list()[0]
    at = _app("app_pages/inventory.py").run()
    engine = create_engine(db_url)
    with engine.begin() as conn:  # stands in for a full disk: every update is refused
        conn.execute(
            text(
                "CREATE TRIGGER refuse BEFORE UPDATE ON sites "
                "BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END"
            )
        )
    engine.dispose()
    _seed_edit(at, {0: {"contracted_mw": first.power.contracted_mw + 10.0}})
    at.run()
    _click(at, "Save changes")
    assert not at.exception
    (error,) = at.error
    assert error.value.startswith("Nothing was saved")
    assert "disk quota exceeded" in error.value and store.path_or_url in as_seen(error.value)
    assert store.get_with_version(first.id) == (first, 1)


def test_inventory_save_leaves_untouched_rows_alone(db_url):
    """A stored quote before a formula trigger is data (finding 15), and a contract that has
    expired since it was saved (finding 4) does not block edits of other rows."""
    from datetime import date

    store = _store(db_url)
    first, second = store.list()[:2]
    quoted = dataclasses.replace(
        second,
        operator="'=not a formula",
        power=dataclasses.replace(second.power, contract_expiry=date(2001, 1, 1)),
    )
    store.save(quoted, today=date(2000, 1, 1))  # valid then; expired now
    at = _app("app_pages/inventory.py").run()
    _seed_edit(at, {0: {"contracted_mw": first.power.contracted_mw + 10.0}})
    at.run()
    assert not at.error
    _click(at, "Save changes")
    assert not at.exception and not at.error
    assert any("1 site added or changed, 0 deleted" in s.value for s in at.success)
    assert store.get_with_version(second.id) == (quoted, 2)  # not re-saved, quote kept


def test_inventory_refuses_an_edit_that_keeps_an_expired_contract(db_url):
    from datetime import date

    store = _store(db_url)
    first = store.list()[0]
    expired = dataclasses.replace(
        first, power=dataclasses.replace(first.power, contract_expiry=date(2001, 1, 1))
    )
    store.save(expired, today=date(2000, 1, 1))
    at = _app("app_pages/inventory.py").run()
    _seed_edit(at, {0: {"notes": "touched"}})
    at.run()
    problems = next(d.value for d in at.dataframe if "Rule" in d.value.columns)
    assert list(problems["Column"]) == ["contract_expiry"]
    assert list(problems["Row"]) == [1]


# --- Market & comparables ----------------------------------------------------------------------------


def test_market_shows_dated_defaults_and_places_the_offer(db_url):
    from valuation.hosting import HOSTING_DEALS
    from valuation.market import DEFAULT_MARKET

    at = _app("app_pages/market.py").run()
    assert not at.exception
    assert at.title[0].value == "Market & comparables"
    assert metric_value(at, "Bitcoin price") == f"${DEFAULT_MARKET.btc_price_usd:,.0f}"
    assert any(f"{DEFAULT_MARKET.as_of:%d %B %Y}" in h.value for h in at.subheader)

    comparable = HOSTING_DEALS[HOSTING_DEALS["comparable"]]
    rates = comparable["implied_year1_rate_usd_per_kw_month"]
    at.number_input(key="market_offer").set_value(150.0).run()
    below = int((rates < 150.0).sum())
    assert any(f"above **{below} of {len(comparable)}**" in m.value for m in at.markdown)
    at.number_input(key="market_offer").set_value(1.0).run()
    assert any(f"above **0 of {len(comparable)}**" in m.value for m in at.markdown)


def test_market_fetches_live_data_only_on_the_click(db_url, live_api_url, monkeypatch):
    from valuation.market import DEFAULT_MARKET

    monkeypatch.setenv("HASHPIVOT_LIVE_API_URL", live_api_url)
    at = _app("app_pages/market.py").run()
    assert metric_value(at, "Bitcoin price") == f"${DEFAULT_MARKET.btc_price_usd:,.0f}"
    next(b for b in at.button if b.label == "Fetch live market data").click().run()
    assert not at.exception
    assert metric_value(at, "Bitcoin price") == "$91,250"  # the loopback API's USD price
    assert any("Every page now values with them" in s.value for s in at.success)
    next(b for b in at.button if b.label == "Back to the offline defaults").click().run()
    assert metric_value(at, "Bitcoin price") == f"${DEFAULT_MARKET.btc_price_usd:,.0f}"


def test_market_keeps_the_defaults_when_the_live_source_fails(db_url, monkeypatch):
    from valuation.market import DEFAULT_MARKET

    monkeypatch.setenv("HASHPIVOT_LIVE_API_URL", "http://127.0.0.1:9/api")  # discard port
    at = _app("app_pages/market.py").run()
    next(b for b in at.button if b.label == "Fetch live market data").click().run()
    assert not at.exception
    assert any("Live data unavailable" in as_seen(w.value) for w in at.warning)
    assert metric_value(at, "Bitcoin price") == f"${DEFAULT_MARKET.btc_price_usd:,.0f}"


# --- Portfolio and site decision ---------------------------------------------------------------------


def test_portfolio_shows_the_library_figures_and_opens_a_site(db_url):
    from valuation import formatting as fmt
    from valuation.decision import compare_portfolio
    from valuation.scenario import Scenario

    at = _app().run()
    assert not at.exception
    assert at.title[0].value == "Portfolio"
    table = compare_portfolio(_store(db_url).list(), Scenario())
    valued = table[table["error"].fillna("") == ""] if "error" in table else table
    assert metric_value(at, "Sites") == str(len(valued))
    assert metric_value(at, "Power rights") == fmt.power(valued["power_mw"].sum())
    wins = valued["value_of_converting_usd"] > 0
    assert metric_value(at, "Value of converting") == fmt.usd(
        valued.loc[wins, "value_of_converting_usd"].sum()
    )
    assert metric_value(at, "Better converted") == f"{int(wins.sum())} of {len(valued)}"
    assert metric_value(at, "Portfolio value") == fmt.usd(valued["best_npv_usd"].sum())

    last = str(valued.iloc[-1]["site_id"])
    at.selectbox(key="portfolio_open_site").set_value(last).run()
    next(b for b in at.button if b.label == "Open site decision").click().run()
    assert not at.exception
    assert at.title[0].value == "Site decision"
    assert at.selectbox(key="site_select").value == last


def test_site_page_revalues_when_the_lease_slider_moves(db_url):
    import dataclasses

    from valuation import formatting as fmt
    from valuation.decision import compare
    from valuation.scenario import Scenario

    site = _store(db_url).list()[0]
    at = _app("app_pages/site.py").run()
    assert not at.exception
    assert at.selectbox(key="site_select").value == site.id
    base = compare(site, Scenario())
    assert metric_value(at, "Value of converting") == fmt.usd(base.value_of_converting_usd)
    assert base.recommendation in [as_seen(i.body) for i in at.success] + [
        as_seen(i.body) for i in at.info
    ]
    paths = next(t.value for t in at.table if "Path" in t.value.columns)
    for key in ("keep_mining", "convert"):
        assert fmt.usd(base.strategies[key].summary.npv_usd) in list(paths["NPV"])
    c = base.conversion
    assert metric_value(at, "Return on converting") == fmt.annual_return(
        c.irr_per_year, c.irr_kind, c.mirr_per_year
    )

    at.slider(key="lease_rate").set_value(180.0).run()
    assert not at.exception
    moved = compare(site, dataclasses.replace(Scenario(), lease_rate_usd_per_kw_month=180.0))
    shown = metric_value(at, "Value of converting")
    assert shown == fmt.usd(moved.value_of_converting_usd)
    # A higher rent never lowers the value of converting (the library's invariant, seen on screen).
    assert moved.value_of_converting_usd > base.value_of_converting_usd
    assert shown != fmt.usd(base.value_of_converting_usd)
