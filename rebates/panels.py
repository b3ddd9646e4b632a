"""Home dashboard panel and partner 360 section of rebates (registered in RebatesConfig.ready)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from prm.dashboard import Panel
from prm.roles import Perm, membership_has
from rebates.selectors import statement_accruals


def rebates_panel(membership) -> Panel | None:
    if not membership_has(membership, Perm.REBATE_VIEW):
        return None
    rows = list(
        statement_accruals(membership)
        .values("currency")
        .annotate(
            earned=Sum("earned", default=Decimal("0")), due=Sum("due", default=Decimal("0")), n=Count("id")
        )
        .order_by("currency")
    )
    return Panel(
        _("Rebates and SPIFs"),
        "rebates/panels/rebates.html",
        {"rows": rows, "staff": not membership.is_partner},
        order=40,
        figures=[
            figure
            for row in rows
            for figure in (
                (_("Earned (%(currency)s)") % {"currency": row["currency"]}, row["earned"]),
                (_("Due (%(currency)s)") % {"currency": row["currency"]}, row["due"]),
            )
        ],
    )


STATEMENTS_SHOWN = 10  # a partner's latest statements listed on its 360 page


def partner_rebates_panel(membership, partner) -> Panel | None:
    """Partner 360: what the partner earned and is due per currency in the programs' latest runs,
    and its latest statements (vendor staff who see programs)."""
    if not membership_has(membership, Perm.REBATE_PROGRAM_VIEW):
        return None
    accruals = statement_accruals(membership).filter(partner=partner)
    totals = list(
        accruals.order_by()
        .values("currency")
        .annotate(
            earned=Sum("earned", default=Decimal("0")), due=Sum("due", default=Decimal("0")), n=Count("id")
        )
        .order_by("currency")
    )
    statements = list(accruals.filter(payee_user__isnull=True)[:STATEMENTS_SHOWN])
    return Panel(
        _("Rebates and SPIFs"),
        "rebates/panels/partner.html",
        {"totals": totals, "statements": statements},
        order=70,
    )
