"""Registration workflow services: each transition's state and audit row; refused moves write nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from deals.models import Conflict, DealExtension, DealRegistration
from deals.services.drafts import registration_update_draft
from deals.services.extensions import extension_approve, extension_refuse, extension_request
from deals.services.outcome import registration_mark_lost, registration_mark_won
from deals.services.review import (
    registration_approve,
    registration_reject,
    registration_request_info,
    registration_start_review,
)
from deals.services.submission import registration_add_lines, registration_submit
from prm.audit.models import AuditEvent
from prm.notifications.models import Notification
from prm.workflow import DomainError, InvalidTransition
from tests.deals.helpers import register
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
S = DealRegistration.Status


def _actions(registration) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="deals.dealregistration", object_id=str(registration.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_submit_sets_timestamp_sla_customer_and_audit(cast):
    with cast.a.context():
        registration = register(cast)
        assert registration.status == S.SUBMITTED
        assert registration.submitted_at is not None
        assert registration.review_due_at == registration.submitted_at + timedelta(hours=72)
        assert registration.customer.name_normalised == "acme"
        assert _actions(registration) == ["deal.create", "deal.submit"]
        assert Notification.objects.filter(
            recipient=cast.a.users["manager"], verb="deal.review_needed"
        ).exists()


def test_incomplete_registration_cannot_be_submitted_and_nothing_changes(cast):
    with cast.a.context():
        registration = register(cast, submit=False)
        registration_update_draft(
            registration=registration,
            acting_membership=cast.a.memberships["p1_user"],
            data={"address": ""},
            lines=[],
        )
        before = AuditEvent.objects.count()
        with pytest.raises(DomainError, match="address"):
            registration_submit(registration=registration, acting_membership=cast.a.memberships["p1_user"])
        registration.refresh_from_db()
        assert registration.status == S.DRAFT
        assert AuditEvent.objects.count() == before


def test_other_partner_cannot_submit_my_draft(cast):
    with cast.a.context():
        registration = register(cast, submit=False)
        with pytest.raises(PermissionDenied):
            registration_submit(registration=registration, acting_membership=cast.a.memberships["p2_user"])


def test_review_approve_sets_protection_and_discount(cast):
    with cast.a.context():
        registration = register(cast)
        manager = cast.a.memberships["manager"]
        registration_start_review(registration=registration, acting_membership=manager)
        registration_approve(
            registration=registration, acting_membership=manager, discount_pct=Decimal("7.5")
        )
        assert registration.status == S.APPROVED
        assert registration.protection_days == 90
        assert registration.protection_until == timezone.localdate() + timedelta(days=90)
        assert registration.discount_pct == Decimal("7.5")
        assert registration.protection_days_left == 90
        assert _actions(registration)[-2:] == ["deal.start_review", "deal.approve"]
        assert Notification.objects.filter(recipient=cast.a.users["p1_user"], verb="deal.approved").exists()


def test_approving_a_submitted_registration_passes_through_review(cast):
    with cast.a.context():
        registration = register(cast)
        registration_approve(
            registration=registration, acting_membership=cast.a.memberships["manager"], protection_days=30
        )
        assert registration.protection_until == timezone.localdate() + timedelta(days=30)
        assert _actions(registration)[-2:] == ["deal.start_review", "deal.approve"]


def test_partner_cannot_approve(cast):
    with cast.a.context():
        registration = register(cast)
        with pytest.raises(PermissionDenied):
            registration_approve(registration=registration, acting_membership=cast.a.memberships["p1_admin"])
        registration.refresh_from_db()
        assert registration.status == S.SUBMITTED


def test_later_conflicting_registration_cannot_be_approved_while_the_first_is_active(cast):
    with cast.a.context():
        first = register(cast, "p1_user")
        second = register(cast, "p2_user", "ACME Inc")
        manager = cast.a.memberships["manager"]
        with pytest.raises(DomainError, match="came first"):
            registration_approve(registration=second, acting_membership=manager)
        assert second.status == S.SUBMITTED
        registration_reject(
            registration=first, acting_membership=manager, code="incomplete", reason="Not qualified"
        )
        registration_approve(registration=second, acting_membership=manager)
        assert second.status == S.APPROVED


def test_reject_needs_code_and_reason(cast):
    with cast.a.context():
        registration = register(cast)
        manager = cast.a.memberships["manager"]
        with pytest.raises(DomainError):
            registration_reject(
                registration=registration, acting_membership=manager, code="other", reason=" "
            )
        registration_reject(
            registration=registration, acting_membership=manager, code="conflict", reason="First came first"
        )
        assert registration.status == S.REJECTED
        assert registration.rejection_code == "conflict"
        assert "deal.reject" in _actions(registration)
        with pytest.raises(InvalidTransition):
            registration_approve(registration=registration, acting_membership=manager)


def test_info_request_and_resubmission(cast):
    with cast.a.context():
        registration = register(cast)
        registration_request_info(
            registration=registration, acting_membership=cast.a.memberships["manager"], message="Who decides?"
        )
        assert registration.status == S.INFO_REQUESTED
        registration_update_draft(
            registration=registration,
            acting_membership=cast.a.memberships["p1_user"],
            data={"notes": "The CFO decides."},
        )
        registration_submit(registration=registration, acting_membership=cast.a.memberships["p1_user"])
        assert registration.status == S.SUBMITTED
        assert _actions(registration)[-4:] == [
            "deal.start_review",
            "deal.request_info",
            "deal.update",
            "deal.resubmit",
        ]


def test_resubmission_keeps_its_place_before_later_registrations(cast):
    with cast.a.context():
        first = register(cast, "p1_user")
        registration_request_info(
            registration=first, acting_membership=cast.a.memberships["manager"], message="?"
        )
        second = register(cast, "p2_user")
        assert second.conflict_flag == "exact"
        registration_submit(registration=first, acting_membership=cast.a.memberships["p1_user"])
        assert first.conflict_flag == "none"


def test_won_and_lost_after_approval(cast):
    with cast.a.context():
        manager = cast.a.memberships["manager"]
        won = register(cast, name="Won Co")
        registration_approve(registration=won, acting_membership=manager)
        # A typed value is never rounded silently: USD takes two decimals.
        with pytest.raises(DomainError, match="USD amounts take at most 2 decimals"):
            registration_mark_won(
                registration=won,
                acting_membership=cast.a.memberships["p1_user"],
                closed_value=Decimal("1234.567"),
                closed_on=timezone.localdate(),
            )
        registration_mark_won(
            registration=won,
            acting_membership=cast.a.memberships["p1_user"],
            closed_value=Decimal("1234.57"),
            closed_on=timezone.localdate(),
        )
        assert won.status == S.WON
        assert won.closed_value == Decimal("1234.57")
        lost = register(cast, name="Lost Co", domain="lost.test")
        with pytest.raises(InvalidTransition):
            registration_mark_lost(
                registration=lost, acting_membership=cast.a.memberships["p1_user"], reason="Price"
            )
        registration_approve(registration=lost, acting_membership=manager)
        registration_mark_lost(
            registration=lost, acting_membership=cast.a.memberships["p1_user"], reason="Price"
        )
        assert lost.status == S.LOST
        assert "deal.lost" in _actions(lost)


def test_extension_at_most_once_by_default(cast):
    with cast.a.context():
        registration = register(cast)
        manager = cast.a.memberships["manager"]
        registration_approve(registration=registration, acting_membership=manager)
        until = registration.protection_until
        ext = extension_request(
            registration=registration, acting_membership=cast.a.memberships["p1_user"], reason="Budget moved"
        )
        with pytest.raises(DomainError, match="already used"):
            extension_request(
                registration=registration, acting_membership=cast.a.memberships["p1_user"], reason="Again"
            )
        extension_approve(extension=ext, acting_membership=manager)
        registration.refresh_from_db()
        assert registration.protection_until == until + timedelta(days=30)
        assert registration.extension_count == 1
        assert ext.status == DealExtension.Status.APPROVED


def test_refused_extension_frees_the_allowance(cast):
    with cast.a.context():
        registration = register(cast)
        manager = cast.a.memberships["manager"]
        registration_approve(registration=registration, acting_membership=manager)
        ext = extension_request(
            registration=registration, acting_membership=cast.a.memberships["p1_user"], reason="x"
        )
        extension_refuse(extension=ext, acting_membership=manager, note="No")
        registration.refresh_from_db()
        assert registration.extension_count == 0
        extension_request(
            registration=registration, acting_membership=cast.a.memberships["p1_user"], reason="y"
        )


def test_lines_added_after_approval_are_checked_for_conflicts(cast):
    with cast.a.context():
        ProductFactory(sku="VLV-1", category="valves")
        manager = cast.a.memberships["manager"]
        mine = register(cast, "p1_user", lines=(("pumps", 1, "100"),))
        registration_approve(registration=mine, acting_membership=manager)
        register(cast, "p2_user", lines=(("valves", 1, "100"),))  # P2 registered valves meanwhile
        conflicts = registration_add_lines(
            registration=mine,
            acting_membership=cast.a.memberships["p1_user"],
            lines=[{"product_line": "valves", "quantity": 3, "value": "300"}],
        )
        assert [(c.kind, c.product_lines) for c in conflicts] == [("exact", ["valves"])]
        mine.refresh_from_db()
        assert mine.conflict_flag == "exact"
        assert mine.product_lines == ["pumps", "valves"]
        assert mine.value == Decimal("400")
        assert mine.lines.filter(added_after_approval=True).count() == 1
        assert Conflict.objects.filter(registration=mine).count() == 1
