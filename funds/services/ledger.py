"""The fund ledger: accounts, posting under the account lock, and reversals (the only correction).

Every write that can lower a balance locks the partner's account row first and checks the
balance it derives from the ledger inside that lock, so concurrent writers queue and the balance
never goes below zero."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from funds.models import EntryKind, Fund, FundAccount, LedgerEntry
from funds.selectors import Balances, account_balances
from partners.models import Partner
from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.lib.money import check_minor_units, format_amount_str
from prm.roles import Perm, membership_has
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError, require

K = EntryKind
# An expiry is not reversed: the allocation stays past its date and would expire again.
REVERSIBLE = (K.ALLOCATED, K.ACCRUED)


class InsufficientFunds(DomainError):
    """The account's available balance does not cover the amount."""


def account_for(fund: Fund, partner: Partner) -> FundAccount:
    """The partner's account in the fund, created on first use (concurrent first uses agree)."""
    found = FundAccount.objects.filter(fund=fund, partner=partner).first()
    if found is not None:
        return found
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO funds_fundaccount (tenant_id, fund_id, partner_id, created_at)"
            " VALUES (%s, %s, %s, now()) ON CONFLICT (tenant_id, fund_id, partner_id) DO NOTHING",
            [require_tenant().pk, fund.pk, partner.pk],
        )
    return FundAccount.objects.get(fund=fund, partner=partner)


def ensure_accounts(fund: Fund, partner_ids: list[int]) -> None:
    """Create the accounts of many partners in one statement."""
    if not partner_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO funds_fundaccount (tenant_id, fund_id, partner_id, created_at)"
            " SELECT %s, %s, p, now() FROM unnest(%s::bigint[]) AS p"
            " ON CONFLICT (tenant_id, fund_id, partner_id) DO NOTHING",
            [require_tenant().pk, fund.pk, partner_ids],
        )


def lock_account(account: FundAccount) -> tuple[FundAccount, Balances]:
    """Lock the account row (inside the caller's transaction) and derive its balances."""
    locked = FundAccount.objects.select_for_update().select_related("fund", "partner").get(pk=account.pk)
    return locked, account_balances(locked)


def post(
    account: FundAccount,
    kind: str,
    amount: Decimal,
    *,
    effective_on: datetime.date | None = None,
    acting_user=None,
    **fields: Any,
) -> LedgerEntry:
    """Append one entry. The caller holds the account lock and has checked the balance."""
    amount = Decimal(amount)
    if amount <= 0:
        raise DomainError(_("A ledger entry moves a positive amount."))
    check_minor_units(amount, account.fund.currency)
    return LedgerEntry.objects.create(
        account=account,
        fund_id=account.fund_id,
        partner_id=account.partner_id,
        kind=kind,
        amount=amount,
        currency=account.fund.currency,
        effective_on=effective_on or timezone.localdate(),
        created_by=acting_user,
        **fields,
    )


def require_covered(balances: Balances, amount: Decimal, currency: str) -> None:
    if amount > balances.available:
        raise InsufficientFunds(
            _("Only %(available)s %(currency)s is available; %(amount)s %(currency)s cannot be committed.")
            % {
                "available": format_amount_str(max(balances.available, Decimal("0")), currency),
                "amount": format_amount_str(amount, currency),
                "currency": currency,
            }
        )


def reversed_so_far(entry: LedgerEntry) -> Decimal:
    return LedgerEntry.objects.filter(reverses=entry).aggregate(s=Sum("amount", default=Decimal("0")))["s"]


def entry_reverse(
    *, entry: LedgerEntry, acting_membership: Membership, reason: str, amount: Decimal | None = None
) -> LedgerEntry:
    """Correct an allocation or an accrual by a reversing entry (all of what is left of
    it, or ``amount``), with a reason. Refused when the money is no longer available (spent or
    committed): the balance never goes below zero."""
    require(membership_has(acting_membership, Perm.FUND_MANAGE))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason for the reversal."))
    with transaction.atomic():
        account, balances = lock_account(entry.account)
        original = LedgerEntry.objects.get(pk=entry.pk)
        if original.kind not in REVERSIBLE:
            raise DomainError(
                _(
                    "Only allocations and accruals can be reversed; a %(kind)s entry follows its request, claim or date."
                )
                % {"kind": original.get_kind_display().lower()}
            )
        left = original.amount - reversed_so_far(original)
        amount = left if amount is None else Decimal(amount)
        if amount <= 0 or amount > left:
            raise DomainError(
                _("Between 0 and %(left)s %(currency)s of this entry can still be reversed.")
                % {"left": format_amount_str(left, original.currency), "currency": original.currency}
            )
        after = balances.after(original.kind, -amount)
        if after.available < 0:
            raise InsufficientFunds(
                _(
                    "Only %(available)s %(currency)s of this money is still available; the rest is committed or spent."
                )
                % {
                    "available": format_amount_str(balances.available, original.currency),
                    "currency": original.currency,
                }
            )
        reversal = post(
            account,
            K.REVERSED,
            amount,
            acting_user=acting_membership.user,
            reverses=original,
            reverses_kind=original.kind,
            period_id=original.period_id,
            memo=reason[:500],
        )
        audit(
            actor=acting_membership.user,
            action="fund.entry_reverse",
            obj=reversal,
            after={
                "reverses": original.pk,
                "kind": original.kind,
                "amount": format_amount_str(amount, original.currency),
                "partner": account.partner.code,
                "fund": account.fund.code,
                "reason": reason,
            },
        )
    return reversal
