"""Unknown product codes wait in the exception queue until vendor staff map them."""

from __future__ import annotations

import pytest

from tests.posdata.helpers import load, write

pytestmark = pytest.mark.django_db

CONTENT = (
    "Invoice,Date,Partner SKU,Qty,Price\n"
    "A,2026-01-01,NW-VALVE,2,10\n"
    "B,2026-01-02,NW-VALVE,1,10\n"
    "C,2026-01-02,NW-OTHER,1,10\n"
    "D,2026-01-02,NW-PUMP,1,10\n"
)


def test_mapping_an_unknown_code_creates_a_cross_reference_and_loads_its_lines(
    cast, catalog, tmp_path, django_capture_on_commit_callbacks
):
    from posdata.models import PosLine, RejectedRow, SkuXref
    from posdata.services import exception_map_and_reprocess
    from prm.audit.models import AuditEvent
    from prm.jobs.models import Job

    _u, result = load(cast.a, "p1", write(tmp_path, CONTENT))
    assert result["rows_rejected"] == 3
    with cast.a.context():
        assert set(
            RejectedRow.objects.filter(unknown_product=True).values_list("product_key", flat=True)
        ) == {
            "NW-VALVE",
            "NW-OTHER",
        }
        with django_capture_on_commit_callbacks(execute=True):
            job = exception_map_and_reprocess(
                partner=cast.a.partners["p1"],
                product_key="NW-VALVE",
                product=catalog["valve"],
                acting_membership=cast.a.memberships["manager"],
            )
        job = Job.objects.get(pk=job.pk)
        assert job.status == "succeeded", job.error
        assert job.result["rows_loaded"] == 2 and job.result["quantity_total"] == 3
        assert SkuXref.objects.filter(partner_sku="NW-VALVE", product=catalog["valve"]).exists()
        assert PosLine.objects.filter(product=catalog["valve"]).count() == 2
        assert set(RejectedRow.objects.filter(resolution="loaded").values_list("line", flat=True)) == {2, 3}
        open_rows = RejectedRow.objects.filter(unknown_product=True, resolution="")
        assert list(open_rows.values_list("product_key", flat=True)) == ["NW-OTHER"]
        assert AuditEvent.objects.filter(action="pos.sku_xref_create").count() == 1


def test_exception_queue_page_lists_codes_and_maps_them(cast, catalog, tmp_path):
    load(cast.a, "p1", write(tmp_path, CONTENT))
    client = cast.a.client("manager")
    page = client.get("/pos/exceptions/")
    assert page.status_code == 200 and "NW-VALVE" in page.content.decode()
    response = client.post(
        "/pos/exceptions/map/",
        {"partner": cast.a.partners["p1"].pk, "product_key": "NW-OTHER", "product": catalog["pump"].pk},
    )
    assert response.status_code == 302


def test_partners_cannot_open_the_exception_queue(cast):
    assert cast.a.client("p1_admin").get("/pos/exceptions/").status_code == 403


def test_sku_xref_import_kind(cast, catalog, tmp_path):
    import io
    import json

    from django.core.management import call_command

    path = write(tmp_path, "partner_code,partner_sku,sku\nD100,NW-V2,VLV-010\nD100,NW-BAD,NOPE\n")
    out = io.StringIO()
    call_command("import_data", "--tenant", "acme", "--kind", "sku_xref", str(path), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["created"] == 0 and report["errors"] == [
        {"line": 3, "column": "sku", "message": "Unknown SKU 'NOPE'."}
    ]
    path = write(
        tmp_path, "partner_code,partner_sku,sku\nD100,NW-V2,VLV-010\nD100,NW-PUMP,VLV-010\n", "ok.csv"
    )
    out = io.StringIO()
    call_command("import_data", "--tenant", "acme", "--kind", "sku_xref", str(path), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert (report["created"], report["updated"], report["errors"]) == (1, 1, [])
