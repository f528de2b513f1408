"""The app in headless Chromium: every page renders without an error, the map and charts draw, a
slider revalues the site, and no request leaves this machine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e
expect.set_options(timeout=30_000)  # first valuations on a busy 2-core machine take seconds

ROOT = Path(__file__).resolve().parents[2]
PAGES = {
    "": "Portfolio",  # the default page lives at the root URL
    "site": "Site decision",
    "inventory": "Inventory",
    "market": "Market & comparables",
    "plan": "Portfolio plan",
}


def wait_for_app(page: Page, timeout_ms: float = 30_000) -> None:
    """Wait until the script run has finished (and widgets' 200 ms debounce has passed)."""
    app = page.locator("[data-testid='stApp']")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=timeout_ms)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout_ms)
    page.wait_for_timeout(300)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout_ms)
    expect(page.locator("[data-stale='true']")).to_have_count(0, timeout=timeout_ms)


# st.error's box. The inventory test below sees this locator match a real error, so the check in
# assert_no_error can fail.
ERROR_ALERT = "stAlertContentError"


def assert_no_error(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id(ERROR_ALERT)).to_have_count(0)


def shoot(page: Page, artifacts_dir: Path, name: str, height: int = 2000) -> Path:
    """A tall picture of the page (Streamlit scrolls inside its own container, so full_page
    alone would stop at the viewport)."""
    path = artifacts_dir / f"{name}.png"
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": height})
    page.wait_for_timeout(800)  # deck.gl and vega redraw at the new size
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    return path


def test_every_page_renders_offline(
    page: Page, app_url: str, artifacts_dir: Path, external_requests, server_refused
):
    for url_path, title in PAGES.items():
        page.goto(f"{app_url}/{url_path}")
        wait_for_app(page)
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        assert_no_error(page)
        if url_path == "":
            deck = page.get_by_test_id("stDeckGlJsonChart")
            expect(deck).to_be_visible()
            expect(deck.locator("canvas").first).to_be_visible()
            expect(page.get_by_test_id("stDataFrame")).to_be_visible()
        if url_path in ("site", "market"):
            charts = page.get_by_test_id("stVegaLiteChart")
            expect(charts.first).to_be_visible()
            expect(charts.first.locator("canvas, svg").first).to_be_visible()
        shoot(page, artifacts_dir, f"page-{url_path or 'portfolio'}")
    assert external_requests == [], f"requests left localhost: {external_requests}"
    assert server_refused() == [], "the app's server tried to reach the network"


def _metric_value(page: Page, label: str) -> str:
    metric = page.get_by_test_id("stMetric").filter(has_text=label).first
    return metric.get_by_test_id("stMetricValue").inner_text()


def test_lease_slider_moves_the_value_of_converting(
    page: Page, app_url: str, artifacts_dir: Path, external_requests
):
    page.goto(f"{app_url}/site")
    wait_for_app(page)
    before = _metric_value(page, "Value of converting")
    assert re.match(r"^-?\$", before), before
    slider = page.get_by_role("slider", name=re.compile("Lease rate"))
    slider.focus()
    for _ in range(6):  # six 1-USD steps: +6 USD per kW-month
        page.keyboard.press("ArrowRight")
    wait_for_app(page)
    expect(
        page.get_by_test_id("stMetric")
        .filter(has_text="Value of converting")
        .first.get_by_test_id("stMetricValue")
    ).not_to_have_text(before, timeout=15_000)
    after = _metric_value(page, "Value of converting")
    assert after != before
    assert_no_error(page)
    shoot(page, artifacts_dir, "site-after-lease-slider")
    assert external_requests == [], f"requests left localhost: {external_requests}"


def _edit_cell(page: Page, row: int, columns_right_of_id: int, text: str) -> None:
    """Type into a cell of the inventory grid (a canvas): select the row's id cell, move right,
    open the cell's editor with Enter, wait for it, fill it and commit. Waiting for the editor
    (not a fixed pause) keeps every key when the machine is busy: a first key typed before the
    editor mounted was lost, and "123" went in as "23"."""
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid.locator("canvas").first).to_be_visible()
    page.wait_for_timeout(1000)  # the grid paints its cells after the script run ends
    box = grid.bounding_box()
    assert box is not None
    header_px, row_px = 35, 35
    page.mouse.click(box["x"] + 60, box["y"] + header_px + row_px * row + row_px / 2)
    page.wait_for_timeout(300)
    for _ in range(columns_right_of_id):
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(100)
    page.keyboard.press("Enter")  # opens the selected cell's editor
    editor = page.locator("textarea.gdg-input, input.gdg-input").first
    expect(editor).to_be_visible(timeout=15_000)
    editor.fill(text)
    page.keyboard.press("Enter")
    wait_for_app(page)


def test_inventory_editor_checks_a_typed_cell_and_saves_it(
    page: Page, app_url: str, app_db_url: str, artifacts_dir: Path, external_requests
):
    from sites.store import SiteStore

    page.goto(f"{app_url}/inventory")
    wait_for_app(page)
    store = SiteStore(app_db_url)  # after the app's first start, which seeds it
    first = sorted(store.list(), key=lambda s: s.id)[0]  # the grid lists sites by id
    latitude = 3  # id, name, operator, latitude
    _edit_cell(page, 0, latitude, "123")
    problems = page.get_by_test_id(ERROR_ALERT)
    expect(problems).to_contain_text("1 problem in the edited table")
    # The problems table is a grid drawn on a canvas; its accessible copy carries the text.
    expect(page.get_by_text("must be between -90 and 90")).to_be_attached()
    expect(page.get_by_role("button", name="Save changes")).to_be_disabled()
    page.screenshot(path=str(artifacts_dir / "inventory-bad-edit.png"))  # no resize: keeps edits
    assert store.get(first.id).latitude == first.latitude  # nothing written

    _edit_cell(page, 0, latitude, "46.5")
    expect(page.get_by_text("All edited rows pass the checks.")).to_be_visible()
    page.get_by_role("button", name="Save changes").click()
    wait_for_app(page)
    expect(page.get_by_text("Saved: 1 site added or changed, 0 deleted.")).to_be_visible()
    assert store.get(first.id).latitude == 46.5
    store.close()
    assert external_requests == [], f"requests left localhost: {external_requests}"
