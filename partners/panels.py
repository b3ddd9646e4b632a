"""Home dashboard panels contributed by the partners app."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext as _

from partners.models import Certification, PartnerApplication, TierProposal
from partners.selectors import (
    agreement_signed,
    latest_scorecard,
    onboarding_progress,
    partners_for_membership,
)
from partners.services.scorecards import tier_gap
from prm.accounts.models import Membership
from prm.dashboard import Panel
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
    return Panel(_("Channel"), "partners/panels/channel.html", context, order=10)
