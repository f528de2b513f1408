"""The Market page's grid-region section: curves, programs, levers, and the bounded upload."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app_support import regions_view
from valuation.power import PriceFileError
from valuation.regions import all_regions, region_for

ROOT = Path(__file__).resolve().parents[2]


def test_duration_frame_is_the_regions_curve_sorted_high_to_low():
    region = region_for("PJM")
    full = regions_view.duration_frame(region, points=24, max_rows=10_000)
    assert len(full) == 12 * 24 and full["price_usd_per_mwh"].is_monotonic_decreasing
    # equal-weight points: the full frame's mean is the mean of the twelve monthly means
    assert full["price_usd_per_mwh"].mean() == pytest.approx(
        region.monthly_mean_usd_per_mwh().mean()
    )
    thin = regions_view.duration_frame(region, points=96, max_rows=250)
    curve = np.sort(region.price_curve(96).prices_usd_per_mwh.ravel())
    assert len(thin) <= 250 and thin["price_usd_per_mwh"].is_monotonic_decreasing
    np.testing.assert_allclose(thin["price_usd_per_mwh"].iloc[:100], curve[::-1][:100])
    assert thin["price_usd_per_mwh"].iloc[-1] == curve[0]
    frames = [regions_view.duration_frame(r) for r in all_regions()]
    assert sum(len(f) for f in frames) < 5_000  # Vega's default row limit


def test_program_and_lever_tables():
    pjm = regions_view.program_frame(region_for("PJM"), date(2026, 11, 30))
    assert pjm["program"].str.contains("PJM capacity").any()
    assert set(pjm["unit"]) >= {"$/MW-day", "$/kW-year"}
    levers = regions_view.lever_frame(region_for("ERCOT"))
    assert levers["lever"].str.contains("SB 6").sum() == 3 and not levers["switched_on"].any()
    assert levers["lever"].str.contains("queue").any()
    assert regions_view.lever_frame(region_for("PJM")).empty


def test_upload_bounds_and_errors_in_words():
    with pytest.raises(PriceFileError, match="bytes; at most"):
        regions_view.read_uploaded_price_file(b"x" * (regions_view.MAX_PRICE_FILE_BYTES + 1))
    with pytest.raises(PriceFileError, match="not UTF-8"):
        regions_view.read_uploaded_price_file(b"timestamp,price\n\xff\xfe,1\n")
    many = "timestamp,price\n" + "2024-01-01 00:00,1\n" * (regions_view.MAX_PRICE_FILE_ROWS + 1)
    with pytest.raises(PriceFileError, match="rows of prices; at most"):
        regions_view.read_uploaded_price_file(many.encode())
    with pytest.raises(PriceFileError, match="row 3"):
        regions_view.read_uploaded_price_file(
            b"timestamp,price\n2024-01-01 00:00,1\n2024-01-01 01:00,abc\n"
        )
    stamps = pd.date_range("2024-02-01", "2024-03-01", freq="h", inclusive="left")
    ok = "timestamp,price\n" + "".join(f"{t:%Y-%m-%d %H:%M},20\n" for t in stamps)
    assert len(regions_view.read_uploaded_price_file(ok.encode()).prices_usd_per_mwh) == 696


def test_market_page_shows_the_selected_regions_programs(db_url):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("app_pages/market.py")
    at.run()
    assert not at.exception
    assert any("Grid regions" in h.value for h in at.subheader)
    at.selectbox(key="market_region").set_value("PJM").run()
    assert not at.exception
    programs = next(df.value for df in at.dataframe if "program" in df.value.columns)
    assert programs["program"].str.contains("PJM capacity").any()
    assert not programs["program"].str.contains("ERCOT").any()
    at.selectbox(key="market_region").set_value("ERCOT").run()
    levers = next(df.value for df in at.dataframe if "lever" in df.value.columns)
    assert levers["lever"].str.contains("SB 6").any()


def test_replay_upload_pays_the_regions_programs_and_refuses_bad_files():
    stamps = pd.date_range("2024-07-01", "2024-08-01", freq="15min", inclusive="left")
    prices = np.where(stamps.hour == 18, 400.0, 30.0)
    data = ("timestamp,price\n" + "".join(
        f"{t:%Y-%m-%d %H:%M},{p}\n" for t, p in zip(stamps, prices, strict=True)
    )).encode()  # fmt: skip
    kwargs = dict(
        contract_type="index_plus_adder", contract_price_usd_per_mwh=5.0, power_mw=10.0,
        flexible_share=0.95, efficiency_j_per_th=25.0, hashprice_usd_per_ph_day=50.0,
        as_of=date(2026, 11, 30),
    )  # fmt: skip
    with_dr = regions_view.replay_upload(data, region_for("PJM"), with_programs=True, **kwargs)
    without = regions_view.replay_upload(data, region_for("PJM"), with_programs=False, **kwargs)
    assert with_dr["hours"].tolist() == [744.0]
    assert with_dr["hours_curtailed"].iloc[0] == pytest.approx(31.0)  # the 18 h hour, every day
    assert without["program_payments_usd"].iloc[0] == 0.0
    assert with_dr["program_payments_usd"].iloc[0] > 0
    with pytest.raises(PriceFileError, match="row 2"):
        regions_view.replay_upload(b"timestamp,price\nyesterday,1\n2024-01-01 01:00,2\n",
                                   region_for("PJM"), with_programs=True, **kwargs)  # fmt: skip


def _month_file(start: str = "2024-08-01", end: str = "2024-09-01", price: str = "30") -> bytes:
    stamps = pd.date_range(start, end, freq="h", inclusive="left")
    return ("timestamp,price\n" + "".join(f"{t:%Y-%m-%d %H:%M},{price}\n" for t in stamps)).encode()


def test_a_sites_price_history_is_stored_and_feeds_its_decision(db_url):
    from dataclasses import replace

    from app_support import loaders
    from sites.store import SiteStore
    from valuation.decision import compare
    from valuation.scenario import Scenario

    store = SiteStore(db_url, seed=True)
    site = store.get("riot-rockdale")
    note = regions_view.store_site_price_history(
        store, site, _month_file(), name="aug.csv", user="local"
    )
    assert "744 prices at 60-minute intervals" in note and "price Aug" in note
    frame = regions_view.price_history_frame(store.price_history(site.id))
    assert frame.to_dict("records") == [
        {"month": "2024-08", "intervals": 744, "mean_price_usd_per_mwh": 30.0, "complete": True}
    ]
    # The app's loader reads it back and the decision uses it in August only.
    series = loaders.price_history(site.id)
    assert series is not None and series.prices_usd_per_mwh.size == 744
    scenario = replace(Scenario(), horizon_months=24)
    with_history = loaders.decision(site, scenario)
    assert "your price history prices Aug" in with_history.power_note
    assert (
        with_history.strategy_npv_usd
        == compare(site, scenario, price_history=series).strategy_npv_usd
    )
    assert loaders.decision(site, scenario, use_price_history=False).strategy_npv_usd == (
        compare(site, scenario).strategy_npv_usd
    )
    # Deleting it puts the region's shape back.
    assert store.delete_price_history(site.id)
    assert loaders.price_history(site.id) is None
    store.close()


@pytest.mark.parametrize(
    ("data", "error", "words"),
    [
        (_month_file("2024-08-01", "2024-08-20"), "PowerError", "complete calendar month"),
        (b"timestamp,price\n2024-01-01 00:00,1\n2024-01-01 01:00,abc\n", "PriceFileError", "row 3"),
        (b"x" * (regions_view.MAX_PRICE_FILE_BYTES + 1), "PriceFileError", "bytes; at most"),
        # the file's reader refuses it first, with the store's bound (sites.schema)
        (_month_file(price="1e9"), "PriceFileError", "100,000"),
    ],
    ids=["part-month", "bad-cell", "too-big", "absurd-price"],
)
def test_a_bad_site_price_file_is_refused_in_words_and_nothing_is_stored(
    db_url, data, error, words
):
    from sites.store import SiteStore

    store = SiteStore(db_url, seed=True)
    site = store.get("riot-rockdale")
    with pytest.raises(Exception, match=words) as info:
        regions_view.store_site_price_history(store, site, data, name="f.csv", user="local")
    assert type(info.value).__name__ == error
    assert store.price_history(site.id) is None
    store.close()


def test_market_page_shows_the_stored_history_section(db_url):
    from sites.store import SiteStore

    store = SiteStore(db_url, seed=True)
    store.save_price_history("riot-rockdale", regions_view.read_uploaded_price_file(_month_file()))
    store.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("app_pages/market.py")
    at.run()
    assert not at.exception
    assert any("own price history" in h.value for h in at.subheader)
    at.selectbox(key="history_site").set_value("riot-rockdale").run()
    assert not at.exception
    months = next(df.value for df in at.dataframe if "complete" in df.value.columns)
    assert months["month"].tolist() == ["2024-08"] and months["complete"].all()


def test_switching_a_lever_on_sets_the_session_scenario_and_the_table_says_so(db_url):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("app_pages/market.py")
    at.run()
    at.selectbox(key="market_region").set_value("ERCOT").run()
    table = next(df.value for df in at.dataframe if "lever" in df.value.columns)
    assert not table["switched_on"].any()
    at.multiselect(key="market_levers").set_value(["tx_sb6_backup"]).run()
    assert not at.exception
    assert at.session_state["scenario"].policy_levers == ("tx_sb6_backup",)
    table = next(df.value for df in at.dataframe if "lever" in df.value.columns)
    assert table.loc[table["switched_on"], "lever"].tolist() == [
        "Texas SB 6 (2025): backup generation for a firm AI tenant"
    ]
    assert any("Switched on: Texas SB 6" in c.value for c in at.caption)


def test_the_portfolio_and_plan_loaders_value_a_site_on_its_stored_history(db_url):
    # The site page used a stored history; the portfolio table (its map and headline figures)
    # and the plan's starts ignored it.
    from app_support import loaders
    from sites.store import SiteStore
    from valuation.conversion_plan import start_table
    from valuation.decision import compare
    from valuation.power import PriceSeries
    from valuation.regions import price_series_from_stored
    from valuation.scenario import Scenario

    store = SiteStore(db_url, seed=True)
    hours = pd.date_range("2024-01-01", "2024-04-01", freq="h", inclusive="left")
    store.save_price_history("riot-rockdale", PriceSeries(hours, np.full(hours.size, 120.0), 1.0,
                                                          hub="flat", source="dear.csv"))  # fmt: skip
    site = store.get("riot-rockdale")
    history = price_series_from_stored(store.price_history(site.id))
    all_sites = tuple(store.list())
    store.close()
    want = compare(site, price_history=history).value_of_converting_usd
    assert want != pytest.approx(compare(site).value_of_converting_usd)
    assert set(loaders.price_histories(all_sites)) == {"riot-rockdale"}
    table = loaders.portfolio(all_sites, Scenario()).set_index("site_id")
    assert table.loc["riot-rockdale", "value_of_converting_usd"] == pytest.approx(want)
    starts = loaders.start_table((site,), Scenario())
    expected = start_table([site], price_histories={site.id: history})
    np.testing.assert_allclose(starts.value_usd, expected.value_usd)


def test_an_unreadable_stored_history_leaves_the_portfolio_valued_on_the_region(db_url):
    # One history whose row and prices disagree stopped the whole Portfolio and Plan pages.
    from sqlalchemy import update

    from app_support import loaders
    from sites.store import SiteStore, price_history_table
    from valuation.decision import compare
    from valuation.power import PriceSeries
    from valuation.scenario import Scenario

    store = SiteStore(db_url, seed=True)
    hours = pd.date_range("2024-01-01", "2024-04-01", freq="h", inclusive="left")
    store.save_price_history("riot-rockdale", PriceSeries(hours, np.full(hours.size, 120.0), 1.0,
                                                          hub="flat", source="dear.csv"))  # fmt: skip
    with store.engine.begin() as conn:  # the row now says one interval more than it holds
        conn.execute(update(price_history_table).values(n_intervals=hours.size + 1))
    site = store.get("riot-rockdale")
    all_sites = tuple(store.list())
    store.close()
    assert loaders.price_histories(all_sites) == {}
    table = loaders.portfolio(all_sites, Scenario()).set_index("site_id")
    assert table.loc["riot-rockdale", "value_of_converting_usd"] == pytest.approx(
        compare(site).value_of_converting_usd
    )
