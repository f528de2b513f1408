"""The board pack's workbook: its numbers equal the valuation's to the cent, every scenario input is
listed with unit, source and date, inventory text cannot become a formula, and the charts are
native Excel charts whose series differ by dash and marker as well as colour."""

from __future__ import annotations

import dataclasses
import io
import math
import re
import zipfile
from datetime import date

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports import ReportSection, build_pack, pack_bytes
from reports.assumptions import assumption_rows, unit_of
from reports.excel import (
    CASHFLOW_HEADER_ROW,
    PCT,
    SUMMARY_HEADER_ROW,
    build_workbook,
    cashflow_sheets,
    sheet_title,
)
from reports.tables import BREAKEVENS
from sites import load_example_portfolio
from sites.io import FORMULA_TRIGGERS
from valuation.scenario import Scenario

HOSTILE_NAME = '=HYPERLINK("http://example.invalid","$5 off")'
HOSTILE_OPERATOR = "@SUM(1+1)"
MADE_ON = date(2026, 11, 30)


@pytest.fixture(scope="module")
def pack():
    first, second = load_example_portfolio()[:2]
    second = dataclasses.replace(second, name=HOSTILE_NAME, operator=HOSTILE_OPERATOR)
    scenario = dataclasses.replace(Scenario(), lease_rate_usd_per_kw_month=110.0)
    risk = ReportSection(
        "Risk",
        pd.DataFrame({"site_id": [first.id], "p10_npv_usd": [1.5e8], "prob_loss_share": [0.12]}),
        note="Monte Carlo of the value of converting.",
    )
    return build_pack([first, second], scenario, scenario_name="Lease 110", made_on=MADE_ON,
                      risk=risk)  # fmt: skip


@pytest.fixture(scope="module")
def workbook(pack):
    return openpyxl.load_workbook(io.BytesIO(pack_bytes(pack, "xlsx")))


def _cents(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 2)


def _summary_rows(ws) -> list[dict]:
    header = [c.value for c in ws[SUMMARY_HEADER_ROW]]
    rows = []
    for row in ws.iter_rows(min_row=SUMMARY_HEADER_ROW + 1, values_only=True):
        if row[0] is None:
            break
        rows.append(dict(zip(header, row, strict=False)))
    return rows


def test_summary_numbers_equal_the_valuation_to_the_cent(pack, workbook):
    rows = _summary_rows(workbook["Summary"])
    assert len(rows) == len(pack.results) == 2
    for row, result in zip(rows, pack.results, strict=True):
        d = result.decision
        assert row["Site id"] == result.site.id
        assert row["Recommended path (key)"] == d.best_strategy
        voc = "Value of converting (USD, best converting NPV minus best NPV not converting)"
        assert _cents(row[voc]) == _cents(d.value_of_converting_usd)
        for key, strategy in d.strategies.items():
            npv = next(v for h, v in row.items() if h.startswith("NPV: ") and
                       h == f"NPV: {_name(key)} (USD)")  # fmt: skip
            assert _cents(npv) == _cents(strategy.summary.npv_usd)
        for field, label, unit in BREAKEVENS:
            got = row[f"Break-even: {label} ({unit})"]
            assert _cents(got) == _cents(getattr(d.breakevens, field))
        if d.conversion.irr_kind == "conventional":
            assert row["Return on converting (a year)"] == pytest.approx(d.conversion.irr_per_year)
        # Each path's return is the one the app and memo show: the MIRR where several rates zero
        # its NPV (the workbook wrote the raw IRR, 21.3% beside the app's 15.3% for Rockdale).
        for key, strategy in d.strategies.items():
            _assert_the_apps_return(row, key, strategy.summary)


def _assert_the_apps_return(row: dict, key: str, s) -> None:  # noqa: ANN001 - CashFlowSummary
    """The row's return for ``key`` is the one the app shows (``formatting.return_basis``)."""
    from valuation import formatting as fmt

    got = row[f"Return: {_name(key)} (a year)"]
    basis = row[f"Return measured as: {_name(key)}"]
    rule = fmt.return_basis(s.irr_per_year, s.irr_kind, s.mirr_per_year,
                            peak_funding_usd=s.peak_funding_usd, moic=s.moic)  # fmt: skip
    if rule == "IRR":
        assert (basis, got) == ("IRR", pytest.approx(s.irr_per_year))
    elif rule == "MIRR":
        assert (basis, got) == ("MIRR", pytest.approx(s.mirr_per_year))
    else:
        assert basis == "none" and got is None


def test_a_funded_path_without_one_irr_gets_its_mirr_and_a_percent_format(funded_rockdale_pack):
    # Rockdale's later conversion needs $6B with no single IRR. The workbook shows its MIRR,
    # formatted as a percentage like the other returns.
    pack = funded_rockdale_pack
    ws = openpyxl.load_workbook(io.BytesIO(pack_bytes(pack, "xlsx")))["Summary"]
    (row,) = _summary_rows(ws)
    d = pack.results[0].decision
    funded = [k for k, r in d.strategies.items()
              if r.summary.irr_kind == "none" and r.summary.peak_funding_usd > 0]  # fmt: skip
    assert funded
    for key, strategy in d.strategies.items():
        _assert_the_apps_return(row, key, strategy.summary)
    header = [c.value for c in ws[SUMMARY_HEADER_ROW]]
    column = header.index(f"Return: {_name(funded[0])} (a year)") + 1
    assert ws.cell(SUMMARY_HEADER_ROW + 1, column).number_format == PCT


def test_a_path_with_several_irrs_gets_its_mirr_in_the_workbook():
    from reports.tables import summary_frame

    site = next(s for s in load_example_portfolio() if s.id == "riot-rockdale")
    pack = build_pack([site], Scenario(), scenario_name="base", made_on=MADE_ON)
    convert = pack.results[0].decision.strategies["convert"].summary
    assert convert.irr_kind == "several" and convert.irr_per_year != convert.mirr_per_year
    row = summary_frame(pack).iloc[0]
    assert row["return_basis:convert"] == "MIRR"
    assert row["return_per_year:convert"] == convert.mirr_per_year


def _name(key: str) -> str:
    from reports.pack import strategy_name

    return strategy_name(key)


def test_monthly_cash_flows_equal_the_valuation_to_the_cent(pack, workbook):
    sheets = cashflow_sheets(workbook)
    assert len(sheets) == len(pack.results)
    for result in pack.results:
        ws = workbook[sheets[_neutralised(result.site.id)]]
        header = [c.value for c in ws[CASHFLOW_HEADER_ROW]]
        for key, strategy in result.decision.strategies.items():
            for column in strategy.monthly.columns:
                j = header.index(f"{key}.{column}") + 1
                got = [ws.cell(row=CASHFLOW_HEADER_ROW + 1 + i, column=j).value
                       for i in range(len(strategy.monthly))]  # fmt: skip
                want = strategy.monthly[column].to_numpy()
                np.testing.assert_array_equal(np.round(np.array(got, dtype=float), 2),
                                              np.round(want, 2))  # fmt: skip
                cell = ws.cell(row=CASHFLOW_HEADER_ROW + 1, column=j)
                assert cell.data_type == "n" and cell.number_format != "General"


def _neutralised(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def test_retrofit_line_items_equal_the_estimates(pack, workbook):
    ws = workbook["Retrofit"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    for result in pack.results:
        items = result.decision.retrofit.line_items
        mine = [r for r in rows if r["site_id"] == result.site.id]
        assert len(mine) == len(items)
        assert [_cents(r["base_usd"]) for r in mine] == [_cents(v) for v in items["base_usd"]]
        assert sum(r["high_usd"] for r in mine) == pytest.approx(
            result.decision.retrofit.total_high_usd
        )


def test_inventory_text_never_becomes_a_formula(pack, workbook):
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert "'" + HOSTILE_NAME in texts  # the summary's and the retrofit's site name
    assert "'" + HOSTILE_OPERATOR in texts
    assert HOSTILE_NAME not in texts
    hostile_sheet = workbook[cashflow_sheets(workbook)[pack.results[1].site.id]]
    assert hostile_sheet["A1"].value.startswith("'=HYPERLINK")


def test_assumptions_list_every_input_with_unit_source_date_and_scenario(pack, workbook):
    ws = workbook["Assumptions"]
    header = [c.value for c in ws[1]]
    assert header == ["Assumption", "Value", "Unit", "Source", "Date", "Date is", "Scenario",
                      "Input"]  # fmt: skip
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    expected = assumption_rows(pack.scenario, pack.scenario_name, pack.made_on)["input"].tolist()
    assert [r["Input"] for r in rows] == expected
    assert {"lease_rate_usd_per_kw_month", "market.btc_price_usd", "tax.federal_rate",
            "dr_programs", "tenant_signing_probability", "sale.price_usd_per_mw"} <= set(expected)  # fmt: skip
    assert all(r["Unit"] and r["Source"] and r["Date"] for r in rows)
    assert {r["Scenario"] for r in rows} == {"Lease 110"}
    lease = next(r for r in rows if r["Input"] == "lease_rate_usd_per_kw_month")
    assert lease["Value"] == 110.0 and lease["Unit"] == "USD per kW-month"
    assert "Lease 110" in lease["Source"] and lease["Date"].date() == MADE_ON
    assert lease["Assumption"] == "AI hosting lease rate" and lease["Date is"] == "set in scenario"
    price = next(r for r in rows if r["Input"] == "market.btc_price_usd")
    assert price["Date"].date() == pack.scenario.market.as_of  # the market snapshot's date
    assert price["Date is"] == "market as of"
    term = next(r for r in rows if r["Input"] == "lease_term_years")
    assert term["Date is"] == "sources compiled"  # the day the defaults' sources were compiled
    assert "Hashrate Index" in price["Source"]


def test_every_default_scenario_input_has_a_unit():
    rows = assumption_rows(Scenario(), "base", MADE_ON)
    assert (rows["unit"] != "").all(), rows[rows["unit"] == ""]["input"].tolist()
    assert unit_of("rate_usd_per_kw_month") == "USD per kW-month"
    assert unit_of("no_unit_here") == ""


def test_native_charts_tell_series_apart_by_dash_and_marker(pack):
    wb = build_workbook(pack)
    assert len(wb["Summary"]._charts) == 2
    for title in cashflow_sheets(wb).values():
        (chart,) = wb[title]._charts
        n = len(pack.results[0].decision.strategies)
        patterns = {(s.graphicalProperties.line.prstDash, s.marker.symbol) for s in chart.series}
        assert len(chart.series) == n and len(patterns) == n
    raw = zipfile.ZipFile(io.BytesIO(pack_bytes(pack, "xlsx")))
    charts = [n for n in raw.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
    assert len(charts) == 2 + len(pack.results)
    line_xml = [raw.read(n).decode() for n in charts if b"<lineChart>" in raw.read(n)]
    assert len(line_xml) == len(pack.results)
    assert 'prstDash val="dash"' in line_xml[0] and 'symbol val="triangle"' in line_xml[0]


def test_risk_and_plan_sections_appear_only_when_given(pack, workbook):
    assert "Risk" in workbook.sheetnames
    ws = workbook["Risk"]
    assert ws["A1"].value == "Risk" and ws["A4"].value == "site_id"
    assert ws["B5"].value == 1.5e8 and ws["C5"].number_format == "0.0%"
    plain = build_pack([pack.results[0].site], pack.scenario, made_on=MADE_ON,
                       decide=lambda s, sc: pack.results[0].decision)  # fmt: skip
    assert "Risk" not in build_workbook(plain).sheetnames


def test_a_site_that_cannot_be_valued_is_listed_with_its_reason(pack):
    good, bad = pack.results[0].site, dataclasses.replace(pack.results[0].site, id="bad")

    def decide(site, scenario):
        if site.id == "bad":
            raise ValueError("hall_count = 0: must be at least 1")
        return pack.results[0].decision

    partial = build_pack([good, bad], pack.scenario, made_on=MADE_ON, decide=decide)
    assert [f.site.id for f in partial.failures] == ["bad"]
    wb = openpyxl.load_workbook(io.BytesIO(pack_bytes(partial, "xlsx")))
    rows = _summary_rows(wb["Summary"])
    assert rows[-1]["Site id"] == "bad"
    assert rows[-1]["Not valued because"] == "hall_count = 0: must be at least 1"


@given(st.lists(st.text(min_size=0, max_size=60), min_size=1, max_size=12))
def test_sheet_titles_are_legal_and_unique(names):
    taken: set[str] = {"summary"}
    titles = [sheet_title(n, taken) for n in names]
    assert all(0 < len(t) <= 31 and not set(t) & set("[]:*?/\\'") for t in titles)
    assert len({t.lower() for t in titles}) == len(titles)
    assert "summary" not in {t.lower() for t in titles}


def test_a_pack_where_no_site_could_be_valued_still_writes(pack):
    site = pack.results[0].site

    def decide(site, scenario):
        raise ValueError("no halls")

    empty = build_pack([site], pack.scenario, made_on=MADE_ON, decide=decide)
    assert not empty.results and len(empty.failures) == 1
    wb = openpyxl.load_workbook(io.BytesIO(pack_bytes(empty, "xlsx")))
    assert _summary_rows(wb["Summary"])[0]["Not valued because"] == "no halls"
    assert cashflow_sheets(wb) == {}
    assert pack_bytes(empty, "pdf").startswith(b"%PDF")


def test_bad_pack_inputs_are_refused_with_their_rule():
    from reports import ReportInputError

    with pytest.raises(ReportInputError, match="at least one site"):
        build_pack([])
    with pytest.raises(ReportInputError, match="scenario_name"):
        build_pack(load_example_portfolio()[:1], scenario_name="  ")
    with pytest.raises(ReportInputError, match="must be a pandas DataFrame"):
        ReportSection("Risk", [1, 2, 3])
    with pytest.raises(ReportInputError, match="1,001 columns: at most"):
        ReportSection("Risk", pd.DataFrame(np.zeros((1, 1001))))
    with pytest.raises(ReportInputError, match="format = 'docx'"):
        pack_bytes(None, "docx")
