"""Reading scheduled reports: a member's own (vendor admins: the tenant's), one of them or 404,
the members one may choose as recipients, and a schedule's recent runs."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from prm.accounts.models import Membership
from prm.roles import Perm, membership_has
from prm.scheduled_reports.models import ScheduledReport, ScheduledReportRun

RUNS_SHOWN = 50


def scheduled_reports_for_membership(membership: Membership) -> QuerySet[ScheduledReport]:
    """The member's own schedules; every schedule of the tenant for those who oversee them."""
    # Ordered here: Meta.ordering is not applied to a query with GROUP BY (the count).
    qs = (
        ScheduledReport.objects.select_related("owner__user")
        .annotate(recipient_count=Count("recipient_rows"))
        .order_by("name", "id")
    )
    if membership_has(membership, Perm.REPORT_SCHEDULE_ALL):
        return qs
    return qs.filter(owner=membership)


def get_scheduled_report_for_membership_or_404(membership: Membership, pk: int) -> ScheduledReport:
    return get_object_or_404(scheduled_reports_for_membership(membership), pk=pk)


def recipient_choices(membership: Membership) -> QuerySet[Membership]:
    """Whom a member may send a report to: active members of the tenant (a partner's people: their
    own partner's colleagues only, the tenant's people list is not theirs to read). Whether each
    may see the report is checked when it is sent."""
    qs = Membership.objects.filter(is_active=True, user__is_active=True).select_related("user", "partner")
    if membership.is_partner:
        qs = qs.filter(partner_id=membership.partner_id)
    return qs.order_by("user__email")


def recent_runs(schedule: ScheduledReport) -> QuerySet[ScheduledReportRun]:
    return schedule.runs.select_related("recipient__user").order_by("-created_at", "-id")[:RUNS_SHOWN]
