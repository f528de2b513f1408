"""A site's own price history in the store: round trip, bounds with errors in words (nothing
written when wrong), the schema upgrade from version 3, and the valuation loader."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, inspect, text

from sites import SiteNotFoundError, load_example_portfolio
from sites.store import (
    MAX_PRICE_HISTORY_INTERVALS,
    SCHEMA_VERSION,
    PriceHistoryError,
    SiteStore,
    price_history_table,
)
from valuation.power import PriceSeries
from valuation.regions import price_series_from_stored

SITE = load_example_portfolio()[0]


@pytest.fixture
def store(db_url: str) -> Iterator[SiteStore]:
    s = SiteStore(db_url)
    s.save(SITE)
    yield s
    s.close()


def _series(start: str = "2024-08-01", periods: int = 744, minutes: int = 60) -> PriceSeries:
    stamps = pd.date_range(start, periods=periods, freq=pd.Timedelta(minutes=minutes))
    rng = np.random.default_rng(7)
    prices = np.round(rng.normal(40.0, 30.0, periods), 4)
    prices[::97] = 4_999.99  # scarcity hours and negative prices survive exactly
    prices[5::101] = -12.5
    return PriceSeries(stamps, prices, minutes / 60.0, hub="HB_WEST", source="my.csv")


@pytest.mark.parametrize("minutes", [5, 15, 30, 60])
def test_a_price_history_round_trips_exactly(store: SiteStore, minutes: int) -> None:
    series = _series(periods=31 * 24 * 60 // minutes, minutes=minutes)
    assert store.price_history(SITE.id) is None
    assert store.save_price_history(SITE.id, series, user="ana@example.com") == len(
        series.prices_usd_per_mwh
    )
    got = store.price_history(SITE.id)
    assert got is not None
    pd.testing.assert_index_equal(got.timestamps, series.timestamps, check_names=False)
    np.testing.assert_array_equal(got.prices_usd_per_mwh, series.prices_usd_per_mwh)
    assert (got.interval_minutes, got.hub, got.source, got.user) == (
        minutes, "HB_WEST", "my.csv", "ana@example.com"
    )  # fmt: skip
    assert store.price_history_site_ids() == [SITE.id]
    # The valuation's own series from it: the same intervals and prices.
    back = price_series_from_stored(got)
    assert back.interval_hours == series.interval_hours
    np.testing.assert_array_equal(back.prices_usd_per_mwh, series.prices_usd_per_mwh)
    pd.testing.assert_index_equal(back.timestamps, series.timestamps, check_names=False)


def test_saving_again_replaces_and_delete_removes(store: SiteStore) -> None:
    store.save_price_history(SITE.id, _series())
    store.save_price_history(SITE.id, _series("2023-08-01", 24 * 31))
    got = store.price_history(SITE.id)
    assert got is not None and got.timestamps[0] == pd.Timestamp("2023-08-01")
    assert store.delete_price_history(SITE.id) is True
    assert store.price_history(SITE.id) is None
    assert store.delete_price_history(SITE.id) is False


def test_a_year_of_five_minute_prices_is_stored_compactly(store: SiteStore, db_url: str) -> None:
    series = _series("2024-01-01", 105_120, 5)
    store.save_price_history(SITE.id, series)
    engine = create_engine(db_url)
    with engine.connect() as conn:
        blob = conn.execute(price_history_table.select()).mappings().one()["prices_blob"]
    engine.dispose()
    assert len(blob) <= 8 * 105_120  # one blob of float64 (compressed), not a row per interval


def _bad(**changes: object) -> SimpleNamespace:
    s = _series(periods=48)
    base = {"timestamps": s.timestamps, "prices_usd_per_mwh": s.prices_usd_per_mwh.copy(),
            "hub": "hub", "source": "file"}  # fmt: skip
    base.update(changes)
    return SimpleNamespace(**base)


HOURS = pd.date_range("2024-01-01", periods=48, freq="h")


@pytest.mark.parametrize(
    ("series", "words"),
    [
        (_bad(prices_usd_per_mwh=np.r_[np.full(47, 30.0), np.nan]), "finite price"),
        (_bad(prices_usd_per_mwh=np.r_[np.full(47, 30.0), 1e9]), "100,000"),
        (_bad(prices_usd_per_mwh=np.full(47, 30.0)), "one price per timestamp"),
        (_bad(timestamps=HOURS.delete(10), prices_usd_per_mwh=np.ones(47)), "120 minutes"),
        (_bad(timestamps=pd.date_range("2024-01-01", periods=48, freq="7min")), "7 minutes"),
        (_bad(timestamps=HOURS[::-1]), "evenly spaced"),
        (_bad(hub="x" * 201), "at most 200 characters"),
        (_bad(timestamps=HOURS[:1], prices_usd_per_mwh=np.ones(1)), "allowed 2 to"),
        (SimpleNamespace(prices_usd_per_mwh=[1.0, 2.0]), "needs timestamps"),
    ],
)
def test_a_bad_history_is_refused_in_words_and_nothing_is_written(
    store: SiteStore, series: object, words: str
) -> None:
    store.save_price_history(SITE.id, _series())
    before = store.price_history(SITE.id)
    with pytest.raises(PriceHistoryError, match=words):
        store.save_price_history(SITE.id, series)
    after = store.price_history(SITE.id)
    assert before is not None and after is not None
    np.testing.assert_array_equal(after.prices_usd_per_mwh, before.prices_usd_per_mwh)


def test_too_many_intervals_are_refused(store: SiteStore) -> None:
    n = MAX_PRICE_HISTORY_INTERVALS + 1
    with pytest.raises(PriceHistoryError, match="110,000"):
        store.save_price_history(SITE.id, _series("2024-01-01", n, 5))
    assert store.price_history(SITE.id) is None


def test_an_unknown_site_gets_no_history(store: SiteStore) -> None:
    with pytest.raises(SiteNotFoundError, match="no-such-site"):
        store.save_price_history("no-such-site", _series())
    assert store.price_history_site_ids() == []


def test_the_previous_schema_is_upgraded_with_the_price_history_table(db_url: str) -> None:
    SiteStore(db_url).close()
    engine = create_engine(db_url)
    with engine.begin() as conn:  # back to what the previous schema version wrote
        price_history_table.drop(conn)
        conn.execute(
            text("UPDATE meta SET value = :v WHERE key = 'schema_version'"),
            {"v": str(SCHEMA_VERSION - 1)},
        )
    engine.dispose()
    store = SiteStore(db_url)
    assert store.schema_version == SCHEMA_VERSION
    engine = create_engine(db_url)
    assert "site_price_history" in inspect(engine).get_table_names()
    engine.dispose()
    store.save(SITE)
    store.save_price_history(SITE.id, _series())
    assert store.price_history(SITE.id) is not None
    store.close()
