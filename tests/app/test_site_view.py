"""The site page's words (``app_support.site_view``): facts with unknowns, the snapshot's age,
the identical-path lines, the paths table, the price source."""

from __future__ import annotations

import dataclasses
import math
from datetime import date
from functools import lru_cache

import pytest

from app_support import site_view
from sites.portfolio import load_example_portfolio
from sites.schema import Site
from valuation import formatting as fmt
from valuation.decision import Decision, compare
from valuation.scenario import Scenario


def _site(site_id: str) -> Site:
    return next(s for s in load_example_portfolio() if s.id == site_id)


@lru_cache(maxsize=2)
def _decision(site_id: str) -> Decision:
    return compare(_site(site_id))


def _facts(site: Site) -> dict[str, site_view.Figure]:
    return {f.label: f for f in site_view.site_facts(site)}


def test_site_facts_show_unknown_never_zero():
    site = _site("riot-rockdale")
    facts = _facts(site)
    assert facts["Land"].value == fmt.acres(site.land.acres_owned + site.land.acres_leased)
    assert facts["Power rights"].value == fmt.power(site.power.contracted_mw)
    blank = dataclasses.replace(
        site,
        land=dataclasses.replace(site.land, acres_owned=0.0, acres_leased=None),
        substation=dataclasses.replace(site.substation, capacity_mva=0.0, on_site=None),
        connectivity=dataclasses.replace(
            site.connectivity,
            fiber_distance_km=None,
            carrier_count=None,
            metro_distance_km=math.nan,
        ),
    )
    facts = _facts(blank)
    assert facts["Land"].value == "unknown"
    assert facts["Substation"].value == "unknown"
    assert facts["Substation"].help.startswith("unknown at")
    assert facts["Fiber"].value == "unknown"
    assert "unknown carriers" in facts["Fiber"].help and "unknown to the nearest metro" in (
        facts["Fiber"].help
    )
    assert all(" 0 acres" not in f.value and "nan" not in f.value + f.help for f in facts.values())


def test_snapshot_age_counts_days_to_today():
    days, text = site_view.snapshot_age(date(2025, 11, 3), date(2026, 11, 30))
    assert days == 392
    assert text == "Market figures as of 3 November 2025: 392 days old on 30 November 2026."
    assert site_view.snapshot_age(date(2026, 1, 1), date(2026, 1, 2))[1].endswith(
        "1 day old on 2 January 2026."
    )
    assert site_view.snapshot_age(date(2026, 1, 1), date(2026, 1, 1)) == (
        0,
        "Market figures as of today, 1 January 2026.",
    )


def test_identical_lines_name_each_path_left_out():
    d = _decision("apld-ellendale")
    lines = site_view.identical_lines(d)
    assert len(lines) == len(d.identical_to)
    by_hidden = dict(zip(d.identical_to, lines, strict=True))
    assert "the best split is the whole site" in by_hidden["hybrid"]
    assert "converting later is no better than now" in by_hidden["mine_then_convert"]
    for hidden, shown in d.identical_to.items():
        assert d.strategies[shown].label in by_hidden[hidden]
    fake = dataclasses.replace(
        d, identical_to={"mining_with_dr": "keep_mining", "sell_site": "keep_mining"}
    )
    got = site_view.identical_lines(fake)
    assert "no demand-response program" in got[0]
    assert "it comes out the same" in got[1]


def test_paths_table_stars_the_recommendation():
    d = _decision("riot-rockdale")
    table = site_view.paths_table(d)
    assert len(table) == len(d.strategies)
    starred = table[table["path"].str.startswith("★ ")]
    assert list(starred["path"]) == [f"★ {d.strategies[d.best_strategy].label}"]
    assert list(table["npv_usd"]) == [r.summary.npv_usd for r in d.strategies.values()]
    keep = table.iloc[list(d.strategies).index("keep_mining")]
    assert keep["return"] == "no outlay" and keep["value_at_horizon"] == "none"


def test_terminal_share_and_return_figures():
    d = _decision("riot-rockdale")
    convert = d.strategies["convert"]
    assert site_view.terminal_share_text(convert) == f"{convert.terminal_value_share:.0%} of NPV"
    ret = site_view.conversion_return(d)
    c = d.conversion
    assert ret.value == fmt.annual_return(c.irr_per_year, c.irr_kind, c.mirr_per_year)
    assert fmt.pct(d.scenario.discount_rate_per_year) in ret.help
    assert site_view.terminal_share_text(
        dataclasses.replace(convert, terminal_value_share=math.nan)
    ).startswith("n/a")


@pytest.mark.parametrize(
    ("months", "text"),
    [
        ((), "Power prices: ERCOT's price shape in every month."),
        (
            (8, 1),
            "Power prices: your price history in Jan, Aug (2 of 12 calendar months); "
            "ERCOT's price shape in the others.",
        ),
    ],
)
def test_price_source_text(months, text):
    assert site_view.price_source_text("ERCOT", months) == text


def test_tenant_figures_are_the_decisions():
    d = _decision("apld-ellendale")
    figs = {f.label: f.value for f in site_view.tenant_figures(d)}
    assert figs["Chance a tenant signs"] == fmt.pct(d.tenant["signing_probability"], digits=0)
    assert figs["Achievable lease"] == fmt.rate_usd_per_kw_month(
        d.tenant["lease_rate_usd_per_kw_month"]
    )
    assert figs["Months to power"] == "powered now"
    assert figs["Readiness"] == f"{d.tenant['readiness_score']:.0f}/100"


def test_waiting_line_only_when_waiting_wins():
    assert site_view.waiting_line(_decision("riot-rockdale")) is None  # converting now wins
    base = Scenario()
    later = compare(
        _site("riot-rockdale"),
        dataclasses.replace(
            base,
            lease_rate_usd_per_kw_month=80.0,
            market=dataclasses.replace(base.market, btc_price_usd=200_000.0),
        ),
    )
    assert later.best_strategy == "mine_then_convert"
    gain = later.strategy_npv_usd["mine_then_convert"] - later.strategy_npv_usd["convert"]
    assert gain > 0
    line = site_view.waiting_line(later)
    assert line is not None
    assert line.startswith(f"Waiting {fmt.months(later.conversion_start_month)} ")
    assert f"worth {fmt.usd(gain)} more than converting now" in line
