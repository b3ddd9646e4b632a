"""Home dashboard panel of POS data (registered in PosdataConfig.ready)."""

from __future__ import annotations

import datetime

from django.db.models import Sum
from django.utils.translation import gettext as _

from partners.selectors import partners_for_membership
from posdata.models import RejectedRow, Upload
from posdata.selectors import pos_lines_for_membership, uploads_for_membership
from prm.dashboard import Panel
from prm.finance.rates import converted_sums
from prm.roles import Perm, membership_has


def sales_panel(membership) -> Panel | None:
    if not membership_has(membership, Perm.POS_VIEW):
        return None
    currency = membership.tenant.base_currency
    since = datetime.date.today() - datetime.timedelta(days=365)
    lines = pos_lines_for_membership(membership).filter(invoice_date__gte=since)
    units = lines.aggregate(units=Sum("quantity"))["units"]
    # Lines in other currencies are converted at their invoice date's rate (or, when a rate is
    # missing, the revenue is listed per currency): never left out, never added unconverted.
    revenue = converted_sums(lines, amount="amount", currency="currency", day="invoice_date", target=currency)
    last: Upload | None = uploads_for_membership(membership).first()
    open_exceptions = None
    if membership_has(membership, Perm.POS_MANAGE):
        open_exceptions = RejectedRow.objects.filter(
            partner__in=partners_for_membership(membership), unknown_product=True, resolution=""
        ).count()
    context = {
        "revenue": revenue.totals(),
        "converted": revenue.complete,
        "units": units or 0,
        "currency": currency,
        "last_upload": last,
        "open_exceptions": open_exceptions,
    }
    return Panel(_("Point-of-sale"), "posdata/panels/sales.html", context, order=40)
