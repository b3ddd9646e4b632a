"""A payable source learns that finance paid its payables through its ``on_paid`` hook: called
once per source kind with the source ids of the payables the payment just moved to paid, only
after the payment commits, in the tenant's context; kinds without a hook are skipped; one failing
hook does not keep the others from being told."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction

from prm.finance.batches import (
    BatchFilters,
    PaymentConfirmation,
    payout_batch_approve,
    payout_batch_create,
    payout_batch_export,
    payout_batch_mark_paid,
)
from prm.finance.models import Payable
from prm.finance.registry import register_payable_source, unregister_payable_source
from prm.finance.services import payables_paid_dispatch
from prm.tenancy.context import current_tenant
from tests.prm.finance_helpers import make_payable, payout_details, second_finance

pytestmark = pytest.mark.django_db
HOOKED, QUIET = "test_hooked", "test_quiet"


@pytest.fixture
def told():
    """Two more source kinds: one with an on_paid hook that records its calls, one without."""
    calls: list[tuple[str, list[str]]] = []

    def on_paid(tenant, source_ids):
        assert current_tenant() == tenant  # the hook runs in the tenant's context
        calls.append((tenant.slug, list(source_ids)))

    register_payable_source(HOOKED, label="Hooked", on_paid=on_paid)
    register_payable_source(QUIET, label="Quiet")
    yield calls
    unregister_payable_source(HOOKED)
    unregister_payable_source(QUIET)


def _exported_batch(cast):
    payout_details(cast.a, "p1")
    payout_details(cast.a, "p2")
    for partner, source_id in (("p1", "A"), ("p1", "B"), ("p2", "C")):
        make_payable(cast.a, partner, source_id=source_id, source_type=HOOKED)
    make_payable(cast.a, "p1", source_id="Q", source_type=QUIET)
    with cast.a.context():
        batch = payout_batch_create(
            acting_membership=cast.a.memberships["finance"],
            currency="USD",
            filters=BatchFilters(source_types=(HOOKED, QUIET)),
        )
        batch = payout_batch_approve(batch=batch, acting_membership=second_finance(cast.a))
        return payout_batch_export(batch=batch, acting_membership=cast.a.memberships["finance"])


def _pay(cast, batch, partner: str, reference: str):
    return payout_batch_mark_paid(
        batch=batch,
        acting_membership=cast.a.memberships["finance"],
        confirmations=[
            PaymentConfirmation(cast.a.partners[partner].pk, reference, datetime.date(2026, 12, 1))
        ],
    )


def test_each_payment_tells_the_source_of_the_payables_it_paid_once(
    cast, told, django_capture_on_commit_callbacks
):
    batch = _exported_batch(cast)
    with cast.a.context():
        with django_capture_on_commit_callbacks(execute=True):
            batch = _pay(cast, batch, "p1", "BANK-1")
        assert told == [("acme", ["A", "B"])]
        with django_capture_on_commit_callbacks(execute=True):
            _pay(cast, batch, "p2", "BANK-2")
    assert told == [("acme", ["A", "B"]), ("acme", ["C"])]


def test_nothing_is_told_before_the_payment_commits_nor_when_it_rolls_back(
    cast, told, django_capture_on_commit_callbacks
):
    batch = _exported_batch(cast)
    with (
        cast.a.context(),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _pay(cast, batch, "p1", "BANK-1")
        assert told == []  # inside the payment's transaction: not yet
        raise RuntimeError("the rest of the request failed")
    assert callbacks == [] and told == []


def test_one_failing_hook_does_not_keep_the_others_from_being_told(cast, told):
    def broken(tenant, source_ids):
        raise ValueError("the app's hook is broken")

    register_payable_source("test_broken", label="Broken", on_paid=broken)
    try:
        payables = [
            make_payable(cast.a, source_id="X", source_type="test_broken")[0],
            make_payable(cast.a, source_id="Y", source_type=HOOKED)[0],
        ]
        with cast.a.context():
            Payable.objects.filter(pk__in=[p.pk for p in payables]).update(status=Payable.Status.PAID)
            with pytest.raises(ValueError, match="broken"):
                payables_paid_dispatch([p.pk for p in payables])
    finally:
        unregister_payable_source("test_broken")
    assert told == [("acme", ["Y"])]


def test_payables_not_paid_are_not_reported(cast, told):
    open_payable, _created = make_payable(cast.a, source_id="OPEN", source_type=HOOKED)
    with cast.a.context():
        assert payables_paid_dispatch([open_payable.pk]) == {}
    assert told == []
