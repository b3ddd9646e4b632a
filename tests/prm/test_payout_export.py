"""The payout file: ERP columns, amounts in both currencies with the rate, bank details masked
(full only for finance signed in with two factors, audited), formulas neutralised, and large
workbooks written by a background job."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from prm.audit.models import AuditEvent
from prm.finance import payout_export
from prm.finance.batches import payout_batch_approve, payout_batch_create, payout_batch_export
from prm.finance.models import FxRate
from prm.jobs.models import Job
from tests.prm.finance_helpers import fake_source, make_payable, payout_details, second_finance  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported(cast, fake_source):  # noqa: F811
    payout_details(cast.a, "p1")
    with cast.a.context():
        FxRate.objects.create(
            base_currency="EUR",
            quote_currency="USD",
            rate_date=datetime.date(2026, 1, 1),
            rate=Decimal("1.10"),
            source="ECB",
        )
    make_payable(cast.a, source_id="=HYPERLINK(1)", amount="100.00", description="@evil")
    make_payable(cast.a, source_id="EU-1", amount="50.00", currency="EUR")
    with cast.a.context():
        batch = payout_batch_create(acting_membership=cast.a.memberships["finance"], currency="USD")
        batch = payout_batch_approve(batch=batch, acting_membership=second_finance(cast.a))
        return payout_batch_export(batch=batch, acting_membership=cast.a.memberships["finance"])


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body, newline="")))


def _mfa_client(cast, who="finance"):
    client = cast.a.client(who)
    session = client.session
    session["account_authentication_methods"] = [{"method": "mfa", "type": "totp", "at": 0}]
    session.save()
    return client


def test_the_csv_has_erp_columns_masked_bank_details_and_no_formula(cast, exported):
    response = cast.a.client("finance").get(f"/finance/batches/{exported.pk}/download/?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert list(rows[0]) == payout_export.HEADERS
    by_source = {r["source_id"]: r for r in rows}
    hostile = by_source["'=HYPERLINK(1)"]
    assert hostile["description"] == "'@evil"
    assert hostile["batch"] == exported.reference and hostile["partner_code"] == "D100"
    assert hostile["account_number"] == "•••• 3000" and hostile["payee"] == "Northwind Distribution Ltd"
    assert (hostile["amount"], hostile["currency"], hostile["payment_amount"]) == (
        "100.0000",
        "USD",
        "100.0000",
    )
    euro = by_source["EU-1"]
    assert (euro["amount"], euro["currency"], euro["payment_amount"], euro["payment_currency"]) == (
        "50.0000",
        "EUR",
        "55.0000",
        "USD",
    )
    assert (
        euro["rate"].startswith("1.1") and euro["rate_date"] == "2026-01-01" and euro["rate_source"] == "ECB"
    )
    assert {r["payment_total"] for r in rows} == {"155.0000"}
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values() if v)
    with cast.a.context():
        event = AuditEvent.objects.get(action="payout_batch.download")
        assert event.after == {"format": "csv", "bank_details": "masked"}


def test_full_bank_details_need_finance_with_mfa_and_are_audited(cast, exported):
    url = f"/finance/batches/{exported.pk}/download/?format=csv&bank=full"
    assert cast.a.client("finance").get(url).status_code == 403  # signed in without a second factor
    assert _mfa_client(cast, "admin").get(url).status_code == 403  # vendor admins see masked only
    rows = _csv(_mfa_client(cast).get(url))
    assert {r["account_number"] for r in rows} == {"DE89370400440532013000"}
    assert {r["bank_code"] for r in rows} == {"COBADEFFXXX"}
    with cast.a.context():
        assert (
            AuditEvent.objects.filter(action="payout_batch.download", after__bank_details="full").count() == 1
        )


def test_the_xlsx_holds_the_same_rows(cast, exported):
    response = cast.a.client("admin").get(f"/finance/batches/{exported.pk}/download/?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == payout_export.HEADERS
    assert {r[9] for r in rows[1:]} == {"'=HYPERLINK(1)", "EU-1"}
    assert sorted(r[13] for r in rows[1:]) == [55, 100]


def test_a_large_workbook_is_written_in_the_background(
    cast, exported, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(payout_export, "XLSX_INLINE_MAX_LINES", 1)
    client = cast.a.client("finance")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"/finance/batches/{exported.pk}/download/?format=xlsx")
    with cast.a.context():
        job = Job.objects.get(kind="export:payout_batch")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.status == "succeeded" and job.progress == 100 and job.result["rows"] == 2
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert job.result["download_url"] in page
    download = client.get(job.result["download_url"])
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).worksheets[0]
    assert sheet.max_row == 3
    assert cast.b.client("admin").get(job.result["download_url"]).status_code == 404


def test_a_batch_not_yet_exported_has_no_file(cast, fake_source):  # noqa: F811
    payout_details(cast.a, "p1")
    make_payable(cast.a, source_id="A", amount="10.00")
    with cast.a.context():
        batch = payout_batch_create(acting_membership=cast.a.memberships["finance"], currency="USD")
    response = cast.a.client("finance").get(f"/finance/batches/{batch.pk}/download/?format=csv")
    assert response.status_code == 302
    with cast.a.context():
        assert not AuditEvent.objects.filter(action="payout_batch.download").exists()
