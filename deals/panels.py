"""Home dashboard panels of the deals app (registered in DealsConfig.ready)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import DealRegistration, Lead
from deals.selectors import leads_for_membership, pipeline_values, registrations_for_membership
from prm.dashboard import Panel
from prm.roles import Perm, membership_has

S = DealRegistration.Status


def deals_panel(membership) -> Panel | None:
    if not membership_has(membership, Perm.DEAL_VIEW):
        return None
    today = timezone.localdate()
    now = timezone.now()
    qs = registrations_for_membership(membership)
    counts = qs.aggregate(
        drafts=Count("id", filter=Q(status=S.DRAFT)),
        waiting=Count("id", filter=Q(status__in=[S.SUBMITTED, S.UNDER_REVIEW])),
        info=Count("id", filter=Q(status=S.INFO_REQUESTED)),
        approved=Count("id", filter=Q(status=S.APPROVED)),
        expiring=Count("id", filter=Q(status=S.APPROVED, protection_until__lte=today + timedelta(days=14))),
        overdue=Count("id", filter=Q(status__in=[S.SUBMITTED, S.UNDER_REVIEW], review_due_at__lt=now)),
        won=Count("id", filter=Q(status=S.WON)),
    )
    currency = membership.tenant.base_currency
    open_values = None
    if not membership.is_partner:
        # Registrations come in any currency: converted at their day's rate, or listed per currency.
        open_values = pipeline_values(
            qs.filter(status__in=[S.SUBMITTED, S.UNDER_REVIEW, S.APPROVED]), currency
        )
    leads = 0
    if membership_has(membership, Perm.LEAD_VIEW):
        status = Lead.Status.OFFERED if membership.is_partner else Lead.Status.RETURNED
        leads = leads_for_membership(membership).filter(status=status).count()
    return Panel(
        _("Deal registration"),
        "deals/panels/deals.html",
        {
            "counts": counts,
            "leads": leads,
            "is_partner": membership.is_partner,
            "can_review": membership_has(membership, Perm.DEAL_REVIEW),
            "currency": currency,
            "open_value": open_values.totals() if open_values else [],
            "converted": open_values.complete if open_values else True,
        },
        order=20,
    )
