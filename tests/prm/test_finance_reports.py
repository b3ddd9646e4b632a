"""Finance reports: accrued vs approved vs paid by quarter, source and partner (converted into
the base currency), the open liability by age, and a reconciliation that catches broken rows."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection

from prm.finance.batches import payout_batch_approve, payout_batch_create
from prm.finance.models import FxRate, Payable, PayoutBatchLine, PayoutPayment
from prm.finance.reports import (
    aging_report,
    reconciliation_report,
    register_reconciliation_source,
    unregister_reconciliation_source,
)
from tests.prm.finance_helpers import SOURCE, fake_source, make_payable, payout_details, second_finance  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(cast, fake_source):  # noqa: F811
    """P1: 100 USD due in Q1 (approved in a batch), 50 EUR due in Q2 (open). P2: 30 USD due in Q2."""
    payout_details(cast.a, "p1")
    with cast.a.context():
        FxRate.objects.create(
            base_currency="EUR",
            quote_currency="USD",
            rate_date=datetime.date(2026, 1, 1),
            rate=Decimal("1.20"),
            source="ECB",
        )
    make_payable(cast.a, source_id="A", amount="100.00", due_date=datetime.date(2026, 2, 15))
    with cast.a.context():
        batch = payout_batch_create(acting_membership=cast.a.memberships["finance"], currency="USD")
        payout_batch_approve(batch=batch, acting_membership=second_finance(cast.a))
    make_payable(cast.a, source_id="B", amount="50.00", currency="EUR", due_date=datetime.date(2026, 5, 1))
    make_payable(cast.a, "p2", source_id="C", amount="30.00", due_date=datetime.date(2026, 6, 30))
    return batch


def test_accrued_approved_and_paid_by_quarter_source_and_partner(cast, ledger):
    response = cast.a.client("finance").get("/finance/reports/")
    assert response.status_code == 200
    report = response.context["report"]
    quarters = {row.key: {k: [m.amount for m in v] for k, v in row.values.items()} for row in report.quarters}
    assert quarters == {
        "2026-Q1": {"accrued": [Decimal("100.00")], "approved": [Decimal("100.00")], "paid": []},
        "2026-Q2": {"accrued": [Decimal("90.00")], "approved": [], "paid": []},  # 50 EUR x 1.2 + 30
    }
    partners = {row.label: row.values["accrued"][0].amount for row in report.partners}
    assert partners == {
        "D100 Northwind Distribution": Decimal("160.00"),
        "D200 Contoso Supply": Decimal("30.00"),
    }
    assert [row.label for row in report.sources] == ["Test claim line"]
    chart = json.loads(
        response.content.decode()
        .split('id="finance-report-data" type="application/json">')[1]
        .split("</script>")[0]
    )
    assert chart["labels"] == ["2026-Q1", "2026-Q2"] and chart["series"][0]["values"] == ["100.00", "90.00"]
    assert "<script>" not in response.content.decode()  # data only: no inline code


def test_only_finance_and_admins_see_the_reports(cast, ledger):
    for who in ("finance", "admin"):
        assert cast.a.client(who).get("/finance/reports/").status_code == 200
        assert cast.a.client(who).get("/finance/reports/reconciliation/").status_code == 200
    for who in ("manager", "p1_admin", "p1_user"):
        assert cast.a.client(who).get("/finance/reports/").status_code == 403
        assert cast.a.client(who).get("/finance/reports/reconciliation/").status_code == 403


def test_the_open_liability_by_age(cast, ledger):
    with cast.a.context():
        rows = {
            r["key"]: [m.amount for m in r["totals"]]
            for r in aging_report(Payable.objects.all(), target="USD", today=datetime.date(2026, 6, 15))
        }
    assert rows["not_due"] == [Decimal("30.00")]
    assert rows["31_60"] == [Decimal("60.00")]
    assert rows["61_90"] == [] and rows["over_90"] == [Decimal("100.00")]
    assert rows["all"] == [Decimal("190.00")]


def test_a_balanced_ledger_reconciles(cast, ledger):
    html = cast.a.client("finance").get("/finance/reports/reconciliation/").content.decode()
    assert 'data-testid="balanced"' in html


def test_reconciliation_names_each_deliberately_broken_row(cast, ledger):
    with cast.a.context():
        line = PayoutBatchLine.objects.get(batch=ledger)
        PayoutBatchLine.objects.filter(pk=line.pk).update(amount=Decimal("99.99"))
        PayoutPayment.objects.filter(batch=ledger).update(amount=Decimal("101.00"))
        stray = Payable.objects.get(source_id="C")
        with connection.cursor() as cursor:  # as a bug or a hand edit in the database would
            cursor.execute("UPDATE prm_payable SET status = 'approved' WHERE id = %s", [stray.pk])
        result = reconciliation_report()
    found = {(d.check, d.reference) for d in result.discrepancies}
    assert found == {
        ("line_vs_payable", f"PAY-{line.payable_id:06d}"),
        ("payment_vs_lines", f"{ledger.reference} / D100"),
        ("payable_vs_batch", stray.reference),
    }
    assert not result.balanced
    html = cast.a.client("finance").get("/finance/reports/reconciliation/").content.decode()
    assert 'data-testid="unbalanced"' in html and stray.reference in html


def test_reconciliation_compares_a_source_ledger_to_the_payables(cast, ledger):
    def sql():
        return (
            "SELECT * FROM (VALUES ('A', 100.00::numeric, 'USD'), ('B', 50.01::numeric, 'EUR'), "
            "('Z', 7.00::numeric, 'USD')) v",
            [],
        )

    register_reconciliation_source(SOURCE, label="Test claims ledger", sql=sql)
    try:
        with cast.a.context():
            result = reconciliation_report()
    finally:
        unregister_reconciliation_source(SOURCE)
    messages = {d.reference: d.message for d in result.discrepancies if d.check == "ledger_vs_payable"}
    assert set(messages) == {f"{SOURCE}:B", f"{SOURCE}:Z", f"{SOURCE}:C"}
    assert "50.01" in messages[f"{SOURCE}:B"] and "no payable" in messages[f"{SOURCE}:Z"]
    assert "has no line" in messages[f"{SOURCE}:C"]
