"""The site decision page in headless Chromium at the widths of the walk-through (1280 and 800
px): no key figure is cut ("18.4% a ..."), the path table and every chart draw, and the return
figure is one number a year."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from test_app_browser import assert_no_error, shoot, wait_for_app

pytestmark = pytest.mark.e2e
expect.set_options(timeout=30_000)

# Each metric's value box: its text must fit (Streamlit cuts an overflowing value with "...").
CUT_VALUES = """() => Array.from(document.querySelectorAll('[data-testid="stMetricValue"]'))
    .filter(el => [el, ...el.querySelectorAll('*')].some(
        e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right >
             el.closest('[data-testid="stMetric"]').getBoundingClientRect().right + 1))
    .map(el => el.innerText)"""


@pytest.mark.parametrize("width", [1280, 800])
def test_site_key_figures_fit(page: Page, app_url: str, artifacts_dir: Path, width: int):
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(f"{app_url}/site")
    wait_for_app(page)
    assert_no_error(page)
    metric = page.get_by_test_id("stMetric").filter(has_text="Return on converting").first
    expect(metric).to_be_visible()
    value = metric.get_by_test_id("stMetricValue").inner_text()
    assert value.endswith("a year") or value == "no outlay", value
    expect(page.get_by_test_id("stTable").first).to_be_visible()
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts.nth(5)).to_be_attached()  # cumulative, bridge, start, split, price, cost (+1)
    page.wait_for_timeout(500)
    assert page.evaluate(CUT_VALUES) == []
    shoot(page, artifacts_dir, f"site-{width}px", height=5200 if width > 1000 else 7600)
    page.set_viewport_size({"width": width, "height": 1000})
    assert page.evaluate(CUT_VALUES) == []
