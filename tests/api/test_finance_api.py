"""Payables, payout batches and exchange rates through the API: partner keys see their partner's
payables as the partner does; the ERP's finance key reads batches and marks payments paid through
the finance service; only keys acting as finance may; rates are entered as new rows."""

from __future__ import annotations

import datetime

import pytest

from prm.audit.models import AuditEvent
from prm.finance.batches import payout_batch_approve, payout_batch_create, payout_batch_export
from prm.finance.models import FxRate, Payable, PayoutBatch
from prm.roles import Role
from tests.api.conftest import ApiClient, issue
from tests.prm.finance_helpers import fake_source, make_payable, payout_details, second_finance  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported(cast, fake_source):  # noqa: F811
    """An exported batch paying P1 100 + 250; P2 is owed too (not batched: no payout details)."""
    payout_details(cast.a, "p1")
    make_payable(cast.a, source_id="A", amount="100.00")
    make_payable(cast.a, source_id="B", amount="250.00")
    make_payable(cast.a, "p2", source_id="C", amount="20.00")
    finance = cast.a.memberships["finance"]
    with cast.a.context():
        batch = payout_batch_create(acting_membership=finance, currency="USD")
        batch = payout_batch_approve(batch=batch, acting_membership=second_finance(cast.a))
        return payout_batch_export(batch=batch, acting_membership=finance)


def test_partner_keys_see_their_partners_payables_as_the_partner_does(cast, keys, exported):
    rows = keys.client("p1").get("/api/v1/payables/").json()["results"]
    assert [(r["source_id"], r["amount"], r["status"]) for r in rows] == [
        ("A", "100.00", "open"),
        ("B", "250.00", "open"),
    ]
    vendor = keys.client("vendor").get("/api/v1/payables/?partner=D100").json()["results"]
    assert {r["status"] for r in vendor} == {"exported"}
    other = keys.client("p2").get("/api/v1/payables/").json()["results"]
    assert [r["source_id"] for r in other] == ["C"]
    with cast.a.context():
        p1_payable = Payable.objects.get(source_id="A")
    assert keys.client("p2").get(f"/api/v1/payables/{p1_payable.pk}/").status_code == 404
    assert keys.client("b").get("/api/v1/payables/").json()["results"] == []


def test_the_erp_marks_payments_paid_through_the_finance_service(cast, keys, exported):
    client = keys.client("finance")
    batch = client.get(f"/api/v1/payout-batches/{exported.pk}/").json()
    assert (batch["status"], batch["payments"][0]["partner"], batch["payments"][0]["amount"]) == (
        "exported",
        "D100",
        "350.00",
    )
    response = client.post_json(
        f"/api/v1/payout-batches/{exported.pk}/mark-paid/",
        {"payments": [{"partner": "D100", "reference": "BANK-77", "paid_on": "2026-12-01"}]},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "paid"
    assert (body["payments"][0]["payment_reference"], body["payments"][0]["paid_on"]) == (
        "BANK-77",
        "2026-12-01",
    )
    assert {r["status"] for r in keys.client("p1").get("/api/v1/payables/").json()["results"]} == {"paid"}
    with cast.a.context():
        event = AuditEvent.objects.get(action="payout_batch.paid", object_id=str(exported.pk))
    assert str(event.actor) == "API key: Payments"


def test_only_a_finance_key_marks_paid_and_a_wrong_partner_is_400(cast, keys, exported):
    url = f"/api/v1/payout-batches/{exported.pk}/mark-paid/"
    paid = {"payments": [{"partner": "D100", "reference": "BANK-1", "paid_on": "2026-12-01"}]}
    assert keys.client("vendor").post_json(url, paid).status_code == 403  # vendor admin reads, does not pay
    assert keys.client("p1").post_json(url, paid).status_code == 403
    reader = issue(cast.a, name="Finance reader", role=Role.FINANCE, scopes=["payables:read"])
    assert ApiClient(cast.a.host, reader.token).post_json(url, paid).status_code == 403
    held = keys.client("finance").post_json(
        url, {"payments": [{"partner": "D200", "reference": "X", "paid_on": "2026-12-01"}]}
    )
    assert held.status_code == 422 and "not paid in this batch" in held.json()["detail"]  # held back
    unknown = keys.client("finance").post_json(
        url, {"payments": [{"partner": "ZZZ", "reference": "X", "paid_on": "2026-12-01"}]}
    )
    assert unknown.status_code == 400 and "ZZZ" in unknown.json()["detail"]
    with cast.a.context():
        assert PayoutBatch.objects.get(pk=exported.pk).status == PayoutBatch.Status.EXPORTED


def test_batches_are_for_finance_and_vendor_admins(cast, keys, exported):
    assert keys.client("vendor").get("/api/v1/payout-batches/").status_code == 200
    assert keys.client("manager").get("/api/v1/payout-batches/").status_code == 403
    assert keys.client("p1").get(f"/api/v1/payout-batches/{exported.pk}/").status_code == 403
    assert keys.client("b").get(f"/api/v1/payout-batches/{exported.pk}/").status_code == 404


def test_a_finance_key_enters_exchange_rates(cast, keys):
    client = keys.client("finance")
    created = client.post_json(
        "/api/v1/fx-rates/",
        {
            "base_currency": "eur",
            "quote_currency": "USD",
            "rate_date": "2026-11-30",
            "rate": "1.0842",
            "source": "ECB",
        },
    )
    assert created.status_code == 201
    assert (created.json()["base_currency"], created.json()["rate"]) == ("EUR", "1.084200000000")
    same = client.post_json(
        "/api/v1/fx-rates/",
        {
            "base_currency": "EUR",
            "quote_currency": "EUR",
            "rate_date": "2026-11-30",
            "rate": "1",
            "source": "x",
        },
    )
    assert same.status_code == 422
    rows = client.get("/api/v1/fx-rates/?base_currency=EUR").json()["results"]
    assert [r["source"] for r in rows] == ["ECB"]
    assert keys.client("manager").get("/api/v1/fx-rates/").status_code == 403  # channel managers see no rates
    with cast.a.context():
        rate = FxRate.objects.get()
        assert rate.created_by == keys.key("finance").service_user
        assert rate.rate_date == datetime.date(2026, 11, 30)
