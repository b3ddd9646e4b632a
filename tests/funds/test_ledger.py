"""The fund ledger: allocations within the budget, balances derived from the entries, reversals
as the only correction, and the database refusing to change an entry."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction

from funds.models import EntryKind, FundAccount, LedgerEntry
from funds.selectors import account_balances, balances_total, period_granted
from funds.services.allocations import allocation_bulk_by_tier
from funds.services.funds import FundTerms, fund_create
from funds.services.ledger import InsufficientFunds, entry_reverse
from partners.models import Tier
from prm.audit.models import AuditEvent
from prm.workflow import DomainError
from tests.funds.helpers import allocate, approved, balances, days, fund, period, tiers

pytestmark = pytest.mark.django_db
D = Decimal


def test_an_allocation_is_a_ledger_entry_and_the_balance_is_derived_from_it(cast):
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        p = period(cast, f, budget="20000.00")
        entry = allocate(cast, p, "7500.00")
        b = balances(cast, f)
        assert (entry.kind, entry.amount, entry.expires_on, entry.source) == (
            "allocated",
            D("7500.00"),
            p.expires_on,
            "discretionary",
        )
        assert (b.allocated, b.available, b.committed) == (D("7500.00"), D("7500.00"), D("0"))
        assert AuditEvent.objects.filter(action="fund.allocate", object_id=str(entry.pk)).exists()


def test_allocations_never_add_up_to_more_than_the_period_budget(cast):
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        p = period(cast, f, budget="10000.00")
        allocate(cast, p, "6000.00")
        allocate(cast, p, "4000.00", partner="p2")
        with pytest.raises(DomainError, match="budget"):
            allocate(cast, p, "0.01")
        assert period_granted(p) == D("10000.00")
        assert LedgerEntry.objects.count() == 2


def test_only_partners_in_an_eligible_mdf_tier_receive_money(cast):
    with cast.a.context():
        tiers(cast, p2="Registered")
        f = fund(cast)
        p = period(cast, f)
        with pytest.raises(DomainError, match="not in a tier eligible"):
            allocate(cast, p, "100.00", partner="p2")
        assert not LedgerEntry.objects.exists()


def test_a_tier_whose_benefits_exclude_mdf_cannot_be_made_eligible(cast):
    with cast.a.context():
        found = tiers(cast, silver_mdf=False)
        with pytest.raises(DomainError, match="include MDF"):
            fund_create(
                terms=FundTerms(code="X", name="X", currency="USD", tiers=[found["Silver"]]),
                acting_membership=cast.a.memberships["admin"],
            )


def test_bulk_allocation_by_tier_gives_each_partner_its_tiers_amount_once(cast):
    with cast.a.context():
        found = tiers(cast)
        f = fund(cast)
        p = period(cast, f, budget="15000.00")
        result = allocation_bulk_by_tier(
            period=p,
            amounts={found["Gold"].pk: D("10000.00"), found["Silver"].pk: D("5000.00")},
            acting_membership=cast.a.memberships["marketing"],
        )
        assert (result["partners"], result["total"]) == (2, "15000.00")
        assert balances(cast, f, "p1").available == D("10000.00")
        assert balances(cast, f, "p2").available == D("5000.00")
        again = allocation_bulk_by_tier(
            period=p,
            amounts={found["Gold"].pk: D("10000.00")},
            acting_membership=cast.a.memberships["marketing"],
        )
        assert again["partners"] == 0
        assert LedgerEntry.objects.count() == 2


def test_bulk_allocation_beyond_the_budget_allocates_nothing(cast):
    with cast.a.context():
        found = tiers(cast)
        f = fund(cast)
        p = period(cast, f, budget="14999.99")
        with pytest.raises(DomainError, match="budget"):
            allocation_bulk_by_tier(
                period=p,
                amounts={found["Gold"].pk: D("10000.00"), found["Silver"].pk: D("5000.00")},
                acting_membership=cast.a.memberships["admin"],
            )
        assert not LedgerEntry.objects.exists()


def test_a_reversal_corrects_an_allocation_and_frees_the_budget(cast):
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        p = period(cast, f, budget="1000.00")
        entry = allocate(cast, p, "1000.00")
        reversal = entry_reverse(
            entry=entry, acting_membership=cast.a.memberships["admin"], reason="typo", amount=D("400.00")
        )
        assert (reversal.kind, reversal.reverses_id, reversal.reverses_kind, reversal.amount) == (
            "reversed",
            entry.pk,
            "allocated",
            D("400.00"),
        )
        b = balances(cast, f)
        assert (b.allocated, b.available) == (D("600.00"), D("600.00"))
        assert period_granted(p) == D("600.00")
        allocate(cast, p, "400.00", partner="p2")  # the freed budget is usable again
        with pytest.raises(DomainError, match=r"600\.00"):
            entry_reverse(
                entry=entry, acting_membership=cast.a.memberships["admin"], reason="again", amount=D("600.01")
            )


def test_committed_money_cannot_be_reversed_away(cast):
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        p = period(cast, f)
        entry = allocate(cast, p, "3000.00")
        approved(cast, f, requested_amount=D("2000.00"))
        with pytest.raises(InsufficientFunds):
            entry_reverse(entry=entry, acting_membership=cast.a.memberships["admin"], reason="cut")
        assert not LedgerEntry.objects.filter(kind="reversed").exists()
        entry_reverse(
            entry=entry, acting_membership=cast.a.memberships["admin"], reason="cut", amount=D("1000.00")
        )
        b = balances(cast, f)
        assert (b.available, b.open_committed, b.violations()) == (D("0.00"), D("2000.00"), [])


def test_only_allocations_and_accruals_can_be_reversed(cast):
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        allocate(cast, period(cast, f), "3000.00")
        approved(cast, f)
        committed = LedgerEntry.objects.get(kind="committed")
        with pytest.raises(DomainError, match="Only allocations and accruals"):
            entry_reverse(entry=committed, acting_membership=cast.a.memberships["admin"], reason="x")


def test_the_database_refuses_to_change_or_delete_a_ledger_entry(cast):
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        entry = allocate(cast, period(cast, f), "10.00")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            LedgerEntry.objects.filter(pk=entry.pk).update(amount=D("20.00"))
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            LedgerEntry.objects.filter(pk=entry.pk).delete()
        assert LedgerEntry.objects.get(pk=entry.pk).amount == D("10.00")


def test_sums_match_and_no_balance_is_negative_after_a_mixed_history(cast):
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        p = period(cast, f)
        first = allocate(cast, p, "5000.00")
        allocate(cast, p, "1000.00", expires_on=days(10))
        approved(cast, f, requested_amount=D("1500.00"))
        approved(cast, f, requested_amount=D("500.00"), title="Print ad", activity_type="print")
        entry_reverse(
            entry=first,
            acting_membership=cast.a.memberships["admin"],
            reason="correction",
            amount=D("250.00"),
        )
        account = FundAccount.objects.get(fund=f, partner=cast.a.partners["p1"])
        b = account_balances(account)
        assert b.violations() == []
        # every kind's total is its entries minus the reversals of it, entry by entry
        rows = list(
            LedgerEntry.objects.filter(account=account).values_list("kind", "amount", "reverses_kind")
        )
        for kind in EntryKind.values:
            if kind == "reversed":
                continue
            expected = sum((a for k, a, _r in rows if k == kind), D("0")) - sum(
                (a for k, a, r in rows if k == "reversed" and r == kind), D("0")
            )
            assert getattr(b, kind) == expected
        assert b.available == D("5000.00") + D("1000.00") - D("2000.00") - D("250.00")
        assert balances_total(LedgerEntry.objects.all()) == b


def test_a_manager_without_the_capability_cannot_allocate(cast):
    from django.core.exceptions import PermissionDenied

    from funds.services.allocations import allocation_create

    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        p = period(cast, f)
        with pytest.raises(PermissionDenied):
            allocation_create(
                period=p,
                partner=cast.a.partners["p1"],
                amount=D("1.00"),
                acting_membership=cast.a.memberships["manager"],
            )
        assert Tier.objects.exists() and not LedgerEntry.objects.exists()
