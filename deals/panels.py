"""Home dashboard panel and partner 360 section of the deals app (registered in DealsConfig.ready)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import DealExtension, DealRegistration, Lead, LeadAssignment
from deals.reports import lead_funnel
from deals.selectors import (
    extensions_for_membership,
    leads_for_membership,
    pipeline_values,
    registrations_for_membership,
)
from prm.dashboard import ActionItem, Panel
from prm.roles import Perm, membership_has

S = DealRegistration.Status
RECENT = 5  # registrations listed on a partner's 360 page


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
        figures=_deal_figures(membership, counts, open_values.totals() if open_values else [], leads),
    )


def _deal_figures(membership, counts: dict[str, int], open_value: list, leads: int) -> list[tuple[str, Any]]:
    if membership.is_partner:
        return [
            (_("Drafts"), counts["drafts"]),
            (_("Waiting for review"), counts["waiting"]),
            (_("Information requested"), counts["info"]),
            (_("Protected"), counts["approved"]),
            (_("Protection expires within 14 days"), counts["expiring"]),
            (_("Won"), counts["won"]),
            (_("Leads waiting for your answer"), leads),
        ]
    return [
        (_("Waiting for review"), counts["waiting"]),
        (_("Overdue reviews"), counts["overdue"]),
        (_("Open pipeline value"), open_value),
        (_("Won"), counts["won"]),
        (_("Leads back in the vendor queue"), leads),
    ]


def partner_deals_panel(membership, partner) -> Panel | None:
    """Partner 360: the partner's registrations (open, won, lost, conflicts, the latest ones) and
    leads (offered, accepted, converted); for reviewers, what waits for a decision."""
    if not membership_has(membership, Perm.DEAL_VIEW):
        return None
    now = timezone.now()
    qs = registrations_for_membership(membership).filter(partner=partner)
    counts = qs.aggregate(
        open=Count("id", filter=Q(status__in=DealRegistration.ACTIVE)),
        waiting=Count("id", filter=Q(status__in=DealRegistration.OPEN_FOR_REVIEW)),
        overdue=Count("id", filter=Q(status__in=DealRegistration.OPEN_FOR_REVIEW, review_due_at__lt=now)),
        won=Count("id", filter=Q(status=S.WON)),
        lost=Count("id", filter=Q(status=S.LOST)),
        rejected=Count("id", filter=Q(status=S.REJECTED)),
        expired=Count("id", filter=Q(status=S.EXPIRED)),
        conflicts=Count(
            "id",
            filter=Q(status__in=DealRegistration.ACTIVE)
            & ~Q(conflict_flag=DealRegistration.ConflictFlag.NONE),
        ),
    )
    recent = list(qs.order_by("-created_at", "-pk")[:RECENT])
    leads = None
    if membership_has(membership, Perm.LEAD_VIEW):
        leads = lead_funnel(LeadAssignment.objects.filter(partner=partner))[0]
    actions = []
    if membership_has(membership, Perm.DEAL_REVIEW):
        pipeline = reverse("deals:list")
        actions = [
            ActionItem(
                _("Registrations waiting for review"),
                counts["waiting"],
                f"{pipeline}?{urlencode({'partner': partner.pk, 'status': 'open'})}",
            ),
            ActionItem(
                _("Reviews past their deadline"),
                counts["overdue"],
                f"{pipeline}?{urlencode({'partner': partner.pk, 'status': 'open'})}",
            ),
            ActionItem(
                _("Protection extensions to decide"),
                extensions_for_membership(membership)
                .filter(registration__partner=partner, status=DealExtension.Status.PENDING)
                .count(),
                reverse("deals:review_queue"),
            ),
        ]
    return Panel(
        _("Deal registration and leads"),
        "deals/panels/partner.html",
        {"counts": counts, "recent": recent, "leads": leads, "partner": partner},
        order=20,
        actions=actions,
    )
