"""What every deal-registration service shares: who may act, who hears about it, the row lock,
and the status move with its audit record."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from deals.models import DealRegistration
from deals.selectors import partner_people, registration_reviewers
from partners.selectors import partners_for_membership
from prm.accounts.models import Membership
from prm.audit.services import audit, snapshot
from prm.events import iso, partner_ref, publish
from prm.lib.money import format_amount_str
from prm.notifications.services import Message, notify
from prm.roles import Perm, membership_has
from prm.tenancy.context import require_tenant
from prm.workflow import check_transition, require

S = DealRegistration.Status
AUDIT_FIELDS = ["status", "conflict_flag", "protection_until", "discount_pct", "value"]


# --- who may do what --------------------------------------------------------------------------------


def _is_own_partner(membership: Membership, registration: DealRegistration) -> bool:
    return membership.is_partner and membership.partner_id == registration.partner_id


def require_partner_member(membership: Membership, registration: DealRegistration) -> None:
    require(membership_has(membership, Perm.DEAL_REGISTER) and _is_own_partner(membership, registration))


def require_reviewer(membership: Membership, registration: DealRegistration) -> None:
    require(membership_has(membership, Perm.DEAL_REVIEW))
    require(partners_for_membership(membership).filter(pk=registration.partner_id).exists())


def require_owner_or_reviewer(membership: Membership, registration: DealRegistration) -> None:
    if membership.is_partner:
        require_partner_member(membership, registration)
    else:
        require_reviewer(membership, registration)


# --- who hears about it -----------------------------------------------------------------------------


def notify_partner(registration: DealRegistration, verb: str, message: Message) -> None:
    notify(
        recipients=partner_people(registration),
        verb=verb,
        message=message,
        url=reverse("deals:detail", kwargs={"pk": registration.pk}),
    )


def notify_reviewers(registration: DealRegistration, verb: str, message: Message) -> None:
    """The owners of the registration's territory; without one, every reviewer of its partner."""
    notify(
        recipients=registration_reviewers(registration),
        verb=verb,
        message=message,
        url=reverse("deals:review", kwargs={"pk": registration.pk}),
    )


# --- the row and its status -------------------------------------------------------------------------


def locked_registration(registration: DealRegistration) -> DealRegistration:
    return DealRegistration.objects.select_for_update().get(pk=registration.pk)


def refreshed(registration: DealRegistration) -> DealRegistration:
    """The caller's copy, reloaded after the service committed."""
    registration.refresh_from_db()
    return registration


def move(
    locked: DealRegistration,
    target: str,
    *,
    actor,
    action: str,
    extra: dict[str, Any] | None = None,
) -> None:
    """Move a locked registration to ``target`` (checked against the transition table), set
    ``extra`` fields, save them, and audit the registration's key fields before and after."""
    check_transition(DealRegistration.TRANSITIONS, locked.status, target, what=_("The registration"))
    before = snapshot(locked, AUDIT_FIELDS)
    locked.status = target
    for name, value in (extra or {}).items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", *(extra or {}).keys(), "updated_at"])
    audit(actor=actor, action=action, obj=locked, before=before, after=snapshot(locked, AUDIT_FIELDS))


# --- what other systems hear (webhooks) -------------------------------------------------------------


def registration_event_data(registration: DealRegistration) -> dict[str, Any]:
    """The key fields of a registration in every deal.* event (docs/webhooks.md)."""
    return {
        "id": registration.pk,
        "reference": registration.reference,
        "status": registration.status,
        "partner": partner_ref(registration.partner),
        "customer_name": registration.customer_name,
        "customer_domain": registration.customer_domain,
        "country": registration.country,
        "deal_type": registration.deal_type,
        "value": format_amount_str(registration.value, registration.currency),
        "currency": registration.currency,
        "expected_close_date": iso(registration.expected_close_date),
        "submitted_at": iso(registration.submitted_at),
        "protection_until": iso(registration.protection_until),
    }


def publish_registration(
    registration: DealRegistration, event: str, *, key: str | None = None, **extra: Any
) -> None:
    """Publish ``event`` for the registration (on commit of the caller's transaction)."""
    publish(require_tenant(), event, {**registration_event_data(registration), **extra}, key=key)
