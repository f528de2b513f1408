"""Tests of MACRS depreciation, income tax with NOLs, debt, terminal value and project flows."""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from valuation import finance as f

SETTINGS = settings(max_examples=50, deadline=None)


# --- MACRS ---------------------------------------------------------------------------------


def test_macrs_tables_sum_to_100_percent() -> None:
    for cls, table in f.MACRS_ANNUAL_PERCENT.items():
        assert sum(table) == pytest.approx(100.0, abs=1e-9), cls


def test_macrs_5_year_hand_worked() -> None:
    # $1,200 of 5-year property in month 0: year 1 is 20% -> $240 spread as $20 a month;
    # year 2 is 32% -> $384, $32 a month.
    capex = np.zeros(30)
    capex[0] = 1200.0
    dep = f.macrs_depreciation_usd(capex, 5)
    np.testing.assert_allclose(dep[:12], 20.0)
    np.testing.assert_allclose(dep[12:24], 32.0)
    np.testing.assert_allclose(dep[24:30], 1200 * 0.192 / 12)


def test_macrs_placed_later_and_39_year() -> None:
    # $46,800 of a building in month 3: 2.461% / 12 of it a month in year one
    # (= 46,800 * 0.02461 / 12 = 95.979), then 2.564% / 12 (= 99.996) from month 15.
    capex = np.zeros(20)
    capex[3] = 46_800.0
    dep = f.macrs_depreciation_usd(capex, 39)
    np.testing.assert_allclose(dep[:3], 0.0)
    np.testing.assert_allclose(dep[3:15], 95.979, rtol=1e-4)
    np.testing.assert_allclose(dep[15:], 99.996, rtol=1e-4)


def test_macrs_bonus_share() -> None:
    # 60% bonus on $1,000 of 7-year property: month 0 gets 600 + 400 * 14.29% / 12 = 604.763
    capex = np.array([1000.0, 0.0, 0.0])
    dep = f.macrs_depreciation_usd(capex, 7, bonus_share=0.6)
    assert dep[0] == pytest.approx(600 + 400 * 0.1429 / 12, rel=1e-3)
    assert dep[1] == pytest.approx(400 * 0.1429 / 12, rel=1e-3)


@SETTINGS
@given(
    capex=hnp.arrays(float, st.integers(1, 36), elements=st.floats(0, 1e7)),
    cls=st.sampled_from([5, 7, 15, 39]),
    bonus=st.floats(0, 1),
)
def test_macrs_rows_sum_to_cost_basis(capex: np.ndarray, cls: int, bonus: float) -> None:
    bonus = bonus if cls != 39 else 0.0
    rows = np.stack([capex, capex[::-1]])
    n_out = capex.size + 12 * len(f.MACRS_ANNUAL_PERCENT[cls])
    dep = f.macrs_depreciation_usd(rows, cls, bonus, n_months=n_out)
    np.testing.assert_allclose(dep.sum(axis=-1), rows.sum(axis=-1), rtol=1e-9, atol=1e-6)
    assert (dep >= 0).all()


def test_macrs_matches_per_row_convolution() -> None:
    rng = np.random.default_rng(5)
    capex = rng.uniform(0, 100, (3, 40))
    kernel = np.repeat(np.asarray(f.MACRS_ANNUAL_PERCENT[15]) / 1200.0, 12)
    got = f.macrs_depreciation_usd(capex, 15)
    for i in range(3):
        np.testing.assert_allclose(got[i], np.convolve(capex[i], kernel)[:40], rtol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"property_class": 10}, "property_class is 10"),
        ({"property_class": 39, "bonus_share": 0.5}, "bonus"),
        ({"property_class": 5, "bonus_share": 1.5}, "bonus_share is 1.5"),
    ],
)
def test_macrs_bad_input(kwargs: dict, needle: str) -> None:
    with pytest.raises(f.FinanceInputError, match=needle):
        f.macrs_depreciation_usd(np.ones(3), **kwargs)
    with pytest.raises(f.FinanceInputError, match="negative value -1.0"):
        f.macrs_depreciation_usd(np.array([1.0, -1.0]), 5)


# --- tax -----------------------------------------------------------------------------------


def test_income_tax_nol_hand_worked() -> None:
    # Pretax -100, 50, 80, 30 at 21%, NOLs offsetting 100%: NOL 100 -> 50 (month 1 untaxed)
    # -> 0 with 30 taxable in month 2 -> 30 taxable in month 3: tax 0, 0, 6.3, 6.3.
    full = f.TaxAssumptions(nol_limit_share=1.0)
    tax = f.income_tax_usd([-100.0, 50.0, 80.0, 30.0], 0.0, 0.0, full)
    np.testing.assert_allclose(tax, [0, 0, 6.3, 6.3], atol=1e-12)
    # With the 80% limit: month 1 uses 40 (taxable 10, NOL 60); month 2 uses 60 of the 64
    # allowed (taxable 20); month 3 taxable 30 -> 2.1, 4.2, 6.3.
    tax80 = f.income_tax_usd([-100.0, 50.0, 80.0, 30.0], 0.0, 0.0, f.TaxAssumptions())
    np.testing.assert_allclose(tax80, [0, 2.1, 4.2, 6.3], atol=1e-12)


def test_income_tax_deducts_depreciation_and_interest() -> None:
    # EBITDA 100 - depreciation 30 - interest 20 = 50 taxable; combined rate with a 5% state
    # tax: 0.05 + 0.21 * 0.95 = 0.2495 -> 12.475.
    t = f.TaxAssumptions(state_rate=0.05)
    assert t.combined_rate == pytest.approx(0.2495)
    assert f.income_tax_usd([100.0], [30.0], [20.0], t)[0] == pytest.approx(12.475)


def _tax_loop(x: np.ndarray, limit: float, rate: float) -> np.ndarray:
    nol, out = 0.0, []
    for v in x:
        if v < 0:
            nol += -v
            out.append(0.0)
        else:
            used = min(nol, limit * v)
            nol -= used
            out.append(rate * (v - used))
    return np.array(out)


@SETTINGS
@given(
    x=hnp.arrays(float, st.integers(1, 48), elements=st.floats(-1e6, 1e6)),
    limit=st.floats(0, 1),
)
def test_income_tax_matches_loop(x: np.ndarray, limit: float) -> None:
    t = f.TaxAssumptions(nol_limit_share=limit, state_rate=0.04)
    got = f.income_tax_usd(np.stack([x, -x]), 0.0, 0.0, t)
    for row, g in zip(np.stack([x, -x]), got, strict=True):
        np.testing.assert_allclose(g, _tax_loop(row, limit, t.combined_rate), atol=1e-6)


def test_tax_assumptions_validation() -> None:
    with pytest.raises(f.FinanceInputError, match="federal_rate=1.2"):
        f.TaxAssumptions(federal_rate=1.2)
    with pytest.raises(ValueError, match="nol_limit_share"):
        f.TaxAssumptions(nol_limit_share=-0.1)


# --- debt ----------------------------------------------------------------------------------


def test_debt_schedule_hand_worked() -> None:
    # $1,000 at 12%/yr (1% a month), two level payments: P = 10 / (1 - 1.01^-2) = 507.5124.
    # Month 1: interest 10, principal 497.5124, balance 502.4876;
    # month 2: interest 5.024876, principal 502.4876, balance 0.
    terms = f.DebtTerms(amount_usd=1000.0, rate_per_year=0.12, amortization_months=2)
    s = f.debt_schedule(terms, np.zeros(4), ebitda_usd=np.full(4, 1015.0248756))
    p = 10 / (1 - 1.01**-2)
    np.testing.assert_allclose(s.draw_usd, [1000, 0, 0, 0])
    np.testing.assert_allclose(s.interest_usd, [0, 10, 5.024876, 0], atol=1e-6)
    np.testing.assert_allclose(s.principal_usd, [0, p - 10, 1000 - (p - 10), 0], atol=1e-6)
    np.testing.assert_allclose(s.balance_usd, [1000, 1000 - (p - 10), 0, 0], atol=1e-6)
    np.testing.assert_allclose(s.debt_service_usd[1:3], p, rtol=1e-9)
    assert s.dscr[1] == pytest.approx(2.0, rel=1e-6)  # 1015.02 / 507.51
    assert np.isnan(s.dscr[0]) and np.isnan(s.dscr[3])


def test_debt_construction_draws_pro_rata_interest_only() -> None:
    # 50% of cost of capex 100, 200, 100 over 3 construction months: draws 50, 100, 50;
    # interest-only: month 1 pays 1% of 50, month 2 1% of 150; amortisation from month 3 on 200.
    capex = np.array([100.0, 200.0, 100.0] + [0.0] * 9)
    terms = f.DebtTerms(
        loan_to_cost=0.5, rate_per_year=0.12, construction_months=3, amortization_months=6
    )
    s = f.debt_schedule(terms, capex)
    np.testing.assert_allclose(s.draw_usd[:3], [50, 100, 50])
    np.testing.assert_allclose(s.interest_usd[:4], [0, 0.5, 1.5, 2.0])
    np.testing.assert_allclose(s.principal_usd[:3], 0.0)
    payment = npf.pmt(0.01, 6, -200.0)
    np.testing.assert_allclose(s.debt_service_usd[3:9], payment, rtol=1e-9)
    assert s.principal_usd.sum() == pytest.approx(200.0)
    assert s.balance_usd[-1] == 0.0


def test_debt_vectorised_over_paths_and_zero_rate() -> None:
    capex = np.array([[100.0, 0, 0, 0], [300.0, 0, 0, 0]])
    terms = f.DebtTerms(loan_to_cost=0.8, rate_per_year=0.0, amortization_months=2)
    s = f.debt_schedule(terms, capex)
    np.testing.assert_allclose(s.principal_usd, [[0, 40, 40, 0], [0, 120, 120, 0]])
    np.testing.assert_allclose(s.interest_usd, 0.0)


def test_debt_terms_validation() -> None:
    with pytest.raises(f.FinanceInputError, match="exactly one"):
        f.DebtTerms(rate_per_year=0.1, amortization_months=12)
    with pytest.raises(f.FinanceInputError, match="loan_to_cost=1.5"):
        f.DebtTerms(loan_to_cost=1.5, rate_per_year=0.1, amortization_months=12)
    with pytest.raises(f.FinanceInputError, match="amortization_months=0"):
        f.DebtTerms(amount_usd=1.0, rate_per_year=0.1, amortization_months=0)


# --- terminal value ------------------------------------------------------------------------


def test_terminal_value_hand_worked() -> None:
    noi = np.full(24, 10.0)  # last twelve months: 120
    # Exit cap: 120 * 1.03 / 0.06 = 2,060.
    tv = f.terminal_value_usd(
        noi, f.TerminalValue("exit_cap", exit_cap_rate=0.06, growth_per_year=0.03)
    )
    assert tv == pytest.approx(2060.0)
    # Perpetuity at 10% with 2% growth: 120 * 1.02 / 0.08 = 1,530.
    tv_p = f.terminal_value_usd(noi, f.TerminalValue("perpetuity", growth_per_year=0.02), 0.10)
    assert tv_p == pytest.approx(1530.0)
    assert f.terminal_value_usd(noi, f.TerminalValue()) == 0.0
    # Fewer than twelve months are annualised: 6 months of 10 -> 120 a year.
    assert f.terminal_value_usd(np.full(6, 10.0), f.TerminalValue("exit_cap")) == pytest.approx(
        120 / 0.06
    )
    # Loss-making NOI is floored at zero.
    assert f.terminal_value_usd(-noi, f.TerminalValue("exit_cap")) == 0.0


def test_terminal_value_validation() -> None:
    with pytest.raises(f.FinanceInputError, match="must exceed growth_per_year"):
        f.terminal_value_usd(np.ones(12), f.TerminalValue("perpetuity", growth_per_year=0.05), 0.04)
    with pytest.raises(f.FinanceInputError, match="method='dcf'"):
        f.TerminalValue("dcf")  # type: ignore[arg-type]


# --- project cash flows --------------------------------------------------------------------


def _small_project(**kwargs):
    return f.project_cash_flows(
        revenue_usd=np.array([0.0, 100.0, 100.0]),
        opex_usd=np.array([0.0, 20.0, 20.0]),
        capex_by_class_usd={5: np.array([1200.0, 0.0, 0.0])},
        discount_rate_per_year=0.10,
        **kwargs,
    )


def test_project_cash_flows_hand_worked() -> None:
    # EBITDA 0, 80, 80; 5-year MACRS on 1,200 -> 20 a month; pretax -20, 60, 60.
    # 80% NOL limit: month 1 uses the 20 NOL (taxable 40), month 2 taxable 60; at 21%:
    # tax 0, 8.4, 12.6; unlevered FCF = EBITDA - capex - tax = -1200, 71.6, 67.4.
    out = _small_project()
    np.testing.assert_allclose(out.ebitda_usd, [0, 80, 80])
    np.testing.assert_allclose(out.depreciation_usd, [20, 20, 20])
    np.testing.assert_allclose(out.tax_usd, [0, 8.4, 12.6], atol=1e-12)
    np.testing.assert_allclose(out.unlevered_fcf_usd, [-1200, 71.6, 67.4])
    np.testing.assert_allclose(out.levered_fcf_usd, out.unlevered_fcf_usd)
    contract = {
        "revenue_usd", "opex_usd", "ebitda_usd", "capex_usd", "depreciation_usd",
        "interest_usd", "tax_usd", "terminal_value_usd", "unlevered_fcf_usd", "levered_fcf_usd",
    }  # fmt: skip
    assert contract <= set(out.as_dict())


def test_project_cash_flows_terminal_on_noi() -> None:
    # Exit cap on the NOI given: last 3 months of NOI 50 -> 600 a year / 6% = 10,000 at month 2.
    out = _small_project(terminal=f.TerminalValue("exit_cap"), noi_usd=np.full(3, 50.0))
    np.testing.assert_allclose(out.terminal_value_usd, [0, 0, 10_000])
    # The sale is taxed: basis left = 1,200 capex - 3 x 20 depreciation = 1,140;
    # tax 21% x (10,000 - 1,140) = 1,860.60 at month 2, inside tax_usd.
    np.testing.assert_allclose(out.terminal_tax_usd, [0, 0, 1_860.6])
    np.testing.assert_allclose(out.tax_usd, [0, 8.4, 12.6 + 1_860.6])
    assert out.unlevered_fcf_usd[2] == pytest.approx(67.4 + 10_000 - 1_860.6)


def test_sale_tax_hand_worked() -> None:
    # Combined rate with a 5% state tax: 0.05 + 0.21 x 0.95 = 0.2495.
    tax = f.TaxAssumptions(state_rate=0.05)
    # Gain 1,000 - 400 = 600 -> 149.70; a sale below the basis pays nothing (floored at 0).
    np.testing.assert_allclose(f.sale_tax_usd([1_000.0, 300.0], 400.0, tax), [149.7, 0.0])
    with pytest.raises(f.FinanceInputError, match="sale_value_usd"):
        f.sale_tax_usd(np.nan, 0.0)


def test_explicit_terminal_value_is_used_and_taxed() -> None:
    # A caller's own terminal value (per row) replaces the method; taxed on value - basis:
    # row 0: 0.21 x (5,000 - 1,140) = 810.60; row 1: value 1,000 below basis 1,140 -> no tax.
    out = _small_project(
        terminal=f.TerminalValue("exit_cap"),
        terminal_value_usd=np.array([[5_000.0], [1_000.0]])[:, 0],
    )
    np.testing.assert_allclose(out.terminal_value_usd[:, -1], [5_000.0, 1_000.0])
    np.testing.assert_allclose(out.terminal_tax_usd[:, -1], [810.6, 0.0])
    np.testing.assert_allclose(out.remaining_basis_usd[:, -1], [1_140.0, 1_140.0])


def test_depreciation_starts_when_placed_in_service() -> None:
    # 1,200 spent in month 0, placed in service in month 2: no depreciation in months 0-1,
    # then 5-year MACRS 20% / 12 of 1,200 = 20 in month 2 (weights rescaled to sum to 1: exact
    # here because the 5-year table sums to 100%). Cash capex still leaves in month 0.
    out = _small_project(placed_in_service_by_class_usd={5: np.array([0.0, 0.0, 1_200.0])})
    np.testing.assert_allclose(out.depreciation_usd, [0, 0, 20])
    np.testing.assert_allclose(out.capex_usd, [1_200, 0, 0])
    # Pretax 0, 80, 60 -> taxed 21%: 0, 16.8, 12.6 (no losses, so no NOL).
    np.testing.assert_allclose(out.tax_usd, [0, 16.8, 12.6], atol=1e-12)
    np.testing.assert_allclose(out.remaining_basis_usd, [1_200, 1_200, 1_180])
    with pytest.raises(
        f.FinanceInputError, match="placed_in_service_by_class_usd has the class 39"
    ):
        _small_project(placed_in_service_by_class_usd={39: np.zeros(3)})


def test_project_cash_flows_with_debt_identity() -> None:
    debt = f.DebtTerms(loan_to_cost=0.5, rate_per_year=0.12, amortization_months=24)
    out = _small_project(debt=debt)
    # 600 drawn at month 0; month 1 interest 6; the balance left at month 2 is repaid there.
    assert out.debt_draw_usd[0] == pytest.approx(600.0)
    assert out.interest_usd[1] == pytest.approx(6.0)
    assert out.principal_usd.sum() == pytest.approx(600.0)
    diff = out.levered_fcf_usd - out.unlevered_fcf_usd
    expected = (
        out.debt_draw_usd
        - out.interest_usd
        - out.principal_usd
        + out.unlevered_tax_usd
        - out.tax_usd
    )
    np.testing.assert_allclose(diff, expected, atol=1e-9)
    # Interest is deductible: levered tax never exceeds unlevered tax.
    assert (out.tax_usd <= out.unlevered_tax_usd + 1e-12).all()


def test_project_cash_flows_vectorised_equals_per_path() -> None:
    rng = np.random.default_rng(2)
    revenue = rng.uniform(50, 150, (5, 36))
    opex = np.full(36, 40.0)
    capex5 = np.zeros(36)
    capex5[0] = 2000.0
    capex39 = np.zeros((5, 36))
    capex39[:, 0] = rng.uniform(500, 1000, 5)
    kw = {
        "discount_rate_per_year": 0.1,
        "tax": f.TaxAssumptions(state_rate=0.06, bonus_depreciation_share=0.4),
        "debt": f.DebtTerms(
            loan_to_cost=0.6, rate_per_year=0.09, construction_months=2, amortization_months=60
        ),
        "terminal": f.TerminalValue("exit_cap", exit_cap_rate=0.08),
    }
    many = f.project_cash_flows(
        revenue_usd=revenue, opex_usd=opex, capex_by_class_usd={5: capex5, 39: capex39}, **kw
    )
    assert many.levered_fcf_usd.shape == (5, 36)
    for i in range(5):
        one = f.project_cash_flows(
            revenue_usd=revenue[i],
            opex_usd=opex,
            capex_by_class_usd={5: capex5, 39: capex39[i]},
            **kw,
        )
        for key in ("tax_usd", "levered_fcf_usd", "unlevered_fcf_usd", "dscr"):
            np.testing.assert_allclose(
                getattr(many, key)[i], getattr(one, key), rtol=1e-12, equal_nan=True
            )


def test_project_cash_flows_bad_input() -> None:
    with pytest.raises(f.FinanceInputError, match="class 3"):
        f.project_cash_flows(
            revenue_usd=np.ones(3),
            opex_usd=np.ones(3),
            capex_by_class_usd={3: np.ones(3)},
            discount_rate_per_year=0.1,
        )
    with pytest.raises(f.FinanceInputError, match="revenue_usd has the non-finite value nan"):
        f.project_cash_flows(
            revenue_usd=np.array([1.0, np.nan]),
            opex_usd=np.ones(2),
            capex_by_class_usd={5: np.zeros(2)},
            discount_rate_per_year=0.1,
        )
    with pytest.raises(f.FinanceInputError, match="do not broadcast"):
        f.project_cash_flows(
            revenue_usd=np.ones(3),
            opex_usd=np.ones(4),
            capex_by_class_usd={5: np.zeros(3)},
            discount_rate_per_year=0.1,
        )


# --- result type ---------------------------------------------------------------------------


def test_cash_flow_result_monthly_and_summary() -> None:
    res = f.cash_flow_result(
        revenue_usd=np.full(60, 100.0),
        opex_usd=np.full(60, 30.0),
        capex_by_class_usd={5: np.r_[3000.0, np.zeros(59)]},
        discount_rate_per_year=0.12,
        start_date="2026-07-15",
    )
    assert isinstance(res.monthly, pd.DataFrame)
    assert res.monthly.index[0] == pd.Timestamp("2026-07-01")
    assert res.monthly.index[-1] == pd.Timestamp("2031-06-01")
    assert "unlevered_fcf_usd" in res.monthly.columns
    cf = res.monthly["levered_fcf_usd"].to_numpy()
    r_month = 1.12 ** (1 / 12) - 1
    s = res.summary
    assert s.npv_usd == pytest.approx(npf.npv(r_month, cf), rel=1e-10)
    assert s.irr_per_year == pytest.approx((1 + npf.irr(cf)) ** 12 - 1, rel=1e-8)
    assert s.irr_kind == "conventional"
    assert s.mirr_per_year == pytest.approx((1 + npf.mirr(cf, r_month, r_month)) ** 12 - 1)
    assert s.peak_funding_usd == pytest.approx(-np.cumsum(cf).min())
    assert s.payback_month == pytest.approx(f.payback_month(cf))
    assert s.discounted_payback_month > s.payback_month
    assert s.moic == pytest.approx(cf[cf > 0].sum() / -cf[cf < 0].sum())
    plain = f.cash_flow_result(
        revenue_usd=np.ones(3),
        opex_usd=np.zeros(3),
        capex_by_class_usd={0: np.zeros(3)},
        discount_rate_per_year=0.1,
    )
    assert list(plain.monthly.index) == [0, 1, 2]


def test_cash_flow_result_rejects_many_paths() -> None:
    with pytest.raises(f.FinanceInputError, match="one path"):
        f.cash_flow_result(
            revenue_usd=np.ones((2, 3)),
            opex_usd=np.zeros(3),
            capex_by_class_usd={5: np.zeros(3)},
            discount_rate_per_year=0.1,
        )


def test_given_depreciation_equals_macrs_on_the_basis_and_scales_linearly() -> None:
    """project_cash_flows(depreciation_usd=...) with MACRS computed by depreciation_by_class_usd
    equals the call with the basis placed in service; and MACRS of a scaled basis is the scaled
    MACRS (what lets the Monte Carlo compute the retrofit's once per model)."""
    from valuation.finance import (
        FinanceInputError,
        TaxAssumptions,
        depreciation_by_class_usd,
        project_cash_flows,
    )

    rng = np.random.default_rng(4)
    n = 60
    placed = {5: rng.uniform(0, 1e6, (3, n)) * (rng.random((3, n)) < 0.2),
              39: rng.uniform(0, 4e6, (3, n)) * (rng.random((3, n)) < 0.1), 0: np.full(n, 1e5)}  # fmt: skip
    tax = TaxAssumptions(bonus_depreciation_share=0.4)
    kw = dict(revenue_usd=np.full(n, 2e5), opex_usd=np.full(n, 5e4), capex_by_class_usd=placed,
              discount_rate_per_year=0.1, tax=tax)  # fmt: skip
    by_basis = project_cash_flows(placed_in_service_by_class_usd=placed, **kw)
    dep = depreciation_by_class_usd(placed, tax)
    given = project_cash_flows(depreciation_usd=dep, **kw)
    np.testing.assert_array_equal(given.depreciation_usd, by_basis.depreciation_usd)
    np.testing.assert_array_equal(given.levered_fcf_usd, by_basis.levered_fcf_usd)
    scale = np.array([0.7, 1.0, 1.9])[:, None]
    scaled = depreciation_by_class_usd({c: v * scale for c, v in placed.items() if c}, tax)
    np.testing.assert_allclose(scaled, dep * scale, rtol=1e-12)
    with pytest.raises(FinanceInputError, match="one of them"):
        project_cash_flows(depreciation_usd=dep, placed_in_service_by_class_usd=placed, **kw)
    with pytest.raises(FinanceInputError, match="depreciation_usd has the negative value"):
        project_cash_flows(depreciation_usd=-dep - 1.0, **kw)
