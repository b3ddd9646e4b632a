"""Portal pages: upload -> mapping -> load -> error file, dashboards, roles, query counts."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.posdata.helpers import load, write

pytestmark = pytest.mark.django_db

CONTENT = (
    "Sales export\n"
    "Invoice #,Ship Date,Part #,Qty,Unit Price\n"
    "I-1,2026-01-05,PMP-100,2,100\n"
    "I-2,2026-01-06,PMP-100,zwei,100\n"
)


def _upload(client, partner_pk, content=CONTENT, **extra):
    """Send the file; the worker reads it when the request's transaction commits."""
    from django.test import TestCase

    data = {
        "partner": partner_pk,
        "kind": "pos",
        "file": SimpleUploadedFile("sales.csv", content.encode()),
        **extra,
    }
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/pos/uploads/new/", data)


def test_partner_uploads_confirms_mapping_and_downloads_the_error_file(
    cast, catalog, django_capture_on_commit_callbacks
):
    from posdata.models import Upload

    client = cast.a.client("p1_user")
    response = _upload(client, cast.a.partners["p1"].pk)
    assert response.status_code == 302
    with cast.a.context():
        upload = Upload.objects.get()
    assert upload.header_row == 2 and upload.mapping["quantity"] == "Qty"
    page = client.get(f"/pos/uploads/{upload.pk}/mapping/")
    assert page.status_code == 200 and "I-1" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/pos/uploads/{upload.pk}/mapping/", upload.mapping)
    assert response.status_code == 302
    status = client.get(f"/pos/uploads/{upload.pk}/status/")
    assert status.status_code == 286
    body = status.content.decode()
    assert 'data-status="loaded"' in body and "INVALID_NUMBER" in body
    errors = client.get(f"/pos/uploads/{upload.pk}/errors/")
    text = b"".join(errors.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("Invoice #,invoice_line,Ship Date,Part #,Qty,Unit Price,Source row")
    assert lines[1].startswith("I-2,1,2026-01-06,PMP-100,zwei,100,4,Qty,INVALID_NUMBER")
    dashboard = client.get("/pos/?date_from=2026-01-01&date_to=2026-01-31")
    assert dashboard.status_code == 200 and 'data-testid="kpi-units">2<' in dashboard.content.decode()


def test_mapping_without_required_fields_is_refused(cast, catalog):
    from posdata.models import Upload

    client = cast.a.client("p1_admin")
    _upload(client, cast.a.partners["p1"].pk)
    with cast.a.context():
        upload = Upload.objects.get()
    response = client.post(f"/pos/uploads/{upload.pk}/mapping/", {"invoice_number": "Invoice #"})
    assert response.status_code == 200 and "Map a column for" in response.content.decode()
    with cast.a.context():
        assert Upload.objects.get().status == "mapping"


def test_partner_user_cannot_upload_for_another_partner(cast, catalog):
    from posdata.models import Upload

    response = _upload(cast.a.client("p1_user"), cast.a.partners["p2"].pk)
    assert response.status_code == 200
    with cast.a.context():
        assert not Upload.objects.exists()


def test_vendor_staff_upload_on_behalf_of_a_partner(cast, catalog):
    from posdata.models import Upload

    assert _upload(cast.a.client("manager"), cast.a.partners["p2"].pk).status_code == 302
    with cast.a.context():
        assert Upload.objects.get().partner == cast.a.partners["p2"]


def test_same_file_again_is_refused_in_the_portal(cast, catalog, tmp_path):
    load(cast.a, "p1", write(tmp_path, CONTENT, "sales.csv"))
    response = _upload(cast.a.client("p1_user"), cast.a.partners["p1"].pk)
    assert response.status_code == 200 and "already loaded" in response.content.decode()


def test_roles_without_upload_get_403(cast):
    assert cast.a.client("marketing").get("/pos/uploads/new/").status_code == 403
    assert cast.a.client("finance").get("/pos/uploads/new/").status_code == 403
    assert cast.a.client("finance").get("/pos/").status_code == 200


def test_partner_sees_only_its_own_sales(cast, catalog, tmp_path):
    load(cast.a, "p1", write(tmp_path, "Invoice,Date,SKU,Qty,Price\nA,2026-01-05,PMP-100,7,1\n", "a.csv"))
    load(cast.a, "p2", write(tmp_path, "Invoice,Date,SKU,Qty,Price\nB,2026-01-05,PMP-100,5,1\n", "b.csv"))
    query = "/pos/?date_from=2026-01-01&date_to=2026-01-31"
    assert 'data-testid="kpi-units">7<' in cast.a.client("p1_user").get(query).content.decode()
    assert 'data-testid="kpi-units">5<' in cast.a.client("p2_user").get(query).content.decode()
    assert 'data-testid="kpi-units">12<' in cast.a.client("manager").get(query).content.decode()


def _files_with_unknown_codes(cast, tmp_path, start: int, stop: int) -> None:
    """Files ``start``..``stop - 1``, alternating partners: one good line and one unknown code each
    (UNKNOWN-<n>, kept in the exception queue), plus a cross-reference XREF-<n>."""
    from posdata.models import SkuXref

    for n in range(start, stop):
        key = "p1" if n % 2 else "p2"
        content = (
            f"Invoice,Date,SKU,Qty,Price\nA{n},2026-01-05,PMP-100,1,1\nB{n},2026-01-05,UNKNOWN-{n},1,1\n"
        )
        _upload, result = load(cast.a, key, write(tmp_path, content, f"{n}.csv"))
        assert result["rows_loaded"] == 1 and result["rows_rejected"] == 1
        with cast.a.context():
            SkuXref.objects.create(
                partner=cast.a.partners[key], partner_sku=f"XREF-{n}", product=cast.a.partners["product"]
            )


def _list_pages_queries(cast, files: int) -> dict[str, int]:
    """Queries run by the uploads, cross-reference and exception pages, each checked to list every row."""
    from posdata.models import Upload

    with cast.a.context():
        uploads = sorted(Upload.objects.values_list("pk", flat=True))
    assert len(uploads) == files
    expected = {
        "/pos/uploads/": (r'<a href="/pos/uploads/(\d+)/">', uploads),
        "/pos/xrefs/": (r"<code>XREF-(\d+)</code>", list(range(files))),
        "/pos/exceptions/": (r"<code>UNKNOWN-(\d+)</code>", list(range(files))),
    }
    client = cast.a.client("manager")
    counts = {}
    for url, (pattern, rows) in expected.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        assert sorted(map(int, re.findall(pattern, response.content.decode()))) == rows, url
        counts[url] = len(queries)
    return counts


def test_upload_xref_and_exception_pages_run_constant_queries(cast, catalog, tmp_path):
    _files_with_unknown_codes(cast, tmp_path, 0, 2)
    _list_pages_queries(cast, 2)  # warm caches (settings, content types)
    small = _list_pages_queries(cast, 2)
    _files_with_unknown_codes(cast, tmp_path, 2, 9)
    large = _list_pages_queries(cast, 9)
    assert large == small
    assert max(small.values()) <= 20


def test_inventory_weeks_of_supply_and_status(cast, catalog, tmp_path):
    today = datetime.date(2026, 3, 31)
    sales = (
        "Invoice,Date,SKU,Qty,Price\n"
        + "".join(
            f"S{w},{(today - datetime.timedelta(days=7 * w)).isoformat()},PMP-100,10,1\n" for w in range(13)
        )
        + "V1,2026-03-01,VLV-010,1,1\n"
    )
    load(cast.a, "p1", write(tmp_path, sales, "sales.csv"))
    stock = (
        "Week Ending,Item,On Hand,On Order,In Transit\n"
        f"{today.isoformat()},PMP-100,20,5,0\n"
        f"{today.isoformat()},VLV-010,1,0,0\n"
        f"{(today - datetime.timedelta(days=7)).isoformat()},PMP-100,30,0,0\n"
    )
    _u, result = load(cast.a, "p1", write(tmp_path, stock, "stock.csv"), kind="inventory")
    assert result["rows_loaded"] == 3
    from decimal import Decimal

    from posdata.selectors import inventory_positions

    with cast.a.context():
        rows = {
            r["sku"]: r
            for r in inventory_positions(cast.a.memberships["manager"], low=Decimal(4), high=Decimal(26))
        }
    assert rows["PMP-100"]["weeks_of_supply"] == Decimal("2.0") and rows["PMP-100"]["status"] == "risk"
    assert rows["VLV-010"]["weeks_of_supply"] == Decimal("13.0") and rows["VLV-010"]["status"] == "healthy"
    page = cast.a.client("p1_user").get("/pos/inventory/")
    assert page.status_code == 200 and "PMP-100" in page.content.decode()
    assert "PMP-100" not in cast.a.client("p2_user").get("/pos/inventory/").content.decode()
    detail = cast.a.client("p1_user").get(f"/pos/inventory/products/{catalog['pump'].pk}/")
    assert detail.status_code == 200 and "pos-chart-data" in detail.content.decode()


def test_home_panel_shows_point_of_sale(cast, catalog, tmp_path):
    load(cast.a, "p1", write(tmp_path, "Invoice,Date,SKU,Qty,Price\nA,2026-01-05,PMP-100,7,1\n"))
    assert 'data-testid="pos-panel"' in cast.a.client("p1_user").get("/").content.decode()
