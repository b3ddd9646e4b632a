"""Home dashboard panel of rebates (registered in RebatesConfig.ready)."""

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
    )
