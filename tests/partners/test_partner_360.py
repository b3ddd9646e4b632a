"""The partner 360 page: the vendor's sections from every app (through the partner panel
registry), what needs action now and the partner's history; figures against hand-counted data,
a query count that does not grow with the partner's volume, and who may see it."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import assign_perm

from claims.models import Claim
from deals.models import DealRegistration, Lead, LeadAssignment
from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.finance.services import payable_create
from tests.funds import helpers as funds_helpers
from tests.rebates.helpers import pos

pytestmark = pytest.mark.django_db
S = DealRegistration.Status
O = LeadAssignment.Outcome  # noqa: E741


def _url(cast, key="p1") -> str:
    return f"/partners/{cast.a.partners[key].pk}/"


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _testid(html: str, name: str) -> str:
    """The text of the element marked ``name`` (a strong, dd or span), tags removed."""
    match = re.search(rf'data-testid="{name}"[^>]*>(.*?)</(strong|dd)>', html)
    assert match, name
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def _registration(partner, status, n, **extra) -> DealRegistration:
    now = timezone.now()
    return DealRegistration.objects.create(
        partner=partner,
        status=status,
        currency="USD",
        value=Decimal("1000.00"),
        customer_name=f"Customer {n}",
        country="US",
        first_submitted_at=None if status == S.DRAFT else now,
        submitted_at=None if status == S.DRAFT else now,
        **extra,
    )


def _lead(n: int) -> Lead:
    return Lead.objects.create(
        company=f"Prospect {n}", country="US", product_interest="pumps", currency="USD", source="web"
    )


def _offer(lead, partner, outcome) -> LeadAssignment:
    return LeadAssignment.objects.create(
        lead=lead,
        partner=partner,
        reason="test",
        due_at=timezone.now() + datetime.timedelta(days=2),
        outcome=outcome,
    )


def _claim(partner, number, status, claimed, approved) -> Claim:
    return Claim.objects.create(
        partner=partner,
        number=number,
        claim_date=timezone.localdate(),
        status=status,
        currency="USD",
        claimed_total=Decimal(claimed),
        approved_total=Decimal(approved),
        submitted_at=timezone.now(),
    )


@pytest.fixture
def p1_business(cast):
    """Hand-counted business of P1 (and some of P2, which must not count for P1)."""
    a = cast.a
    p1, p2 = a.partners["p1"], a.partners["p2"]
    today = timezone.localdate()
    with a.context():
        _registration(p1, S.SUBMITTED, 1, review_due_at=timezone.now() - datetime.timedelta(hours=1))
        _registration(p1, S.UNDER_REVIEW, 2)
        _registration(p1, S.APPROVED, 3, conflict_flag=DealRegistration.ConflictFlag.EXACT)
        _registration(p1, S.WON, 4)
        _registration(p1, S.LOST, 5)
        _registration(p2, S.WON, 6)
        declined, converted, drafted, pending = (_lead(n) for n in range(4))
        _offer(declined, p1, O.DECLINED)
        _offer(declined, p2, O.ACCEPTED)
        _offer(converted, p1, O.ACCEPTED)
        _registration(p1, S.SUBMITTED, 7, lead=converted)
        _offer(drafted, p1, O.ACCEPTED)
        _registration(p1, S.DRAFT, 8, lead=drafted)
        _offer(pending, p1, O.PENDING)
        pos(p1, [(today, 1, "100.00"), (today - datetime.timedelta(days=40), 2, "250.50")])
        pos(p2, [(today, 5, "999.00")])
        _claim(p1, "DM-1", Claim.Status.IN_REVIEW, "500.00", "0")
        _claim(p1, "DM-2", Claim.Status.APPROVED, "300.00", "250.00")
        _claim(p2, "DM-3", Claim.Status.IN_REVIEW, "700.00", "0")
        payable_create(
            source_type="claim",
            source_id=1,
            partner=p1,
            amount=Decimal("120.00"),
            currency="USD",
            due_date=today,
        )
        payable_create(
            source_type="claim",
            source_id=2,
            partner=p2,
            amount=Decimal("80.00"),
            currency="USD",
            due_date=today,
        )


def test_staff_see_every_section_with_the_partners_own_figures(cast, p1_business):
    html = _text(cast.a.client("admin").get(_url(cast)))
    assert _testid(html, "p360-deals-open") == "4"  # submitted, under review, approved, lead's
    assert _testid(html, "p360-deals-won") == "1"
    assert _testid(html, "p360-deals-lost") == "1"
    assert _testid(html, "p360-deals-conflicts") == "1"
    assert _testid(html, "p360-leads-offered") == "4"
    assert _testid(html, "p360-leads-accepted") == "2"
    assert "(66.7 %)" in html  # 2 accepted of 3 answered (the pending offer is not answered yet)
    assert _testid(html, "p360-leads-converted") == "1"
    assert "(50.0 %)" in html  # 1 submitted registration of 2 accepted leads
    assert _testid(html, "p360-pos-revenue") == "$350.50"
    assert _testid(html, "p360-pos-units") == "3"
    assert _testid(html, "p360-claims-in-review") == "1"
    assert "$800.00" in html and "$250.00" in html  # claimed and approved, P2's claim left out
    assert _testid(html, "p360-payables-open") == "$120.00"
    assert "$999.00" not in html and "$700.00" not in html and "$80.00" not in html
    for section in ("p360-funds", "p360-rebates", "p360-history"):
        assert f'data-testid="{section}"' in html


def test_what_needs_action_is_gathered_for_the_role(cast, p1_business):
    manager = _text(cast.a.client("manager").get(_url(cast)))
    assert 'data-testid="p360-actions"' in manager
    assert re.search(r"Registrations waiting for review</a>: <strong>3</strong>", manager)
    assert re.search(r"Reviews past their deadline</a>: <strong>1</strong>", manager)
    assert re.search(r"Claims to review</a>: <strong>1</strong>", manager)
    assert "Products at stock-out risk" not in manager  # nothing waiting: no line
    finance = _text(cast.a.client("finance").get(_url(cast)))
    assert "Registrations waiting for review" not in finance  # finance does not review deals
    assert "Claims to review" not in finance


def test_sections_follow_the_role_matrix(cast, p1_business):
    marketing = _text(cast.a.client("marketing").get(_url(cast)))
    assert 'data-testid="p360-funds"' in marketing
    assert 'data-testid="p360-deals"' not in marketing  # marketing managers see no registrations
    assert 'data-testid="p360-claims"' not in marketing
    finance = _text(cast.a.client("finance").get(_url(cast)))
    assert 'data-testid="p360-payables"' in finance and 'data-testid="p360-claims"' in finance


def test_a_partners_own_people_get_their_company_page_without_the_360(cast, p1_business):
    for who in ("p1_admin", "p1_user"):
        response = cast.a.client(who).get(_url(cast))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Northwind Distribution" in html
        assert 'data-testid="p360-' not in html
        assert "Needs action now" not in html


def test_another_partner_another_tenant_and_an_unassigned_manager_get_404(cast):
    assert cast.a.client("p2_admin").get(_url(cast)).status_code == 404
    assert cast.a.client("p2_user").get(_url(cast)).status_code == 404
    assert cast.b.client("admin").get(_url(cast)).status_code == 404
    with cast.a.context():
        Membership.objects.filter(pk=cast.a.memberships["manager"].pk).update(assigned_partners_only=True)
        assign_perm("partners.manage_partner", cast.a.users["manager"], cast.a.partners["p2"])
    assert cast.a.client("manager").get(_url(cast)).status_code == 404
    assert cast.a.client("manager").get(_url(cast, "p2")).status_code == 200


def test_history_lists_events_of_the_partners_objects_only(cast):
    with cast.a.context():
        mine = _registration(cast.a.partners["p1"], S.SUBMITTED, 1)
        other = _registration(cast.a.partners["p2"], S.SUBMITTED, 2)
        audit(actor=cast.a.users["manager"], action="deal.review_started", obj=mine)
        audit(actor=cast.a.users["manager"], action="deal.rejected", obj=other)
        audit(actor=cast.a.users["admin"], action="partner.suspend", obj=cast.a.partners["p1"])
    html = cast.a.client("manager").get(_url(cast)).content.decode()
    history = html.split('data-testid="p360-history"')[1]
    assert "deal.review_started" in history and "partner.suspend" in history
    assert "deal.rejected" not in history


def _grow(cast, n: int, start: int) -> None:
    """``n`` more of everything the sections list or count for P1."""
    a = cast.a
    p1 = a.partners["p1"]
    today = timezone.localdate()
    with a.context():
        for i in range(start, start + n):
            registration = _registration(p1, S.SUBMITTED, i)
            audit(actor=a.users["manager"], action="deal.review_started", obj=registration)
            lead = _lead(i)
            _offer(lead, p1, O.ACCEPTED)
            _registration(p1, S.SUBMITTED, 1000 + i, lead=lead)
            _claim(p1, f"DM-{i}", Claim.Status.IN_REVIEW, "10.00", "0")
            payable_create(
                source_type="claim",
                source_id=i,
                partner=p1,
                amount=Decimal("5.00"),
                currency="USD",
                due_date=today,
            )
            fund = funds_helpers.fund(cast, f"MDF-{i}")
            funds_helpers.allocate(cast, funds_helpers.period(cast, fund), "100.00")
        pos(p1, [(today, 1, "10.00")] * (5 * n))


@pytest.mark.parametrize("who", ["admin", "manager", "finance"])
def test_query_count_does_not_grow_with_the_partners_volume(cast, who):
    with cast.a.context():
        funds_helpers.tiers(cast)
    _grow(cast, 1, start=1)
    client = cast.a.client(who)
    client.get(_url(cast))  # warm caches (session, tenant, permissions)
    with CaptureQueriesContext(connection) as small:
        assert client.get(_url(cast)).status_code == 200
    _grow(cast, 6, start=10)
    with CaptureQueriesContext(connection) as large:
        assert client.get(_url(cast)).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
