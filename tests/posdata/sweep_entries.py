from __future__ import annotations

import io

from tests.sweep import Entry


def _upload(cast):
    from posdata.models import Upload

    upload = Upload.objects.create(
        partner=cast.a.partners["p1"],
        kind="pos",
        status="loaded",
        original_name="p1.csv",
        path="/nonexistent.csv",
        format="csv",
        checksum="abc",
        headers=["Invoice #"],
        mapping={"invoice_number": "Invoice #"},
        created_by=cast.a.users["p1_admin"],
    )
    return {"pk": upload.pk}


def _mapping_upload(cast):
    from posdata.services import upload_receive

    data = b"Invoice #,Ship Date,SKU,Qty,Unit Price\nI-1,2026-01-05,PMP-100,1,10\n"
    upload = upload_receive(
        partner=cast.a.partners["p1"],
        kind="pos",
        file=io.BytesIO(data),
        original_name="p1.csv",
        acting_user=cast.a.users["p1_admin"],
        read_now=True,
    )
    return {"pk": upload.pk}


def _xref(cast):
    from posdata.models import SkuXref

    xref = SkuXref.objects.create(
        partner=cast.a.partners["p1"], partner_sku="NW-1", product=cast.a.partners["product"]
    )
    return {"pk": xref.pk}


def _partner(cast):
    return {"partner_pk": cast.a.partners["p1"].pk}


def _product(cast):
    return {"product_pk": cast.a.partners["product"].pk}


ENTRIES = {
    "posdata:dashboard": Entry(),
    "posdata:uploads": Entry(),
    "posdata:upload_new": Entry(methods=("GET", "POST")),
    "posdata:upload_detail": Entry(kwargs=_upload, partner_owned=True),
    "posdata:upload_mapping": Entry(kwargs=_mapping_upload, methods=("GET", "POST"), partner_owned=True),
    "posdata:upload_status": Entry(kwargs=_upload, partner_owned=True),
    "posdata:upload_errors": Entry(kwargs=_upload, partner_owned=True),
    "posdata:exceptions": Entry(),
    "posdata:exception_map": Entry(methods=("POST",)),
    "posdata:exceptions_reprocess": Entry(kwargs=_partner, methods=("POST",), partner_owned=True),
    "posdata:xrefs": Entry(methods=("GET", "POST")),
    "posdata:xref_delete": Entry(kwargs=_xref, methods=("POST",), partner_owned=True),
    "posdata:inventory": Entry(),
    "posdata:inventory_product": Entry(kwargs=_product),
    "posdata:stockout_threshold": Entry(kwargs=_partner, methods=("POST",), partner_owned=True),
}
