"""Extensions: the partner asks for more protection time; a reviewer approves or refuses."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import (
    DealExtension,
    DealRegistration,
    DealSettings,
)
from deals.services.common import (
    AUDIT_FIELDS,
    S,
    locked_registration,
    notify_partner,
    notify_reviewers,
    require_partner_member,
    require_reviewer,
)
from prm.accounts.models import Membership
from prm.audit.services import audit, snapshot
from prm.decisions import decide
from prm.workflow import DomainError

E = DealExtension.Status
EXTENSION_TRANSITIONS = {E.PENDING: frozenset({E.APPROVED, E.REFUSED})}


def extension_request(
    *, registration: DealRegistration, acting_membership: Membership, reason: str, days: int | None = None
) -> DealExtension:
    """The partner asks for more protection time (at most ``max_extensions`` per registration)."""
    settings = DealSettings.current()
    if not reason.strip():
        raise DomainError(_("Say why you need more time."))
    with transaction.atomic():
        locked = locked_registration(registration)
        require_partner_member(acting_membership, locked)
        if locked.status != S.APPROVED:
            raise DomainError(_("Only approved registrations can be extended."))
        used = locked.extensions.exclude(status=E.REFUSED).count()
        if used >= settings.max_extensions:
            raise DomainError(
                _("This registration has already used its %(n)d extension(s).")
                % {"n": settings.max_extensions}
            )
        extension = DealExtension.objects.create(
            registration=locked,
            requested_by=acting_membership.user,
            reason=reason.strip(),
            days=days or settings.extension_days,
        )
        audit(
            actor=acting_membership.user,
            action="deal.extension_request",
            obj=extension,
            after=snapshot(extension, ["status", "days"]),
        )
        notify_reviewers(
            locked,
            "deal.extension_requested",
            lambda: (
                _("%(ref)s: extension of %(days)d days requested.")
                % {"ref": locked.reference, "days": extension.days}
            ),
        )
    return extension


def _decide_extension(
    *, extension: DealExtension, acting_membership: Membership, approve: bool, note: str
) -> DealExtension:
    with transaction.atomic():
        locked_ext = DealExtension.objects.select_for_update().get(pk=extension.pk)
        registration = locked_registration(locked_ext.registration)
        require_reviewer(acting_membership, registration)
        if locked_ext.status != E.PENDING:
            raise DomainError(_("This extension request was already decided."))
        if approve and registration.status != S.APPROVED:
            raise DomainError(_("Only approved registrations can be extended."))
        decide(
            locked_ext,
            E.APPROVED if approve else E.REFUSED,
            transitions=EXTENSION_TRANSITIONS,
            what=_("The extension request"),
            actor=acting_membership.user,
            action="deal.extension_approve" if approve else "deal.extension_refuse",
            changes={"note": note.strip()},
            detail={"days": locked_ext.days},
        )
        if approve:
            before = snapshot(registration, AUDIT_FIELDS)
            base = registration.protection_until or timezone.localdate()
            registration.protection_until = base + timedelta(days=locked_ext.days)
            registration.extension_count += 1
            registration.expiry_warned_at = None
            registration.save(
                update_fields=["protection_until", "extension_count", "expiry_warned_at", "updated_at"]
            )
            audit(
                actor=acting_membership.user,
                action="deal.extend",
                obj=registration,
                before=before,
                after=snapshot(registration, AUDIT_FIELDS),
            )

        def message() -> str:
            if approve:
                return _("%(ref)s: extension approved, protected until %(until)s.") % {
                    "ref": registration.reference,
                    "until": str(registration.protection_until),
                }
            return _("%(ref)s: extension refused.") % {"ref": registration.reference}

        notify_partner(registration, "deal.extension_decided", message)
    extension.refresh_from_db()
    return extension


def extension_approve(
    *, extension: DealExtension, acting_membership: Membership, note: str = ""
) -> DealExtension:
    return _decide_extension(
        extension=extension, acting_membership=acting_membership, approve=True, note=note
    )


def extension_refuse(
    *, extension: DealExtension, acting_membership: Membership, note: str = ""
) -> DealExtension:
    return _decide_extension(
        extension=extension, acting_membership=acting_membership, approve=False, note=note
    )
