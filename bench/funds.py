"""MDF and co-op fund benchmarks.

* ``funds_expiry_vs_account_loop``: the nightly expiry over N partner accounts (50,000 at full
  size, each with an allocation past its date, a later one and a commitment) as the product runs
  it (lock the due accounts, one INSERT ... SELECT deriving every balance from the ledger) vs a
  per-account loop (lock the account, derive its balances with the ORM, post the expiry), measured
  on a sample of 2,000 accounts of a second fund and scaled.
* ``funds_bulk_allocation_vs_loop``: allocating by tier to N eligible partners (one INSERT from
  arrays) vs ``allocation_create`` per partner on a sample, scaled.
"""

from __future__ import annotations

import datetime
import time
from decimal import Decimal

from bench.core import Context, Result

SAMPLE = 2_000


def _sql(statement: str, params=None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _setup(partners: int):
    from funds.models import Fund
    from funds.services.funds import FundTerms, fund_create, period_create
    from partners.models import Partner, Program, Tier
    from prm.accounts.models import Membership, User
    from prm.tenancy.context import tenant_context
    from prm.tenancy.services import tenant_create

    tenant = tenant_create(slug="benchfunds", name="Bench Funds", currency="USD")
    with tenant_context(tenant):
        admin = Membership.objects.create(
            user=User.objects.create_user(email="admin@benchfunds.test", password=None), role="vendor_admin"
        )
        program = Program.objects.create(code="p", name="Program")
        gold = Tier.objects.create(program=program, name="Gold", rank=2, mdf_eligible=True)
        Partner.objects.bulk_create(
            [
                Partner(
                    tenant=tenant,
                    code=f"F{n:06d}",
                    name=f"Partner {n}",
                    type="reseller",
                    country="US",
                    program=program,
                    current_tier=gold,
                    tier="Gold",
                )
                for n in range(partners)
            ],
            batch_size=5000,
        )
        funds: list[Fund] = []
        periods = []
        for code in ("OURS", "LOOP"):
            fund = fund_create(
                terms=FundTerms(code=code, name=code, currency="USD", tiers=[gold]), acting_membership=admin
            )
            funds.append(fund)
            periods.append(
                period_create(
                    fund=fund,
                    name="P",
                    start=datetime.date(2026, 1, 1),
                    end=datetime.date(2026, 12, 31),
                    budget=Decimal(partners) * 100_000,
                    acting_membership=admin,
                )
            )
    return tenant, admin, gold, funds, periods


LEDGER = """
INSERT INTO funds_ledgerentry (tenant_id, account_id, fund_id, partner_id, period_id, kind, amount, currency,
  source, expires_on, effective_on, reverses_kind, key, memo, detail, created_at)
SELECT a.tenant_id, a.id, a.fund_id, a.partner_id, %(period)s, x.kind, x.amount, 'USD', x.source, x.expires,
  %(day)s, '', '', '', '{}'::jsonb, now()
FROM funds_fundaccount a
CROSS JOIN (VALUES ('allocated', 1000.00, 'discretionary', %(early)s::date),
                   ('allocated', 500.00, 'discretionary', %(late)s::date),
                   ('committed', 300.00, '', NULL::date)) AS x(kind, amount, source, expires)
WHERE a.tenant_id = %(t)s AND a.fund_id = %(fund)s
"""


def _expiry(ctx: Context, tenant, funds, periods, accounts: int) -> Result:
    from django.db import transaction

    from funds.models import EntryKind, FundAccount, LedgerEntry
    from funds.services.expiry import expiries_post
    from funds.services.ledger import ensure_accounts, lock_account, post
    from partners.models import Partner
    from prm.tenancy.context import tenant_context

    day = datetime.date(2026, 6, 1)
    params = {
        "t": tenant.pk,
        "day": datetime.date(2026, 1, 5),
        "early": datetime.date(2026, 3, 31),
        "late": datetime.date(2026, 9, 30),
    }
    with tenant_context(tenant):
        ids = list(Partner.objects.order_by("pk").values_list("pk", flat=True))
        ensure_accounts(funds[0], ids[:accounts])
        ensure_accounts(funds[1], ids[:SAMPLE])
        for fund, period in zip(funds, periods, strict=True):
            _sql(LEDGER, {**params, "fund": fund.pk, "period": period.pk})
        _sql("ANALYZE funds_ledgerentry")
        _sql("ANALYZE funds_fundaccount")
        # The baseline first, on the second fund's accounts: lock, derive, post, one by one.
        loop_accounts = list(FundAccount.objects.filter(fund=funds[1]).order_by("pk"))
        started = time.perf_counter()
        for account in loop_accounts:
            with transaction.atomic():
                locked, balances = lock_account(account)
                later = sum(
                    (
                        e.amount
                        for e in LedgerEntry.objects.filter(
                            account=locked, kind=EntryKind.ALLOCATED, expires_on__gte=day
                        )
                    ),
                    Decimal("0"),
                )
                due = balances.available - later
                if due > 0:
                    post(locked, EntryKind.EXPIRED, due, effective_on=day, key=f"loop:{locked.pk}:{day}")
        per_account = (time.perf_counter() - started) / len(loop_accounts)
        # Then the product's nightly statement (the baseline's accounts have nothing left to expire).
        started = time.perf_counter()
        summary = expiries_post(day=day)
        ours = time.perf_counter() - started
        assert summary["accounts"] == accounts, summary
    return Result(
        name="funds_expiry_vs_account_loop",
        rows=accounts,
        ours=round(ours, 3),
        baseline=round(per_account * accounts, 3),
        unit="s",
        notes=f"set-based expiry over {accounts:,} accounts (3 entries each) vs a per-account ORM loop on {SAMPLE:,}, scaled",
    )


def _bulk(ctx: Context, tenant, admin, gold, partners: int) -> Result:
    from funds.services.allocations import allocation_bulk_by_tier, allocation_create
    from funds.services.funds import FundTerms, fund_create, period_create
    from partners.models import Partner
    from prm.tenancy.context import tenant_context

    with tenant_context(tenant):
        fund = fund_create(
            terms=FundTerms(code="BULK", name="Bulk", currency="USD", tiers=[gold]), acting_membership=admin
        )
        period = period_create(
            fund=fund,
            name="P",
            start=datetime.date(2026, 1, 1),
            end=datetime.date(2030, 12, 31),
            budget=Decimal(partners) * 100_000,
            acting_membership=admin,
        )
        started = time.perf_counter()
        result = allocation_bulk_by_tier(
            period=period, amounts={gold.pk: Decimal("1000")}, acting_membership=admin
        )
        ours = time.perf_counter() - started
        assert result["partners"] == partners, result
        loop_fund = fund_create(
            terms=FundTerms(code="BULKLOOP", name="Loop", currency="USD", tiers=[gold]),
            acting_membership=admin,
        )
        loop_period = period_create(
            fund=loop_fund,
            name="P",
            start=datetime.date(2026, 1, 1),
            end=datetime.date(2030, 12, 31),
            budget=Decimal(partners) * 100_000,
            acting_membership=admin,
        )
        sample = list(Partner.objects.order_by("pk")[:SAMPLE])
        started = time.perf_counter()
        for partner in sample:
            allocation_create(
                period=loop_period, partner=partner, amount=Decimal("1000"), acting_membership=admin
            )
        per_partner = (time.perf_counter() - started) / len(sample)
    return Result(
        name="funds_bulk_allocation_vs_loop",
        rows=partners,
        ours=round(ours, 3),
        baseline=round(per_partner * partners, 3),
        unit="s",
        notes=f"allocation by tier to {partners:,} partners in one INSERT vs allocation_create per partner on {SAMPLE:,}, scaled",
    )


def run(ctx: Context) -> list[Result]:
    partners = ctx.rows(50_000, minimum=SAMPLE)
    tenant, admin, gold, funds, periods = _setup(partners)
    results: list[Result] = []
    if ctx.wants("funds_expiry_vs_account_loop"):
        results.append(_expiry(ctx, tenant, funds, periods, partners))
    if ctx.wants("funds_bulk_allocation_vs_loop"):
        results.append(_bulk(ctx, tenant, admin, gold, partners))
    return results
