"""The tenant's claim policy: the claim window validation applies and the payment term of the
payables approved claims create. Changed by the vendor admin, audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from claims.models import ClaimSettings
from prm.accounts.models import Membership
from prm.audit.services import audit, snapshot
from prm.roles import Perm, membership_has
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError, require

SETTINGS_FIELDS = ["claim_window_days", "payment_term_days"]


def claim_settings_update(
    *, acting_membership: Membership, claim_window_days: int, payment_term_days: int
) -> ClaimSettings:
    """Set the claim window (days after the ship date a line may be claimed; later lines are
    rejected with CLAIM_PAST_WINDOW) and the payment term of approved claims. Applies to claims
    validated or approved from now on; verdicts already given stay as they are."""
    require(membership_has(acting_membership, Perm.CLAIM_SETTINGS))
    with transaction.atomic():
        current, _created = ClaimSettings.objects.get_or_create(tenant=require_tenant())
        locked = ClaimSettings.objects.select_for_update().get(pk=current.pk)
        before = snapshot(locked, SETTINGS_FIELDS)
        locked.claim_window_days = claim_window_days
        locked.payment_term_days = payment_term_days
        try:
            locked.full_clean(exclude=["tenant"])
        except ValidationError as exc:
            raise DomainError(" ".join(exc.messages)) from exc
        if snapshot(locked, SETTINGS_FIELDS) == before:
            return locked
        locked.save(update_fields=[*SETTINGS_FIELDS, "updated_at"])
        audit(
            actor=acting_membership.user,
            action="claim_settings.update",
            obj=locked,
            before=before,
            after=snapshot(locked, SETTINGS_FIELDS),
        )
    return locked
