"""The site page's chart builders (``app_support.charts``): each chart's data checked against the
decision it draws (the spec's data, not pixels), and the paths told apart by more than colour."""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

from app_support import charts
from app_support.regions_view import duration_frame
from sites.portfolio import load_example_portfolio
from valuation import formatting as fmt
from valuation.decision import Decision, compare
from valuation.regions import region_for
from valuation.scenario import Scenario


@lru_cache(maxsize=4)
def _decision(site_id: str, mine_then_convert: bool = False) -> Decision:
    site = next(s for s in load_example_portfolio() if s.id == site_id)
    scenario = Scenario()
    if mine_then_convert:  # rent $80 and BTC $200k: Rockdale mines a year, then converts
        scenario = dataclasses.replace(
            scenario,
            lease_rate_usd_per_kw_month=80.0,
            market=dataclasses.replace(scenario.market, btc_price_usd=200_000.0),
        )
    return compare(site, scenario)


def test_money_unit_picks_billions_from_one_billion():
    assert charts.money_unit([2.5e9, -1.0]) == (1e9, "USD B")
    assert charts.money_unit([-1.2e9]) == (1e9, "USD B")
    assert charts.money_unit([999e6, 5.0]) == (1e6, "USD M")
    assert charts.money_unit([]) == (1e6, "USD M")


@pytest.mark.parametrize("mtc", [False, True])
def test_cumulative_frame_leaves_the_terminal_value_and_its_tax_out_and_names_it(mtc):
    d = _decision("riot-rockdale", mtc)
    frame = charts.cumulative_frame(d)
    assert list(frame["key"].unique()) == list(d.strategies)
    for key, result in d.strategies.items():
        rows = frame[frame["key"] == key]
        m = result.monthly
        flow = m["unlevered_fcf_usd"].to_numpy()
        tv, tax = m["terminal_value_usd"].to_numpy(), m["terminal_tax_usd"].to_numpy()
        # Month 0 to the horizon month; the horizon's sale and the tax on it both left out.
        assert len(rows) == len(flow)
        np.testing.assert_allclose(rows["cumulative_usd"], np.cumsum(flow - tv + tax))
        label = rows["label"].iloc[0]
        has_terminal = (m["terminal_value_usd"] != 0).any()
        after_tax = tv[-1] - tax[-1]
        assert (f"(+{fmt.usd(after_tax)} at year 15, after tax)" in label) == bool(has_terminal)
    # The spike is gone: no drawn value comes near the horizon month's cash flow.
    convert = d.strategies["convert"].monthly["unlevered_fcf_usd"].to_numpy()
    assert frame["cumulative_usd"].abs().max() < abs(convert[-1])
    # Markers every 12 months, each path from its own offset, so overlapping paths show both.
    offsets = frame[frame["marker"]].groupby("key")["year"].min()
    assert offsets.nunique() == len(d.strategies)
    # The tooltip's amount on each marked month (the points carry the tooltip), none elsewhere.
    marked = frame[frame["marker"]]
    assert list(marked["value_text"]) == [fmt.usd(v) for v in marked["cumulative_usd"]]
    assert (frame.loc[~frame["marker"], "value_text"] == "").all()


def test_cumulative_frame_is_the_memos_line():
    from reports.charts import cumulative_chart as memo_chart

    d = _decision("riot-rockdale")
    frame = charts.cumulative_frame(d)
    for series in memo_chart(d).series:
        got = frame.loc[frame["key"] == series.key, "cumulative_usd"].to_numpy() / 1e6
        np.testing.assert_allclose(got, series.y, rtol=1e-12)


def test_cumulative_chart_draws_each_path_with_its_own_dash_and_shape():
    d = _decision("riot-rockdale", True)
    spec = charts.cumulative_chart(d).spec
    line, points = spec["layer"]
    dash = line["encoding"]["strokeDash"]["scale"]
    shape = points["encoding"]["shape"]["scale"]
    labels = dash["domain"]
    assert len(labels) == len(d.strategies) == 5
    assert len({tuple(r) for r in dash["range"]}) == len(labels)
    assert len(set(shape["range"])) == len(labels)
    assert shape["domain"] == labels == line["encoding"]["color"]["scale"]["domain"]


@pytest.mark.parametrize(
    ("chart", "frame", "pairs"),
    [
        (charts.cumulative_chart, charts.cumulative_frame,
         {"value": "cumulative_usd", "label": "label", "year": "year", "marker": "marker",
          "value_text": "value_text"}),
        (charts.waterfall_chart, charts.waterfall_frame,
         {"start": "start_usd", "end": "end_usd", "step": "step", "kind": "kind",
          "value_text": "value_text"}),
        (charts.start_grid_chart, charts.start_grid_frame,
         {"value": "npv_usd", "year": "year", "decision_month": "decision_month", "best": "best",
          "npv_text": "npv_text"}),
        (charts.hybrid_grid_chart, charts.hybrid_grid_frame,
         {"value": "npv_usd", "share_pct": "share_pct", "halls_converted": "halls_converted",
          "best": "best", "npv_text": "npv_text"}),
    ],
    ids=["cumulative", "waterfall", "start", "hybrid"],
)  # fmt: skip
def test_each_decision_chart_draws_its_frame_in_its_axis_unit(chart, frame, pairs):
    """The charts build their rows from arrays, not from the tidy frame a test reads: what they
    draw is that frame, amounts in the axis unit (USD M or B, named in the spec)."""
    d = _decision("riot-rockdale", True)
    built = chart(d)
    drawn, tidy = built.data, frame(d)
    money = next(v for k, v in pairs.items() if k in ("value", "start"))
    div, unit = charts.money_unit(
        tidy[["start_usd", "end_usd"]].to_numpy() if money == "start_usd" else tidy[money]
    )
    axis = "x" if money == "start_usd" else "y"  # the bridge's bars run along x
    assert unit in built.spec["layer"][0]["encoding"][axis]["title"]
    assert len(drawn) == len(tidy) > 0
    for col, source in pairs.items():
        if source.endswith("_usd"):
            np.testing.assert_allclose(drawn[col] * div, tidy[source], rtol=1e-12)
        else:
            assert drawn[col].tolist() == tidy[source].tolist(), col
    if "right" in drawn:  # the bridge's labels sit at each bar's right-hand end
        right = np.maximum(tidy["start_usd"], tidy["end_usd"]) / div
        np.testing.assert_allclose(drawn["right"], right, rtol=1e-12)


def test_a_grid_point_that_could_not_be_valued_is_never_the_best():
    cols = charts._npv_columns(np.array([np.nan, 5.0, 7.0, 7.0, np.nan]))
    assert cols["best"].tolist() == [False, False, True, False, False]  # the first of the ties
    assert not charts._npv_columns(np.array([np.nan, np.nan]))["best"].any()
    assert not charts._npv_columns(np.zeros(0))["best"].any()


def test_waterfall_frame_steps_chain_from_one_npv_to_the_other():
    d = _decision("riot-rockdale")
    frame = charts.waterfall_frame(d)
    steps = d.waterfall.reset_index(drop=True)
    assert list(frame["step"]) == list(steps["step"])
    np.testing.assert_allclose(frame["value_usd"], steps["value_usd"])
    first, last = frame.iloc[0], frame.iloc[-1]
    assert first["kind"] == last["kind"] == "total"
    assert first["start_usd"] == last["start_usd"] == 0.0
    assert last["end_usd"] == pytest.approx(d.strategy_npv_usd[d.best_converting])
    middle = frame.iloc[1:-1]
    np.testing.assert_allclose(middle["end_usd"] - middle["start_usd"], middle["value_usd"])
    # Each step starts where the one before it ended; the last step ends at the final NPV.
    np.testing.assert_allclose(frame["start_usd"].iloc[1:-1], frame["end_usd"].iloc[:-2])
    assert frame["end_usd"].iloc[-2] == pytest.approx(last["end_usd"], rel=1e-9)
    assert set(middle["kind"]) <= {"up", "down"}
    assert (middle["kind"] == "up").tolist() == (middle["value_usd"] >= 0).tolist()
    assert list(frame["value_text"]) == [fmt.usd(v) for v in steps["value_usd"]]


def test_retrofit_and_schedule_frames_are_the_estimates():
    d = _decision("apld-ellendale")
    frame = charts.retrofit_frame(d.retrofit)
    sums = d.retrofit.line_items.groupby("group")[["low_usd", "base_usd", "high_usd"]].sum()
    assert set(frame["group"]) == set(sums.index)
    for col in ("low_usd", "base_usd", "high_usd"):
        np.testing.assert_allclose(frame.set_index("group")[col], sums.loc[frame["group"], col])
    assert frame["base_usd"].is_monotonic_decreasing
    assert frame["base_usd"].sum() == pytest.approx(d.retrofit.line_items["base_usd"].sum())
    sched = charts.schedule_frame(d.retrofit)
    assert list(sched["hall"]) == [h.hall for h in d.retrofit.halls]
    assert list(sched["ready_month"]) == [h.ready_for_service_month for h in d.retrofit.halls]
    assert (sched["ready_month"] >= sched["start_month"]).all()


@pytest.mark.parametrize("mtc", [False, True])
def test_start_grid_frame_marks_the_best_start(mtc):
    d = _decision("riot-rockdale", mtc)
    frame = charts.start_grid_frame(d)
    np.testing.assert_allclose(frame["npv_usd"], d.start_grid["npv_usd"])
    np.testing.assert_allclose(frame["year"], d.start_grid["decision_month"] / 12.0)
    best = frame[frame["best"]]
    assert len(best) == 1 and best["npv_usd"].iloc[0] == frame["npv_usd"].max()
    if mtc:  # the grid's best start is the month the decision reports
        assert best["decision_month"].iloc[0] == d.conversion_start_month
    else:
        assert best["decision_month"].iloc[0] == 0  # converting now wins
    spec = charts.start_grid_chart(d).spec
    assert len(spec["layer"]) == 2


def test_hybrid_grid_frame_runs_from_keep_mining_to_the_whole_site():
    d = _decision("apld-ellendale")
    frame = charts.hybrid_grid_frame(d)
    assert frame["share_pct"].iloc[0] == 0.0 and frame["share_pct"].iloc[-1] == pytest.approx(100)
    np.testing.assert_allclose(frame["npv_usd"], d.hybrid_grid["npv_usd"])
    assert frame.loc[frame["best"], "share_pct"].iloc[0] == pytest.approx(d.best_hybrid_share * 100)


@pytest.mark.parametrize("name", ["ERCOT", "PJM", "MISO"])
def test_price_duration_chart_is_the_regions_curve(name):
    region = region_for(name)
    frame = charts.price_duration_frame(region)
    pd.testing.assert_frame_equal(frame, duration_frame(region))
    spec = charts.price_duration_chart(region).spec
    ticks = spec["encoding"]["y"]["axis"]["values"]
    low, high = frame["price_usd_per_mwh"].min(), frame["price_usd_per_mwh"].max()
    assert ticks == charts.price_ticks(low, high) and ticks[0] <= low and ticks[-1] >= high
    assert spec["encoding"]["y"]["scale"]["type"] == "symlog"


def test_price_ticks_span_the_range_even_a_flat_one():
    # a flat $55 tariff had no tick inside its range, so the axis showed only "$0" and "$100"
    assert charts.price_ticks(55.0, 55.0) == [50, 100]
    assert charts.price_ticks(-30.0, 3_000.0) == [-100, -25, 0, 25, 50, 100, 250, 500, 1000,
                                                  2500, 5000]  # fmt: skip
    assert charts.price_ticks(-500.0, 9_000.0) == list(charts.PRICE_TICKS_USD_PER_MWH)


def _fields(node) -> set[str]:
    """Every ``field`` an encoding of a Vega-Lite spec names."""
    if isinstance(node, dict):
        own = {node["field"]} if isinstance(node.get("field"), str) else set()
        return own.union(*(_fields(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_fields(v) for v in node))
    return set()


@pytest.mark.parametrize(
    "build",
    [
        lambda: charts.cumulative_chart(_decision("riot-rockdale", True)),
        lambda: charts.waterfall_chart(_decision("riot-rockdale")),
        lambda: charts.retrofit_chart(_decision("riot-rockdale").retrofit),
        lambda: charts.schedule_chart(_decision("riot-rockdale").retrofit),
        lambda: charts.start_grid_chart(_decision("riot-rockdale", True)),
        lambda: charts.hybrid_grid_chart(_decision("apld-ellendale")),
        lambda: charts.price_duration_chart(region_for("ERCOT")),
    ],
    ids=["cumulative", "waterfall", "retrofit", "schedule", "start", "hybrid", "price"],
)
def test_each_chart_is_valid_vega_lite_over_its_own_columns(build):
    """The specs are written as plain dictionaries (no Altair validation on the page): each is
    checked here against the Vega-Lite schema Altair ships, with its rows inline, and every
    field it names is a column of its data."""
    import jsonschema
    from altair.vegalite.v6.schema import load_schema

    chart = build()
    assert not chart.data.empty
    assert _fields(chart.spec) <= set(chart.data.columns)
    rows = chart.data.to_dict("records")
    jsonschema.validate({**chart.spec, "data": {"values": rows}}, load_schema())
    broken = {**chart.spec, "height": "tall"}  # the check can fail: a bad height is refused
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**broken, "data": {"values": rows}}, load_schema())
