"""Every event fires from the one service function of its transition, once it commits, with the
resource's key fields (docs/webhooks.md); a rolled-back transaction sends nothing; publishing the
same occurrence again (a re-run job, a second call of an idempotent service) sends nothing twice."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from claims.services.claims import claim_approve, claim_validate_run
from deals.models import Lead
from deals.services.leads import lead_accept, lead_create
from deals.services.outcome import registration_expire
from deals.services.review import registration_approve
from partners.models import Partner
from partners.services.lifecycle import partner_change_tier
from prm.events import UnknownEvent, publish
from prm.finance.batches import payout_batch_approve, payout_batch_create, payout_batch_export
from prm.webhooks.models import WebhookDelivery, WebhookEvent
from tests.claims.helpers import agreement, line, submit
from tests.deals.helpers import register
from tests.partners import helpers as partner_helpers
from tests.posdata.helpers import catalog, load, write  # noqa: F401
from tests.prm.finance_helpers import fake_source, make_payable, payout_details, second_finance  # noqa: F401
from tests.webhooks.helpers import Receiver, register_endpoint

pytestmark = pytest.mark.django_db


def _one(receiver, secret, event_type: str) -> dict:
    """The single delivery of ``event_type``, verified; its envelope checked; its data returned."""
    (request,) = receiver.of_type(event_type)
    payload = request.verified(secret)
    assert set(payload) == {"id", "type", "tenant", "occurred_at", "data"}
    assert payload["type"] == event_type and payload["tenant"] == "acme"
    assert payload["id"] == request.headers["webhook-id"] and payload["occurred_at"].endswith("Z")
    return payload["data"]


@pytest.fixture
def run(django_capture_on_commit_callbacks, cast):
    """Run a service call in tenant A with its on-commit work (the deliveries) done."""

    def call(action):
        with cast.a.context(), django_capture_on_commit_callbacks(execute=True):
            return action()

    return call


def test_deal_submitted(cast, receiver, hook, run):
    _endpoint, secret = hook
    registration = run(lambda: register(cast))
    data = _one(receiver, secret, "deal.submitted")
    assert data["id"] == registration.pk and data["reference"] == registration.reference
    assert data["status"] == "submitted" and data["partner"] == {
        "id": cast.a.partners["p1"].pk,
        "code": "D100",
    }
    assert (data["customer_name"], data["country"], data["value"], data["currency"]) == (
        "Acme Inc.",
        "US",
        "1000.00",
        "USD",
    )
    assert data["resubmission"] is False and data["conflict"] == "none"


def test_deal_approved(cast, receiver, hook, run):
    _endpoint, secret = hook
    registration = run(lambda: register(cast))
    run(
        lambda: registration_approve(
            registration=registration, acting_membership=cast.a.memberships["manager"], protection_days=30
        )
    )
    data = _one(receiver, secret, "deal.approved")
    assert data["id"] == registration.pk and data["status"] == "approved"
    assert data["protection_until"] == (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    assert data["approved_at"].endswith("Z") and Decimal(data["discount_pct"]) >= 0


def test_deal_expired(cast, receiver, hook, run):
    _endpoint, secret = hook
    registration = run(lambda: register(cast))
    run(
        lambda: registration_approve(
            registration=registration, acting_membership=cast.a.memberships["manager"], protection_days=10
        )
    )
    with time_machine.travel(timezone.now() + datetime.timedelta(days=11), tick=False):
        assert run(lambda: registration_expire(registration=registration)) is True
        data = _one(receiver, secret, "deal.expired")
    assert data["id"] == registration.pk and data["status"] == "expired"


def _lead(cast) -> Lead:
    defaults = {
        "country": "US",
        "region": "West",
        "tier": "Silver",
        "expertise": ["pumps"],
        "status": "active",
    }
    Partner.objects.filter(pk=cast.a.partners["p1"].pk).update(**defaults)
    Partner.objects.filter(pk=cast.a.partners["p2"].pk).update(
        **{**defaults, "country": "CA", "region": "Canada"}
    )
    return lead_create(
        acting_membership=cast.a.memberships["manager"],
        data={
            "company": "Prospect Ltd",
            "country": "US",
            "region": "West",
            "product_interest": "pumps",
            "value": "5000",
            "reference": "CRM-77",
        },
    )


def test_lead_offered(cast, receiver, hook, run):
    _endpoint, secret = hook
    lead = run(lambda: _lead(cast))
    data = _one(receiver, secret, "lead.offered")
    assert data["id"] == lead.pk and data["status"] == "offered" and data["company"] == "Prospect Ltd"
    assert data["partner"]["code"] == "D100" and data["value"] == "5000.00"
    with cast.a.context():
        assert data["offer"]["id"] == lead.assignments.get().pk and data["offer"]["due_at"].endswith("Z")
    assert "contact_email" not in data  # no personal contact details in events


def test_lead_accepted(cast, receiver, hook, run):
    _endpoint, secret = hook
    lead = run(lambda: _lead(cast))
    registration = run(lambda: lead_accept(lead=lead, acting_membership=cast.a.memberships["p1_user"]))
    data = _one(receiver, secret, "lead.accepted")
    assert data["id"] == lead.pk and data["status"] == "accepted" and data["partner"]["code"] == "D100"
    assert data["registration"] == {"id": registration.pk, "reference": registration.reference}


def _validated_claim(cast):
    agreement(cast)
    return submit(cast, [line(quantity="3"), line(invoice_line="2", quantity="1", claimed_unit_debit="50")])


def test_claim_validated(cast, receiver, hook, run):
    _endpoint, secret = hook
    claim = run(lambda: _validated_claim(cast))
    data = _one(receiver, secret, "claim.validated")
    assert data["id"] == claim.pk and data["number"] == "DM-1" and data["status"] == "in_review"
    assert (data["lines"], data["accepted"], data["adjusted"], data["rejected"]) == (2, 1, 1, 0)
    assert (data["claimed_total"], data["approved_total"], data["currency"]) == ("110.00", "80.00", "USD")


def test_claim_approved_and_its_payable_created(cast, receiver, hook, run):
    _endpoint, secret = hook
    claim = run(lambda: _validated_claim(cast))
    claim = run(lambda: claim_approve(claim=claim, acting_membership=cast.a.memberships["manager"]))
    data = _one(receiver, secret, "claim.approved")
    assert data["id"] == claim.pk and data["status"] == "approved" and data["approved_total"] == "80.00"
    assert data["payable"]["id"] == claim.payable_id
    payable = _one(receiver, secret, "payable.created")
    assert payable["id"] == claim.payable_id and (payable["source_type"], payable["source_id"]) == (
        "claim",
        str(claim.pk),
    )
    assert (payable["amount"], payable["currency"], payable["partner"]["code"]) == ("80.00", "USD", "D100")


def test_payable_created_once_however_often_its_source_asks(cast, receiver, hook, run, fake_source):  # noqa: F811
    _endpoint, secret = hook
    first, created = run(lambda: make_payable(cast.a, source_id="L-1", amount="-12.50"))
    again, created_again = run(lambda: make_payable(cast.a, source_id="L-1", amount="-12.50"))
    assert created and not created_again and first.pk == again.pk
    data = _one(receiver, secret, "payable.created")
    assert data["amount"] == "-12.50" and data["due_date"] == "2026-12-31" and data["status"] == "open"


def test_batch_exported(cast, receiver, run, fake_source):  # noqa: F811
    _endpoint, secret = register_endpoint(cast.a, receiver.url(), events=["batch.exported"])
    payout_details(cast.a, "p1")
    make_payable(cast.a, source_id="A", amount="100.00")
    make_payable(cast.a, source_id="B", amount="250.00")
    checker = second_finance(cast.a)
    finance = cast.a.memberships["finance"]

    def export():
        batch = payout_batch_create(acting_membership=finance, currency="USD")
        batch = payout_batch_approve(batch=batch, acting_membership=checker)
        return payout_batch_export(batch=batch, acting_membership=finance)

    batch = run(export)
    data = _one(receiver, secret, "batch.exported")
    assert data["id"] == batch.pk and data["reference"] == batch.reference and data["status"] == "exported"
    assert (data["currency"], data["total"], data["partners"], data["lines"]) == ("USD", "350.00", 1, 2)
    assert data["exported_at"].endswith("Z")


def test_partner_tier_changed(cast, receiver, run):
    with cast.a.context():
        program = partner_helpers.program_with_partners(cast)
        gold = partner_helpers.tier(program, "Gold")
    _endpoint, secret = register_endpoint(cast.a, receiver.url(), events=["partner.tier_changed"])
    run(
        lambda: partner_change_tier(
            partner=cast.a.partners["p1"],
            tier=gold,
            acting_membership=cast.a.memberships["admin"],
            reason="Strategic",
        )
    )
    data = _one(receiver, secret, "partner.tier_changed")
    assert (data["id"], data["code"]) == (cast.a.partners["p1"].pk, "D100")
    assert data["from_tier"]["name"] == "Registered" and data["to_tier"] == {
        "id": gold.pk,
        "name": "Gold",
        "rank": gold.rank,
    }
    assert data["reason"] == "Strategic" and data["change"] == "partner.tier_change"


def test_pos_upload_completed(cast, receiver, hook, catalog, tmp_path, django_capture_on_commit_callbacks):  # noqa: F811
    _endpoint, secret = hook
    path = write(
        tmp_path,
        "invoice_number,invoice_date,sku,quantity,unit_price\nINV-1,2026-01-05,PMP-100,2,100.00\nINV-2,2026-01-06,NOPE,1,5\n",
    )
    with django_capture_on_commit_callbacks(execute=True):
        upload, _summary = load(cast.a, "p1", path)
    data = _one(receiver, secret, "pos_upload.completed")
    assert data["id"] == upload.pk and data["partner"]["code"] == "D100" and data["kind"] == "pos"
    assert (data["status"], data["rows_read"], data["rows_loaded"], data["rows_rejected"]) == (
        "loaded",
        2,
        1,
        1,
    )
    assert (data["quantity_total"], data["amount_total"], data["currency"]) == (2, "200.00", "USD")


def test_a_re_run_claim_validation_sends_nothing_twice(cast, receiver, hook, run):
    _endpoint, _secret = hook
    claim = run(lambda: _validated_claim(cast))
    run(lambda: claim_validate_run(claim.job))  # a redelivered job
    assert len(receiver.of_type("claim.validated")) == 1


def test_the_same_occurrence_published_twice_is_one_event_and_one_delivery_per_endpoint(
    cast, receiver, hook, run
):
    _endpoint, _secret = hook
    data = {"id": 7, "reference": "PAY-000007"}
    run(
        lambda: [
            publish(cast.a.tenant, "payable.created", data),
            publish(cast.a.tenant, "payable.created", data),
        ]
    )
    run(lambda: publish(cast.a.tenant, "payable.created", data))
    with cast.a.context():
        assert WebhookEvent.objects.count() == 1 and WebhookDelivery.objects.count() == 1
    assert len(receiver.requests) == 1
    run(lambda: publish(cast.a.tenant, "payable.created", data, key="7:again"))  # another occurrence
    assert len(receiver.requests) == 2


def test_an_unknown_event_name_is_a_programming_error(cast):
    with cast.a.context(), pytest.raises(UnknownEvent):
        publish(cast.a.tenant, "deal.approve", {"id": 1})


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_sends_nothing(cast, loopback):
    """Real commits here: the approval's transaction is rolled back by an error after it, and no
    event row, delivery or request remains; the same approval committed is delivered."""
    receiver = Receiver().start()
    try:
        _endpoint, secret = register_endpoint(cast.a, receiver.url(), events=["deal.approved"])
        with cast.a.context():
            registration = register(cast)
            manager = cast.a.memberships["manager"]
            with pytest.raises(RuntimeError), transaction.atomic():
                registration_approve(registration=registration, acting_membership=manager)
                raise RuntimeError("something after the approval failed")
            assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()
            assert receiver.requests == []
            registration_approve(registration=registration, acting_membership=manager)
        (request,) = receiver.requests
        assert request.verified(secret)["data"]["id"] == registration.pk
    finally:
        receiver.stop()
