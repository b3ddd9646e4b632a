"""Fund pages through the client for every role: allowed, 403, other partner and other tenant
404, anonymous to login; forms reach the services; downloads are attachments; query counts do
not grow with rows."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funds.models import FundClaim, FundRequest, LedgerEntry
from prm.finance.models import Payable
from tests.funds.helpers import allocate, approved, days, fund, period, request, scene, tiers

pytestmark = pytest.mark.django_db
D = Decimal
ROLES = ("admin", "manager", "marketing", "finance", "p1_admin", "p1_user")


@pytest.fixture
def s(cast):
    with cast.a.context():
        return scene(cast)


def _codes(cast, url, method="get", data=None) -> dict[str, int]:
    return {who: getattr(cast.a.client(who), method)(url, data or {}).status_code for who in ROLES}


def test_home_shows_partners_their_balances_and_staff_the_funds(cast, s):
    body = cast.a.client("p1_user").get(reverse("funds:home")).content.decode()
    assert "3,000.00" in body or "3000.00" in body  # 5,000 allocated - 2,000 committed
    assert s["request"].reference in body
    other = cast.a.client("p2_user").get(reverse("funds:home")).content.decode()
    assert s["request"].reference not in other and "Northwind" not in other
    staff = cast.a.client("finance").get(reverse("funds:home")).content.decode()
    assert "SWEEP" in staff


def test_pages_by_role(cast, s):
    assert _codes(cast, reverse("funds:home")) == dict.fromkeys(ROLES, 200)
    assert _codes(cast, reverse("funds:fund_new")) == {
        "admin": 200,
        "manager": 403,
        "marketing": 200,
        "finance": 403,
        "p1_admin": 403,
        "p1_user": 403,
    }
    staff_reports = {
        "admin": 200,
        "manager": 200,
        "marketing": 200,
        "finance": 200,
        "p1_admin": 403,
        "p1_user": 403,
    }
    assert _codes(cast, reverse("funds:fund_detail", args=[s["fund"].pk])) == staff_reports
    assert _codes(cast, reverse("funds:period_detail", args=[s["period"].pk])) == staff_reports
    assert _codes(cast, reverse("funds:dashboard")) == staff_reports
    assert _codes(cast, reverse("funds:request_detail", args=[s["request"].pk])) == dict.fromkeys(ROLES, 200)
    assert _codes(cast, reverse("funds:claim_detail", args=[s["claim"].pk])) == dict.fromkeys(ROLES, 200)
    assert _codes(cast, reverse("funds:account_detail", args=[s["account"].pk])) == dict.fromkeys(ROLES, 200)
    assert _codes(cast, reverse("funds:request_new")) == {
        "admin": 403,
        "manager": 403,
        "marketing": 403,
        "finance": 403,
        "p1_admin": 200,
        "p1_user": 200,
    }
    assert _codes(cast, reverse("funds:delegations")) == {
        "admin": 200,
        "manager": 200,
        "marketing": 200,
        "finance": 403,
        "p1_admin": 403,
        "p1_user": 403,
    }
    assert _codes(cast, reverse("funds:settings")) == {
        "admin": 200,
        "manager": 403,
        "marketing": 200,
        "finance": 403,
        "p1_admin": 403,
        "p1_user": 403,
    }


def test_other_partner_and_other_tenant_get_404_and_anonymous_goes_to_login(cast, s):
    for name in ("request_detail", "claim_detail", "account_detail", "proof_download"):
        key = {
            "request_detail": "request",
            "claim_detail": "claim",
            "account_detail": "account",
            "proof_download": "proof",
        }[name]
        url = reverse(f"funds:{name}", args=[s[key].pk])
        assert cast.a.client("p2_user").get(url).status_code == 404, name
        assert cast.a.client("p2_admin").get(url).status_code == 404, name
        assert cast.b.client("admin").get(url).status_code == 404, name
        response = cast.a.client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert (
        s["request"].reference not in cast.a.client("p2_user").get(reverse("funds:requests")).content.decode()
    )


def test_a_staff_member_cannot_act_as_the_partner_and_a_partner_cannot_decide(cast, s):
    assert (
        cast.a.client("admin").post(reverse("funds:request_cancel", args=[s["request"].pk])).status_code
        == 403
    )
    assert (
        cast.a.client("p1_admin")
        .post(reverse("funds:request_decide", args=[s["request"].pk]), {"action": "approve"})
        .status_code
        == 403
    )
    assert (
        cast.a.client("p1_admin")
        .post(reverse("funds:claim_review", args=[s["claim"].pk]), {"action": "approve"})
        .status_code
        == 403
    )
    assert (
        cast.a.client("finance")
        .post(reverse("funds:claim_review", args=[s["claim"].pk]), {"action": "approve"})
        .status_code
        == 403
    )
    with cast.a.context():
        assert FundClaim.objects.get(pk=s["claim"].pk).status == "submitted"


def test_proof_is_downloaded_as_an_attachment_with_the_type_of_its_bytes(cast, s):
    response = cast.a.client("marketing").get(reverse("funds:proof_download", args=[s["proof"].pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"].startswith("attachment;")
        and "invoice.pdf" in response["Content-Disposition"]
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_partner_requests_funds_through_the_form(cast):
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        allocate(cast, period(cast, f), "5000.00")
    data = {
        "fund": f.pk,
        "activity_type": "webinar",
        "title": "Pump sizing webinar",
        "start_date": days(15).isoformat(),
        "end_date": days(15).isoformat(),
        "estimated_cost": "1000.00",
        "requested_amount": "500.00",
        "expected_leads": "30",
        "submit": "1",
    }
    response = cast.a.client("p1_user").post(reverse("funds:request_new"), data)
    assert response.status_code == 302
    with cast.a.context():
        r = FundRequest.objects.get()
        assert (r.status, r.requested_amount, r.partner_id) == (
            "pending",
            D("500.00"),
            cast.a.partners["p1"].pk,
        )
    late = dict(data, start_date=days(3).isoformat(), end_date=days(3).isoformat())
    body = cast.a.client("p1_user").post(reverse("funds:request_new"), late).content.decode()
    assert "at least 10 days" in body


def test_decisions_through_the_page_two_levels(cast):
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        allocate(cast, period(cast, f), "20000.00")
        r = request(cast, f, estimated_cost=D("16000.00"), requested_amount=D("8000.00"))
    url = reverse("funds:request_decide", args=[r.pk])
    queue = cast.a.client("manager").get(reverse("funds:requests"), {"mine": "1"}).content.decode()
    assert r.reference in queue
    cast.a.client("manager").post(url, {"action": "approve"})
    assert (
        r.reference
        not in cast.a.client("manager").get(reverse("funds:requests"), {"mine": "1"}).content.decode()
    )
    assert (
        r.reference
        in cast.a.client("marketing").get(reverse("funds:requests"), {"mine": "1"}).content.decode()
    )
    response = cast.a.client("marketing").post(url, {"action": "approve"})
    assert response.status_code == 302
    with cast.a.context():
        r.refresh_from_db()
        assert r.status == "approved" and LedgerEntry.objects.get(kind="committed").amount == D("8000.00")
    page = cast.a.client("p1_user").get(reverse("funds:request_detail", args=[r.pk])).content.decode()
    assert "8,000.00" in page or "8000.00" in page


def test_a_refused_decision_shows_the_reason_and_writes_nothing(cast):
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        allocate(cast, period(cast, f), "100.00")
        r = request(cast, f)
    response = cast.a.client("manager").post(
        reverse("funds:request_decide", args=[r.pk]), {"action": "approve"}, follow=True
    )
    assert "Only 100.00 USD is available" in response.content.decode()
    with cast.a.context():
        assert not LedgerEntry.objects.filter(kind="committed").exists()


def test_claim_flow_through_the_pages(cast, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.funds.helpers import CSV, JPEG, PDF, travel

    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        allocate(cast, period(cast, f, end=days(200)), "5000.00")
        r = approved(cast, f)
    travel(monkeypatch, r.end_date + datetime.timedelta(days=3))
    partner = cast.a.client("p1_admin")
    response = partner.post(
        reverse("funds:claim_new", args=[r.pk]),
        {"actual_cost": "3500.00", "leads": "9", "attendees": "80", "impressions": "0"},
    )
    assert response.status_code == 302
    with cast.a.context():
        claim = FundClaim.objects.get()
    url = reverse("funds:proof_upload", args=[claim.pk])
    for requirement, name, content in (
        ("invoice", "inv.pdf", PDF),
        ("photo", "p.jpg", JPEG),
        ("attendees", "a.csv", CSV),
    ):
        partner.post(url, {"requirement": requirement, "file": SimpleUploadedFile(name, content)})
    bad = partner.post(
        url,
        {"requirement": "photo", "file": SimpleUploadedFile("x.jpg", b"<svg onload=alert(1)>")},
        follow=True,
    )
    assert "not accepted" in bad.content.decode()
    partner.post(reverse("funds:claim_submit", args=[claim.pk]))
    review = cast.a.client("marketing").get(reverse("funds:claim_detail", args=[claim.pk])).content.decode()
    assert 'data-testid="formula"' in review
    assert "1,750.00" in review or "1750.00" in review
    cast.a.client("marketing").post(reverse("funds:claim_review", args=[claim.pk]), {"action": "approve"})
    with cast.a.context():
        claim.refresh_from_db()
        assert (claim.status, claim.reimbursement) == ("approved", D("1750.00"))
        assert Payable.objects.get().amount == D("1750.00")
    home = partner.get(reverse("funds:home")).content.decode()
    assert "3,250.00" in home or "3250.00" in home  # 5,000 - 1,750 claimed (250 released back)


def test_reports_export_csv_with_escaped_cells(cast, s):
    response = cast.a.client("finance").get(
        reverse("funds:dashboard"), {"export": "partners", "format": "csv"}
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    assert "D100" in body and "5000.00" in body
    page = cast.a.client("marketing").get(reverse("funds:dashboard")).content.decode()
    assert 'id="funds-chart-data"' in page and "<script>" not in page.replace("<script src", "")


def test_reversal_and_allocation_through_the_pages(cast, s):
    manager = cast.a.client("marketing")
    manager.post(
        reverse("funds:entry_reverse", args=[s["entry"].pk]), {"reason": "Correction", "amount": "1000.00"}
    )
    manager.post(
        reverse("funds:allocate", args=[s["period"].pk]),
        {"partner": cast.a.partners["p1"].pk, "amount": "250.00"},
    )
    with cast.a.context():
        assert LedgerEntry.objects.filter(kind="reversed").get().amount == D("1000.00")
        assert LedgerEntry.objects.filter(kind="allocated").count() == 2
    assert (
        cast.a.client("manager").post(reverse("funds:allocate", args=[s["period"].pk]), {}).status_code == 403
    )


def test_home_dashboard_panels(cast, s):
    assert 'data-testid="funds-panel"' in cast.a.client("p1_admin").get(reverse("home")).content.decode()
    assert 'data-testid="funds-panel"' in cast.a.client("manager").get(reverse("home")).content.decode()


def _grow(cast, f, n):
    from funds.services.requests import request_approve

    with cast.a.context():
        for i in range(n):
            r = request(cast, f, title=f"Act {i}", requested_amount=D("10.00"))
            request_approve(request=r, acting_membership=cast.a.memberships["admin"])


@pytest.mark.parametrize("name", ["funds:home", "funds:requests", "funds:claims"])
def test_list_pages_use_a_bounded_number_of_queries(cast, s, name):
    counts = []
    for extra in (1, 8):
        _grow(cast, s["fund"], extra)
        with CaptureQueriesContext(connection) as queries:
            assert cast.a.client("p1_admin").get(reverse(name)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_fund_and_account_pages_use_a_bounded_number_of_queries(cast, s):
    counts = []
    for extra in (1, 8):
        _grow(cast, s["fund"], extra)
        with CaptureQueriesContext(connection) as queries:
            assert (
                cast.a.client("admin").get(reverse("funds:fund_detail", args=[s["fund"].pk])).status_code
                == 200
            )
            assert (
                cast.a.client("admin")
                .get(reverse("funds:account_detail", args=[s["account"].pk]))
                .status_code
                == 200
            )
            assert (
                cast.a.client("admin").get(reverse("funds:period_detail", args=[s["period"].pk])).status_code
                == 200
            )
        counts.append(len(queries))
    assert counts[0] == counts[1]
