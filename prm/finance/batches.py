"""Payout batches: the only way payables move past "open". Finance builds a batch from filters, a
different finance user approves it (maker-checker, enforced here), it is exported to the ERP and
marked paid partner by partner (by hand or from the bank's confirmation file); cancelling a batch
that has not been exported returns its payables to open.

Every service: one transaction, row locks, the permission from ``prm.roles``, the transition table,
audit rows (for the batch and for each payable it moves), notifications on commit. Payables move
set-based (one UPDATE per transition), never one query per row.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from prm.accounts.models import Membership
from prm.audit.services import audit, audit_each
from prm.events import iso, publish
from prm.files import UploadRejected, iter_csv_records, open_text, store_upload
from prm.finance.models import Payable, PayoutBatch, PayoutBatchLine, PayoutPayment
from prm.finance.payout_details import OK, UNVERIFIED, payout_details_statuses
from prm.finance.rates import rate_lateral_sql
from prm.finance.selectors import finance_settings
from prm.finance.services import _currency
from prm.finance.tasks import payables_paid, remittance_statements
from prm.lib.money import format_amount_str, minor_units, quantize_money
from prm.notifications.services import notify
from prm.roles import Perm, Role, membership_has
from prm.scoping import partners_in_scope
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError, check_transition, require

B = PayoutBatch.Status
P = Payable.Status
H = PayoutPayment.Hold


@dataclass(frozen=True)
class BatchFilters:
    """Which open payables a new batch takes. Empty means no restriction."""

    source_types: tuple[str, ...] = ()
    partner_ids: tuple[int, ...] = ()
    currency: str = ""
    due_before: datetime.date | None = None

    def as_record(self) -> dict[str, Any]:
        return {
            "source_types": list(self.source_types),
            "partner_ids": list(self.partner_ids),
            "currency": self.currency,
            "due_before": self.due_before.isoformat() if self.due_before else None,
        }


# --- helpers ------------------------------------------------------------------------------------


def _audit_payables(payable_ids: Iterable[int], *, actor, action: str, after: dict[str, Any]) -> None:
    """One audit row per payable moved, written in one statement (a batch moves thousands); each
    names the payable's partner, as ``audit`` does, for the partner's history."""
    ids = list(payable_ids)
    partners = dict(Payable.objects.filter(pk__in=ids).values_list("pk", "partner_id"))
    audit_each(
        actor=actor,
        action=action,
        object_type="prm.payable",
        rows=((pk, f"PAY-{pk:06d}", None, after) for pk in ids),
        partner_of=partners,
    )


def _move_payables(
    batch: PayoutBatch, *, source: str, target: str, actor, action: str, partner_ids=None
) -> list[int]:
    """Move the batch's live payables from ``source`` to ``target`` (transition table checked once
    for the pair: every row moved is in ``source``), audited per payable. Returns their ids."""
    check_transition(Payable.TRANSITIONS, source, target, what=_("A payable"))
    lines = PayoutBatchLine.objects.filter(batch=batch, live=True)
    if partner_ids is not None:
        lines = lines.filter(partner_id__in=partner_ids)
    qs = Payable.objects.filter(pk__in=lines.values("payable_id"))
    ids = list(qs.select_for_update().order_by("pk").values_list("pk", flat=True))
    unexpected = qs.exclude(status=source).count()
    if unexpected:
        raise DomainError(
            _("%(n)d payables of the batch are no longer %(status)s: nothing was changed.")
            % {"n": unexpected, "status": Payable.Status(source).label}
        )
    qs.update(status=target, updated_at=timezone.now())
    _audit_payables(ids, actor=actor, action=action, after={"status": target, "batch": batch.reference})
    return ids


def _finance_users(exclude=None) -> list:
    return [
        m.user
        for m in Membership.objects.select_related("user").filter(role=Role.FINANCE, is_active=True)
        if exclude is None or m.user_id != exclude.pk
    ]


def _partner_admins(partner_ids: Iterable[int]) -> dict[int, list]:
    admins: dict[int, list] = defaultdict(list)
    for m in Membership.objects.select_related("user").filter(
        partner_id__in=list(partner_ids), role=Role.PARTNER_ADMIN, is_active=True
    ):
        if m.partner_id is not None:
            admins[m.partner_id].append(m.user)
    return admins


def _lock_batch(batch: PayoutBatch) -> PayoutBatch:
    return PayoutBatch.objects.select_for_update().get(pk=batch.pk)


def _rate_day_sql(policy: str, day: datetime.date, column: str = "p.due_date") -> str:
    return column if policy == PayoutBatch.RateDate.DUE_DATE else f"DATE '{day.isoformat()}'"


def _converted_rows(payable_ids: Sequence[int], *, target: str, policy: str, day: datetime.date) -> list:
    """(payable id, partner id, amount, currency, rate, rate date, rate source) of each payable,
    the rate converting it into ``target`` on its policy day (NULL rate for ``target`` itself
    or when no rate is stored): one query."""
    sql = f"""
        SELECT p.id, p.partner_id, p.amount, p.currency, fx.rate, fx.rate_date, fx.source
        FROM prm_payable p
        {
        rate_lateral_sql(
            currency="p.currency",
            day=_rate_day_sql(policy, day),
            target=target,
            tenant_id=require_tenant().pk,
        )
    }
        WHERE p.tenant_id = %s AND p.id = ANY(%s)
        ORDER BY p.partner_id, p.id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [require_tenant().pk, list(payable_ids)])
        return cursor.fetchall()


def _payment_amount(amount: Decimal, currency: str, rate: Decimal | None, target: str) -> Decimal | None:
    """The line in the payment currency, rounded half-up per line so that a payment is exactly
    the sum of its lines; None when a needed rate is missing."""
    if currency == target:
        return amount
    if rate is None:
        return None
    return quantize_money(amount * rate, target)


# --- create -------------------------------------------------------------------------------------


def _candidates(membership: Membership, filters: BatchFilters):
    qs = Payable.objects.filter(status=P.OPEN, partner__in=partners_in_scope(membership))
    if filters.source_types:
        qs = qs.filter(source_type__in=filters.source_types)
    if filters.partner_ids:
        qs = qs.filter(partner_id__in=filters.partner_ids)
    if filters.currency:
        qs = qs.filter(currency=filters.currency)
    if filters.due_before:
        qs = qs.filter(due_date__lt=filters.due_before)
    return qs


def _plan_payments(rows: list, *, target: str) -> dict[int, dict[str, Any]]:
    """Group converted rows per partner: net amount in ``target``, lines, or a missing rate."""
    plans: dict[int, dict[str, Any]] = {}
    for pk, partner_id, amount, currency, rate, rate_date, rate_source in rows:
        plan = plans.setdefault(partner_id, {"net": Decimal("0"), "lines": [], "missing": ""})
        paid = _payment_amount(amount, currency, rate, target)
        if paid is None:
            plan["missing"] = plan["missing"] or _("No exchange rate from %(base)s to %(quote)s.") % {
                "base": currency,
                "quote": target,
            }
            continue
        plan["net"] += paid
        plan["lines"].append((pk, amount, currency, paid, rate, rate_date, rate_source or ""))
    return plans


def _hold(plan: dict[str, Any], details_status: str) -> tuple[str, str]:
    if plan["missing"]:
        return H.MISSING_RATE, plan["missing"]
    if plan["net"] < 0:
        return H.NEGATIVE_NET, ""
    if details_status != OK:
        return (H.PAYOUT_UNVERIFIED if details_status == UNVERIFIED else H.PAYOUT_MISSING), ""
    return "", ""


def payout_batch_create(
    *,
    acting_membership: Membership,
    currency: str,
    filters: BatchFilters | None = None,
    note: str = "",
) -> PayoutBatch:
    """Build a batch in ``currency`` from the open payables matching ``filters``. Per partner the
    lines net (clawbacks included); a partner whose net is negative, who has no verified payout
    details or whose amounts cannot be converted is held back with the reason, and its payables
    stay open for a later batch. The batch records the tenant's rate-date policy (finance
    settings; the approval date by default): rates are previewed now and fixed at approval."""
    require(membership_has(acting_membership, Perm.PAYOUT_BATCH_MANAGE))
    currency = _currency(currency)
    filters = filters or BatchFilters()
    rate_date_policy = finance_settings().rate_date_policy
    today = timezone.localdate()
    try:
        with transaction.atomic():
            # Lock the candidates: a batch built at the same moment waits, then finds them taken
            # (PostgreSQL re-checks "status = open" on the rows it waited for).
            ids = list(
                _candidates(acting_membership, filters)
                .select_for_update(of=("self",))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            if not ids:
                raise DomainError(_("No open payables match these filters."))
            plans = _plan_payments(
                _converted_rows(ids, target=currency, policy=rate_date_policy, day=today), target=currency
            )
            details = payout_details_statuses(plans)
            holds = {pid: _hold(plan, details[pid].status) for pid, plan in plans.items()}
            if all(reason for reason, _detail in holds.values()):
                raise DomainError(
                    _("Every matching partner is held back (%(reasons)s): no batch was created.")
                    % {"reasons": ", ".join(sorted({str(H(r).label) for r, _d in holds.values()}))}
                )
            batch = PayoutBatch.objects.create(
                currency=currency,
                rate_date_policy=rate_date_policy,
                filters=filters.as_record(),
                note=(note or "").strip()[:200],
                created_by=acting_membership.user,
            )
            payable_ids = _create_payments(batch, plans, holds)
            check_transition(Payable.TRANSITIONS, P.OPEN, P.IN_BATCH, what=_("A payable"))
            Payable.objects.filter(pk__in=payable_ids).update(status=P.IN_BATCH, updated_at=timezone.now())
            _audit_payables(
                payable_ids,
                actor=acting_membership.user,
                action="payable.batch",
                after={"status": P.IN_BATCH, "batch": batch.reference},
            )
            audit(
                actor=acting_membership.user, action="payout_batch.create", obj=batch, after=_summary(batch)
            )
            notify(
                recipients=_finance_users(exclude=acting_membership.user),
                verb="payout_batch.created",
                message=lambda: _("Payout batch %(ref)s awaits your approval.") % {"ref": batch.reference},
                url=batch_url(batch),
            )
    except IntegrityError as exc:
        if "payout_line_one_live_batch" not in str(exc):
            raise
        raise DomainError(_("Some of these payables were just put in another batch. Try again.")) from exc
    return batch


def _create_payments(batch: PayoutBatch, plans: dict[int, dict[str, Any]], holds) -> list[int]:
    payments = PayoutPayment.objects.bulk_create(
        [
            PayoutPayment(
                tenant=batch.tenant,
                batch=batch,
                partner_id=partner_id,
                status=PayoutPayment.Status.HELD if holds[partner_id][0] else PayoutPayment.Status.TO_PAY,
                hold_reason=holds[partner_id][0],
                hold_detail=holds[partner_id][1][:300],
                amount=plan["net"],
                currency=batch.currency,
                line_count=len(plan["lines"]),
            )
            for partner_id, plan in plans.items()
        ]
    )
    lines = []
    for payment in payments:
        if payment.status == PayoutPayment.Status.HELD:
            continue
        for pk, amount, currency, paid, rate, rate_date, source in plans[payment.partner_id]["lines"]:
            lines.append(
                PayoutBatchLine(
                    tenant=batch.tenant,
                    batch=batch,
                    payment=payment,
                    payable_id=pk,
                    partner_id=payment.partner_id,
                    amount=amount,
                    currency=currency,
                    payment_amount=paid,
                    payment_currency=batch.currency,
                    rate=rate,
                    rate_date=rate_date,
                    rate_source=source,
                )
            )
    PayoutBatchLine.objects.bulk_create(lines, batch_size=5000)
    if len(lines) >= ANALYZE_FROM_LINES:
        transaction.on_commit(_analyze_batch_tables)
    return [line.payable_id for line in lines]


# A batch this large changes the tables' statistics enough that the planner, until autovacuum
# catches up, would join its export with nested loops (seconds become minutes).
ANALYZE_FROM_LINES = 10_000


def _analyze_batch_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE prm_payoutbatchline, prm_payoutpayment, prm_payable")


def _summary(batch: PayoutBatch) -> dict[str, Any]:
    to_pay = batch.payments.filter(status__in=[PayoutPayment.Status.TO_PAY, PayoutPayment.Status.PAID])
    total = sum((p.amount for p in to_pay), Decimal("0"))
    return {
        "status": batch.status,
        "currency": batch.currency,
        "total": format_amount_str(total, batch.currency),
        "partners": to_pay.count(),
        "held": batch.payments.filter(status=PayoutPayment.Status.HELD).count(),
        "lines": batch.lines.filter(live=True).count(),
        "filters": batch.filters,
        "rate_date_policy": batch.rate_date_policy,
        "rate_day": batch.rate_day.isoformat() if batch.rate_day else None,
    }


def batch_url(batch: PayoutBatch) -> str:

    return reverse("finance:batch_detail", kwargs={"pk": batch.pk})


# --- approve ------------------------------------------------------------------------------------


def _fix_rates(batch: PayoutBatch, day: datetime.date) -> None:
    """Convert every line at the policy day's rate (set-based), then the payments' nets."""
    places = minor_units(batch.currency)
    tenant_id = require_tenant().pk
    lateral = rate_lateral_sql(
        currency="l.currency",
        day=_rate_day_sql(batch.rate_date_policy, day),
        target=batch.currency,
        tenant_id=tenant_id,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*) FROM prm_payoutbatchline l
            JOIN prm_payable p ON p.id = l.payable_id AND p.tenant_id = l.tenant_id
            {lateral}
            WHERE l.tenant_id = %s AND l.batch_id = %s AND l.live
              AND l.currency <> %s AND fx.rate IS NULL
            """,
            [tenant_id, batch.pk, batch.currency],
        )
        (missing,) = cursor.fetchone()
        if missing:
            raise DomainError(
                _("%(n)d lines have no exchange rate into %(currency)s on their rate date (%(policy)s).")
                % {
                    "n": missing,
                    "currency": batch.currency,
                    "policy": PayoutBatch.RateDate(batch.rate_date_policy).label,
                }
            )
        cursor.execute(
            f"""
            UPDATE prm_payoutbatchline AS t
            SET rate = fx.rate, rate_date = fx.rate_date, rate_source = coalesce(fx.source, ''),
                payment_amount = CASE WHEN l.currency = %s THEN l.amount
                                      ELSE round(l.amount * fx.rate, {places}) END
            FROM prm_payoutbatchline l
            JOIN prm_payable p ON p.id = l.payable_id AND p.tenant_id = l.tenant_id
            {lateral}
            WHERE t.id = l.id AND l.tenant_id = %s AND l.batch_id = %s AND l.live
            """,
            [batch.currency, tenant_id, batch.pk],
        )
        cursor.execute(
            """
            UPDATE prm_payoutpayment AS pp SET amount = s.total, line_count = s.n
            FROM (SELECT payment_id, sum(payment_amount) AS total, count(*) AS n FROM prm_payoutbatchline
                  WHERE tenant_id = %s AND batch_id = %s AND live GROUP BY payment_id) s
            WHERE pp.id = s.payment_id
            """,
            [tenant_id, batch.pk],
        )
    negative = batch.payments.filter(status=PayoutPayment.Status.TO_PAY, amount__lt=0).count()
    if negative:
        raise DomainError(
            _("At the approval rates %(n)d partners' nets are negative: cancel the batch and build it again.")
            % {"n": negative}
        )


def payout_batch_approve(*, batch: PayoutBatch, acting_membership: Membership) -> PayoutBatch:
    """A second finance user approves: the rates are fixed at the policy date (the approval date
    by default) and the batch is frozen. Whoever built the batch cannot approve it."""
    with transaction.atomic():
        locked = _lock_batch(batch)
        require(membership_has(acting_membership, Perm.PAYOUT_BATCH_APPROVE))
        if locked.created_by_id == acting_membership.user_id:
            raise DomainError(_("You built this batch: a different finance user must approve it."))
        check_transition(PayoutBatch.TRANSITIONS, locked.status, B.APPROVED, what=_("The batch"))
        now = timezone.now()
        day = timezone.localdate(now)
        _move_payables(
            locked,
            source=P.IN_BATCH,
            target=P.APPROVED,
            actor=acting_membership.user,
            action="payable.approve",
        )
        _fix_rates(locked, day)
        before = {"status": locked.status}
        locked.status, locked.approved_by, locked.approved_at, locked.rate_day = (
            B.APPROVED,
            acting_membership.user,
            now,
            day if locked.rate_date_policy == PayoutBatch.RateDate.APPROVAL else None,
        )
        locked.save(update_fields=["status", "approved_by", "approved_at", "rate_day", "updated_at"])
        audit(
            actor=acting_membership.user,
            action="payout_batch.approve",
            obj=locked,
            before=before,
            after=_summary(locked),
        )
        notify(
            recipients=[locked.created_by],
            verb="payout_batch.approved",
            message=lambda: (
                _("%(user)s approved payout batch %(ref)s.")
                % {"user": acting_membership.user, "ref": locked.reference}
            ),
            url=batch_url(locked),
        )
    return locked


# --- export -------------------------------------------------------------------------------------


def payout_batch_export(*, batch: PayoutBatch, acting_membership: Membership) -> PayoutBatch:
    """Hand the approved batch to the ERP: the batch and its payables become exported (the files
    are then downloaded from the batch page)."""
    with transaction.atomic():
        locked = _lock_batch(batch)
        require(membership_has(acting_membership, Perm.PAYOUT_BATCH_MANAGE))
        check_transition(PayoutBatch.TRANSITIONS, locked.status, B.EXPORTED, what=_("The batch"))
        _move_payables(
            locked,
            source=P.APPROVED,
            target=P.EXPORTED,
            actor=acting_membership.user,
            action="payable.export",
        )
        locked.status, locked.exported_by, locked.exported_at = (
            B.EXPORTED,
            acting_membership.user,
            timezone.now(),
        )
        locked.save(update_fields=["status", "exported_by", "exported_at", "updated_at"])
        audit(
            actor=acting_membership.user,
            action="payout_batch.export",
            obj=locked,
            before={"status": B.APPROVED},
            after={"status": B.EXPORTED},
        )
        publish(require_tenant(), "batch.exported", _batch_event_data(locked))
    return locked


def _batch_event_data(batch: PayoutBatch) -> dict[str, Any]:
    """The key fields of an exported batch (docs/webhooks.md): what it pays, to how many partners."""
    totals = batch.payments.filter(status=PayoutPayment.Status.TO_PAY).aggregate(
        total=Sum("amount", default=Decimal("0")), partners=Count("id"), lines=Sum("line_count", default=0)
    )
    return {
        "id": batch.pk,
        "reference": batch.reference,
        "status": batch.status,
        "currency": batch.currency,
        "total": format_amount_str(totals["total"], batch.currency),
        "partners": totals["partners"],
        "lines": totals["lines"],
        "rate_day": iso(batch.rate_day),
        "exported_at": iso(batch.exported_at),
    }


# --- paid ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentConfirmation:
    """The bank says partner ``partner_id`` was paid under ``reference`` on ``paid_on``."""

    partner_id: int
    reference: str
    paid_on: datetime.date


def payout_batch_mark_paid(
    *, batch: PayoutBatch, acting_membership: Membership, confirmations: Sequence[PaymentConfirmation]
) -> PayoutBatch:
    """Record the bank's payment reference and date for partners of an exported batch; their
    payables become paid and their admins are told. The batch is paid once every partner is."""
    if not confirmations:
        raise DomainError(_("Name at least one payment."))
    with transaction.atomic():
        locked = _lock_batch(batch)
        require(membership_has(acting_membership, Perm.PAYOUT_BATCH_MANAGE))
        # Partners are paid while the batch is exported; the last payment makes it paid.
        check_transition(PayoutBatch.TRANSITIONS, locked.status, B.PAID, what=_("The batch"))
        payments = {
            p.partner_id: p
            for p in PayoutPayment.objects.select_for_update(of=("self",))
            .select_related("partner")
            .filter(batch=locked)
        }
        for c in confirmations:
            payment = payments.get(c.partner_id)
            if payment is None or payment.status == PayoutPayment.Status.HELD:
                raise DomainError(_("Partner %(id)s is not paid in this batch.") % {"id": c.partner_id})
            check_transition(
                PayoutPayment.TRANSITIONS,
                payment.status,
                PayoutPayment.Status.PAID,
                what=_("The payment to %(partner)s") % {"partner": payment.partner.code},
            )
            if not c.reference.strip():
                raise DomainError(
                    _("The payment to %(partner)s needs the bank's reference.")
                    % {"partner": payment.partner.code}
                )
        paid_ids = [c.partner_id for c in confirmations]
        paid_payables = _move_payables(
            locked,
            source=P.EXPORTED,
            target=P.PAID,
            actor=acting_membership.user,
            action="payable.paid",
            partner_ids=paid_ids,
        )
        for c in confirmations:
            payment = payments[c.partner_id]
            payment.status, payment.payment_reference = PayoutPayment.Status.PAID, c.reference.strip()[:64]
            payment.paid_on, payment.paid_by = c.paid_on, acting_membership.user
            payment.save(update_fields=["status", "payment_reference", "paid_on", "paid_by"])
            audit(
                actor=acting_membership.user,
                action="payout_payment.paid",
                obj=payment,
                after={
                    "batch": locked.reference,
                    "partner": payment.partner.code,
                    "reference": payment.payment_reference,
                    "paid_on": c.paid_on,
                    "amount": format_amount_str(payment.amount, payment.currency),
                },
            )
        if not any(p.status == PayoutPayment.Status.TO_PAY for p in payments.values()):
            locked.status, locked.paid_at = B.PAID, timezone.now()
            locked.save(update_fields=["status", "paid_at", "updated_at"])
            audit(
                actor=acting_membership.user,
                action="payout_batch.paid",
                obj=locked,
                before={"status": B.EXPORTED},
                after={"status": B.PAID},
            )
        _notify_paid(locked, [payments[c.partner_id] for c in confirmations])
        _render_statements_on_commit([payments[c.partner_id].pk for c in confirmations])
        _tell_sources_on_commit(paid_payables)
    return locked


def _render_statements_on_commit(payment_ids: list[int]) -> None:
    """Statements render in the background: WeasyPrint takes seconds for a long statement."""

    tenant_id = require_tenant().pk
    transaction.on_commit(lambda: remittance_statements.delay(tenant_id=tenant_id, payment_ids=payment_ids))


def _tell_sources_on_commit(payable_ids: list[int]) -> None:
    """The apps whose payables were paid learn it from their on_paid hooks (prm.finance.registry),
    in the background once the payment is committed: a claim becomes paid the moment finance
    records the payment, not at the next poll."""

    tenant_id = require_tenant().pk
    transaction.on_commit(lambda: payables_paid.delay(tenant_id=tenant_id, payable_ids=payable_ids))


def _notify_paid(batch: PayoutBatch, payments: list[PayoutPayment]) -> None:

    admins = _partner_admins(p.partner_id for p in payments)
    for payment in payments:
        notify(
            recipients=admins.get(payment.partner_id, []),
            verb="payout.paid",
            message=lambda payment=payment: (
                _("We paid you %(amount)s %(currency)s (reference %(ref)s, %(day)s).")
                % {
                    "amount": format_amount_str(payment.amount, payment.currency),
                    "currency": payment.currency,
                    "ref": payment.payment_reference,
                    "day": payment.paid_on.isoformat() if payment.paid_on else "",
                }
            ),
            url=reverse("finance:remittances"),
        )


# --- cancel -------------------------------------------------------------------------------------


def payout_batch_cancel(*, batch: PayoutBatch, acting_membership: Membership, reason: str) -> PayoutBatch:
    """Cancel a batch before it is exported: its payables return to open (free for another
    batch), its lines stay as history but no longer count as live."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the batch is cancelled."))
    with transaction.atomic():
        locked = _lock_batch(batch)
        require(membership_has(acting_membership, Perm.PAYOUT_BATCH_MANAGE))
        check_transition(PayoutBatch.TRANSITIONS, locked.status, B.CANCELLED, what=_("The batch"))
        source = P.IN_BATCH if locked.status == B.DRAFT else P.APPROVED
        _move_payables(
            locked, source=source, target=P.OPEN, actor=acting_membership.user, action="payable.unbatch"
        )
        PayoutBatchLine.objects.filter(batch=locked, live=True).update(live=False)
        before = {"status": locked.status}
        locked.status, locked.cancelled_by, locked.cancel_reason = B.CANCELLED, acting_membership.user, reason
        locked.save(update_fields=["status", "cancelled_by", "cancel_reason", "updated_at"])
        audit(
            actor=acting_membership.user,
            action="payout_batch.cancel",
            obj=locked,
            before=before,
            after={"status": B.CANCELLED, "reason": reason},
        )
        notify(
            recipients=[
                u for u in [locked.created_by, locked.approved_by] if u and u.pk != acting_membership.user_id
            ],
            verb="payout_batch.cancelled",
            message=lambda: (
                _("Payout batch %(ref)s was cancelled: %(reason)s")
                % {"ref": locked.reference, "reason": reason}
            ),
            url=batch_url(locked),
        )
    return locked


# --- bank confirmation file ---------------------------------------------------------------------

BANK_FILE_COLUMNS = ("partner_code", "reference", "paid_on", "amount", "currency")


class BankFileRejected(DomainError):
    """The bank file has errors; ``errors`` names each line and column."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        shown = errors[:20]
        more = len(errors) - len(shown)
        text = " ".join(shown) + (" " + _("(and %(n)d more)") % {"n": more} if more else "")
        super().__init__(_("Nothing was marked paid. %(errors)s") % {"errors": text})


def _bank_rows(path) -> Iterable[tuple[int, list[str]]]:

    with open_text(path) as text:
        first = text.readline()
        text.seek(0)
        delimiter = ";" if first.count(";") > first.count(",") else ","
        yield from iter_csv_records(text, delimiter=delimiter)


def _bank_header(line: int, cells: list[str]) -> dict[str, int]:
    header = {name.strip().lower(): i for i, name in enumerate(cells)}
    missing = [c for c in BANK_FILE_COLUMNS if c not in header]
    if missing:
        raise BankFileRejected(
            [
                _("Line %(line)d: the header lacks the columns %(cols)s.")
                % {"line": line, "cols": ", ".join(missing)}
            ]
        )
    return header


def _bank_confirmation(line: int, cell, payment: PayoutPayment | None, code: str, errors: list[str]):
    def problem(column: str, message: str) -> None:
        errors.append(
            _("Line %(line)d, column %(column)s: %(message)s")
            % {"line": line, "column": column, "message": message}
        )

    if payment is None:
        problem("partner_code", _("%(code)s is not paid in this batch.") % {"code": code or "—"})
        return None
    reference = cell("reference")
    if not reference:
        problem("reference", _("the bank reference is missing."))
    try:
        paid_on = datetime.date.fromisoformat(cell("paid_on"))
    except ValueError:
        problem("paid_on", _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": cell("paid_on")})
        paid_on = None
    if cell("currency").upper() != payment.currency:
        problem("currency", _("the batch pays in %(currency)s.") % {"currency": payment.currency})
    try:
        amount = Decimal(cell("amount").replace(",", "."))
    except ArithmeticError:
        amount = None
    if amount is None or not amount.is_finite() or amount != quantize_money(payment.amount, payment.currency):
        problem(
            "amount",
            _("%(value)s differs from the payment of %(amount)s.")
            % {"value": cell("amount") or "—", "amount": format_amount_str(payment.amount, payment.currency)},
        )
    if reference and paid_on is not None:
        return PaymentConfirmation(partner_id=payment.partner_id, reference=reference, paid_on=paid_on)
    return None


def read_bank_confirmations(path, batch: PayoutBatch) -> list[PaymentConfirmation]:
    """The payments a bank confirmation CSV reports for ``batch``, every row checked against the
    payment it names (partner, amount, currency); any error refuses the whole file."""
    payments = {p.partner.code: p for p in batch.payments.select_related("partner").exclude(status="held")}
    header: dict[str, int] | None = None
    confirmations: list[PaymentConfirmation] = []
    errors: list[str] = []
    seen: set[str] = set()
    for line, cells in _bank_rows(path):
        if header is None:
            header = _bank_header(line, cells)
            continue
        if not any(c.strip() for c in cells):
            continue

        def cell(name: str, cells=cells, header=header) -> str:
            index = header[name]
            return cells[index].strip() if index < len(cells) else ""

        code = cell("partner_code")
        if code in seen:
            errors.append(
                _("Line %(line)d, column partner_code: %(code)s appears twice.")
                % {"line": line, "code": code}
            )
            continue
        seen.add(code)
        found = _bank_confirmation(line, cell, payments.get(code), code, errors)
        if found is not None:
            confirmations.append(found)
    if header is None:
        errors.append(_("The file is empty."))
    if not errors and not confirmations:
        errors.append(_("The file names no payment."))
    if errors:
        raise BankFileRejected(errors)
    return confirmations


def payout_batch_mark_paid_from_file(
    *, batch: PayoutBatch, acting_membership: Membership, upload
) -> PayoutBatch:
    """Mark paid the payments a bank's confirmation file lists (stored and read through the
    upload checks: size, content type). Nothing is marked when any row is wrong."""

    require(membership_has(acting_membership, Perm.PAYOUT_BATCH_MANAGE))
    path, fmt, _sha = store_upload(upload, area="bank-confirmations")
    if fmt != "csv":
        path.unlink(missing_ok=True)
        raise UploadRejected(_("Upload the bank confirmation as a CSV file."))
    confirmations = read_bank_confirmations(path, batch)
    return payout_batch_mark_paid(
        batch=batch, acting_membership=acting_membership, confirmations=confirmations
    )
