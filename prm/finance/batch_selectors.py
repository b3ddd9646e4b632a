"""Reads of payout batches: lists, a batch's payments with their totals per currency, lines."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.shortcuts import get_object_or_404

from prm.accounts.models import Membership
from prm.audit.models import AuditEvent
from prm.finance.models import PayoutBatch, PayoutBatchLine, PayoutPayment
from prm.lib.money import Money, quantize_money
from prm.roles import Perm, membership_has
from prm.scoping import partners_in_scope


def batches_for_membership(membership: Membership) -> QuerySet[PayoutBatch]:
    """Finance and vendor admins see every batch of the tenant; nobody else sees any."""
    if not membership_has(membership, Perm.PAYOUT_BATCH_VIEW):
        return PayoutBatch.objects.none()
    return PayoutBatch.objects.select_related("created_by", "approved_by")


def get_batch_for_membership_or_404(membership: Membership, pk: int) -> PayoutBatch:
    return get_object_or_404(batches_for_membership(membership), pk=pk)


def batch_payments(batch: PayoutBatch) -> QuerySet[PayoutPayment]:
    return batch.payments.select_related("partner", "paid_by").order_by("status", "partner__code")


def batch_totals(batch: PayoutBatch) -> dict[str, Money | int]:
    """What the batch pays (partners to pay or paid) and what it holds back, in its currency."""
    rows = batch.payments.values("status").annotate(total=Sum("amount"), n=Count("id")).order_by()
    by_status = {r["status"]: (r["total"] or Decimal("0"), r["n"]) for r in rows}
    pay = sum((by_status.get(s, (Decimal("0"), 0))[0] for s in ("to_pay", "paid")), Decimal("0"))
    held = by_status.get("held", (Decimal("0"), 0))
    return {
        "pay": Money(quantize_money(pay, batch.currency), batch.currency),
        "partners": sum(by_status.get(s, (0, 0))[1] for s in ("to_pay", "paid")),
        "held": Money(quantize_money(held[0], batch.currency), batch.currency),
        "held_partners": held[1],
        "paid_partners": by_status.get("paid", (0, 0))[1],
    }


def payment_currency_breakdown(batch: PayoutBatch, payment_ids: list[int]) -> dict[int, list[dict]]:
    """Per payment: its lines' totals in each original currency (with clawbacks separately), so
    the review shows what nets into each partner's payment. One query for a page of payments."""
    rows = (
        PayoutBatchLine.objects.filter(batch=batch, payment_id__in=payment_ids)
        .values("payment_id", "currency")
        .annotate(
            total=Sum("amount"),
            paid=Sum("payment_amount"),
            n=Count("id"),
        )
        .order_by("payment_id", "currency")
    )
    result: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        result[row["payment_id"]].append(
            {
                "original": Money(quantize_money(row["total"], row["currency"]), row["currency"]),
                "converted": Money(quantize_money(row["paid"], batch.currency), batch.currency),
                "n": row["n"],
            }
        )
    return result


def payment_lines(payment: PayoutPayment) -> QuerySet[PayoutBatchLine]:
    return payment.lines.select_related("payable").order_by("payable__source_type", "payable_id")


def batch_history(batch: PayoutBatch) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type="prm.payoutbatch", object_id=str(batch.pk)).select_related(
        "actor"
    )


def remittances_for_membership(membership: Membership) -> QuerySet[PayoutPayment]:
    """Paid payments with their statements: partner admins their own partner's; finance and
    vendor admins those of the partners they may see."""

    if not membership_has(membership, Perm.REMITTANCE_VIEW):
        return PayoutPayment.objects.none()
    qs = PayoutPayment.objects.filter(status=PayoutPayment.Status.PAID).select_related("batch", "partner")
    if membership.is_partner:
        return qs.filter(partner_id=membership.partner_id)
    return qs.filter(partner__in=partners_in_scope(membership))


def get_remittance_for_membership_or_404(membership: Membership, pk: int) -> PayoutPayment:
    return get_object_or_404(remittances_for_membership(membership), pk=pk)
