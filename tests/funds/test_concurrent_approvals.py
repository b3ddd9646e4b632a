"""A hundred approvals at the same moment, each in its own real transaction, against a balance
that covers ten of them: exactly ten commit (the account row lock serialises them and each
checks the balance it derives inside the lock). Without the lock the same run over-commits."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from funds.models import FundRequest, LedgerEntry
from funds.selectors import account_balances
from funds.services import requests as request_services
from funds.services.ledger import InsufficientFunds
from funds.services.requests import request_approve
from prm.tenancy.context import tenant_context
from tests.funds.helpers import allocate, fund, period, request, tiers

pytestmark = pytest.mark.django_db(transaction=True)


def _approve_concurrently(cast, n: int, covered: int) -> tuple[list[str], list[BaseException]]:
    tenant = cast.a.tenant
    with tenant_context(tenant):
        tiers(cast)
        f = fund(cast)
        allocate(cast, period(cast, f), str(Decimal("100.00") * covered))
        ids = [
            request(cast, f, requested_amount=Decimal("100.00"), title=f"Activity {i}").pk for i in range(n)
        ]
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def approve(pk: int) -> None:
        try:
            with tenant_context(tenant):
                fund_request = FundRequest.objects.get(pk=pk)
                membership = cast.a.memberships["manager"].__class__.objects.get(
                    pk=cast.a.memberships["manager"].pk
                )
                barrier.wait(timeout=60)
                try:
                    request_approve(request=fund_request, acting_membership=membership)
                    result = "approved"
                except InsufficientFunds:
                    result = "refused"
            with lock:
                outcomes.append(result)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(pk,)) for pk in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return outcomes, errors


def test_a_hundred_concurrent_approvals_against_a_balance_for_ten_commit_exactly_ten(cast):
    outcomes, errors = _approve_concurrently(cast, n=100, covered=10)
    assert errors == []
    assert (outcomes.count("approved"), outcomes.count("refused")) == (10, 90)
    with tenant_context(cast.a.tenant):
        assert LedgerEntry.objects.filter(kind="committed").count() == 10
        assert FundRequest.objects.filter(status="approved").count() == 10
        assert FundRequest.objects.filter(status="pending").count() == 90  # a refusal writes nothing
        balances = account_balances(LedgerEntry.objects.get(kind="allocated").account)
        assert (balances.available, balances.committed, balances.violations()) == (
            Decimal("0.00"),
            Decimal("1000.00"),
            [],
        )


def test_without_the_account_lock_the_same_run_over_commits(cast, monkeypatch):
    """The test above can fail: with the lock taken away (and every approval pausing between
    reading the balance and writing, as a busy database does), more than ten commit."""
    n = 20
    gate = threading.Barrier(n)

    def unlocked(account):
        from funds.models import FundAccount

        found = FundAccount.objects.select_related("fund", "partner").get(pk=account.pk)
        balances = account_balances(found)
        gate.wait(timeout=60)  # every approval has read the same balance before any writes
        return found, balances

    monkeypatch.setattr(request_services, "lock_account", unlocked)
    outcomes, errors = _approve_concurrently(cast, n=n, covered=10)
    assert errors == []
    assert outcomes.count("approved") > 10
