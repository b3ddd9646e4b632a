"""Two-tier deals: a reseller names the distributor it buys through; that distributor's people
see this one registration, read only (its protection and approved discount), through a
django-guardian object grant. They never see the reseller's other registrations."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from deals.models import DealRegistration, DealRegistrationUserObjectPermission
from partners.models import Partner
from prm.accounts.models import Membership
from prm.notifications.recipients import partner_members
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError

SHARED_PERM = "deals.view_shared_registration"


def share_with_distributor(locked: DealRegistration) -> None:
    """Grant the distributor's active people the view of ``locked`` (and withdraw it from anyone
    else who had it: the reseller may have named another distributor before). Part of the
    submission's transaction; idempotent."""
    grants = DealRegistrationUserObjectPermission.objects.filter(
        content_object=locked, permission__codename="view_shared_registration"
    )
    if locked.distributor_id is None:
        grants.delete()
        return
    distributor = Partner.objects.filter(pk=locked.distributor_id).first()
    if distributor is None or distributor.type != Partner.Type.DISTRIBUTOR:
        raise DomainError(_("The partner named as distributor is not a distributor."))
    if distributor.pk == locked.partner_id:
        raise DomainError(_("A registration cannot name its own partner as distributor."))
    if distributor.status in Partner.BLOCKED_STATUSES:
        raise DomainError(
            _("%(partner)s cannot receive deals at the moment: choose another distributor.")
            % {"partner": distributor.name}
        )
    people = partner_members(distributor.pk)
    grants.exclude(user__in=people).delete()
    for user in people:
        assign_perm(SHARED_PERM, user, locked)


def shared_with_partner(partner_id: int):
    """The registrations shared with a distributor: those naming it that have been submitted
    (a draft is shared on its first submission)."""
    return DealRegistration.objects.filter(
        distributor_id=partner_id, first_submitted_at__isnull=False
    ).exclude(status=DealRegistration.Status.DRAFT)


def sync_distributor_grants(membership: Membership) -> None:
    """Keep one person's two-tier grants in step with their membership (hook of
    ``prm.accounts.services``): an active member of a distributor holds the grant on every
    registration shared with it, whether they joined before or after its submission; a
    deactivated member, or one who no longer works for a partner, holds none. Set-based:
    a fixed number of queries whatever the number of shared registrations."""
    grants = DealRegistrationUserObjectPermission.objects.filter(
        user_id=membership.user_id, permission__codename="view_shared_registration"
    )
    if not (membership.is_active and membership.is_partner and membership.partner_id):
        grants.delete()
        return
    shared = shared_with_partner(membership.partner_id)
    grants.exclude(content_object__in=shared).delete()
    missing = shared.exclude(pk__in=grants.values("content_object_id")).values_list("pk", flat=True)
    permission = Permission.objects.get(content_type__app_label="deals", codename="view_shared_registration")
    tenant = require_tenant()
    DealRegistrationUserObjectPermission.objects.bulk_create(
        [
            DealRegistrationUserObjectPermission(
                tenant=tenant, permission=permission, user_id=membership.user_id, content_object_id=pk
            )
            for pk in missing
        ]
    )
