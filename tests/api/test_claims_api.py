"""Agreements and claims through the API: a distributor's system files the debit memo file and
follows the validation job; the verdicts carry the DOMAIN.md codes; a vendor key approves, which
creates the payable; another partner or tenant sees none of it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from claims.models import Claim
from prm.audit.models import AuditEvent
from prm.finance.models import Payable
from tests.claims.helpers import agreement, line, submit

pytestmark = pytest.mark.django_db

HEADER = "agreement_number,invoice_number,invoice_line,ship_date,sku,quantity,unit_of_measure,end_customer,claimed_unit_debit,resale_price\n"
FILE = (
    HEADER
    + "SPA-1,INV-1,1,2026-06-01,PMP-100,2,EA,Globex Water Utility,20.00,\n"
    + "SPA-1,INV-2,1,2026-06-02,PMP-100,3,EA,Globex Water Utility,25.00,\n"
    + "SPA-9,INV-3,1,2026-06-02,PMP-100,1,EA,Someone,5.00,\n"
)


def _send(client, number="DM-7", content=FILE):
    return client.post(
        "/api/v1/claims/",
        {
            "file": SimpleUploadedFile("claim.csv", content.encode()),
            "number": number,
            "claim_date": "2026-06-30",
        },
    )


def test_a_distributor_files_a_claim_and_reads_the_verdicts(cast, keys, django_capture_on_commit_callbacks):
    with cast.a.context():
        agreement(cast)
    client = keys.client("p1")
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(client)
    assert response.status_code == 202
    accepted = response.json()
    assert (accepted["claim"]["number"], accepted["claim"]["status"]) == ("DM-7", "submitted")
    job = client.get(f"/api/v1/jobs/{accepted['job']}/").json()
    assert job["status"] == "succeeded"
    assert (job["result"]["accepted"], job["result"]["adjusted"], job["result"]["rejected"]) == (1, 1, 1)
    claim = client.get(f"/api/v1/claims/{accepted['claim']['id']}/").json()
    assert (claim["status"], claim["claimed_total"], claim["approved_total"]) == (
        "in_review",
        "120.00",
        "100.00",
    )
    lines = client.get(f"/api/v1/claims/{claim['id']}/lines/").json()["results"]
    assert [(row["line"], row["status"], row["codes"], row["amount"]) for row in lines] == [
        (1, "accepted", [], "40.00"),
        (2, "adjusted", ["DEBIT_EXCEEDS_ALLOWED"], "60.00"),
        (3, "rejected", ["UNKNOWN_AGREEMENT"], "0.00"),
    ]
    assert lines[1]["allowed_unit_debit"] == "20.0000"


def test_the_same_debit_memo_twice_is_refused(cast, keys, django_capture_on_commit_callbacks):
    with cast.a.context():
        agreement(cast)
    with django_capture_on_commit_callbacks(execute=True):
        assert _send(keys.client("p1")).status_code == 202
    again = _send(keys.client("p1"))
    assert again.status_code == 422 and "already submitted" in again.json()["detail"]


def test_a_vendor_key_cannot_file_a_claim_but_approves_one(cast, keys):
    assert _send(keys.client("manager")).status_code == 403
    with cast.a.context():
        agreement(cast)
        claim = submit(cast, [line()])
    assert keys.client("p1").post_json(f"/api/v1/claims/{claim.pk}/approve/").status_code == 403
    approved = keys.client("manager").post_json(f"/api/v1/claims/{claim.pk}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    with cast.a.context():
        payable = Payable.objects.get(source_type="claim", source_id=str(claim.pk))
        assert (payable.amount, payable.partner_id) == (40, cast.a.partners["p1"].pk)
        assert str(AuditEvent.objects.get(action="claim.approve").actor) == "API key: CRM"
    assert keys.client("manager").post_json(f"/api/v1/claims/{claim.pk}/approve/").status_code == 409


def test_claims_and_agreements_are_the_partners_own(cast, keys):
    with cast.a.context():
        spa = agreement(cast)
        claim = submit(cast, [line()])
    for url in (
        f"/api/v1/claims/{claim.pk}/",
        f"/api/v1/claims/{claim.pk}/lines/",
        f"/api/v1/agreements/{spa.pk}/",
    ):
        assert keys.client("p1").get(url).status_code == 200
        assert keys.client("p2").get(url).status_code == 404
        assert keys.client("b").get(url).status_code == 404
    assert keys.client("p2").get("/api/v1/claims/").json()["results"] == []


def test_an_agreement_shows_what_remains(cast, keys):
    with cast.a.context():
        spa = agreement(cast, lines=[("PMP-100", "100.00", "80.00", 10, "150.00")])
        submit(cast, [line(quantity=4)])
    body = keys.client("p1").get(f"/api/v1/agreements/{spa.pk}/").json()
    assert (body["number"], body["partner"], body["status"]) == ("SPA-1", "D100", "active")
    assert body["lines"] == [
        {
            "sku": "PMP-100",
            "book_cost": "100.0000",
            "approved_cost": "80.0000",
            "allowed_debit": "20.0000",
            "authorized_quantity": 10,
            "consumed_quantity": 4,
            "remaining_quantity": 6,
            "max_resale_price": "150.0000",
        }
    ]
    with cast.a.context():
        assert Claim.objects.count() == 1
