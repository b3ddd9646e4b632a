"""Claims and agreements pages through the client for every role: allowed, 403, other partner
and other tenant 404, anonymous to login; query counts do not grow with lines."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Claim, ClaimLine, PricingAgreement
from prm.finance.models import Payable
from tests.claims.helpers import agreement, line, submit

pytestmark = pytest.mark.django_db


def _claim(cast, lines=None, number="DM-1"):
    with cast.a.context():
        if not PricingAgreement.objects.exists():
            agreement(cast)
        return submit(cast, lines or [line()], number=number)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("manager", 200),
        ("finance", 200),
        ("marketing", 403),
        ("p1_admin", 200),
        ("p1_user", 200),
    ],
)
def test_claim_list_by_role(cast, who, status):
    claim = _claim(cast)
    response = cast.a.client(who).get(reverse("claims:list"))
    assert response.status_code == status
    if status == 200:
        assert claim.number in response.content.decode()


def test_other_partner_and_other_tenant_get_404_and_anonymous_goes_to_login(cast):
    claim = _claim(cast)
    url = reverse("claims:detail", args=[claim.pk])
    assert cast.a.client("p2_user").get(url).status_code == 404
    assert cast.a.client("p2_user").get(reverse("claims:list")).content.decode().count(claim.number) == 0
    assert cast.b.client("admin").get(url).status_code == 404
    response = cast.a.client().get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_partner_sees_verdicts_with_plain_explanations_and_can_filter_by_code(cast):
    claim = _claim(cast, [line(), line(invoice_line="2", sku="ZZZ")])
    client = cast.a.client("p1_user")
    body = client.get(reverse("claims:detail", args=[claim.pk])).content.decode()
    assert "SKU_NOT_ON_AGREEMENT" in body and "This product is not covered by the agreement." in body
    filtered = client.get(
        reverse("claims:detail", args=[claim.pk]), {"code": "SKU_NOT_ON_AGREEMENT"}
    ).content.decode()
    assert 'data-testid="claim-line-2"' in filtered and 'data-testid="claim-line-1"' not in filtered


def test_claim_page_queries_do_not_grow_with_lines(cast):
    small = _claim(cast, [line(invoice_line=str(i)) for i in range(1, 3)], number="DM-S")
    big = _claim(
        cast,
        [line(invoice_number="B", invoice_line=str(i), quantity="1") for i in range(1, 21)],
        number="DM-B",
    )
    client = cast.a.client("manager")
    counts = []
    for claim in (small, big):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("claims:detail", args=[claim.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_claim_waiting_for_an_earlier_one_says_which(cast):
    with cast.a.context():
        agreement(cast)
        submit(cast, [line(invoice_number="INV-A")], number="DM-A", validate=False)
        later = submit(cast, [line(invoice_number="INV-B")], number="DM-B")  # its validation waits
    body = cast.a.client("p1_user").get(reverse("claims:detail", args=[later.pk])).content.decode()
    assert 'data-testid="job-waiting"' in body and "Waiting for DM-A to be done first." in body


def test_partner_uploads_a_file_and_is_sent_to_the_claim(cast):
    with cast.a.context():
        agreement(cast)
    data = (
        b"agreement_number,invoice_number,invoice_line,ship_date,sku,quantity,unit_of_measure,end_customer,"
        b"claimed_unit_debit,resale_price\nSPA-1,INV-1,1,2026-06-01,PMP-100,2,EA,Globex Water Utility,20,\n"
    )
    upload = io.BytesIO(data)
    upload.name = "claim.csv"
    response = cast.a.client("p1_user").post(
        reverse("claims:new"), {"number": "DM-U", "claim_date": "2026-06-30", "file": upload}
    )
    assert response.status_code == 302
    with cast.a.context():
        claim = Claim.objects.get(number="DM-U")
        assert response["Location"] == reverse("claims:detail", args=[claim.pk])
        assert claim.source == "file" and claim.job is not None


def test_portal_lines_and_resubmission_prefill(cast, django_capture_on_commit_callbacks):
    claim = _claim(cast, [line(end_customer="Wrong Co")])
    with cast.a.context():
        rejected = claim.lines.get()
    client = cast.a.client("p1_user")
    page = client.get(reverse("claims:enter"), {"resubmit": rejected.pk}).content.decode()
    assert f'value="{rejected.pk}"' in page and "Wrong Co" in page
    form = {
        "number": "DM-R",
        "claim_date": "2026-06-30",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
    }
    form.update({f"lines-0-{k}": v for k, v in line().items()})
    form["lines-0-resubmission_of"] = str(rejected.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("claims:enter"), form)
    assert response.status_code == 302
    with cast.a.context():
        resubmitted = ClaimLine.objects.get(claim__number="DM-R")
        assert (resubmitted.resubmission_of_id, resubmitted.status) == (rejected.pk, "accepted")


def test_manager_overrides_and_approves_through_the_pages(cast):
    claim = _claim(cast, [line(), line(invoice_line="2", end_customer="Other")])
    with cast.a.context():
        second = claim.lines.get(line=2)
    client = cast.a.client("manager")
    client.post(reverse("claims:line_override", args=[second.pk]), {"verdict": "accept", "reason": "Checked"})
    client.post(reverse("claims:approve", args=[claim.pk]))
    client.post(reverse("claims:approve", args=[claim.pk]))
    with cast.a.context():
        claim.refresh_from_db()
        assert claim.status == "approved"
        assert Payable.objects.get().amount == claim.approved_total
    assert cast.a.client("p1_user").post(reverse("claims:approve", args=[claim.pk])).status_code == 403


def test_response_file_lists_each_code_with_its_x12_code(cast):
    claim = _claim(cast, [line(), line(invoice_line="2", agreement_number="NOPE")])
    response = cast.a.client("p1_user").get(reverse("claims:response", args=[claim.pk]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = [r.split(",") for r in body.strip().splitlines()]
    assert rows[0][-3:] == ["code", "x12_901", "explanation"]
    assert rows[2][10:12] == ["UNKNOWN_AGREEMENT", "11"]


@pytest.mark.parametrize(("who", "status"), [("manager", 200), ("p1_admin", 403), ("finance", 403)])
def test_agreement_form_by_role(cast, who, status):
    assert cast.a.client(who).get(reverse("claims:agreement_new")).status_code == status


def test_manager_creates_an_agreement_and_the_distributor_sees_consumed_and_remaining(cast):
    form = {
        "number": "SPA-9",
        "partner": cast.a.partners["p1"].pk,
        "end_customer": "Globex",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-sku": "PMP-100",
        "lines-0-book_cost": "100",
        "lines-0-approved_cost": "80",
        "lines-0-authorized_quantity": "10",
    }
    response = cast.a.client("manager").post(reverse("claims:agreement_new"), form)
    assert response.status_code == 302
    with cast.a.context():
        spa = PricingAgreement.objects.get(number="SPA-9")
        submit(cast, [line(agreement_number="SPA-9", end_customer="Globex", quantity="4")])
    page = cast.a.client("p1_user").get(reverse("claims:agreement_detail", args=[spa.pk])).content.decode()
    assert 'data-testid="consumed">4<' in page and 'data-testid="remaining">6<' in page
    assert cast.a.client("p2_user").get(reverse("claims:agreement_detail", args=[spa.pk])).status_code == 404
