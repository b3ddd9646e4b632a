from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from guardian.shortcuts import get_objects_for_user

from prm.accounts.models import Membership
from prm.jobs.models import Job


def jobs_for_membership(membership: Membership) -> QuerySet[Job]:
    """Vendor staff follow every job of the tenant; partner users their partner's jobs; a channel
    manager restricted to assigned partners the jobs of those partners and the jobs they started
    (a tenant-wide job's errors name any partner)."""
    qs = Job.objects.select_related("created_by", "partner")
    if membership.is_partner:
        return qs.filter(partner_id=membership.partner_id)
    if membership.assigned_partners_only:
        # The same grant as partners_for_membership; the core reaches the partner model through
        # the job's foreign key instead of importing the partners app.
        partner_model = Job._meta.get_field("partner").related_model
        assigned = get_objects_for_user(
            membership.user,
            "partners.manage_partner",
            klass=partner_model._default_manager.all(),  # type: ignore[union-attr]
            accept_global_perms=False,
        )
        return qs.filter(Q(partner__in=assigned.values("pk")) | Q(created_by_id=membership.user_id))
    return qs


def get_job_for_membership_or_404(membership: Membership, pk: int) -> Job:
    return get_object_or_404(jobs_for_membership(membership), pk=pk)
