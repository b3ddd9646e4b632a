"""Home dashboard panel and partner 360 section of claims (registered in ClaimsConfig.ready)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from claims.models import Claim, PricingAgreement
from claims.selectors import agreements_for_membership, claims_for_membership
from prm.dashboard import ActionItem, Panel
from prm.lib.money import Money, quantize_money
from prm.roles import Perm, membership_has

C = Claim.Status


def claims_panel(membership) -> Panel | None:
    if not membership_has(membership, Perm.CLAIM_VIEW):
        return None
    counts = claims_for_membership(membership).aggregate(
        waiting=Count("id", filter=Q(status__in=[C.SUBMITTED, C.VALIDATING])),
        in_review=Count("id", filter=Q(status=C.IN_REVIEW)),
        approved=Count("id", filter=Q(status=C.APPROVED)),
        failed=Count("id", filter=Q(status=C.FAILED)),
        approved_total=Sum("approved_total", filter=Q(status=C.APPROVED), default=Decimal("0")),
    )
    return Panel(
        _("Ship-and-debit claims"),
        "claims/panels/claims.html",
        {
            "counts": counts,
            "currency": membership.tenant.base_currency,
            "can_submit": membership_has(membership, Perm.CLAIM_SUBMIT),
        },
        order=30,
        figures=[
            (_("Waiting for validation"), counts["waiting"]),
            (_("In review"), counts["in_review"]),
            (_("Approved"), counts["approved"]),
            (_("Failed"), counts["failed"]),
        ],
    )


def partner_claims_panel(membership, partner) -> Panel | None:
    """Partner 360: the distributor's ship-and-debit claims by status, claimed and approved sums
    per currency (never added across currencies), its active agreements; claims to review."""
    if not membership_has(membership, Perm.CLAIM_VIEW):
        return None
    claims = claims_for_membership(membership).filter(partner=partner)
    counts = claims.aggregate(
        waiting=Count("id", filter=Q(status__in=[C.SUBMITTED, C.VALIDATING])),
        in_review=Count("id", filter=Q(status=C.IN_REVIEW)),
        approved=Count("id", filter=Q(status=C.APPROVED)),
        failed=Count("id", filter=Q(status=C.FAILED)),
    )
    sums = [
        {
            "claimed": Money(quantize_money(row["claimed"], row["currency"]), row["currency"]),
            "approved": Money(quantize_money(row["approved"], row["currency"]), row["currency"]),
        }
        for row in claims.exclude(status=C.FAILED)
        .order_by()
        .values("currency")
        .annotate(
            claimed=Sum("claimed_total", default=Decimal("0")),
            approved=Sum("approved_total", filter=Q(status=C.APPROVED), default=Decimal("0")),
        )
        .order_by("currency")
    ]
    agreements = (
        agreements_for_membership(membership)
        .filter(partner=partner, status=PricingAgreement.Status.ACTIVE)
        .count()
    )
    actions = []
    if membership_has(membership, Perm.CLAIM_REVIEW):
        url = f"{reverse('claims:list')}?{urlencode({'partner': partner.pk, 'status': C.IN_REVIEW})}"
        actions.append(ActionItem(_("Claims to review"), counts["in_review"], url))
    return Panel(
        _("Ship-and-debit claims"),
        "claims/panels/partner.html",
        {"counts": counts, "sums": sums, "agreements": agreements, "partner": partner},
        order=50,
        actions=actions,
    )
