"""Halls wait for their power: energized MW first, then the queue date (or 24 months)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import RetrofitInputError, RetrofitTarget, estimate_retrofit
from models.schedule import DEFAULT_MONTHS_TO_ENERGIZE, months_between, months_to_energize
from sites.schema import Facility, PowerRights
from tests.models.conftest import make_site

# Three reused 20 MW halls, 45 MW critical IT: 15 MW per hall. PUE 1.17 (direct-to-chip, 30 C,
# no water, N+1), so each hall needs 15 x 1.17 = 17.55 gross MW; cumulative 17.55, 35.10, 52.65.
# Unconstrained schedule (see test_estimate): starts 0, 3, 6; ready 20, 23, 26 (20-month build).
TARGET = RetrofitTarget(45.0, reuse_buildings=True)
HALLS = Facility(hall_count=3, hall_power_mw=20.0, building_area_m2=0.0)
AS_OF = date(2026, 1, 1)


def site_with(energized_mw: float, queue_date: date | None = None):
    power = PowerRights(
        energized_mw=energized_mw, contracted_mw=60.0, queue_energization_date=queue_date
    )
    return make_site(power=power, facility=HALLS)


def schedule(est) -> list[tuple[int, int]]:
    return [(h.construction_start_month, h.ready_for_service_month) for h in est.halls]


def test_fully_energized_site_is_not_held() -> None:
    est = estimate_retrofit(site_with(60.0), TARGET, as_of=AS_OF)
    assert schedule(est) == [(0, 20), (3, 23), (6, 26)]
    assert "energization" not in est.critical_path


def test_queue_date_holds_the_halls_beyond_energized_mw() -> None:
    # 25 gross MW energized: hall 1 (17.55) fits; hall 2 (35.10 cumulative) and 3 do not.
    # Queue date 2028-06-10 from 2026-01-01: 24 + 5 months + 9 days / 30.4375 = 29.30 -> month 30.
    est = estimate_retrofit(site_with(25.0, date(2028, 6, 10)), TARGET, as_of=AS_OF)
    # Held halls finish in month 30 and start 20 months earlier, so their spend ends at power-on.
    assert schedule(est) == [(0, 20), (10, 30), (10, 30)]
    path = est.critical_path
    assert path.startswith("power: Hall 2 to Hall 3 wait for energization in month 30")
    assert "queue energization date 2028-06-10, 30 months after 2026-01-01" in path
    assert "25 gross MW energized today, 52.65 gross MW needed at PUE 1.170" in path
    # Capex still sums to the total, now spread over the later builds.
    assert est.capex_by_month_usd(60).sum() == pytest.approx(est.total_base_usd)


def test_without_a_valuation_date_the_default_24_months_apply() -> None:
    # Month 24 holds hall 2 (unconstrained 23) but not hall 3 (26).
    for est in (
        estimate_retrofit(site_with(25.0, date(2028, 6, 10)), TARGET),  # no as_of
        estimate_retrofit(site_with(25.0), TARGET, as_of=AS_OF),  # no queue date
    ):
        assert DEFAULT_MONTHS_TO_ENERGIZE == 24
        assert schedule(est) == [(0, 20), (4, 24), (6, 26)]
        assert est.critical_path.startswith("power: Hall 2 waits for energization in month 24")
        assert "assumed 24 months" in est.critical_path


def test_nothing_energized_holds_every_hall() -> None:
    est = estimate_retrofit(site_with(0.0), TARGET)
    assert schedule(est) == [(4, 24), (4, 24), (6, 26)]
    assert est.first_ready_month == 24
    assert est.critical_path.startswith("power: Hall 1 to Hall 2 wait")


def test_a_hall_that_exactly_uses_the_energized_mw_is_not_held() -> None:
    est = estimate_retrofit(site_with(2 * 15.0 * 1.17), TARGET, as_of=AS_OF)
    assert schedule(est) == [(0, 20), (3, 23), (6, 26)]


def test_past_queue_date_means_power_now() -> None:
    assert months_to_energize(date(2025, 6, 1), AS_OF)[0] == 0
    est = estimate_retrofit(site_with(0.0, date(2025, 6, 1)), TARGET, as_of=AS_OF)
    assert schedule(est) == [(0, 20), (3, 23), (6, 26)]


def test_months_between_hand_worked() -> None:
    assert months_between(date(2026, 1, 1), date(2028, 6, 10)) == pytest.approx(29 + 9 / 30.4375)
    assert months_between(date(2026, 3, 31), date(2026, 2, 28)) == pytest.approx(-1 - 3 / 30.4375)
    # Exactly 12 months later is month 12, not 13.
    assert months_to_energize(date(2027, 1, 1), AS_OF)[0] == 12


def test_bad_as_of_is_refused() -> None:
    with pytest.raises(RetrofitInputError, match="as_of='2026-01-01'"):
        estimate_retrofit(site_with(60.0), TARGET, as_of="2026-01-01")  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0.0, 80.0),
    st.one_of(st.none(), st.dates(date(2024, 1, 1), date(2032, 12, 31))),
    st.integers(1, 6),
)
def test_power_only_ever_delays_and_never_shortens_a_build(
    energized_mw: float, queue_date: date | None, hall_count: int
) -> None:
    facility = Facility(hall_count=hall_count, hall_power_mw=20.0, building_area_m2=0.0)
    free = make_site(power=PowerRights(energized_mw=1e6, contracted_mw=60.0), facility=facility)
    held = make_site(
        power=PowerRights(
            energized_mw=energized_mw, contracted_mw=60.0, queue_energization_date=queue_date
        ),
        facility=facility,
    )
    base = estimate_retrofit(free, TARGET, as_of=AS_OF)
    est = estimate_retrofit(held, TARGET, as_of=AS_OF)
    month, _ = months_to_energize(queue_date, AS_OF)
    cumulative_gross = 0.0
    for b, h in zip(base.halls, est.halls, strict=True):
        cumulative_gross += h.critical_it_mw * est.design_pue
        assert h.ready_for_service_month - h.construction_start_month == (
            b.ready_for_service_month - b.construction_start_month
        )
        if cumulative_gross <= energized_mw * (1 + 1e-9):
            assert h.ready_for_service_month == b.ready_for_service_month
        else:
            expected = max(b.ready_for_service_month, month)
            assert h.ready_for_service_month == expected
