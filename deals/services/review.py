"""Review: a reviewer takes a submitted registration into review and approves it (protection and
discount), rejects it with a reason, or sends it back for information."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.conflicts import (
    blocking_conflicts,
)
from deals.models import (
    DealRegistration,
)
from deals.policy import protection_days_for, registration_discount_for
from deals.services.common import (
    S,
    locked_registration,
    move,
    notify_partner,
    publish_registration,
    refreshed,
    require_reviewer,
)
from partners.selectors import require_active_partner
from prm.accounts.models import Membership
from prm.events import iso, partner_ref
from prm.workflow import DomainError, check_transition


def _ensure_under_review(locked: DealRegistration, acting_membership: Membership) -> None:
    """A reviewer acting on a submitted registration takes it into review first (its own step)."""
    if locked.status == S.SUBMITTED:
        move(
            locked,
            S.UNDER_REVIEW,
            actor=acting_membership.user,
            action="deal.start_review",
            extra={"reviewer": acting_membership.user},
        )


def registration_start_review(
    *, registration: DealRegistration, acting_membership: Membership
) -> DealRegistration:
    """A reviewer takes a submitted registration into review."""
    with transaction.atomic():
        locked = locked_registration(registration)
        require_reviewer(acting_membership, locked)
        move(
            locked,
            S.UNDER_REVIEW,
            actor=acting_membership.user,
            action="deal.start_review",
            extra={"reviewer": acting_membership.user},
        )
        notify_partner(
            locked, "deal.under_review", lambda: _("%(ref)s is now under review.") % {"ref": locked.reference}
        )
    return refreshed(registration)


def registration_approve(
    *,
    registration: DealRegistration,
    acting_membership: Membership,
    protection_days: int | None = None,
    discount_pct: Decimal | None = None,
    note: str = "",
) -> DealRegistration:
    """Approve: the partner is protected for the period (default from policy) and gets the
    registration discount (default from its tier). Refused while an earlier exact match is in force."""
    with transaction.atomic():
        locked = locked_registration(registration)
        require_reviewer(acting_membership, locked)
        require_active_partner(locked.partner)
        _ensure_under_review(locked, acting_membership)
        check_transition(DealRegistration.TRANSITIONS, locked.status, S.APPROVED, what=_("The registration"))
        if blocking_conflicts(locked):
            raise DomainError(
                _(
                    "Another registration or a direct opportunity for this customer came first and is "
                    "still active: reject this one, or decide the earlier one first."
                )
            )
        days = protection_days if protection_days is not None else protection_days_for(locked.partner)
        if days < 1 or days > 3650:
            raise DomainError(_("The protection period must be between 1 and 3650 days."))
        discount = discount_pct if discount_pct is not None else registration_discount_for(locked.partner)
        if discount < 0 or discount > 100:
            raise DomainError(_("The discount must be between 0 and 100%."))
        now = timezone.now()
        move(
            locked,
            S.APPROVED,
            actor=acting_membership.user,
            action="deal.approve",
            extra={
                "protection_days": days,
                "protection_until": timezone.localdate() + timedelta(days=days),
                "discount_pct": discount,
                "decided_at": now,
                "reviewer": acting_membership.user,
                "info_request": note or locked.info_request,
            },
        )
        publish_registration(
            locked,
            "deal.approved",
            discount_pct=str(locked.discount_pct),
            approved_at=iso(locked.decided_at),
            distributor=partner_ref(locked.distributor) if locked.distributor_id else None,
        )
        notify_partner(
            locked,
            "deal.approved",
            lambda: (
                _("%(ref)s was approved: protected until %(until)s.")
                % {"ref": locked.reference, "until": str(locked.protection_until)}
            ),
        )
    return refreshed(registration)


def registration_reject(
    *, registration: DealRegistration, acting_membership: Membership, code: str, reason: str
) -> DealRegistration:
    """Reject with a reason code and an explanation the partner sees."""
    if code not in DealRegistration.RejectionCode.values:
        raise DomainError(_("Choose a rejection reason."))
    if not reason.strip():
        raise DomainError(_("Explain the rejection to the partner."))
    with transaction.atomic():
        locked = locked_registration(registration)
        require_reviewer(acting_membership, locked)
        _ensure_under_review(locked, acting_membership)
        move(
            locked,
            S.REJECTED,
            actor=acting_membership.user,
            action="deal.reject",
            extra={
                "rejection_code": code,
                "rejection_reason": reason.strip(),
                "decided_at": timezone.now(),
                "reviewer": acting_membership.user,
            },
        )
        notify_partner(
            locked,
            "deal.rejected",
            lambda: (
                _("%(ref)s was rejected: %(reason)s")
                % {"ref": locked.reference, "reason": locked.get_rejection_code_display()}
            ),
        )
    return refreshed(registration)


def registration_request_info(
    *, registration: DealRegistration, acting_membership: Membership, message: str
) -> DealRegistration:
    """Send the registration back to the partner with a question; it is submitted again after."""
    if not message.strip():
        raise DomainError(_("Say what information is needed."))
    with transaction.atomic():
        locked = locked_registration(registration)
        require_reviewer(acting_membership, locked)
        _ensure_under_review(locked, acting_membership)
        move(
            locked,
            S.INFO_REQUESTED,
            actor=acting_membership.user,
            action="deal.request_info",
            extra={"info_request": message.strip(), "reviewer": acting_membership.user},
        )
        notify_partner(
            locked,
            "deal.info_requested",
            lambda: (
                _("%(ref)s: more information is needed: %(msg)s")
                % {"ref": locked.reference, "msg": locked.info_request}
            ),
        )
    return refreshed(registration)
