"""Home dashboard panels of finance: what is owed to a partner (their home page), and what the
vendor owes (finance and vendor admins)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from prm.dashboard import Panel
from prm.finance.models import Payable
from prm.finance.selectors import payable_totals, payable_totals_by_state, payables_for_membership
from prm.roles import Perm, membership_has

RECENT = 5


def payables_panel(membership) -> Panel | None:
    if not membership_has(membership, Perm.PAYABLE_VIEW):
        return None
    qs = payables_for_membership(membership)
    if membership.is_partner:
        recent = list(qs.exclude(status=Payable.Status.CANCELLED).order_by("-created_at", "-pk")[:RECENT])
        return Panel(
            _("Payments to you"),
            "finance/panels/partner_payables.html",
            {"totals": payable_totals_by_state(qs), "recent": recent},
            order=30,
        )
    if not membership_has(membership, Perm.PAYABLE_MANAGE):
        return None
    unpaid = qs.filter(status__in=Payable.UNPAID)
    return Panel(
        _("Payables"),
        "finance/panels/payables.html",
        {
            "totals": payable_totals(unpaid),
            "overdue": unpaid.filter(due_date__lt=timezone.localdate()).count(),
        },
        order=25,
    )
