"""Reads of funds: scoped querysets (partner roles: their own partner's; restricted managers:
their partners'), and the balances, which are always derived from the ledger."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Case, F, Q, QuerySet, Sum, When
from django.shortcuts import get_object_or_404

from funds.models import (
    ApprovalLevel,
    Delegation,
    EntryKind,
    Fund,
    FundAccount,
    FundClaim,
    FundPeriod,
    FundRequest,
    FundSettings,
    LedgerEntry,
    ProofFile,
)
from partners.models import Partner
from partners.selectors import partners_for_membership
from prm.accounts.models import Membership
from prm.roles import Role
from prm.tenancy.context import require_tenant

ZERO = Decimal("0")
K = EntryKind
FLOW_KINDS = (K.ALLOCATED, K.ACCRUED, K.COMMITTED, K.CLAIMED, K.PAID, K.RELEASED, K.EXPIRED)


# --- Balances -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balances:
    """The net total of each kind of movement (reversals subtracted) and the balances they give."""

    allocated: Decimal = ZERO
    accrued: Decimal = ZERO
    committed: Decimal = ZERO
    claimed: Decimal = ZERO
    paid: Decimal = ZERO
    released: Decimal = ZERO
    expired: Decimal = ZERO

    @property
    def granted(self) -> Decimal:
        return self.allocated + self.accrued

    @property
    def available(self) -> Decimal:
        return self.allocated + self.accrued - self.committed + self.released - self.expired

    @property
    def open_committed(self) -> Decimal:
        return self.committed - self.claimed - self.released

    @property
    def unpaid_claimed(self) -> Decimal:
        return self.claimed - self.paid

    @property
    def utilisation_pct(self) -> Decimal:
        if not self.granted:
            return ZERO
        return (self.claimed * 100 / self.granted).quantize(Decimal("0.01"))

    def after(self, kind: str, amount: Decimal) -> Balances:
        """The balances once a movement of ``kind`` (negative: a reversal) is added."""
        values: dict[str, Decimal] = {str(k): getattr(self, str(k)) for k in FLOW_KINDS}
        values[str(kind)] += amount
        return Balances(**values)

    def violations(self) -> list[str]:
        """The invariants that do not hold (an empty list for every sound account)."""
        wrong: list[str] = [str(k) for k in FLOW_KINDS if getattr(self, str(k)) < 0]
        for name in ("available", "open_committed", "unpaid_claimed"):
            if getattr(self, name) < 0:
                wrong.append(name)
        return wrong


def net_sums(prefix: str = "") -> dict[str, Any]:
    """Aggregates giving each kind's net total: its entries minus the reversals of them."""
    signed = Case(
        When(**{f"{prefix}kind": K.REVERSED}, then=-F(f"{prefix}amount")), default=F(f"{prefix}amount")
    )
    return {
        str(kind): Sum(
            signed,
            filter=Q(**{f"{prefix}kind": kind})
            | Q(**{f"{prefix}kind": K.REVERSED, f"{prefix}reverses_kind": kind}),
            default=ZERO,
        )
        for kind in FLOW_KINDS
    }


def balances_from_row(row: Mapping[str, Any]) -> Balances:
    return Balances(**{str(k): row.get(str(k)) or ZERO for k in FLOW_KINDS})


def account_balances(account: FundAccount) -> Balances:
    return balances_from_row(LedgerEntry.objects.filter(account=account).aggregate(**net_sums()))


def balances_by_account(entries: QuerySet[LedgerEntry]) -> dict[int, Balances]:
    """One grouped query: account id -> balances."""
    rows = entries.order_by().values("account_id").annotate(**net_sums())
    return {row["account_id"]: balances_from_row(row) for row in rows}


def balances_total(entries: QuerySet[LedgerEntry]) -> Balances:
    return balances_from_row(entries.order_by().aggregate(**net_sums()))


def period_granted(period: FundPeriod) -> Decimal:
    """What the period's allocations and accruals add up to (net of their reversals)."""
    b = balances_total(LedgerEntry.objects.filter(period=period))
    return b.granted


def granted_by_period(periods: Iterable[FundPeriod]) -> dict[int, Decimal]:
    """Period id -> what its allocations and accruals add up to (one grouped query)."""
    rows = (
        LedgerEntry.objects.filter(period__in=[p.pk for p in periods])
        .order_by()
        .values("period_id")
        .annotate(**net_sums())
    )
    return {row["period_id"]: balances_from_row(row).granted for row in rows}


def balances_of_accounts(accounts: Iterable[FundAccount]) -> dict[int, Balances]:
    """Account id -> balances, for the accounts shown on a page (one grouped query); an account
    without entries is absent (its balances are all zero: ``Balances()``)."""
    return balances_by_account(LedgerEntry.objects.filter(account__in=[a.pk for a in accounts]))


def unpaid_claimed_by_claim(claim_ids: Iterable[int]) -> dict[int, Decimal]:
    """Claim id -> what its ledger says was claimed and not yet paid (one grouped query)."""
    rows = LedgerEntry.objects.filter(claim_id__in=list(claim_ids)).order_by().values("claim_id")
    return {row["claim_id"]: balances_from_row(row).unpaid_claimed for row in rows.annotate(**net_sums())}


def request_open_commitment(request: FundRequest) -> Decimal:
    """What is still committed to the request (committed, less claimed and released)."""
    return balances_total(LedgerEntry.objects.filter(request=request)).open_committed


@dataclass
class ExpiryStep:
    day: datetime.date
    amount: Decimal


# Each entry as (account, kind it counts as, signed amount, expiry of the money it moves).
ENTRIES_SQL = """
  SELECT le.account_id,
    CASE WHEN le.kind = 'reversed' THEN le.reverses_kind ELSE le.kind END AS k,
    CASE WHEN le.kind = 'reversed' THEN -le.amount ELSE le.amount END AS a,
    CASE WHEN le.kind = 'reversed' THEN r.expires_on ELSE le.expires_on END AS exp
  FROM funds_ledgerentry le
  LEFT JOIN funds_ledgerentry r ON r.tenant_id = le.tenant_id AND r.id = le.reverses_id
  WHERE le.tenant_id = %(t)s {where}
"""
AVAILABLE_SQL = """
  SELECT account_id,
    coalesce(sum(a) FILTER (WHERE k IN ('allocated', 'accrued', 'released')), 0)
      - coalesce(sum(a) FILTER (WHERE k IN ('committed', 'expired')), 0) AS available
  FROM e GROUP BY account_id
"""
# Money is spent in the order it expires, so the available balance belongs to the latest-expiring
# allocations: walking them from the latest day down, each day holds what is left of the balance
# after the later days, at most its own allocations.
SCHEDULE_SQL = f"""
  WITH e AS ({ENTRIES_SQL}), b AS ({AVAILABLE_SQL}),
  g AS (SELECT account_id, exp AS day, sum(a) AS total FROM e
        WHERE k IN ('allocated', 'accrued') AND exp IS NOT NULL GROUP BY account_id, exp),
  w AS (SELECT g.account_id, g.day, g.total,
          coalesce(sum(g.total) OVER (PARTITION BY g.account_id ORDER BY g.day DESC
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS later
        FROM g)
  SELECT w.account_id, w.day, least(w.total, greatest(b.available - w.later, 0)) AS portion
  FROM w JOIN b ON b.account_id = w.account_id
  WHERE w.day >= %(from)s AND w.day <= %(to)s AND least(w.total, greatest(b.available - w.later, 0)) > 0
  ORDER BY w.account_id, w.day
"""


def expiry_schedule(
    account_ids: list[int], *, start: datetime.date, end: datetime.date | None = None
) -> dict[int, list[ExpiryStep]]:
    """account id -> what of its available balance expires on which day (from ``start`` to
    ``end``), in one query for all the accounts."""
    if not account_ids:
        return {}
    sql = SCHEDULE_SQL.replace("{where}", "AND le.account_id = ANY(%(ids)s)")
    params: dict[str, Any] = {
        "t": require_tenant().pk,
        "ids": list(account_ids),
        "from": start,
        "to": end or datetime.date(9999, 12, 31),
    }
    result: dict[int, list[ExpiryStep]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for account_id, day, portion in cursor.fetchall():
            result.setdefault(account_id, []).append(ExpiryStep(day, portion))
    return result


# --- Scoped reads --------------------------------------------------------------------------------------


def funds() -> QuerySet[Fund]:
    return Fund.objects.all()


def get_fund_or_404(pk: int) -> Fund:
    return get_object_or_404(Fund.objects.all(), pk=pk)


def funds_for_membership(membership: Membership) -> QuerySet[Fund]:
    """Vendor staff: every fund. Partner roles: the funds their partner has an account in or is
    eligible for."""
    if not membership.is_partner:
        return Fund.objects.all()
    partner = membership.partner
    tier_id = partner.current_tier_id if partner is not None else None
    return Fund.objects.filter(
        Q(accounts__partner_id=membership.partner_id)
        | Q(is_active=True, eligible_tiers__tier_id=tier_id or 0, eligible_tiers__tier__mdf_eligible=True)
    ).distinct()


def delegate_candidates(membership: Membership) -> QuerySet[Membership]:
    """Who the member may delegate approvals to: the tenant's other active staff."""
    return (
        Membership.objects.filter(partner__isnull=True, is_active=True)
        .exclude(pk=membership.pk)
        .select_related("user")
    )


def delegations_for_membership(membership: Membership) -> QuerySet[Delegation]:
    """Vendor admins: every delegation; other approvers: those they gave or received."""
    qs = Delegation.objects.select_related("delegator__user", "delegate__user").order_by("-starts_on", "-id")
    if membership.role != Role.VENDOR_ADMIN:
        qs = qs.filter(Q(delegator=membership) | Q(delegate=membership))
    return qs


def get_delegation_for_membership_or_404(membership: Membership, pk: int) -> Delegation:
    return get_object_or_404(delegations_for_membership(membership), pk=pk)


def get_period_or_404(pk: int) -> FundPeriod:
    return get_object_or_404(FundPeriod.objects.select_related("fund"), pk=pk)


def periods_of_fund(fund: Fund) -> list[FundPeriod]:
    return list(FundPeriod.objects.filter(fund=fund).order_by("-start"))


def current_periods(day: datetime.date) -> dict[int, FundPeriod]:
    """Fund id -> its period running on ``day`` (periods of a fund do not overlap)."""
    running = FundPeriod.objects.filter(start__lte=day, end__gte=day).select_related("fund")
    return {p.fund_id: p for p in running}


def period_grants_for_membership(membership: Membership, period: FundPeriod) -> QuerySet[LedgerEntry]:
    """The period's allocations, accruals and their reversals for the member's partners, newest first."""
    return (
        LedgerEntry.objects.filter(
            period=period,
            partner__in=partners_for_membership(membership),
            kind__in=[K.ALLOCATED, K.ACCRUED, K.REVERSED],
        )
        .select_related("partner", "reverses")
        .order_by("-id")
    )


def accounts_for_membership(membership: Membership) -> QuerySet[FundAccount]:
    return FundAccount.objects.filter(partner__in=partners_for_membership(membership)).select_related(
        "fund", "partner"
    )


def get_account_for_membership_or_404(membership: Membership, pk: int) -> FundAccount:
    return get_object_or_404(accounts_for_membership(membership), pk=pk)


def entries_for_account(account: FundAccount) -> QuerySet[LedgerEntry]:
    return (
        LedgerEntry.objects.filter(account=account)
        .select_related("period", "request", "claim", "created_by", "reverses")
        .order_by("-id")
    )


def get_entry_for_membership_or_404(membership: Membership, pk: int) -> LedgerEntry:
    entries = LedgerEntry.objects.filter(partner__in=partners_for_membership(membership)).select_related(
        "account", "fund", "partner"
    )
    return get_object_or_404(entries, pk=pk)


def requests_for_membership(membership: Membership) -> QuerySet[FundRequest]:
    return FundRequest.objects.filter(partner__in=partners_for_membership(membership)).select_related(
        "fund", "partner"
    )


def get_request_for_membership_or_404(membership: Membership, pk: int) -> FundRequest:
    return get_object_or_404(requests_for_membership(membership), pk=pk)


def claims_for_membership(membership: Membership) -> QuerySet[FundClaim]:
    return FundClaim.objects.filter(partner__in=partners_for_membership(membership)).select_related(
        "request", "request__fund", "partner", "payable"
    )


def get_claim_for_membership_or_404(membership: Membership, pk: int) -> FundClaim:
    return get_object_or_404(claims_for_membership(membership), pk=pk)


def get_proof_for_membership_or_404(membership: Membership, pk: int) -> ProofFile:
    proofs = ProofFile.objects.filter(claim__in=claims_for_membership(membership)).select_related("claim")
    return get_object_or_404(proofs, pk=pk)


def eligible_partners(fund: Fund) -> QuerySet[Partner]:
    """Partners in one of the fund's tiers, that tier's benefits including MDF, and operating."""
    return Partner.objects.filter(
        current_tier__in=fund.eligible_tiers.filter(tier__mdf_eligible=True).values("tier_id")
    ).exclude(status__in=Partner.BLOCKED_STATUSES)


def partner_is_eligible(fund: Fund, partner: Partner) -> bool:
    return eligible_partners(fund).filter(pk=partner.pk).exists()


def fund_settings() -> FundSettings:
    found = FundSettings.objects.first()
    return found if found is not None else FundSettings(tenant=require_tenant())


# --- Approval levels -------------------------------------------------------------------------------------

ROLE_LEVEL = {
    Role.CHANNEL_MANAGER: ApprovalLevel.CHANNEL_MANAGER,
    Role.MARKETING_MANAGER: ApprovalLevel.MARKETING_MANAGER,
    Role.VENDOR_ADMIN: ApprovalLevel.VENDOR_ADMIN,
}


def active_delegations_to(membership: Membership, day: datetime.date) -> QuerySet[Delegation]:
    return Delegation.objects.filter(
        delegate=membership, is_active=True, starts_on__lte=day, ends_on__gte=day, delegator__is_active=True
    ).select_related("delegator__user")


@dataclass
class Authority:
    """At which level a member may decide today: their own role's, or a higher one delegated
    to them (``on_behalf_of`` names the delegator then)."""

    level: int = 0
    on_behalf_of: Any = None
    delegations: list[Delegation] = field(default_factory=list)


def authority(membership: Membership, day: datetime.date) -> Authority:
    own = int(ROLE_LEVEL.get(Role(membership.role), 0)) if membership.is_staff_member else 0
    best = Authority(level=own)
    for delegation in active_delegations_to(membership, day):
        level = int(ROLE_LEVEL.get(Role(delegation.delegator.role), 0))
        best.delegations.append(delegation)
        if level > best.level:
            best.level, best.on_behalf_of = level, delegation.delegator.user
    return best


def approval_queue(membership: Membership, day: datetime.date) -> QuerySet[FundRequest]:
    """Pending requests the member may decide now (at their level or below)."""
    level = authority(membership, day).level
    return requests_for_membership(membership).filter(status=FundRequest.Status.PENDING, level__lte=level)


def fund_claims_ledger() -> tuple[str, list[Any]]:
    """What finance's reconciliation compares with the payables of kind "fund_claim": for every
    claim, the amount claimed in the fund ledger (net of reversals), in the fund's currency."""
    sql = (
        "SELECT claim_id::text, sum(CASE WHEN kind = 'reversed' THEN -amount ELSE amount END), currency"
        " FROM funds_ledgerentry WHERE tenant_id = %s AND claim_id IS NOT NULL"
        " AND (kind = 'claimed' OR (kind = 'reversed' AND reverses_kind = 'claimed'))"
        " GROUP BY claim_id, currency"
        " HAVING sum(CASE WHEN kind = 'reversed' THEN -amount ELSE amount END) <> 0"
    )
    return sql, [require_tenant().pk]
