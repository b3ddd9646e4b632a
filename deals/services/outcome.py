"""Outcome: an approved registration is won or lost (reported by the partner or its reviewer), or
expires when its protection ends."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import (
    DealRegistration,
)
from deals.services.common import (
    S,
    locked_registration,
    move,
    notify_partner,
    notify_reviewers,
    publish_registration,
    refreshed,
    require_owner_or_reviewer,
)
from prm.accounts.models import Membership
from prm.lib.money import check_minor_units, quantize_money
from prm.workflow import DomainError


def registration_mark_won(
    *, registration: DealRegistration, acting_membership: Membership, closed_value: Decimal, closed_on: date
) -> DealRegistration:
    """The partner (or its reviewer) reports the deal won, with the closed value and date."""
    try:
        closed_value = Decimal(str(closed_value))
    except ArithmeticError as exc:
        raise DomainError(_("Enter the closed value.")) from exc
    if closed_value <= 0:
        raise DomainError(_("Enter the closed value."))
    check_minor_units(closed_value, registration.currency)
    if closed_on is None or closed_on > timezone.localdate():
        raise DomainError(_("The close date cannot be in the future."))
    with transaction.atomic():
        locked = locked_registration(registration)
        require_owner_or_reviewer(acting_membership, locked)
        move(
            locked,
            S.WON,
            actor=acting_membership.user,
            action="deal.won",
            extra={
                "closed_value": quantize_money(Decimal(closed_value), locked.currency),
                "closed_on": closed_on,
            },
        )

        def message() -> str:
            return _("%(ref)s was won.") % {"ref": locked.reference}

        notify_partner(locked, "deal.won", message)
        notify_reviewers(locked, "deal.won", message)
    return refreshed(registration)


def registration_mark_lost(
    *, registration: DealRegistration, acting_membership: Membership, reason: str
) -> DealRegistration:
    if not reason.strip():
        raise DomainError(_("Say why the deal was lost."))
    with transaction.atomic():
        locked = locked_registration(registration)
        require_owner_or_reviewer(acting_membership, locked)
        move(
            locked,
            S.LOST,
            actor=acting_membership.user,
            action="deal.lost",
            extra={"lost_reason": reason.strip(), "closed_on": timezone.localdate()},
        )

        def message() -> str:
            return _("%(ref)s was lost.") % {"ref": locked.reference}

        notify_partner(locked, "deal.lost", message)
        notify_reviewers(locked, "deal.lost", message)
    return refreshed(registration)


def registration_expire(*, registration: DealRegistration) -> bool:
    """End of protection (beat job): approved and neither won nor lost by ``protection_until``."""
    with transaction.atomic():
        locked = locked_registration(registration)
        if locked.status != S.APPROVED or locked.protection_until is None:
            return False
        if locked.protection_until >= timezone.localdate():
            return False
        move(locked, S.EXPIRED, actor=None, action="deal.expire")
        publish_registration(locked, "deal.expired")
        notify_partner(
            locked,
            "deal.expired",
            lambda: _("The protection of %(ref)s has ended.") % {"ref": locked.reference},
        )
    return True
