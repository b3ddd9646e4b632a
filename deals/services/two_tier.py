"""Two-tier deals: a reseller names the distributor it buys through; that distributor's people
see this one registration, read only (its protection and approved discount), through a
django-guardian object grant. They never see the reseller's other registrations."""

from __future__ import annotations

from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from deals.models import DealRegistration, DealRegistrationUserObjectPermission
from partners.models import Partner
from prm.notifications.recipients import partner_members
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
