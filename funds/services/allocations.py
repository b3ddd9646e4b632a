"""Money into partners' accounts: discretionary allocations, bulk allocation by tier, and the
co-op accrual from net POS sales. Every one locks the period first: the period's allocations and
accruals never add up to more than its budget."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from funds.models import EntryKind, Fund, FundAccount, FundPeriod, LedgerEntry
from funds.selectors import balances_by_account, eligible_partners, partner_is_eligible, period_granted
from funds.services.ledger import account_for, ensure_accounts, lock_account, post, reversed_so_far
from partners.models import Partner
from posdata.selectors import daily_sales
from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.finance.rates import converted_sums
from prm.jobs.models import Job
from prm.jobs.services import job_fail, job_start, job_succeed, unexpected_failure_message
from prm.lib.money import check_minor_units, format_amount_str, quantize_money
from prm.notifications.services import Message, notify
from prm.roles import Perm, Role, membership_has
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError, require

K = EntryKind
S = LedgerEntry.Source
ZERO = Decimal("0")


def lock_period(period: FundPeriod) -> FundPeriod:
    return FundPeriod.objects.select_for_update().select_related("fund").get(pk=period.pk)


def require_budget(period: FundPeriod, extra: Decimal) -> None:
    """Refuse when ``extra`` more would take the period's allocations past its budget."""
    granted = period_granted(period)
    if granted + extra > period.budget:
        currency = period.fund.currency
        raise DomainError(
            _(
                "The budget of %(period)s is %(budget)s %(c)s; %(granted)s is allocated, so %(extra)s more does not fit."
            )
            % {
                "period": period.name,
                "budget": format_amount_str(period.budget, currency),
                "granted": format_amount_str(granted, currency),
                "extra": format_amount_str(extra, currency),
                "c": currency,
            }
        )


def _partner_admins(partner_ids: list[int]) -> list:
    return [
        m.user
        for m in Membership.objects.filter(
            partner_id__in=partner_ids, role=Role.PARTNER_ADMIN, is_active=True
        ).select_related("user")
    ]


def _notify_allocated(fund: Fund, partner_ids: list[int], message: Message) -> None:
    notify(
        recipients=_partner_admins(partner_ids),
        verb="fund.allocated",
        message=message,
        url=reverse("funds:home"),
    )


def allocation_create(
    *,
    period: FundPeriod,
    partner: Partner,
    amount: Decimal,
    acting_membership: Membership,
    expires_on: datetime.date | None = None,
    note: str = "",
) -> LedgerEntry:
    """A discretionary amount for one partner in a period (use it or lose it by ``expires_on``,
    default the period's expiry)."""
    require(membership_has(acting_membership, Perm.FUND_MANAGE))
    fund = period.fund
    amount = check_minor_units(Decimal(amount), fund.currency)
    if amount <= 0:
        raise DomainError(_("An allocation is a positive amount."))
    if not partner_is_eligible(fund, partner):
        raise DomainError(
            _("%(p)s is not in a tier eligible for %(f)s (or is not operating).")
            % {"p": partner.name, "f": fund.name}
        )
    expires_on = expires_on or period.expires_on
    if expires_on < timezone.localdate():
        raise DomainError(_("An allocation cannot expire in the past."))
    with transaction.atomic():
        locked_period = lock_period(period)
        require_budget(locked_period, amount)
        account = account_for(fund, partner)
        entry = post(
            account,
            K.ALLOCATED,
            amount,
            acting_user=acting_membership.user,
            period=locked_period,
            source=S.DISCRETIONARY,
            expires_on=expires_on,
            memo=(note or "").strip()[:500],
        )
        audit(
            actor=acting_membership.user,
            action="fund.allocate",
            obj=entry,
            after={
                "fund": fund.code,
                "period": locked_period.name,
                "partner": partner.code,
                "amount": format_amount_str(amount, fund.currency),
                "expires_on": expires_on,
            },
        )
        _notify_allocated(
            fund,
            [partner.pk],
            lambda: (
                _("%(amount)s %(c)s from %(fund)s is in your account; use it by %(day)s.")
                % {
                    "amount": format_amount_str(amount, fund.currency),
                    "c": fund.currency,
                    "fund": fund.name,
                    "day": expires_on,
                }
            ),
        )
    return entry


BULK_INSERT = """
INSERT INTO funds_ledgerentry (tenant_id, account_id, fund_id, partner_id, period_id, kind, amount, currency,
  source, expires_on, effective_on, reverses_kind, key, memo, detail, created_by_id, created_at)
SELECT a.tenant_id, a.id, a.fund_id, a.partner_id, %(period)s, 'allocated', n.amount, %(currency)s,
  'tier', %(expires)s, %(today)s, '', 'tier:' || %(period)s || ':' || a.partner_id, %(memo)s,
  jsonb_build_object('tier', n.tier), %(user)s, now()
FROM unnest(%(partners)s::bigint[], %(amounts)s::numeric[], %(tiers)s::text[]) AS n(partner_id, amount, tier)
JOIN funds_fundaccount a ON a.tenant_id = %(t)s AND a.fund_id = %(fund)s AND a.partner_id = n.partner_id
ON CONFLICT (tenant_id, key) WHERE key <> '' DO NOTHING
RETURNING partner_id, amount
"""


def allocation_bulk_by_tier(
    *,
    period: FundPeriod,
    amounts: dict[int, Decimal],
    acting_membership: Membership,
    expires_on: datetime.date | None = None,
    note: str = "",
) -> dict[str, Any]:
    """Allocate to every eligible partner by its tier (tier id -> amount, e.g. Gold 10,000 and
    Silver 5,000), all or nothing within the budget. A partner gets one bulk allocation per
    period: running it again allocates only to partners who have none yet."""
    require(membership_has(acting_membership, Perm.FUND_MANAGE))
    fund = period.fund
    amounts = {int(t): check_minor_units(Decimal(a), fund.currency) for t, a in amounts.items() if a}
    if any(a < 0 for a in amounts.values()):
        raise DomainError(_("Allocations are positive amounts."))
    amounts = {t: a for t, a in amounts.items() if a > 0}
    if not amounts:
        raise DomainError(_("Enter an amount for at least one tier."))
    expires_on = expires_on or period.expires_on
    if expires_on < timezone.localdate():
        raise DomainError(_("An allocation cannot expire in the past."))
    with transaction.atomic():
        locked_period = lock_period(period)
        candidates = list(
            eligible_partners(fund)
            .filter(current_tier_id__in=list(amounts))
            .values_list("pk", "current_tier_id", "current_tier__name")
        )
        done = set(
            LedgerEntry.objects.filter(period=locked_period, source=S.TIER, kind=K.ALLOCATED).values_list(
                "partner_id", flat=True
            )
        )
        new = [(pid, amounts[tid], name) for pid, tid, name in candidates if pid not in done]
        total = sum((a for _p, a, _n in new), ZERO)
        if not new:
            return {
                "partners": 0,
                "total": format_amount_str(ZERO, fund.currency),
                "skipped": len(candidates),
            }
        require_budget(locked_period, total)
        ensure_accounts(fund, [pid for pid, _a, _n in new])
        with connection.cursor() as cursor:
            cursor.execute(
                BULK_INSERT,
                {
                    "t": require_tenant().pk,
                    "fund": fund.pk,
                    "period": locked_period.pk,
                    "currency": fund.currency,
                    "expires": expires_on,
                    "today": timezone.localdate(),
                    "memo": (note or "").strip()[:500],
                    "user": acting_membership.user.pk,
                    "partners": [pid for pid, _a, _n in new],
                    "amounts": [a for _p, a, _n in new],
                    "tiers": [n for _p, _a, n in new],
                },
            )
            inserted = cursor.fetchall()
        written = sum((Decimal(a) for _p, a in inserted), ZERO)
        summary = {
            "partners": len(inserted),
            "total": format_amount_str(written, fund.currency),
            "skipped": len(candidates) - len(inserted),
        }
        audit(
            actor=acting_membership.user,
            action="fund.allocate_bulk",
            obj=locked_period,
            after={
                "fund": fund.code,
                "tiers": {str(t): format_amount_str(a, fund.currency) for t, a in amounts.items()},
                "expires_on": expires_on,
                **summary,
            },
        )
        _notify_allocated(
            fund,
            [pid for pid, _a in inserted],
            lambda: (
                _("Your %(fund)s allocation for %(period)s is in your account; use it by %(day)s.")
                % {"fund": fund.name, "period": locked_period.name, "day": expires_on}
            ),
        )
    return summary


# --- Co-op accrual -----------------------------------------------------------------------------------


def coop_accrue(period: FundPeriod, *, acting_user=None) -> dict[str, Any]:
    """Accrue the fund's percentage of each eligible partner's net POS sales in the period (sales
    minus returns by invoice date, converted into the fund's currency at each line's invoice-date
    rate): one grouped query over the daily POS rollup, one insert. A re-run posts only the difference
    (late sales, corrected files); a decrease is a reversal of earlier accruals as far as the money
    is still available. All or nothing within the budget."""
    fund = period.fund
    if fund.kind != Fund.Kind.COOP:
        raise DomainError(_("%(f)s is not a co-op fund.") % {"f": fund.name})
    today = timezone.localdate()
    with transaction.atomic():
        locked_period = lock_period(period)
        fund = locked_period.fund
        partner_ids = list(eligible_partners(fund).values_list("pk", flat=True))
        # The daily rollup of the lines (per partner, invoice date and currency).
        sums = converted_sums(
            daily_sales(partner_ids or [0], period.start, period.end),
            amount="amount",
            currency="currency",
            day="day",
            target=fund.currency,
            keys={"partner": "partner_id"},
        )
        sums.require_complete()
        accounts = dict(FundAccount.objects.filter(fund=fund).values_list("partner_id", "pk"))
        previous = balances_by_account(LedgerEntry.objects.filter(period=locked_period))
        rate = fund.accrual_pct
        increases: list[tuple[int, Decimal, dict[str, Any]]] = []
        decreases: list[tuple[int, Decimal, dict[str, Any]]] = []
        # Partners who left the eligible tiers keep what they accrued while they were in them.
        for partner_id in sorted(partner_ids):
            net = sums.converted((partner_id,)) if (partner_id,) in sums.groups else ZERO
            target = quantize_money(max(net, ZERO) * rate / 100, fund.currency)
            account_id = accounts.get(partner_id)
            before = previous[account_id].accrued if account_id in previous else ZERO
            detail = {
                "net_sales": format_amount_str(net, fund.currency),
                "rate_pct": str(rate),
                "target": format_amount_str(target, fund.currency),
                "accrued_before": format_amount_str(before, fund.currency),
                "period": [period.start.isoformat(), period.end.isoformat()],
            }
            if target > before:
                increases.append((partner_id, target - before, detail))
            elif target < before:
                decreases.append((partner_id, before - target, detail))
        # Decreases first: they free budget that increases may use.
        reversed_total, unrecovered = _accrual_decreases(locked_period, accounts, decreases, acting_user)
        increase_total = sum((d for _p, d, _x in increases), ZERO)
        require_budget(locked_period, increase_total)
        ensure_accounts(fund, [p for p, _d, _x in increases])
        _insert_accruals(locked_period, increases, today, acting_user, rates=sums.rates)
        summary = {
            "period": locked_period.name,
            "fund": fund.code,
            "partners": len(increases) + len(decreases),
            "accrued": format_amount_str(increase_total, fund.currency),
            "reversed": format_amount_str(reversed_total, fund.currency),
            "not_recovered": format_amount_str(unrecovered, fund.currency),
            "currency": fund.currency,
        }
        audit(actor=acting_user, action="fund.accrue", obj=locked_period, after=summary)
        if increases:
            _notify_allocated(
                fund,
                [p for p, _d, _x in increases],
                lambda: (
                    _("Co-op money from %(fund)s accrued on your sales in %(period)s is in your account.")
                    % {"fund": fund.name, "period": locked_period.name}
                ),
            )
    return summary


ACCRUAL_INSERT = """
INSERT INTO funds_ledgerentry (tenant_id, account_id, fund_id, partner_id, period_id, kind, amount, currency,
  source, expires_on, effective_on, reverses_kind, key, memo, detail, created_by_id, created_at)
SELECT a.tenant_id, a.id, a.fund_id, a.partner_id, %(period)s, 'accrued', n.amount, %(currency)s,
  'accrual', %(expires)s, %(today)s, '', '', '', n.detail::jsonb, %(user)s, now()
FROM unnest(%(partners)s::bigint[], %(amounts)s::numeric[], %(details)s::text[]) AS n(partner_id, amount, detail)
JOIN funds_fundaccount a ON a.tenant_id = %(t)s AND a.fund_id = %(fund)s AND a.partner_id = n.partner_id
"""


def _insert_accruals(period: FundPeriod, rows, today: datetime.date, acting_user, *, rates) -> None:
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            ACCRUAL_INSERT,
            {
                "t": require_tenant().pk,
                "fund": period.fund_id,
                "period": period.pk,
                "currency": period.fund.currency,
                "expires": period.expires_on,
                "today": today,
                "user": getattr(acting_user, "pk", None),
                "partners": [p for p, _d, _x in rows],
                "amounts": [d for _p, d, _x in rows],
                "details": [json.dumps({**x, "fx_rates": rates}, default=str) for _p, _d, x in rows],
            },
        )


def _accrual_decreases(
    period: FundPeriod, accounts: dict[int, int], rows, acting_user
) -> tuple[Decimal, Decimal]:
    """Reverse earlier accruals (latest first) by the decrease, as far as the money is available."""
    reversed_total = unrecovered = ZERO
    for partner_id, decrease, detail in rows:
        account, balances = lock_account(FundAccount(pk=accounts[partner_id]))
        left = min(decrease, max(balances.available, ZERO))
        unrecovered += decrease - left
        for entry in LedgerEntry.objects.filter(period=period, account=account, kind=K.ACCRUED).order_by(
            "-id"
        ):
            if left <= 0:
                break
            room = entry.amount - reversed_so_far(entry)
            portion = min(room, left)
            if portion <= 0:
                continue
            post(
                account,
                K.REVERSED,
                portion,
                acting_user=acting_user,
                period=period,
                reverses=entry,
                reverses_kind=K.ACCRUED,
                memo=_("Net sales decreased: accrual recalculated."),
                detail={
                    **detail,
                    "not_recovered": format_amount_str(decrease - min(decrease, left), period.fund.currency),
                },
            )
            left -= portion
            reversed_total += portion
    return reversed_total, unrecovered


def coop_accrue_run(job: Job) -> dict[str, Any]:
    """The accrual job of one period (started from the fund page or by the nightly schedule)."""
    if not job_start(job):
        return job.result
    try:
        period = FundPeriod.objects.select_related("fund").get(pk=job.params["period_id"])
        result = coop_accrue(period, acting_user=job.created_by)
    except DomainError as exc:
        job_fail(job, str(exc))
        return {"error": str(exc)}
    except Exception as exc:
        job_fail(job, unexpected_failure_message(exc, what=f"co-op accrual of period {job.params}"))
        raise
    job_succeed(job, result)
    return result


def accrue_open_periods(*, today: datetime.date | None = None, grace_days: int = 45) -> list[dict[str, Any]]:
    """The nightly accrual: every co-op period that has started and ended less than
    ``grace_days`` ago (late POS files still count)."""
    today = today or timezone.localdate()
    periods = FundPeriod.objects.filter(
        fund__kind=Fund.Kind.COOP,
        fund__is_active=True,
        start__lte=today,
        end__gte=today - datetime.timedelta(days=grace_days),
    ).select_related("fund")
    results = []
    for period in periods:
        try:
            results.append(coop_accrue(period))
        except DomainError as exc:
            results.append({"period": period.name, "fund": period.fund.code, "error": str(exc)})
    return results
