"""Home dashboard panel and partner 360 section of POS data (registered in PosdataConfig.ready)."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from partners.selectors import partners_for_membership
from posdata.models import RejectedRow, Upload
from posdata.selectors import (
    OVERSTOCK_WEEKS,
    daily_sales_for_membership,
    inventory_positions,
    uploads_for_membership,
)
from prm.dashboard import ActionItem, Panel
from prm.finance.rates import converted_sums
from prm.roles import Perm, membership_has


def sales_panel(membership) -> Panel | None:
    if not membership_has(membership, Perm.POS_VIEW):
        return None
    currency = membership.tenant.base_currency
    since = datetime.date.today() - datetime.timedelta(days=365)
    # The daily rollup (per partner, invoice date and currency): a year of it whatever the lines.
    daily = daily_sales_for_membership(membership).filter(day__gte=since)
    units = daily.aggregate(units=Sum("quantity"))["units"]
    # Lines in other currencies are converted at their invoice date's rate (or, when a rate is
    # missing, the revenue is listed per currency): never left out, never added unconverted.
    revenue = converted_sums(daily, amount="amount", currency="currency", day="day", target=currency)
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
    figures: list[tuple[str, Any]] = [
        (_("Revenue, last 12 months"), context["revenue"]),
        (_("Units, last 12 months"), context["units"]),
    ]
    if open_exceptions is not None:
        figures.append((_("Rows with an unknown product"), open_exceptions))
    return Panel(_("Point-of-sale"), "posdata/panels/sales.html", context, order=40, figures=figures)


def partner_pos_panel(membership, partner) -> Panel | None:
    """Partner 360: the partner's POS revenue and units of the last 12 months, its inventory
    position (products at stock-out risk, out of stock, overstocked, healthy) and its last file;
    what waits: products at risk, lines in the exception queue."""
    if not membership_has(membership, Perm.POS_VIEW):
        return None
    currency = membership.tenant.base_currency
    since = datetime.date.today() - datetime.timedelta(days=365)
    daily = daily_sales_for_membership(membership).filter(partner=partner, day__gte=since)
    units = daily.aggregate(units=Sum("quantity"))["units"]
    revenue = converted_sums(daily, amount="amount", currency="currency", day="day", target=currency)
    positions = inventory_positions(membership, partner_id=partner.pk, high=OVERSTOCK_WEEKS)
    stock = {
        s: sum(1 for p in positions if p["status"] == s) for s in ("risk", "stockout", "overstock", "healthy")
    }
    inventory_url = f"{reverse('posdata:inventory')}?{urlencode({'partner': partner.pk})}"
    actions = [
        ActionItem(
            _("Products at stock-out risk or out of stock"), stock["risk"] + stock["stockout"], inventory_url
        )
    ]
    if membership_has(membership, Perm.POS_MANAGE):
        waiting = RejectedRow.objects.filter(partner=partner, unknown_product=True, resolution="").count()
        actions.append(
            ActionItem(_("POS lines waiting for a SKU mapping"), waiting, reverse("posdata:exceptions"))
        )
    context = {
        "revenue": revenue.totals(),
        "converted": revenue.complete,
        "units": units or 0,
        "stock": stock,
        "inventory_url": inventory_url,
        "last_upload": uploads_for_membership(membership).filter(partner=partner).first(),
        "partner": partner,
    }
    return Panel(
        _("Point-of-sale and inventory"), "posdata/panels/partner.html", context, order=40, actions=actions
    )
