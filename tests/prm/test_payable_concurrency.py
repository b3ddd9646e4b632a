"""Two (and more) jobs create the payable of the same source line at the same moment, each in its
own real transaction: exactly one payable exists and every caller gets it."""

from __future__ import annotations

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction

from prm.audit.models import AuditEvent
from prm.finance.models import Payable
from prm.finance.services import payable_create
from prm.tenancy.context import tenant_context
from tests.prm.finance_helpers import fake_source  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("callers", [2, 6])
def test_concurrent_creations_for_one_source_line_make_exactly_one_payable(cast, fake_source, callers):  # noqa: F811
    tenant, partner = cast.a.tenant, cast.a.partners["p1"]
    barrier = threading.Barrier(callers)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def create() -> None:
        try:
            with tenant_context(tenant), transaction.atomic():
                barrier.wait(timeout=30)  # everyone looks for an existing payable before anyone commits
                payable, created = payable_create(
                    source_type=fake_source,
                    source_id="CL-1/1",
                    partner=partner,
                    amount=Decimal("250.00"),
                    currency="USD",
                    due_date=datetime.date(2026, 12, 31),
                )
                results.append((payable.pk, created))
                time.sleep(0.2)  # hold the transaction open: the others block on the unique index
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with tenant_context(tenant):
        assert Payable.objects.count() == 1
        only = Payable.objects.get()
        assert AuditEvent.objects.filter(action="payable.create").count() == 1
    assert sorted(created for _pk, created in results) == [False] * (callers - 1) + [True]
    assert {pk for pk, _created in results} == {only.pk}
