"""Reads of finance: exchange rates, and payables scoped to what a member may see."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from prm.accounts.models import Membership
from prm.audit.models import AuditEvent
from prm.finance.models import FinanceSettings, FxRate, Payable
from prm.lib.money import Money, quantize_money
from prm.roles import Role
from prm.scoping import partners_in_scope


def finance_settings() -> FinanceSettings:
    """The tenant's finance policies; the defaults (unsaved) until someone changes them."""
    return FinanceSettings.objects.first() or FinanceSettings()


def fx_rates(params: Mapping[str, str] | None = None) -> QuerySet[FxRate]:
    """The tenant's rates, newest first, filtered by currency (either side) and date range."""
    params = params or {}
    qs = FxRate.objects.select_related("created_by")
    currency = (params.get("currency") or "").strip().upper()
    if currency:
        qs = qs.filter(Q(base_currency=currency) | Q(quote_currency=currency))
    start, end = _date(params.get("from")), _date(params.get("to"))
    if start:
        qs = qs.filter(rate_date__gte=start)
    if end:
        qs = qs.filter(rate_date__lte=end)
    return qs.order_by("-rate_date", "base_currency", "quote_currency", "-id")


def fx_currencies() -> list[str]:
    """Every currency that appears in a stored rate."""
    pairs = FxRate.objects.order_by().values_list("base_currency", "quote_currency").distinct()
    return sorted({code for pair in pairs for code in pair})


def payables_for_membership(membership: Membership) -> QuerySet[Payable]:
    """Vendor staff: the payables of the partners they may see. Partner admins: their partner's.
    Partner users: the ones payable to them personally (SPIFs)."""
    qs = Payable.objects.select_related("partner", "payee_user")
    if membership.is_partner:
        qs = qs.filter(partner_id=membership.partner_id)
        if membership.role == Role.PARTNER_USER:
            qs = qs.filter(payee_user_id=membership.user_id)
        return qs
    return qs.filter(partner__in=partners_in_scope(membership))


def get_payable_for_membership_or_404(membership: Membership, pk: int) -> Payable:
    return get_object_or_404(payables_for_membership(membership), pk=pk)


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def filter_payables(qs: QuerySet[Payable], params: Mapping[str, str]) -> QuerySet[Payable]:
    """Filters of the payables list: status, partner, currency, source type, due dates, reference."""
    status = (params.get("status") or "").strip()
    if status == "unpaid":
        qs = qs.filter(status__in=Payable.UNPAID)
    elif status in Payable.Status.values:
        qs = qs.filter(status=status)
    partner = (params.get("partner") or "").strip()
    if partner.isdigit():
        qs = qs.filter(partner_id=int(partner))
    currency = (params.get("currency") or "").strip().upper()
    if currency:
        qs = qs.filter(currency=currency)
    source_type = (params.get("source_type") or "").strip()
    if source_type:
        qs = qs.filter(source_type=source_type)
    start, end = _date(params.get("due_from")), _date(params.get("due_to"))
    if start:
        qs = qs.filter(due_date__gte=start)
    if end:
        qs = qs.filter(due_date__lte=end)
    query = (params.get("q") or "").strip()
    if query:
        number = query.upper().removeprefix("PAY-").lstrip("0")
        match = Q(source_id__icontains=query) | Q(description__icontains=query)
        if number.isdigit():
            match |= Q(pk=int(number))
        qs = qs.filter(match)
    return qs.order_by("due_date", "pk")


def payable_totals(qs: QuerySet[Payable]) -> list[dict]:
    """Per currency (never added across currencies): the number of payables and their sum."""
    rows = qs.order_by().values("currency").annotate(n=Count("id"), total=Sum("amount")).order_by("currency")
    return [
        {
            "currency": row["currency"],
            "n": row["n"],
            "total": Money(quantize_money(row["total"] or Decimal("0"), row["currency"]), row["currency"]),
        }
        for row in rows
    ]


def payable_totals_by_state(qs: QuerySet[Payable]) -> dict[str, list[Money]]:
    """Unpaid and paid totals per currency (the partner's view of what is owed and what came)."""
    rows = (
        qs.order_by()
        .values("currency")
        .annotate(
            unpaid=Sum("amount", filter=Q(status__in=Payable.UNPAID)),
            paid=Sum("amount", filter=Q(status=Payable.Status.PAID)),
        )
        .order_by("currency")
    )
    result: dict[str, list[Money]] = {"unpaid": [], "paid": []}
    for row in rows:
        for state in ("unpaid", "paid"):
            if row[state] is not None:
                result[state].append(Money(quantize_money(row[state], row["currency"]), row["currency"]))
    return result


def payable_history(payable: Payable) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type="prm.payable", object_id=str(payable.pk)).select_related(
        "actor"
    )


PAYABLE_EXPORT_HEADERS = [
    "reference",
    "source_type",
    "source_id",
    "partner_code",
    "partner",
    "payee",
    "amount",
    "currency",
    "due_date",
    "status",
    "description",
    "created_at",
]


def payable_export_rows(qs: QuerySet[Payable]):
    """Rows of the payables export: amounts rounded to each currency's minor unit (as on screen)."""
    for p in qs.iterator(chunk_size=2000):
        yield [
            p.reference,
            p.source_type,
            p.source_id,
            p.partner.code,
            p.partner.name,
            p.payee_user.email if p.payee_user else "",
            quantize_money(p.amount, p.currency),
            p.currency,
            p.due_date,
            p.status,
            p.description,
            timezone.localtime(p.created_at).replace(microsecond=0, tzinfo=None),
        ]
