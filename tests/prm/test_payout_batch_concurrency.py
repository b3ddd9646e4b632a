"""Two (and more) finance users build batches from the same open payables at the same moment,
each in its own real transaction: every payable ends up in exactly one live batch."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.db.models import Count

from prm.finance.batches import payout_batch_create
from prm.finance.models import Payable, PayoutBatch, PayoutBatchLine
from prm.tenancy.context import tenant_context
from prm.workflow import DomainError
from tests.prm.finance_helpers import fake_source, make_payable, payout_details  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("builders", [2, 4])
def test_concurrent_batches_never_share_a_payable(cast, fake_source, builders):  # noqa: F811
    payout_details(cast.a, "p1")
    payout_details(cast.a, "p2")
    for n in range(12):
        make_payable(cast.a, "p1" if n % 2 else "p2", source_id=f"L-{n}", amount=f"{10 + n}.00")
    tenant, finance = cast.a.tenant, cast.a.memberships["finance"]
    barrier = threading.Barrier(builders)
    built: list[int] = []
    refused: list[str] = []
    errors: list[BaseException] = []

    def build() -> None:
        try:
            with tenant_context(tenant), transaction.atomic():
                barrier.wait(timeout=30)  # everyone starts before anyone commits
                batch = payout_batch_create(acting_membership=finance, currency="USD")
                built.append(batch.pk)
        except DomainError as exc:
            refused.append(str(exc))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=build) for _ in range(builders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(built) >= 1 and len(built) + len(refused) == builders
    with tenant_context(tenant):
        per_payable = PayoutBatchLine.objects.filter(live=True).values("payable").annotate(n=Count("batch"))
        assert per_payable.count() == 12 and {row["n"] for row in per_payable} == {1}
        assert Payable.objects.filter(status=Payable.Status.IN_BATCH).count() == 12
        assert PayoutBatch.objects.count() == len(built)
