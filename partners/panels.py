"""Home dashboard panels contributed by the partners app, and what needs action now about one
partner on its 360 page (the partners app's own items; the other apps add theirs through their
sections)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import BusinessPlan, Certification, PartnerApplication, PlanGoal, TierProposal
from partners.plan_progress import current_quarter, plan_progress
from partners.selectors import (
    agreement_signed,
    latest_scorecard,
    onboarding_progress,
    partners_for_membership,
)
from partners.services.plans import may_edit_plan
from partners.services.scorecards import tier_gap
from prm.accounts.models import Membership
from prm.dashboard import ActionItem, Panel
from prm.roles import Perm, membership_has


def partner_status_panel(membership: Membership) -> Panel | None:
    """Partner members: tier, agreement, onboarding and what the next tier needs."""
    if not membership.is_partner or membership.partner is None:
        return None
    partner = membership.partner
    assert partner is not None
    card = latest_scorecard(partner)
    return Panel(
        _("Your partnership"),
        "partners/panels/partner_status.html",
        {
            "partner": partner,
            "signed": agreement_signed(partner),
            "onboarding": onboarding_progress(partner),
            "gap": tier_gap(partner, card),
        },
        order=10,
    )


def channel_panel(membership: Membership) -> Panel | None:
    """Vendor staff: partners by tier and what waits for a decision."""
    if membership.is_partner or not membership_has(membership, Perm.PARTNER_VIEW):
        return None
    partners = partners_for_membership(membership)
    by_tier = list(partners.values("tier").annotate(n=Count("id")).order_by("-n"))
    context = {
        "total": sum(row["n"] for row in by_tier),
        "by_tier": by_tier,
        "can_review": membership_has(membership, Perm.APPLICATION_REVIEW),
        "applications": PartnerApplication.objects.filter(status=PartnerApplication.Status.SUBMITTED).count(),
        "proposals": TierProposal.objects.filter(
            status=TierProposal.Status.PENDING, partner__in=partners
        ).count(),
        "certificates": Certification.objects.filter(
            status=Certification.Status.PENDING, partner__in=partners
        ).count(),
    }
    figures = [
        (_("Partners"), context["total"]),
        *((_("Tier %(tier)s") % {"tier": row["tier"] or "—"}, row["n"]) for row in by_tier),
        (_("Applications waiting"), context["applications"]),
        (_("Tier proposals waiting"), context["proposals"]),
        (_("Certificates to check"), context["certificates"]),
    ]
    return Panel(_("Channel"), "partners/panels/channel.html", context, order=10, figures=figures)


def partner_actions(membership: Membership, partner, onboarding: dict[str, Any]) -> list[ActionItem]:
    """Partner 360, the partners app's part of "what needs action now": certificates to verify,
    a tier change to decide, overdue onboarding items (``onboarding``: the recorded progress the
    page shows already)."""
    actions = [
        ActionItem(
            _("Overdue onboarding items"),
            onboarding["overdue"],
            reverse("partners:onboarding", kwargs={"pk": partner.pk}),
        )
    ]
    if membership_has(membership, Perm.CERTIFICATION_VERIFY):
        waiting = Certification.objects.filter(partner=partner, status=Certification.Status.PENDING).count()
        url = f"{reverse('partners:certifications')}?{urlencode({'status': Certification.Status.PENDING})}"
        actions.append(ActionItem(_("Certificates to verify"), waiting, url))
    if membership_has(membership, Perm.TIER_PROPOSAL_DECIDE):
        proposals = TierProposal.objects.filter(partner=partner, status=TierProposal.Status.PENDING).count()
        actions.append(ActionItem(_("Tier change to decide"), proposals, reverse("partners:proposals")))
    return [a for a in actions if a.count]


def partner_plan_panel(membership: Membership, partner) -> Panel | None:
    """Partner 360: this year's joint business plan, its sign-off and the current quarter's goals
    against their targets (a fixed number of queries: the plan, its goals, the KPI providers once)."""
    if not membership_has(membership, Perm.PLAN_VIEW):
        return None
    today = timezone.localdate()
    plan = (
        BusinessPlan.objects.select_related("partner", "vendor_signed_by", "partner_signed_by")
        .filter(partner=partner, year=today.year)
        .first()
    )
    can_edit = may_edit_plan(membership, partner.pk)
    context: dict[str, Any] = {"plan": plan, "partner": partner, "can_edit": can_edit, "year": today.year}
    actions = []
    if plan is not None:
        number = current_quarter(plan.year, today)
        goals = list(PlanGoal.objects.filter(plan=plan, quarter=number))
        context["progress"] = plan_progress(plan, goals, today=today, quarters=[number] if number else [])
        context["quarter"] = context["progress"].quarter(number) if number else None
        side_signed = plan.partner_signed_at if membership.is_partner else plan.vendor_signed_at
        if can_edit and plan.status == BusinessPlan.Status.PROPOSED and side_signed is None:
            url = reverse("partners:plan_detail", kwargs={"pk": plan.pk})
            actions.append(ActionItem(_("Business plan to sign"), 1, url))
    return Panel(_("Business plan"), "partners/panels/partner_plan.html", context, order=15, actions=actions)
