"""Executive number formatting, each case worked by hand."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation import formatting as fmt


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (412_300_000, "$412M"),  # 412.3 M, >= 100 in its unit: no decimal
        (1_234_000, "$1.2M"),  # 1.234 M -> one decimal
        (12_000_000, "$12M"),  # 12.0 M -> trailing .0 dropped
        (-1_234_000, "-$1.2M"),
        (2_450_000_000, "$2.5B"),  # 2.45 B: binary 2.4500000000000002 rounds up
        (850_000, "$850k"),
        (999_960, "$1M"),  # 999.96 k rounds to 1,000 k: promoted to the next unit
        (99_960_000, "$100M"),  # 99.96 M rounds to 100.0 -> no decimal
        (950, "$950"),
        (0, "$0"),
    ],
)
def test_usd(value, text):
    assert fmt.usd(value) == text


def test_usd_fixed_digits_and_missing():
    assert fmt.usd(412_300_000, digits=2) == "$412.30M"
    assert fmt.usd(float("nan")) == fmt.MISSING
    assert fmt.usd(None) == fmt.MISSING
    assert fmt.usd(float("-inf")) == "-∞"


@pytest.mark.parametrize(
    ("mw", "text"),
    [(1200, "1.2 GW"), (1000, "1 GW"), (450, "450 MW"), (7.5, "7.5 MW"), (20, "20 MW")],
)
def test_power(mw, text):
    assert fmt.power(mw) == text


def test_percent_and_durations():
    assert fmt.pct(0.143) == "14.3%"
    assert fmt.pct(-0.05) == "-5.0%"
    assert fmt.pct(float("nan")) == fmt.MISSING
    assert fmt.months(33.6) == "34 months"
    assert fmt.months(1) == "1 month"
    assert fmt.months(float("nan")) == "never"
    assert fmt.years_months(33.6) == "2.8 years"  # 33.6 / 12 = 2.8


def test_unit_rates():
    assert fmt.rate_usd_per_kw_month(140) == "$140/kW-month"
    assert fmt.rate_usd_per_kw_month(137.5) == "$137.50/kW-month"
    assert fmt.hashprice(48.2) == "$48.20/PH/day"
    assert fmt.usd_per_mw(11_500_000) == "$11.5M/MW"
    assert fmt.usd_exact(95_000) == "$95,000"
    assert fmt.usd_exact(-1234.4) == "-$1,234"
    assert fmt.multiple(2.345) == "2.3x"


@settings(max_examples=100, deadline=None)
@given(st.floats(min_value=-1e13, max_value=1e13, allow_nan=False))
def test_usd_round_trips_within_rounding(x):
    """Parsing the text back gives the amount within the shown precision (<= 5% of it, or $1)."""
    text = fmt.usd(x)
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("-").lstrip("$").replace(",", "")
    scale = {"T": 1e12, "B": 1e9, "M": 1e6, "k": 1e3}.get(body[-1], 1.0)
    number = float(body[:-1]) if body[-1] in "TBMk" else float(body)
    back = sign * number * scale
    assert math.isclose(back, x, rel_tol=0.05, abs_tol=1.0)
    assert (round(x) < 0) == text.startswith("-")  # no "-$0"


def test_return_basis_names_the_one_rate_a_board_reads():
    assert fmt.return_basis(0.2103, "conventional") == "IRR"
    assert fmt.return_basis(0.2103, "several", 0.1672) == "MIRR"
    assert fmt.return_basis(0.2103, "several", float("nan")) == "no outlay"
    assert fmt.return_basis(1.49, "financing") == "no outlay"
    assert fmt.return_basis(float("nan"), "none") == "no outlay"
    # Money in (peak funding) and no single IRR: the MIRR, never "no outlay".
    funded = {"peak_funding_usd": 6.18e9, "moic": 1.63}
    assert fmt.return_basis(float("nan"), "none", 0.114, **funded) == "MIRR"
    assert fmt.return_basis(float("nan"), "none", 0.114, peak_funding_usd=6.18e9, moic=0.7) == (
        "does not pay back"
    )


def test_a_funded_path_without_one_irr_shows_its_mirr():
    # S1 Rockdale's mine-then-convert: $6.2B of peak funding, 1.63x back, no single IRR. The
    # app and memo said "no outlay" beside the peak funding.
    funded = {"peak_funding_usd": 6.18e9, "moic": 1.63}
    assert fmt.annual_return(math.nan, "none", 0.114, **funded) == "11.4% a year"
    detail = fmt.return_detail(math.nan, "none", 0.114, 0.10, **funded)
    assert "No single yearly rate" in detail and "MIRR" in detail and "10.0%" in detail


@pytest.mark.parametrize(
    ("value", "text"),
    [(1234.4, "1,234 acres"), (0.6, "1 acre"), (2.5, "2 acres"), (0.0, "unknown"), (None, "unknown"),
     (math.nan, "unknown"), (-3.0, "unknown")],
)  # fmt: skip
def test_acres_unknown_never_zero(value, text):
    assert fmt.acres(value) == text


def test_km():
    assert fmt.km(12.4) == "12 km"
    assert fmt.km(0.4) == "0.4 km"
    assert fmt.km(0) == "0 km"  # a distance of 0 is real: on the route
    assert fmt.km(None) == fmt.km(math.nan) == "unknown"


def test_annual_return_is_one_figure_and_the_detail_says_which():
    assert fmt.annual_return(0.184, "conventional", 0.146) == "18.4% a year"
    assert fmt.annual_return(0.3, "several", 0.146) == "14.6% a year"
    assert fmt.annual_return(math.nan, "several", math.nan) == "no outlay"
    assert fmt.annual_return(math.nan, "none", 0.1) == "no outlay"
    detail = fmt.return_detail(0.184, "conventional", 0.146, 0.10)
    assert detail.startswith("IRR") and "MIRR" in detail and "10.0%" in detail and "14.6%" in detail
    assert "MIRR" in fmt.return_detail(0.3, "several", 0.146, 0.10)
    assert "no return" in fmt.return_detail(math.nan, "none", math.nan, 0.10)


def test_a_return_that_never_pays_back_is_not_called_no_outlay():
    # A $20 offer: converting puts money in and gets less back (no IRR): "no outlay" was false.
    never = {"peak_funding_usd": 153e6, "moic": 0.4}
    assert fmt.annual_return(math.nan, "none", math.nan, **never) == "does not pay back"
    assert "Less money comes out than goes in" in fmt.return_detail(
        math.nan, "none", math.nan, 0.1, **never
    )
    # No money in before money out, or no figures given: as before.
    assert fmt.annual_return(math.nan, "none", peak_funding_usd=0.0, moic=math.inf) == "no outlay"
    assert fmt.annual_return(math.nan, "financing", math.nan, **never) == "no outlay"
    assert fmt.annual_return(0.12, "conventional", 0.1, **never) == "12.0% a year"


@pytest.mark.parametrize(
    ("gap", "words"),
    [(0.0275, "within 2.75% of the best plan"), (0.0, "within 0.00% of the best plan"),
     (math.inf, "at an unknown distance from the best plan"),
     (math.nan, "at an unknown distance from the best plan")],
)  # fmt: skip
def test_distance_to_best(gap, words) -> None:
    # a plan stopped at the solver's limit: its proven gap, or no claim when none was proven
    assert fmt.distance_to_best(gap) == words
