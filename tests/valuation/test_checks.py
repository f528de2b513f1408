"""The one checks module: what a rule admits, and the words it uses to say so."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from valuation import checks
from valuation.errors import HostingError


@pytest.mark.parametrize("value", [None, "1", True, np.bool_(True), math.inf, -math.inf, math.nan])
def test_a_number_is_finite_and_real(value):
    assert not checks.number().admits(value)


@pytest.mark.parametrize("value", [0, 1.5, np.float64(2.0), np.int64(3), -7])
def test_numbers_of_every_numeric_type_pass(value):
    assert checks.number().admits(value)


@given(
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.floats(-1e6, 1e6),
    st.floats(0, 1e6),
    st.booleans(),
    st.booleans(),
)
def test_number_admits_exactly_its_range(x, low, span, low_open, high_open):
    high = low + span
    rule = checks.number(low, high, low_open=low_open, high_open=high_open)
    inside = (x > low if low_open else x >= low) and (x < high if high_open else x <= high)
    assert rule.admits(x) == inside


@pytest.mark.parametrize(
    ("value", "ok"), [(3, True), (np.int32(3), True), (3.0, False), (True, False)]
)
def test_whole_means_an_int(value, ok):
    assert checks.whole(0).admits(value) == ok


def test_or_none_and_the_words():
    rule = checks.number(0, 1, high_open=True, note="a share").or_none()
    assert rule.admits(None) and rule.admits(0.5) and not rule.admits(1.0)
    assert rule.allowed == "None or a finite number in [0, 1) (a share)"


def test_check_fields_names_class_field_value_and_rule():
    class Lease:
        rate_usd_per_kw_month = -3.0

    with pytest.raises(HostingError) as info:
        checks.check_fields(Lease(), {"rate_usd_per_kw_month": checks.number(0)}, HostingError)
    assert str(info.value) == (
        "Lease.rate_usd_per_kw_month=-3.0 is not allowed: a finite number >= 0"
    )


def test_require_names_the_first_bad_element():
    arr = np.array([[1.0, 2.0], [-1.0, -2.0]])
    with pytest.raises(
        HostingError, match=r"power_mw\[\(1, 0\)\]=-1.0 is not allowed; must be >= 0"
    ):
        checks.require(arr, arr >= 0, "power_mw", "must be >= 0", HostingError)


def test_broadcast_shape_names_every_argument():
    assert checks.broadcast_shape({"a": (2, 1), "b": (3,)}, HostingError) == (2, 3)
    with pytest.raises(HostingError, match=r"a \(2,\), b \(3,\) do not broadcast"):
        checks.broadcast_shape({"a": (2,), "b": (3,)}, HostingError)


def test_as_float_array_names_the_argument():
    with pytest.raises(HostingError, match="capex_usd must be numeric"):
        checks.as_float_array(["a"], "capex_usd", HostingError)
    assert checks.scalar_or_array(np.array(2.0)) == 2.0
