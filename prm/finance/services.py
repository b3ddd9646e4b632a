"""Writes of finance: exchange rates entered in the portal, and payables (created idempotently per
source line by the apps that owe partners money; cancelled by finance)."""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from prm.accounts.models import Membership
from prm.audit.services import audit, snapshot
from prm.events import iso, partner_ref, publish
from prm.finance.models import FinanceSettings, FxRate, Payable, PayoutBatch
from prm.finance.registry import paid_hook, payable_source
from prm.finance.resources import currency_problems, rate_problems
from prm.lib.money import check_minor_units, format_amount_str
from prm.notifications.services import notify
from prm.roles import Perm, Role, membership_has
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError, check_transition, require

logger = logging.getLogger(__name__)
P = Payable.Status


def _currency(code: str) -> str:
    code = (code or "").strip().upper()
    problems = currency_problems(code)
    if not code or problems:
        raise DomainError(problems[0] if problems else _("A currency code is required."))
    return code


def fx_rate_create(
    *,
    base_currency: str,
    quote_currency: str,
    rate_date: datetime.date,
    rate: Decimal,
    source: str,
    acting_membership: Membership,
) -> FxRate:
    """Enter a rate (or a correction: a new row with its own source; conversions made before keep
    the rate they used)."""
    require(membership_has(acting_membership, Perm.FX_RATE_MANAGE))
    base, quote = _currency(base_currency), _currency(quote_currency)
    if base == quote:
        raise DomainError(_("The quote currency must differ from the base currency."))
    try:
        rate = Decimal(rate)
    except (InvalidOperation, TypeError) as exc:
        raise DomainError(_("The rate is not a number.")) from exc
    problems = rate_problems(rate)
    if problems:
        raise DomainError(problems[0])
    source = (source or "").strip()
    if not source:
        raise DomainError(_("Name the rate's source (e.g. ECB, or “finance correction”)."))
    with transaction.atomic():
        if FxRate.objects.filter(
            base_currency=base, quote_currency=quote, rate_date=rate_date, source=source
        ).exists():
            raise DomainError(
                _(
                    "%(base)s/%(quote)s on %(day)s from %(source)s exists already: a correction needs "
                    "its own source (e.g. “%(source)s corrected”)."
                )
                % {"base": base, "quote": quote, "day": rate_date.isoformat(), "source": source}
            )
        row = FxRate.objects.create(
            base_currency=base,
            quote_currency=quote,
            rate_date=rate_date,
            rate=rate,
            source=source[:64],
            created_by=acting_membership.user,
        )
        audit(
            actor=acting_membership.user,
            action="fx_rate.create",
            obj=row,
            after={"pair": f"{base}/{quote}", "rate_date": rate_date, "rate": str(rate), "source": source},
        )
    return row


# --- payables -----------------------------------------------------------------------------------


class PayableConflict(DomainError):
    """The source line already has a payable with different terms: a change needs its own line."""


def _check_payee(partner, payee_user) -> None:
    if payee_user is None:
        return
    if not Membership.objects.filter(
        user=payee_user, partner=partner, is_active=True, role__in=[Role.PARTNER_ADMIN, Role.PARTNER_USER]
    ).exists():
        raise DomainError(
            _("%(user)s is not a member of %(partner)s.") % {"user": payee_user, "partner": partner}
        )


def _same_terms(existing: Payable, *, partner, payee_user, amount: Decimal, currency: str) -> Payable:
    if (
        existing.partner_id != partner.pk
        or existing.payee_user_id != (payee_user.pk if payee_user else None)
        or existing.amount != amount
        or existing.currency != currency
    ):
        raise PayableConflict(
            _(
                "%(source)s already has payable %(ref)s (%(amount)s %(currency)s); a different amount or "
                "payee needs its own source line, e.g. an adjustment."
            )
            % {
                "source": f"{existing.source_type}:{existing.source_id}",
                "ref": existing.reference,
                "amount": format_amount_str(existing.amount, existing.currency),
                "currency": existing.currency,
            }
        )
    return existing


def payable_create(
    *,
    source_type: str,
    source_id: str | int,
    partner,
    amount: Decimal,
    currency: str,
    due_date: datetime.date,
    payee_user=None,
    description: str = "",
    acting_user=None,
) -> tuple[Payable, bool]:
    """Record what the vendor owes for one source line (negative: a clawback). Idempotent per
    source: a second call for the same line returns the first payable (``created`` False), also
    when two transactions race (the unique constraint decides; the loser reads the winner's row).
    ``amount`` must already be rounded to the currency's minor unit by the source's own rule."""
    payable_source(source_type)  # an unregistered kind is refused
    source_id = str(source_id).strip()
    if not source_id or len(source_id) > 64:
        raise DomainError(_("A payable needs its source line's id (1 to 64 characters)."))
    currency = _currency(currency)
    amount = Decimal(amount)
    check_minor_units(amount, currency)
    if amount == 0:
        raise DomainError(_("A payable of zero is not recorded."))
    if partner.tenant_id != require_tenant().pk:
        raise DomainError(_("The partner belongs to another tenant."))
    _check_payee(partner, payee_user)
    terms: dict[str, Any] = {
        "partner": partner,
        "payee_user": payee_user,
        "amount": amount,
        "currency": currency,
    }
    with transaction.atomic():
        existing = Payable.objects.filter(source_type=source_type, source_id=source_id).first()
        if existing is not None:
            return _same_terms(existing, **terms), False
        try:
            with transaction.atomic():  # a savepoint: losing the race leaves the caller's transaction usable
                payable = Payable.objects.create(
                    source_type=source_type,
                    source_id=source_id,
                    due_date=due_date,
                    description=(description or "")[:200],
                    created_by=acting_user,
                    **terms,
                )
        except IntegrityError as exc:
            if "payable_source_once" not in str(exc):
                raise
            existing = Payable.objects.get(source_type=source_type, source_id=source_id)
            return _same_terms(existing, **terms), False
        audit(
            actor=acting_user,
            action="payable.create",
            obj=payable,
            after=snapshot(
                payable, ["source_type", "source_id", "partner", "amount", "currency", "due_date"]
            ),
        )
        publish(require_tenant(), "payable.created", payable_event_data(payable))
    return payable, True


def payable_event_data(payable: Payable) -> dict[str, Any]:
    """The key fields of a payable in payable.created (docs/webhooks.md): what is owed to whom, for
    what; negative for a clawback."""
    return {
        "id": payable.pk,
        "reference": payable.reference,
        "status": payable.status,
        "partner": partner_ref(payable.partner),
        "source_type": payable.source_type,
        "source_id": payable.source_id,
        "amount": format_amount_str(payable.amount, payable.currency),
        "currency": payable.currency,
        "due_date": iso(payable.due_date),
        "description": payable.description,
    }


def payable_cancel(*, payable: Payable, acting_membership: Membership, reason: str) -> Payable:
    """Finance cancels an open payable (it will not be paid); the partner's admins are told."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the payable is cancelled."))
    with transaction.atomic():
        locked = Payable.objects.select_for_update().select_related("partner").get(pk=payable.pk)
        require(membership_has(acting_membership, Perm.PAYABLE_MANAGE))
        check_transition(Payable.TRANSITIONS, locked.status, P.CANCELLED, what=_("The payable"))
        before = snapshot(locked, ["status"])
        locked.status = P.CANCELLED
        locked.cancel_reason = reason
        locked.save(update_fields=["status", "cancel_reason", "updated_at"])
        audit(
            actor=acting_membership.user,
            action="payable.cancel",
            obj=locked,
            before=before,
            after={"status": locked.status, "reason": reason},
        )
        recipients = [
            m.user
            for m in Membership.objects.filter(
                partner=locked.partner, role=Role.PARTNER_ADMIN, is_active=True
            ).select_related("user")
        ]
        if locked.payee_user is not None:
            recipients.append(locked.payee_user)
        notify(
            recipients=recipients,
            verb="payable.cancelled",
            message=lambda: (
                _("Payable %(ref)s (%(amount)s %(currency)s) was cancelled: %(reason)s")
                % {
                    "ref": locked.reference,
                    "amount": format_amount_str(locked.amount, locked.currency),
                    "currency": locked.currency,
                    "reason": reason,
                }
            ),
            url=reverse("finance:payable_detail", kwargs={"pk": locked.pk}),
        )
    payable.refresh_from_db()
    return payable


def payables_paid_dispatch(payable_ids: Iterable[int]) -> dict[str, int]:
    """Tell each source kind which of its payables among ``payable_ids`` are paid: one call of its
    ``on_paid`` hook with their source ids (prm.finance.registry). Every hook runs even when one
    fails (the failures are logged, then the first is raised so that the task is seen failing).
    Returns how many source ids each hook was given."""
    tenant = require_tenant()
    by_kind: dict[str, list[str]] = defaultdict(list)
    paid = Payable.objects.filter(pk__in=list(payable_ids), status=P.PAID).order_by("pk")
    for kind, source_id in paid.values_list("source_type", "source_id"):
        by_kind[kind].append(source_id)
    told: dict[str, int] = {}
    failures: list[Exception] = []
    for kind, source_ids in sorted(by_kind.items()):
        hook = paid_hook(kind)
        if hook is None:
            continue
        try:
            hook(tenant, source_ids)
        except Exception as exc:
            logger.exception("the on_paid hook of payable source %s failed", kind)
            failures.append(exc)
            continue
        told[kind] = len(source_ids)
    if failures:
        raise failures[0]
    return told


def finance_settings_update(*, acting_membership: Membership, rate_date_policy: str) -> FinanceSettings:
    """Set the tenant's finance policies: the date whose exchange rates convert the payables of
    payout batches built from now on (batches already built keep the policy they recorded)."""
    require(membership_has(acting_membership, Perm.FINANCE_SETTINGS))
    if rate_date_policy not in PayoutBatch.RateDate.values:
        raise DomainError(_("Choose when the exchange rates are taken."))
    with transaction.atomic():
        current, _created = FinanceSettings.objects.get_or_create(tenant=require_tenant())
        locked = FinanceSettings.objects.select_for_update().get(pk=current.pk)
        before = snapshot(locked, ["rate_date_policy"])
        if locked.rate_date_policy == rate_date_policy:
            return locked
        locked.rate_date_policy = rate_date_policy
        locked.save(update_fields=["rate_date_policy", "updated_at"])
        audit(
            actor=acting_membership.user,
            action="finance_settings.update",
            obj=locked,
            before=before,
            after=snapshot(locked, ["rate_date_policy"]),
        )
    return locked
