"""Home dashboard panel and partner 360 section of funds (registered in FundsConfig.ready)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from funds.models import FundClaim, FundRequest
from funds.selectors import (
    accounts_for_membership,
    approval_queue,
    balances_of_accounts,
    claims_for_membership,
    expiry_schedule,
    requests_for_membership,
)
from prm.dashboard import ActionItem, Panel
from prm.roles import Perm, membership_has


def funds_panel(membership) -> Panel | None:
    if not membership_has(membership, Perm.FUND_VIEW):
        return None
    today = timezone.localdate()
    if membership.is_partner:
        accounts = list(accounts_for_membership(membership))
        if not accounts:
            return None
        balances = balances_of_accounts(accounts)
        schedule = expiry_schedule([a.pk for a in accounts], start=today)
        rows = [
            {
                "account": a,
                "available": balances[a.pk].available if a.pk in balances else 0,
                "next": next(iter(schedule.get(a.pk, [])), None),
            }
            for a in accounts
        ]
        open_requests = requests_for_membership(membership).filter(
            status__in=[
                FundRequest.Status.DRAFT,
                FundRequest.Status.PENDING,
                FundRequest.Status.CHANGES_REQUESTED,
            ]
        )
        return Panel(
            _("Marketing funds"),
            "funds/panels/partner.html",
            {"rows": rows, "open_requests": (open_count := open_requests.count())},
            order=35,
            figures=[
                *(
                    (_("Available in %(fund)s") % {"fund": a.fund.code}, balances[a.pk].available)
                    for a in accounts
                    if a.pk in balances
                ),
                (_("Open requests"), open_count),
            ],
        )
    context = {
        "queue": approval_queue(membership, today).count()
        if membership_has(membership, Perm.FUND_APPROVE)
        else None,
        "claims": claims_for_membership(membership).filter(status=FundClaim.Status.SUBMITTED).count()
        if membership_has(membership, Perm.FUND_CLAIM_REVIEW)
        else None,
        "reports": membership_has(membership, Perm.FUND_REPORTS),
    }
    if context["queue"] is None and context["claims"] is None and not context["reports"]:
        return None
    figures = [
        (label, context[key])
        for key, label in (
            ("queue", _("Requests waiting for your approval")),
            ("claims", _("Claims to review")),
        )
        if context[key] is not None
    ]
    return Panel(_("Marketing funds"), "funds/panels/staff.html", context, order=35, figures=figures)


def partner_funds_panel(membership, partner) -> Panel | None:
    """Partner 360: the partner's MDF/co-op accounts with what is available (from the ledger),
    its requests and claims by state; the requests and claims waiting for the member."""
    if not membership_has(membership, Perm.FUND_VIEW):
        return None
    today = timezone.localdate()
    accounts = list(accounts_for_membership(membership).filter(partner=partner).order_by("fund__name", "pk"))
    balances = balances_of_accounts(accounts)
    rows = [{"account": a, "balances": balances.get(a.pk)} for a in accounts]
    R, C = FundRequest.Status, FundClaim.Status
    requests = (
        requests_for_membership(membership)
        .filter(partner=partner)
        .aggregate(
            open=Count("id", filter=Q(status__in=[R.DRAFT, R.PENDING, R.CHANGES_REQUESTED])),
            pending=Count("id", filter=Q(status=R.PENDING)),
            approved=Count("id", filter=Q(status__in=[R.APPROVED, R.COMPLETED])),
        )
    )
    claims = (
        claims_for_membership(membership)
        .filter(partner=partner)
        .aggregate(
            submitted=Count("id", filter=Q(status=C.SUBMITTED)),
            approved=Count("id", filter=Q(status__in=FundClaim.APPROVED_STATES)),
        )
    )
    actions = []
    if membership_has(membership, Perm.FUND_APPROVE):
        waiting = approval_queue(membership, today).filter(partner=partner).count()
        url = f"{reverse('funds:requests')}?{urlencode({'partner': partner.pk, 'mine': '1'})}"
        actions.append(ActionItem(_("Fund requests waiting for your approval"), waiting, url))
    if membership_has(membership, Perm.FUND_CLAIM_REVIEW):
        url = f"{reverse('funds:claims')}?{urlencode({'partner': partner.pk, 'status': C.SUBMITTED})}"
        actions.append(ActionItem(_("Fund claims to review"), claims["submitted"], url))
    return Panel(
        _("Marketing funds"),
        "funds/panels/partner_360.html",
        {"rows": rows, "requests": requests, "claims": claims, "partner": partner},
        order=60,
        actions=actions,
    )
