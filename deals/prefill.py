"""Approved deal registrations as the start of a special pricing agreement (the claims back
office reads them through ``partners.registries``; registered in ``DealsConfig.ready()``)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone

from deals.models import DealLine, DealRegistration
from partners.registries import DealPrefill, DealPrefillLine
from prm.lib.money import quantize_money

# A distributor's approved registrations offered in the pick list: the newest ones.
PREFILL_LIMIT = 200
HUNDRED = Decimal("100")


def _line(line: DealLine, currency: str, discount_pct: Decimal) -> DealPrefillLine:
    unit_value = quantize_money(line.value / line.quantity, currency)
    approved = quantize_money(unit_value * (HUNDRED - discount_pct) / HUNDRED, currency)
    return DealPrefillLine(
        product_line=line.product_line,
        quantity=line.quantity,
        unit_value=unit_value,
        approved_unit_price=approved,
    )


def approved_registrations_for_prefill(
    partner_ids: Sequence[int], registration_id: int | None = None
) -> list[DealPrefill]:
    """The approved registrations of ``partner_ids`` (newest first; one when ``registration_id``
    is given), each with its product lines: two queries whatever the number of lines. The
    approved price per unit is the line's value per unit less the registration's discount."""
    qs = (
        DealRegistration.objects.filter(
            partner_id__in=list(partner_ids), status=DealRegistration.Status.APPROVED
        )
        .prefetch_related(Prefetch("lines", queryset=DealLine.objects.order_by("id")))
        .order_by("-decided_at", "-id")
    )
    if registration_id is not None:
        qs = qs.filter(pk=registration_id)
    found = []
    for r in qs[:PREFILL_LIMIT]:
        discount = r.discount_pct or Decimal("0")
        found.append(
            DealPrefill(
                id=r.pk,
                reference=r.reference,
                partner_id=r.partner_id,
                end_customer=r.customer_name,
                currency=r.currency,
                discount_pct=discount,
                approved_on=timezone.localdate(r.decided_at) if r.decided_at else None,
                protection_until=r.protection_until,
                lines=tuple(_line(line, r.currency, discount) for line in r.lines.all()),
            )
        )
    return found
