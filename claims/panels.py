"""Home dashboard panel of claims (registered in ClaimsConfig.ready)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from claims.models import Claim
from claims.selectors import claims_for_membership
from prm.dashboard import Panel
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
    )
