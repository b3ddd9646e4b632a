"""Home dashboard panel of funds (registered in FundsConfig.ready)."""

from __future__ import annotations

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
from prm.dashboard import Panel
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
            {"rows": rows, "open_requests": open_requests.count()},
            order=35,
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
    return Panel(_("Marketing funds"), "funds/panels/staff.html", context, order=35)
