"""Payout batch pages for every role, building from filters, the review (held partners with the
reason), maker-checker through the page, marking paid from a bank file, and query counts."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners.models import PayoutDetails
from prm.audit.models import AuditEvent
from prm.finance.batches import payout_batch_approve, payout_batch_create, payout_batch_export
from prm.finance.models import Payable, PayoutBatch
from tests.prm.finance_helpers import fake_source, make_payable, payout_details, second_finance  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(cast, fake_source):  # noqa: F811
    payout_details(cast.a, "p1")
    make_payable(cast.a, source_id="A", amount="100.00")
    make_payable(cast.a, source_id="B", amount="-40.00")
    make_payable(cast.a, "p2", source_id="C", amount="75.00")  # P2 has no payout details: held
    with cast.a.context():
        return payout_batch_create(acting_membership=cast.a.memberships["finance"], currency="USD")


def _exported(cast, batch):
    with cast.a.context():
        approved = payout_batch_approve(batch=batch, acting_membership=second_finance(cast.a))
        return payout_batch_export(batch=approved, acting_membership=cast.a.memberships["finance"])


def test_pages_answer_finance_and_admins_only(cast, batch):
    for who in ("finance", "admin"):
        assert cast.a.client(who).get("/finance/batches/").status_code == 200, who
        assert cast.a.client(who).get(f"/finance/batches/{batch.pk}/").status_code == 200, who
    for who in ("manager", "marketing", "p1_admin", "p1_user"):
        assert cast.a.client(who).get("/finance/batches/").status_code == 403, who
        assert cast.a.client(who).get(f"/finance/batches/{batch.pk}/").status_code == 403, who
    assert cast.a.client("admin").get("/finance/batches/new/").status_code == 403
    response = cast.a.client().get(f"/finance/batches/{batch.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert cast.b.client("admin").get(f"/finance/batches/{batch.pk}/").status_code == 404


def test_the_review_shows_net_payments_and_held_partners_with_the_reason(cast, batch):
    html = cast.a.client("finance").get(f"/finance/batches/{batch.pk}/").content.decode()
    assert "$60.00" in html  # 100 - 40 clawback
    assert "No payout details" in html
    assert 'data-testid="maker-note"' in html and 'data-testid="approve-batch"' not in html
    second_finance(cast.a)
    html = cast.a.client("finance2").get(f"/finance/batches/{batch.pk}/").content.decode()
    assert 'data-testid="approve-batch"' in html


def test_finance_builds_a_batch_from_filters(cast, fake_source):  # noqa: F811
    payout_details(cast.a, "p1")
    payout_details(cast.a, "p2")
    make_payable(cast.a, source_id="A", amount="100.00")
    make_payable(cast.a, "p2", source_id="B", amount="50.00")
    response = cast.a.client("finance").post(
        "/finance/batches/new/",
        {
            "currency": "usd",
            "partners": [str(cast.a.partners["p2"].pk)],
            "source_types": [fake_source],
            "due_before": "2027-01-01",
        },
    )
    assert response.status_code == 302
    with cast.a.context():
        batch = PayoutBatch.objects.get()
        assert response["Location"] == f"/finance/batches/{batch.pk}/"
        assert list(batch.lines.values_list("payable__source_id", flat=True)) == ["B"]
    response = cast.a.client("finance").post(
        "/finance/batches/new/",
        {"currency": "USD", "partners": [str(cast.a.partners["p2"].pk)]},
    )
    assert response.status_code == 200 and "No open payables match" in response.content.decode()


def test_the_builder_is_refused_through_the_page_and_a_colleague_approves(cast, batch):
    response = cast.a.client("finance").post(f"/finance/batches/{batch.pk}/approve/", follow=True)
    assert "different finance user" in response.content.decode()
    assert cast.a.client("admin").post(f"/finance/batches/{batch.pk}/approve/").status_code == 403
    with cast.a.context():
        assert PayoutBatch.objects.get(pk=batch.pk).status == "draft"
    second_finance(cast.a)
    cast.a.client("finance2").post(f"/finance/batches/{batch.pk}/approve/")
    with cast.a.context():
        assert PayoutBatch.objects.get(pk=batch.pk).status == "approved"


def _bank_file(rows: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "bank.csv", ("partner_code,reference,paid_on,amount,currency\n" + rows).encode()
    )


def test_a_bank_file_marks_payments_paid(cast, batch):
    batch = _exported(cast, batch)
    response = cast.a.client("finance").post(
        f"/finance/batches/{batch.pk}/bank-file/", {"file": _bank_file("D100,TRX-77,2026-12-03,60.00,USD\n")}
    )
    assert response.status_code == 302
    with cast.a.context():
        batch.refresh_from_db()
        payment = batch.payments.get(partner=cast.a.partners["p1"])
        assert (batch.status, payment.payment_reference, payment.paid_on) == (
            "paid",
            "TRX-77",
            datetime.date(2026, 12, 3),
        )
        assert set(
            Payable.objects.filter(partner=cast.a.partners["p1"]).values_list("status", flat=True)
        ) == {"paid"}


def test_a_wrong_bank_file_names_line_and_column_and_marks_nothing(cast, batch):
    batch = _exported(cast, batch)
    with cast.a.context():
        before = AuditEvent.objects.count()
    response = cast.a.client("finance").post(
        f"/finance/batches/{batch.pk}/bank-file/",
        {"file": _bank_file("D100,TRX-77,03.12.2026,61.00,USD\nD200,TRX-78,2026-12-03,75.00,USD\n")},
        follow=True,
    )
    html = response.content.decode()
    assert "Line 2, column paid_on" in html and "Line 2, column amount" in html
    assert "Line 3, column partner_code" in html  # held partners are not paid
    with cast.a.context():
        assert PayoutBatch.objects.get(pk=batch.pk).status == "exported"
        assert AuditEvent.objects.count() == before
    response = cast.a.client("finance").post(
        f"/finance/batches/{batch.pk}/bank-file/",
        {"file": SimpleUploadedFile("bank.csv", b"%PDF-1.4 not a table")},
        follow=True,
    )
    assert "neither a text (CSV) file" in response.content.decode()


def test_marking_one_payment_paid_by_hand(cast, batch):
    batch = _exported(cast, batch)
    with cast.a.context():
        payment = batch.payments.get(partner=cast.a.partners["p1"])
    page = cast.a.client("finance").get(f"/finance/batches/{batch.pk}/payments/{payment.pk}/")
    assert page.status_code == 200 and 'data-testid="mark-paid"' in page.content.decode()
    cast.a.client("finance").post(
        f"/finance/batches/{batch.pk}/paid/",
        {"partner": cast.a.partners["p1"].pk, "reference": "TRX-1", "paid_on": "2026-12-04"},
    )
    with cast.a.context():
        payment.refresh_from_db()
        assert payment.status == "paid" and payment.payment_reference == "TRX-1"


def test_the_review_page_query_count_does_not_grow_with_partners(cast, fake_source):  # noqa: F811
    from tests.factories import PartnerFactory

    def build(n: int) -> int:
        with cast.a.context():
            for i in range(n):
                partner = PartnerFactory(code=f"X{n}{i:03d}", name=f"Extra {n}-{i}")
                cast.a.partners[partner.code] = partner
                payout_details(cast.a, partner.code)
                make_payable(cast.a, partner.code, source_id=f"{n}-{i}", amount="10.00")
                make_payable(cast.a, partner.code, source_id=f"{n}-{i}-eur", amount="5.00")
            batch = payout_batch_create(acting_membership=cast.a.memberships["finance"], currency="USD")
        client = cast.a.client("finance")
        client.get(f"/finance/batches/{batch.pk}/")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/finance/batches/{batch.pk}/").status_code == 200
        return len(queries)

    assert build(2) == build(12)


def test_finance_verifies_payout_details_and_a_change_clears_it(cast):
    payout_details(cast.a, "p1", verified=False)
    partner = cast.a.partners["p1"]
    assert cast.a.client("p1_admin").post(f"/partners/{partner.pk}/payout/verify/").status_code == 403
    assert cast.a.client("admin").post(f"/partners/{partner.pk}/payout/verify/").status_code == 403
    cast.a.client("finance").post(f"/partners/{partner.pk}/payout/verify/")
    with cast.a.context():
        details = PayoutDetails.objects.get(partner=partner)
        assert details.verified_by == cast.a.users["finance"]
        assert AuditEvent.objects.filter(action="payout_details.verify").count() == 1
    cast.a.client("p1_admin").post(
        f"/partners/{partner.pk}/payout/",
        {"account_holder": "Northwind", "account_number": "GB82WEST12345698765432", "tax_id": "GB1"},
    )
    with cast.a.context():
        assert PayoutDetails.objects.get(partner=partner).verified_at is None
