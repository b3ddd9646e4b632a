"""Which partners a member may see: the single scoping rule reused by every app."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from guardian.shortcuts import get_objects_for_user

from partners.models import Partner
from prm.accounts.models import Membership


def partners_for_membership(membership: Membership) -> QuerySet[Partner]:
    """Partner roles: their own partner. Managers restricted to assignments: assigned partners
    (django-guardian object grants). Other vendor staff: every partner of the tenant."""
    qs = Partner.objects.all()
    if membership.is_partner:
        return qs.filter(pk=membership.partner_id or 0)
    if membership.assigned_partners_only:
        assigned = get_objects_for_user(
            membership.user, "partners.manage_partner", klass=qs, accept_global_perms=False
        )
        return qs.filter(pk__in=assigned.values("pk"))
    return qs


def get_partner_for_membership_or_404(membership: Membership, pk: int) -> Partner:
    return get_object_or_404(partners_for_membership(membership), pk=pk)


def partner_ids_for_membership(membership: Membership) -> QuerySet:
    return partners_for_membership(membership).values("pk")
