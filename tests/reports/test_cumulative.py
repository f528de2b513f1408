"""The cumulative cash-flow line of the memo, the workbook and the app ends without a drop at the
horizon: the terminal value and the tax on its sale are left out together
(``reports.tables.cumulative_before_terminal_usd``), and the label names the value after tax.

Riot Rockdale converting, base scenario: the sale's tax at the horizon is over $1B, which the line
dropped by when the value was left out but its tax was not."""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports import build_pack, pack_bytes
from reports.charts import cumulative_chart
from reports.excel import CASHFLOW_HEADER_ROW, cashflow_sheets, cumulative_by_year
from reports.tables import cumulative_before_terminal_usd, terminal_after_tax_usd
from sites import load_example_portfolio
from valuation.decision import compare
from valuation.formatting import usd


@pytest.fixture(scope="module")
def rockdale():
    site = next(s for s in load_example_portfolio() if s.id == "riot-rockdale")
    return site, compare(site)


def test_the_last_step_is_the_last_months_operations(rockdale):
    _, d = rockdale
    m = d.strategies["convert"].monthly
    fcf = m["unlevered_fcf_usd"].to_numpy()
    tv, tax = m["terminal_value_usd"].to_numpy(), m["terminal_tax_usd"].to_numpy()
    # The case the fix is for: a sale at the horizon with a tax on it large enough to show.
    assert tv[-1] > 1e9 and tax[-1] > 1e9
    assert np.all(tv[:-1] == 0) and np.all(tax[:-1] == 0)
    # Hand-worked from the flows: up to the month before the horizon the line is the free cash
    # flow's running sum; the horizon month adds its operations only (free cash flow less the
    # value, plus the tax on the value, which free cash flow had taken off).
    before = fcf[:-1].sum()
    last_operations = fcf[-1] - tv[-1] + tax[-1]
    cum = cumulative_before_terminal_usd(m)
    assert cum.size == fcf.size
    assert cum[-2] == pytest.approx(before, rel=1e-12)
    assert cum[-1] == pytest.approx(before + last_operations, rel=1e-12)
    # No drop: the last step is within a few percent of the step before it (rent escalates
    # slowly), far from the sale tax it used to lose.
    step, previous = cum[-1] - cum[-2], cum[-2] - cum[-3]
    assert step > 0 and step == pytest.approx(previous, rel=0.05)
    assert abs(step - previous) < 0.01 * tax[-1]
    assert terminal_after_tax_usd(m) == pytest.approx(tv[-1] - tax[-1], rel=1e-12)


def test_memo_and_workbook_draw_the_same_line_and_name_the_value_after_tax(rockdale):
    site, d = rockdale
    spec = cumulative_chart(d)
    for series in spec.series:
        m = d.strategies[series.key].monthly
        np.testing.assert_allclose(series.y, cumulative_before_terminal_usd(m) / 1e6, rtol=1e-12)
        if (m["terminal_value_usd"] != 0).any():
            assert f"+{usd(terminal_after_tax_usd(m))} terminal value, after tax" in series.label
    convert = next(s for s in spec.series if s.key == "convert")
    assert convert.y[-1] > convert.y[-2]  # the line rises to the horizon, no drop
    n = len(d.strategies["convert"].monthly)
    years, cum = cumulative_by_year(d.strategies["convert"], n)
    assert years[-1] == (n - 1) / 12
    assert cum[-1] == pytest.approx(convert.y[-1] * 1e6, rel=1e-12)
    # The workbook's chart data column holds the same year-end values.
    pack = build_pack([site], d.scenario, decide=lambda s, sc: d)
    wb = openpyxl.load_workbook(io.BytesIO(pack_bytes(pack, "xlsx")))
    ws = wb[cashflow_sheets(wb)[site.id]]
    header = [c.value for c in ws[CASHFLOW_HEADER_ROW]]
    col = header.index(d.strategies["convert"].label) + 1
    got = [ws.cell(row=CASHFLOW_HEADER_ROW + 1 + i, column=col).value for i in range(len(cum))]
    np.testing.assert_allclose(got, cum, rtol=1e-9)


_money = st.floats(-1e10, 1e10, allow_nan=False)


@given(
    operations=st.lists(_money, min_size=2, max_size=40),
    terminal_usd=st.floats(0, 1e11, allow_nan=False),
    tax_share=st.floats(0, 0.5),
)
def test_line_end_plus_the_labelled_value_is_every_cash_flow(operations, terminal_usd, tax_share):
    # Any horizon: operations each month, a value at the last month and a tax on it; the line
    # adds the operations only, and with the value after tax it sums every free cash flow.
    ops = np.array(operations)
    tv = np.zeros(ops.size)
    tax = np.zeros(ops.size)
    tv[-1], tax[-1] = terminal_usd, tax_share * terminal_usd
    monthly = pd.DataFrame(
        {"terminal_value_usd": tv, "terminal_tax_usd": tax, "unlevered_fcf_usd": ops + tv - tax}
    )
    cum = cumulative_before_terminal_usd(monthly)
    scale = 1e-9 * (np.abs(ops).sum() + terminal_usd + 1.0)
    np.testing.assert_allclose(np.diff(cum), ops[1:], atol=scale)
    assert cum[-1] + terminal_after_tax_usd(monthly) == pytest.approx(
        monthly["unlevered_fcf_usd"].sum(), abs=scale
    )
