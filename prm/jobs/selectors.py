from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from prm.accounts.models import Membership
from prm.jobs.models import Job


def jobs_for_membership(membership: Membership) -> QuerySet[Job]:
    """Vendor staff follow every job of the tenant; partner users their partner's jobs."""
    qs = Job.objects.select_related("created_by", "partner")
    if membership.is_partner:
        return qs.filter(partner_id=membership.partner_id)
    return qs


def get_job_for_membership_or_404(membership: Membership, pk: int) -> Job:
    return get_object_or_404(jobs_for_membership(membership), pk=pk)
