"""The Board pack page in headless Chromium: for one site, both downloads arrive and are the files
they claim to be (a workbook openpyxl reads, a memo whose text names the site)."""

from __future__ import annotations

import io

import openpyxl
import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from test_app_browser import assert_no_error, wait_for_app

from reports.excel import SUMMARY_HEADER_ROW

pytestmark = pytest.mark.e2e


def test_board_pack_downloads_for_one_site(page: Page, app_url: str, external_requests):
    page.goto(f"{app_url}/board-pack")
    wait_for_app(page, timeout_ms=90_000)  # the first visit values the whole portfolio
    expect(page.get_by_role("heading", name="Board pack", exact=True)).to_be_visible()
    assert_no_error(page)
    page.get_by_text("One site", exact=True).click()
    wait_for_app(page)
    with page.expect_download(timeout=120_000) as got:
        page.get_by_role("button", name="Workbook (.xlsx)").click()
    # Playwright saves downloads without an extension: read the bytes.
    workbook = openpyxl.load_workbook(io.BytesIO(open(got.value.path(), "rb").read()))  # noqa: SIM115
    assert {"Summary", "Assumptions", "Retrofit"} <= set(workbook.sheetnames)
    assert got.value.suggested_filename.endswith(".xlsx")
    summary = workbook["Summary"]
    header = [c.value for c in summary[SUMMARY_HEADER_ROW]]
    names = [r[header.index("Site")] for r in summary.iter_rows(min_row=SUMMARY_HEADER_ROW + 1,
                                                                values_only=True) if r[0]]  # fmt: skip
    assert len(names) == 1  # one site: the first of the inventory
    with page.expect_download(timeout=120_000) as got:
        page.get_by_role("button", name="Memo (.pdf)").click()
    reader = PdfReader(io.BytesIO(open(got.value.path(), "rb").read()))  # noqa: SIM115
    site_page = " ".join(reader.pages[1].extract_text().split())
    assert names[0] in site_page
    assert len(reader.pages) >= 3  # cover, the site, the assumptions
    assert external_requests == []
