"""Use it or lose it: the nightly job expires what is left of each allocation after its date
(money is spent in expiry order), never committed money; re-running posts nothing twice; partners
are warned 30 days ahead, once; the partner pages say what expires when; the scorecard's MDF
utilisation KPI comes from the ledger."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from funds.models import ExpiryWarning, LedgerEntry
from funds.selectors import expiry_schedule
from funds.services.expiry import expiries_post, expiry_warnings_send
from funds.tasks import nightly
from partners.kpis import kpi_values
from partners.models import Kpi
from prm.notifications.models import Notification
from tests.funds.helpers import allocate, approved, balances, days, fund, period, tiers

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def account(cast):
    """P1: 1,000 expiring in 10 days, 3,000 expiring in 50 days; 2,000 committed."""
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        p = period(cast, f, end=days(50))
        allocate(cast, p, "1000.00", expires_on=days(10))
        allocate(cast, p, "3000.00", expires_on=days(50))
        approved(cast, f, requested_amount=D("1500.00"))
        return f


def test_what_expires_when_follows_the_spending_order(cast, account):
    with cast.a.context():
        b = balances(cast, account)
        assert b.available == D("2500.00")
        acc = LedgerEntry.objects.filter(kind="allocated").first().account_id
        steps = expiry_schedule([acc], start=days(0))[acc]
        # the 1,500 spent came from the 1,000 expiring first, then 500 of the later 3,000
        assert [(s.day, s.amount) for s in steps] == [(days(50), D("2500.00"))]


def test_unused_money_expires_after_its_date_and_committed_money_does_not(cast):
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        p = period(cast, f, end=days(50))
        allocate(cast, p, "1000.00", expires_on=days(10))
        allocate(cast, p, "3000.00", expires_on=days(50))
        approved(cast, f, requested_amount=D("400.00"))
        assert expiries_post(day=days(10))["accounts"] == 0  # the expiry day itself still counts
        summary = expiries_post(day=days(11))
        assert summary == {"day": days(11).isoformat(), "accounts": 1, "expired": {"USD": "600.00"}}
        assert expiries_post(day=days(11))["accounts"] == 0
        b = balances(cast, f)
        assert (b.expired, b.available, b.open_committed, b.violations()) == (
            D("600.00"),
            D("3000.00"),
            D("400.00"),
            [],
        )
        expiries_post(day=days(51))
        b = balances(cast, f)
        assert (b.expired, b.available, b.open_committed) == (D("3600.00"), D("0.00"), D("400.00"))


def test_released_money_of_an_expired_allocation_expires_the_next_night(cast):
    from funds.services.requests import request_cancel

    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        allocate(cast, period(cast, f), "1000.00", expires_on=days(5))
        r = approved(cast, f, requested_amount=D("1000.00"))
        assert expiries_post(day=days(6))["accounts"] == 0  # everything was committed
        request_cancel(request=r, acting_membership=cast.a.memberships["p1_admin"])
        assert expiries_post(day=days(7))["expired"] == {"USD": "1000.00"}
        assert balances(cast, f).available == D("0.00")


def test_partners_are_warned_once_about_money_expiring_within_30_days(cast, account):
    with cast.a.context():
        assert expiry_warnings_send(day=days(0)) == 0  # 2,500 expires in 50 days
        assert expiry_warnings_send(day=days(25)) == 1
        assert expiry_warnings_send(day=days(26)) == 0
        warning = ExpiryWarning.objects.get()
        assert (warning.expires_on, warning.amount) == (days(50), D("2500.00"))
        note = Notification.objects.get(recipient=cast.a.users["p1_admin"], verb="fund.expiring")
        assert "2500.00 USD" in note.message and days(50).isoformat() in note.message


def test_the_partner_page_shows_what_expires_when(cast):
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        allocate(cast, period(cast, f), "700.00", expires_on=days(12))
    body = cast.a.client("p1_user").get(reverse("funds:home")).content.decode()
    assert 'data-testid="expiry-warning"' in body and days(12).isoformat() in body


def test_the_nightly_task_runs_every_step(cast, account):
    result = nightly.delay(tenant_id=cast.a.tenant.pk).get()
    assert set(result) == {"paid", "lapsed", "expired", "warnings"}


def test_mdf_utilisation_kpi_comes_from_the_ledger(cast, monkeypatch):
    from funds.services.claims import claim_approve, claim_create, claim_submit
    from tests.funds.helpers import full_proof, travel

    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        allocate(cast, period(cast, f, end=days(200)), "4000.00")
        r = approved(cast, f)
        start, end = days(-1), days(100)
        travel(monkeypatch, r.end_date + datetime.timedelta(days=1))
        claim = claim_create(
            request=r, acting_membership=cast.a.memberships["p1_admin"], actual_cost=D("2000.00")
        )
        full_proof(cast, claim)
        claim_submit(claim=claim, acting_membership=cast.a.memberships["p1_admin"])
        claim_approve(claim=claim, acting_membership=cast.a.memberships["marketing"])
        values = kpi_values([cast.a.partners["p1"].pk, cast.a.partners["p2"].pk], start, end)
        assert values[cast.a.partners["p1"].pk][Kpi.MDF_UTILISATION] == D("25.00")  # 1,000 of 4,000
        assert values[cast.a.partners["p2"].pk][Kpi.MDF_UTILISATION] == D("0")
