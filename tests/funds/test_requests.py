"""Fund requests: the participation cap, the submission lead time, the agreement gate, each
approval level, escalation, approving less, rejection, changes and delegation."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from funds.models import FundRequest, LedgerEntry, RequestDecision
from funds.services.requests import (
    delegation_create,
    delegation_end,
    request_approve,
    request_ask_changes,
    request_cancel,
    request_reject,
    request_submit,
    request_update,
)
from partners.selectors import AgreementNotSigned
from prm.audit.models import AuditEvent
from prm.notifications.models import Notification
from prm.workflow import DomainError
from tests.funds.helpers import allocate, balances, days, fund, period, request, terms, tiers

pytestmark = pytest.mark.django_db
D = Decimal
R = FundRequest.Status


@pytest.fixture
def funded(cast):
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        allocate(cast, period(cast, f, budget="100000.00"), "60000.00")
    return f


def _approve(cast, r, who, **kwargs):
    return request_approve(request=r, acting_membership=cast.a.memberships[who], **kwargs)


def test_the_requested_amount_is_at_most_the_participation_share_of_the_cost(cast, funded):
    with cast.a.context():
        ok = request(cast, funded, estimated_cost=D("4000.00"), requested_amount=D("2000.00"))
        assert ok.status == R.PENDING
        with pytest.raises(DomainError, match="50%"):
            request(cast, funded, estimated_cost=D("4000.00"), requested_amount=D("2000.01"))


def test_a_request_is_submitted_at_least_the_lead_time_before_the_activity(cast, funded):
    with cast.a.context():
        on_time = request(cast, funded, start_date=days(10), end_date=days(11))
        assert on_time.status == R.PENDING
        with pytest.raises(DomainError, match="at least 10 days"):
            request(cast, funded, start_date=days(9), end_date=days(11))
        assert FundRequest.objects.filter(status=R.PENDING).count() == 1


def test_a_partner_without_the_signed_agreement_cannot_submit(cast):
    with cast.a.context():
        tiers(cast, sign_both=False)
        f = fund(cast)
        draft = request(cast, f, partner="p2", submit=False)
        with pytest.raises(AgreementNotSigned):
            request_submit(request=draft, acting_membership=cast.a.memberships["p2_admin"])
        assert FundRequest.objects.get(pk=draft.pk).status == R.DRAFT


def test_a_channel_manager_approves_up_to_5000_and_the_amount_is_committed(cast, funded):
    with cast.a.context():
        r = _approve(
            cast,
            request(cast, funded, estimated_cost=D("10000.00"), requested_amount=D("5000.00")),
            "manager",
        )
        assert (r.status, r.approved_amount) == (R.APPROVED, D("5000.00"))
        entry = LedgerEntry.objects.get(kind="committed")
        assert (entry.request_id, entry.amount) == (r.pk, D("5000.00"))
        assert balances(cast, funded).available == D("55000.00")
        assert AuditEvent.objects.filter(action="fund_request.approve", object_id=str(r.pk)).exists()
        assert Notification.objects.filter(
            recipient=cast.a.users["p1_admin"], verb="fund_request.decided"
        ).exists()


def test_above_a_level_the_approval_moves_the_request_on_until_the_level_that_covers_it(cast, funded):
    with cast.a.context():
        r = request(cast, funded, estimated_cost=D("60000.00"), requested_amount=D("30000.00"))
        r = _approve(cast, r, "manager")
        assert (r.status, r.level) == (R.PENDING, 2)
        assert not LedgerEntry.objects.filter(kind="committed").exists()
        with pytest.raises(PermissionDenied):
            _approve(cast, r, "manager")
        assert Notification.objects.filter(
            recipient=cast.a.users["marketing"], verb="fund_request.waiting"
        ).exists()
        r = _approve(cast, r, "marketing")
        assert (r.status, r.level) == (R.PENDING, 3)
        with pytest.raises(PermissionDenied):
            _approve(cast, r, "marketing")
        r = _approve(cast, r, "admin")
        assert (r.status, r.approved_amount) == (R.APPROVED, D("30000.00"))
        actions = list(RequestDecision.objects.filter(request=r).values_list("action", "level"))
        assert actions == [("submit", None), ("escalate", 1), ("escalate", 2), ("approve", 3)]


def test_two_levels_for_an_amount_between_5000_and_25000(cast, funded):
    with cast.a.context():
        r = _approve(
            cast,
            request(cast, funded, estimated_cost=D("20000.00"), requested_amount=D("10000.00")),
            "manager",
        )
        assert r.level == 2
        r = _approve(cast, r, "marketing")
        assert r.status == R.APPROVED


def test_an_approver_may_approve_a_lower_amount_with_a_reason(cast, funded):
    with cast.a.context():
        r = request(cast, funded, estimated_cost=D("20000.00"), requested_amount=D("10000.00"))
        with pytest.raises(DomainError, match="lower amount"):
            _approve(cast, r, "manager", amount=D("5000.00"))
        r = _approve(cast, r, "manager", amount=D("5000.00"), reason="Half the booth")
        assert (r.status, r.approved_amount) == (
            R.APPROVED,
            D("5000.00"),
        )  # within the manager's own level now
        assert LedgerEntry.objects.get(kind="committed").amount == D("5000.00")
        with pytest.raises(DomainError):
            _approve(cast, request(cast, funded), "manager", amount=D("2000.01"))


def test_rejection_needs_a_reason_and_commits_nothing(cast, funded):
    with cast.a.context():
        r = request(cast, funded)
        with pytest.raises(DomainError, match="reason"):
            request_reject(request=r, acting_membership=cast.a.memberships["manager"], reason=" ")
        r = request_reject(request=r, acting_membership=cast.a.memberships["manager"], reason="Off-strategy")
        assert (r.status, r.decision_reason) == (R.REJECTED, "Off-strategy")
        assert not LedgerEntry.objects.filter(kind="committed").exists()
        with pytest.raises(DomainError):
            _approve(cast, r, "admin")


def test_changes_requested_then_edited_and_resubmitted_starts_at_the_first_level_again(cast, funded):
    with cast.a.context():
        r = _approve(
            cast,
            request(cast, funded, estimated_cost=D("20000.00"), requested_amount=D("10000.00")),
            "manager",
        )
        r = request_ask_changes(
            request=r, acting_membership=cast.a.memberships["marketing"], reason="Add the agenda"
        )
        assert r.status == R.CHANGES_REQUESTED
        request_update(
            request=r,
            terms=terms(
                description="With agenda", estimated_cost=D("8000.00"), requested_amount=D("4000.00")
            ),
            acting_membership=cast.a.memberships["p1_user"],
        )
        r = request_submit(request=r, acting_membership=cast.a.memberships["p1_user"])
        assert (r.status, r.level, r.approved_amount) == (R.PENDING, 1, None)
        assert _approve(cast, r, "manager").status == R.APPROVED


def test_a_delegate_decides_at_the_absent_approvers_level_on_their_behalf(cast, funded):
    with cast.a.context():
        r = _approve(
            cast,
            request(cast, funded, estimated_cost=D("20000.00"), requested_amount=D("10000.00")),
            "manager",
        )
        delegation = delegation_create(
            delegator=cast.a.memberships["marketing"],
            delegate=cast.a.memberships["manager"],
            starts_on=days(0),
            ends_on=days(7),
            acting_membership=cast.a.memberships["marketing"],
        )
        r = _approve(cast, r, "manager")
        assert r.status == R.APPROVED
        decision = RequestDecision.objects.filter(request=r, action="approve").get()
        assert (decision.actor, decision.on_behalf_of, decision.level) == (
            cast.a.users["manager"],
            cast.a.users["marketing"],
            2,
        )
        delegation_end(delegation=delegation, acting_membership=cast.a.memberships["marketing"])
        other = _approve(
            cast,
            request(cast, funded, estimated_cost=D("20000.00"), requested_amount=D("10000.00")),
            "manager",
        )
        with pytest.raises(PermissionDenied):
            _approve(cast, other, "manager")


def test_a_delegation_outside_its_dates_gives_nothing_and_only_ones_own_approvals_can_be_delegated(
    cast, funded
):
    with cast.a.context():
        delegation_create(
            delegator=cast.a.memberships["marketing"],
            delegate=cast.a.memberships["manager"],
            starts_on=days(1),
            ends_on=days(7),
            acting_membership=cast.a.memberships["marketing"],
        )
        r = _approve(
            cast,
            request(cast, funded, estimated_cost=D("20000.00"), requested_amount=D("10000.00")),
            "manager",
        )
        with pytest.raises(PermissionDenied):
            _approve(cast, r, "manager")
        with pytest.raises(PermissionDenied):
            delegation_create(
                delegator=cast.a.memberships["marketing"],
                delegate=cast.a.memberships["manager"],
                starts_on=days(0),
                ends_on=days(7),
                acting_membership=cast.a.memberships["manager"],
            )


def test_an_approval_the_balance_does_not_cover_is_refused_and_writes_nothing(cast, funded):
    with cast.a.context():
        r = _approve(
            cast,
            request(cast, funded, estimated_cost=D("120000.00"), requested_amount=D("60000.00")),
            "manager",
        )
        r = _approve(cast, r, "marketing")
        _approve(cast, r, "admin")
        second = request(cast, funded, estimated_cost=D("2.00"), requested_amount=D("0.01"))
        with pytest.raises(DomainError, match=r"Only 0\.00 USD is available"):
            _approve(cast, second, "manager")
        assert FundRequest.objects.get(pk=second.pk).status == R.PENDING
        assert not RequestDecision.objects.filter(request=second, action="approve").exists()


def test_cancelling_an_approved_request_releases_its_commitment(cast, funded):
    with cast.a.context():
        r = _approve(cast, request(cast, funded), "manager")
        request_cancel(request=r, acting_membership=cast.a.memberships["p1_admin"], reason="Event called off")
        b = balances(cast, funded)
        assert (b.committed, b.released, b.open_committed, b.available) == (
            D("2000.00"),
            D("2000.00"),
            D("0"),
            D("60000.00"),
        )


def test_a_request_for_another_partner_is_refused(cast, funded):
    from funds.services.requests import request_create

    with cast.a.context(), pytest.raises(DomainError, match="cannot act"):
        request_create(
            fund=funded,
            partner=cast.a.partners["p2"],
            terms=terms(),
            acting_membership=cast.a.memberships["p1_admin"],
        )


def test_approval_limits_are_in_the_base_currency(cast):
    from funds.services.funds import fund_settings_update
    from prm.finance.models import FxRate

    with cast.a.context():
        tiers(cast)
        f = fund(cast, "EUR-MDF", currency="EUR")
        allocate(cast, period(cast, f), "20000.00")
        FxRate.objects.create(
            base_currency="EUR",
            quote_currency="USD",
            rate_date=datetime.date(2020, 1, 1),
            rate=D("1.10"),
            source="ECB",
        )
        fund_settings_update(
            level1_limit=D("5000"), level2_limit=D("25000"), acting_membership=cast.a.memberships["admin"]
        )
        r = request(cast, f, estimated_cost=D("10000.00"), requested_amount=D("4600.00"))  # 5,060 USD
        assert _approve(cast, r, "manager").level == 2
