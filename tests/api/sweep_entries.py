"""Sweep entries of the API app: the key back office (session pages) and every REST endpoint
(``api=True``: swept with keys by tests/api/test_api_url_sweep.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from claims.services.claims import claim_approve
from deals.models import DirectOpportunity
from posdata.models import Upload
from prm.finance.models import FxRate, PayoutBatch
from prm.jobs.services import job_create
from tests.api.conftest import issue
from tests.api.helpers import offered_lead
from tests.claims.helpers import agreement, line, submit
from tests.deals.helpers import register
from tests.funds.helpers import scene
from tests.rebates.sweep_entries import _accrual
from tests.sweep import Entry


def _key(cast):
    return {"pk": issue(cast.a, name="Swept key").key.pk}


def _partner(cast):
    return {"pk": cast.a.partners["p1"].pk}


def _product(cast):
    return {"pk": cast.a.partners["product"].pk}


def _deal(cast):
    return {"pk": register(cast, "p1_user").pk}


def _lead(cast):
    return {"pk": offered_lead(cast).pk}


def _opportunity(cast):
    opportunity = DirectOpportunity.objects.create(
        reference="CRM-1",
        customer_name="Direct Co",
        customer_name_normalised="direct",
        country="US",
        product_lines=["pumps"],
        currency="USD",
    )
    return {"reference": opportunity.reference}


def _upload(cast):
    upload = Upload.objects.create(
        partner=cast.a.partners["p1"], path="tenants/none/x.csv", format="csv", checksum="0" * 64
    )
    return {"pk": upload.pk}


def _job(cast):
    job = job_create(
        kind="api:pos_upload", acting_user=cast.a.users["p1_user"], partner=cast.a.partners["p1"]
    )
    return {"pk": job.pk}


def _agreement(cast):
    return {"pk": agreement(cast).pk}


def _claim(cast):
    agreement(cast)
    return {"pk": submit(cast, [line()]).pk}


def _fund_account(cast):
    return {"pk": scene(cast)["account"].pk}


def _fund_request(cast):
    return {"pk": scene(cast)["request"].pk}


def _payable(cast):
    agreement(cast)
    claim = claim_approve(claim=submit(cast, [line()]), acting_membership=cast.a.memberships["manager"])
    return {"pk": claim.payable_id}


def _batch(cast):
    return {"pk": PayoutBatch.objects.create(currency="USD", created_by=cast.a.users["finance"]).pk}


def _rate(cast):
    rate = FxRate.objects.create(
        base_currency="EUR",
        quote_currency="USD",
        rate_date=datetime.date(2026, 11, 1),
        rate=Decimal("1.1"),
        source="ECB",
    )
    return {"pk": rate.pk}


def _api(kwargs=None, methods=("GET",), partner_owned=False) -> Entry:
    return Entry(kwargs=kwargs, methods=methods, partner_owned=partner_owned, api=True)


def _actions(resource: str, kwargs, actions: tuple[str, ...]) -> dict[str, Entry]:
    return {
        f"api:v1:{resource}-{action}": _api(kwargs, methods=("POST",), partner_owned=True)
        for action in actions
    }


ENTRIES = {
    "api_keys:list": Entry(),
    "api_keys:create": Entry(methods=("GET", "POST")),
    "api_keys:rotate": Entry(kwargs=_key, methods=("POST",)),
    "api_keys:revoke": Entry(kwargs=_key, methods=("POST",)),
    "api:schema": Entry(public=True),
    "api:docs": Entry(public=True),
    "api:v1:partner-list": _api(),
    "api:v1:partner-detail": _api(_partner, partner_owned=True),
    "api:v1:product-list": _api(),
    "api:v1:product-detail": _api(_product),
    "api:v1:deal-list": _api(methods=("GET", "POST")),
    "api:v1:deal-detail": _api(_deal, partner_owned=True),
    **_actions("deal", _deal, ("submit", "start-review", "approve", "reject", "request-info", "won", "lost")),
    "api:v1:lead-list": _api(methods=("GET", "POST")),
    "api:v1:lead-detail": _api(_lead, partner_owned=True),
    **_actions("lead", _lead, ("route", "accept", "decline")),
    "api:v1:opportunity-list": _api(),
    # PUT is an upsert: another tenant's key naming the same reference creates its own
    # (tests/api/test_leads_api.py); the sweep reads it.
    "api:v1:opportunity-detail": _api(_opportunity),
    "api:v1:pos-upload-list": _api(methods=("GET", "POST")),
    "api:v1:pos-upload-detail": _api(_upload, partner_owned=True),
    "api:v1:pos-upload-errors": _api(_upload, partner_owned=True),
    "api:v1:job-list": _api(),
    "api:v1:job-detail": _api(_job, partner_owned=True),
    "api:v1:agreement-list": _api(),
    "api:v1:agreement-detail": _api(_agreement, partner_owned=True),
    "api:v1:claim-list": _api(methods=("GET", "POST")),
    "api:v1:claim-detail": _api(_claim, partner_owned=True),
    "api:v1:claim-lines": _api(_claim, partner_owned=True),
    "api:v1:claim-approve": _api(_claim, methods=("POST",), partner_owned=True),
    "api:v1:rebate-statement-list": _api(),
    "api:v1:rebate-statement-detail": _api(_accrual, partner_owned=True),
    "api:v1:fund-account-list": _api(),
    "api:v1:fund-account-detail": _api(_fund_account, partner_owned=True),
    "api:v1:fund-request-list": _api(methods=("GET", "POST")),
    "api:v1:fund-request-detail": _api(_fund_request, partner_owned=True),
    "api:v1:fund-request-submit": _api(_fund_request, methods=("POST",), partner_owned=True),
    "api:v1:payable-list": _api(),
    "api:v1:payable-detail": _api(_payable, partner_owned=True),
    # Batches are finance's (partner keys get 403 whatever the batch); another tenant's key 404.
    "api:v1:payout-batch-list": _api(),
    "api:v1:payout-batch-detail": _api(_batch),
    "api:v1:payout-batch-mark-paid": _api(_batch, methods=("POST",)),
    "api:v1:fx-rate-list": _api(methods=("GET", "POST")),
    "api:v1:fx-rate-detail": _api(_rate),
}
