"""Remittance statements: rendered in the background once a payment is paid, with branding,
batch, lines grouped by source and totals (text extracted from the PDF); partners download
their own and are notified."""

from __future__ import annotations

import datetime
import io

import pytest
from pypdf import PdfReader

from prm.finance.batches import (
    PaymentConfirmation,
    payout_batch_approve,
    payout_batch_create,
    payout_batch_export,
    payout_batch_mark_paid,
)
from prm.finance.models import PayoutPayment
from prm.finance.registry import register_payable_source, unregister_payable_source
from prm.finance.remittance import remittance_statements_render
from prm.notifications.models import Notification
from tests.prm.finance_helpers import fake_source, make_payable, payout_details, second_finance  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def rebate_source():
    register_payable_source("test_rebate", label="Test rebate")
    yield "test_rebate"
    unregister_payable_source("test_rebate")


@pytest.fixture
def paid(cast, fake_source, rebate_source, django_capture_on_commit_callbacks):  # noqa: F811
    payout_details(cast.a, "p1")
    make_payable(cast.a, source_id="CL-7/1", amount="100.00", description="Pumps for ACME")
    make_payable(cast.a, source_id="CL-7/2", amount="-40.00")
    with cast.a.context():
        from prm.finance.services import payable_create

        payable_create(
            source_type=rebate_source,
            source_id="RB-2026Q1",
            partner=cast.a.partners["p1"],
            amount="25.50",
            currency="USD",
            due_date=datetime.date(2026, 4, 30),
        )
        finance = cast.a.memberships["finance"]
        batch = payout_batch_create(acting_membership=finance, currency="USD")
        batch = payout_batch_approve(batch=batch, acting_membership=second_finance(cast.a))
        batch = payout_batch_export(batch=batch, acting_membership=finance)
        with django_capture_on_commit_callbacks(execute=True):
            payout_batch_mark_paid(
                batch=batch,
                acting_membership=finance,
                confirmations=[
                    PaymentConfirmation(cast.a.partners["p1"].pk, "TRX-2026-0042", datetime.date(2026, 12, 5))
                ],
            )
        return batch.payments.get(partner=cast.a.partners["p1"])


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_statement_shows_branding_batch_lines_by_source_and_totals(cast, paid):
    response = cast.a.client("p1_admin").get(f"/finance/remittances/{paid.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _text(b"".join(response.streaming_content))
    for expected in (
        "Acme Industrial",
        "Remittance statement",
        paid.batch.reference,
        "D100 Northwind Distribution",
        "TRX-2026-0042",
        "2026-12-05",
        "Test claim line",
        "Test rebate",
        "CL-7/1",
        "CL-7/2",
        "RB-2026Q1",
        "Pumps for ACME",
        "Subtotal Test claim line",
        "$60.00",
        "$25.50",
        "Total paid: $85.50",
    ):
        assert expected in text, expected
    assert (
        text.index("Test claim line")
        < text.index("CL-7/1")
        < text.index("Test rebate")
        < text.index("RB-2026Q1")
    )


def test_the_partner_is_notified_and_rendering_again_does_nothing(cast, paid):
    with cast.a.context():
        note = Notification.objects.get(recipient=cast.a.users["p1_admin"], verb="remittance.ready")
        assert note.url == f"/finance/remittances/{paid.pk}/"
        first = PayoutPayment.objects.get(pk=paid.pk).statement_path
        assert remittance_statements_render([paid.pk]) == 0
        assert PayoutPayment.objects.get(pk=paid.pk).statement_path == first
        assert Notification.objects.filter(verb="remittance.ready").count() == 1


def test_who_may_download_a_statement(cast, paid):
    url = f"/finance/remittances/{paid.pk}/"
    assert cast.a.client("finance").get(url).status_code == 200
    assert cast.a.client("admin").get(url).status_code == 200
    assert cast.a.client("p2_admin").get(url).status_code == 404
    assert cast.a.client("p1_user").get(url).status_code == 403
    assert cast.a.client("manager").get(url).status_code == 403
    assert cast.b.client("admin").get(url).status_code == 404
    assert cast.a.client().get(url).status_code == 302
    listing = cast.a.client("p1_admin").get("/finance/remittances/").content.decode()
    assert "TRX-2026-0042" in listing and 'data-testid="remittance-pdf"' in listing
    assert "TRX-2026-0042" not in cast.a.client("p2_admin").get("/finance/remittances/").content.decode()
