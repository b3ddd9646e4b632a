"""Browser journey: a partner uploads an XLSX with title rows, confirms the detected mapping,
watches the progress bar, downloads the error file and sees the dashboard update."""

from __future__ import annotations

import datetime

import pytest

from tests.browser import login, portal_url
from tests.posdata.helpers import xlsx_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_partner_uploads_xlsx_confirms_mapping_and_sees_dashboard(
    cast, catalog, chromium_path, live_server, page, tmp_path
):
    today = datetime.date.today()
    content = xlsx_bytes(
        [
            ["Northwind Distribution"],
            ["Sell-through report"],
            [],
            ["Invoice #", "Ship Date", "Part #", "Qty", "Unit Price", "End User"],
            ["W-1", today, "PMP-100", 4, 125.0, "Alpine Works"],
            ["W-2", today, "PMP-100", 3, 125.0, "Baltic Farms"],
            ["W-3", today, "UNKNOWN-9", 1, 50.0, "Cobalt"],
        ]
    )
    path = tmp_path / "northwind.xlsx"
    path.write_bytes(content)

    login(page, live_server, "acme", cast.a.users["p1_admin"].email)
    page.goto(portal_url(live_server, "acme", "/pos/uploads/new/"))
    page.set_input_files("input[name=file]", str(path))
    page.click("[data-testid=upload-form] button[type=submit]")
    page.wait_for_selector("[data-testid=mapping-preview]")
    assert "W-1" in page.inner_text("[data-testid=mapping-preview]")
    assert page.input_value("select[name=quantity]") == "Qty"
    assert page.input_value("select[name=invoice_date]") == "Ship Date"

    page.click("[data-testid=confirm-mapping]")
    page.wait_for_selector("[data-testid=upload-progress]")
    page.wait_for_selector("[data-testid=upload-status][data-status=loaded]", timeout=30_000)
    assert page.inner_text("[data-testid=rows-loaded]") == "2"
    assert page.inner_text("[data-testid=rows-rejected]") == "1"

    with page.expect_download() as download_info:
        page.click("[data-testid=error-file]")
    saved = download_info.value.path()
    text = saved.read_text(encoding="utf-8-sig")
    assert "UNKNOWN-9" in text and "UNKNOWN_PRODUCT" in text and "7" in text  # sheet row 7

    page.click("[data-testid=to-dashboard]")
    page.wait_for_selector("[data-testid=kpi-units]")
    assert page.inner_text("[data-testid=kpi-units]") == "7"
    page.wait_for_selector("canvas[data-rendered='1']")
