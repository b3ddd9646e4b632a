"""Helpers of the POS tests: a small catalog and a way to load file content like the command does."""

from __future__ import annotations

import io
import secrets
from decimal import Decimal
from pathlib import Path

import pytest

from posdata.models import InventorySnapshot, Upload
from posdata.pipeline.rollups import rollups_rebuild
from posdata.services import pos_file_load
from tests.factories import ProductFactory


@pytest.fixture
def catalog(cast):
    """PMP-100 (10 per case, from the cast), VLV-010 (6 per case, GTIN), and a partner SKU for P1."""
    from posdata.models import SkuXref

    with cast.a.context():
        valve = ProductFactory(
            sku="VLV-010",
            units_per_case=6,
            gtin="00012345600104",
            category="valves",
            list_price=Decimal("185.50"),
        )
        SkuXref.objects.create(
            partner=cast.a.partners["p1"], partner_sku="NW-PUMP", product=cast.a.partners["product"]
        )
    return {"pump": cast.a.partners["product"], "valve": valve}


def write(tmp_path: Path, content: str | bytes, name: str = "file.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def load(side, partner_key: str, path: Path, **kwargs):
    """Load a file for a partner of ``side`` inside its tenant context; (upload, summary)."""
    with side.context():
        upload, result = pos_file_load(partner=side.partners[partner_key], path=path, **kwargs)
        if upload is not None:
            from posdata import pipeline

            result = dict(result, errors=pipeline.first_errors(upload.pk, 10_000))
        return upload, result


def xlsx_bytes(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def snapshots(partner, rows, *, upload=None):
    """Inventory snapshots written directly (past the loader), then the rollups rebuilt from the
    lines as `pos_rollups_check --fix` would. ``rows``: (date, product, on hand, received, sold)."""
    upload = upload or Upload.objects.create(
        partner=partner,
        kind="inventory",
        status="loaded",
        path="t.csv",
        format="csv",
        checksum=secrets.token_hex(8),
    )
    InventorySnapshot.objects.bulk_create(
        [
            InventorySnapshot(
                tenant_id=partner.tenant_id,
                partner=partner,
                upload=upload,
                snapshot_date=day,
                product=product,
                on_hand=on_hand,
                received=received,
                sold=sold,
                source_line=n + 2,
            )
            for n, (day, product, on_hand, received, sold) in enumerate(rows)
        ]
    )
    # Written past the loader: its rollup is rebuilt as `pos_rollups_check --fix` would.
    rollups_rebuild(partner.tenant_id)
