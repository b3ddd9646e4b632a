"""Ten claims on the same agreement line are validated at the same moment, each in its own real
transaction: together they never consume more than the authorised quantity (the row lock on the
agreement line serialises consumption). Without the lock the same run over-consumes.

The claims are one distributor's, whose validations otherwise wait for each other in submission
order (test_validation_order.py): that wait is switched off here, so that the ten really run at
once and the lock alone is what keeps them within the authorised quantity."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from claims import pipeline
from claims.models import AgreementLine, ClaimLine
from claims.services import claims as claim_services
from claims.services.claims import claim_validate_run
from prm.jobs.models import Job
from prm.tenancy.context import tenant_context
from tests.claims.helpers import agreement, line, submit

pytestmark = pytest.mark.django_db(transaction=True)
N = 10


@pytest.fixture(autouse=True)
def _all_at_once(monkeypatch):
    """No claim waits for an earlier one: the ten validations run at the same moment."""
    monkeypatch.setattr(claim_services, "earlier_claim_not_validated", lambda claim: None)


def _validate_concurrently(cast) -> tuple[int, int]:
    tenant = cast.a.tenant
    with tenant_context(tenant):
        agreement(cast, lines=[("PMP-100", "100.00", "80.00", 25)])
        claims = [
            submit(cast, [line(invoice_number=f"INV-{i}", quantity="5")], number=f"DM-{i}", validate=False)
            for i in range(N)
        ]
    barrier = threading.Barrier(N)
    errors: list[BaseException] = []

    def validate(job_id: int) -> None:
        try:
            with tenant_context(tenant):
                job = Job.objects.get(pk=job_id)
                barrier.wait(timeout=30)
                claim_validate_run(job)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=validate, args=(c.job_id,)) for c in claims]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with tenant_context(tenant):
        accepted = sum(
            ClaimLine.objects.filter(status__in=["accepted", "adjusted"]).values_list(
                "accepted_quantity", flat=True
            )
        )
        return accepted, AgreementLine.objects.get().consumed_quantity


def test_concurrent_validations_never_consume_more_than_authorised(cast):
    accepted, consumed = _validate_concurrently(cast)
    assert (accepted, consumed) == (25, 25)
    with tenant_context(cast.a.tenant):
        statuses = sorted(ClaimLine.objects.values_list("status", flat=True))
    assert statuses.count("accepted") == 5
    assert statuses.count("rejected") == 5


def test_without_the_lock_the_same_run_over_consumes(cast, monkeypatch):
    """The test above can fail: with the lock removed (and each validation pausing between its
    read of the consumption and its write, as a busy database does), the claims over-consume."""
    original = pipeline.validate_and_insert
    gate = threading.Barrier(N)

    def unlocked_validate(run):
        written = original(run)
        gate.wait(timeout=30)  # every claim has read the same consumption before any commits
        return written

    monkeypatch.setattr(pipeline, "lock_agreement_lines", lambda run: [])
    monkeypatch.setattr(pipeline, "validate_and_insert", unlocked_validate)
    accepted, _consumed = _validate_concurrently(cast)
    assert accepted > 25
