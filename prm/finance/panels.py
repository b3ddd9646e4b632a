"""Home dashboard panels of finance: what is owed to a partner (their home page), and what the
vendor owes (finance and vendor admins); the payables section of a partner's 360 page."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from prm.dashboard import ActionItem, Panel
from prm.finance.models import Payable
from prm.finance.payout_details import UNVERIFIED, payout_details_statuses
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
            {"totals": (by_state := payable_totals_by_state(qs)), "recent": recent},
            order=30,
            figures=[(_("Not paid yet"), by_state["unpaid"]), (_("Paid"), by_state["paid"])],
        )
    if not membership_has(membership, Perm.PAYABLE_MANAGE):
        return None
    unpaid = qs.filter(status__in=Payable.UNPAID)
    open_totals = payable_totals(unpaid)
    overdue = unpaid.filter(due_date__lt=timezone.localdate()).count()
    return Panel(
        _("Payables"),
        "finance/panels/payables.html",
        {"totals": open_totals, "overdue": overdue},
        order=25,
        figures=[
            (_("Open payables"), [row["total"] for row in open_totals]),
            (_("Overdue"), overdue),
        ],
    )


def partner_payables_panel(membership, partner) -> Panel | None:
    """Partner 360: what the vendor owes the partner (unpaid and paid per currency, overdue),
    its latest payables and the state of its payout details; for finance, details to verify."""
    if not membership_has(membership, Perm.PAYABLE_VIEW):
        return None
    qs = payables_for_membership(membership).filter(partner_id=partner.pk)
    overdue = qs.filter(status__in=Payable.UNPAID, due_date__lt=timezone.localdate()).count()
    recent = list(qs.exclude(status=Payable.Status.CANCELLED).order_by("-created_at", "-pk")[:RECENT])
    details = payout_details_statuses([partner.pk])[partner.pk]
    actions = []
    if membership_has(membership, Perm.PAYOUT_DETAILS_VERIFY):
        url = reverse("partners:payout", kwargs={"pk": partner.pk})
        actions.append(ActionItem(_("Payout details to verify"), int(details.status == UNVERIFIED), url))
    return Panel(
        _("Payables"),
        "finance/panels/partner_360.html",
        {"totals": payable_totals_by_state(qs), "overdue": overdue, "recent": recent, "details": details},
        order=80,
        actions=actions,
    )
