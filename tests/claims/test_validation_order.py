"""A distributor's claims consume the authorised quantity in submission order (DOMAIN.md), whatever
order their validations start or finish in: a claim whose validation starts while an earlier claim
of the same partner is still submitted or validating waits (nothing consumed, its job queued and
naming the claim it waits for), and the earlier claim starts it when it is done. Real
transactions: the earlier claim's commit starts the later one's validation (Celery runs eagerly
here, as a worker would on commit). An earlier claim whose worker was killed holds the later ones
only until the stuck-job sweep runs it again or gives it up.

The agreement line authorises 10; claim A (submitted first) asks for 8, claim B for 6: A must get
its 8 and B the remaining 2 (adjusted, QUANTITY_EXCEEDED); consumed in the opposite order B would
get 6 and A only 4."""

from __future__ import annotations

import datetime
import threading

import pytest
import time_machine
from django.conf import settings
from django.db import connection

from claims import pipeline
from claims.models import AgreementLine, Claim
from claims.services.claims import claim_validate_run, claim_validation_give_up
from prm.jobs.models import Job
from prm.jobs.recovery import STUCK_GRACE, jobs_recover_stuck
from prm.jobs.services import job_start
from prm.tenancy.context import tenant_context
from tests.claims.helpers import agreement, line, submit, verdicts

pytestmark = pytest.mark.django_db(transaction=True)
T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
LIMIT = datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
A_FIRST = [("accepted", [], 8, "160.0000")]
B_REST = [("adjusted", ["QUANTITY_EXCEEDED"], 2, "40.0000")]


def _two_claims(cast) -> tuple[Claim, Claim]:
    """A then B, submitted (not validated) against one agreement line authorising 10."""
    with tenant_context(cast.a.tenant):
        agreement(cast, lines=[("PMP-100", "100.00", "80.00", 10)])
        a = submit(cast, [line(invoice_number="INV-A", quantity="8")], number="DM-A", validate=False)
        b = submit(cast, [line(invoice_number="INV-B", quantity="6")], number="DM-B", validate=False)
    return a, b


def _in_thread(target, *args) -> list:
    """Run ``target`` in a thread of its own (its own connection, its own transactions)."""
    outcome: list = []

    def run() -> None:
        try:
            with tenant_context(args[0].tenant):
                outcome.append(target(*args[1:]))
        except BaseException as exc:
            outcome.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return [thread, outcome]


def _validate(job_id: int):
    return claim_validate_run(Job.objects.get(pk=job_id))


def _state(cast, claim: Claim) -> tuple[str, str, dict]:
    with tenant_context(cast.a.tenant):
        claim = Claim.objects.select_related("job").get(pk=claim.pk)
        return claim.status, claim.job.status, claim.job.counts


def _consumed(cast) -> int:
    with tenant_context(cast.a.tenant):
        return AgreementLine.objects.get().consumed_quantity


def test_the_later_claims_validation_started_first_waits_and_the_earlier_consumes_first(cast):
    a, b = _two_claims(cast)
    thread, outcome = _in_thread(_validate, cast.a, b.job_id)
    thread.join(timeout=60)
    assert outcome == [{"waiting_for": "DM-A"}]
    assert _state(cast, b) == ("submitted", "queued", {"waiting_for": "DM-A"})
    assert _consumed(cast) == 0
    # A's validation commits, then starts B's.
    thread, outcome = _in_thread(_validate, cast.a, a.job_id)
    thread.join(timeout=60)
    assert outcome[0]["accepted"] == 1
    assert (verdicts(a), verdicts(b)) == (A_FIRST, B_REST)
    assert _state(cast, b)[:2] == ("in_review", "succeeded")
    assert _consumed(cast) == 10


def test_a_later_claim_waits_while_the_earlier_one_is_validating(cast, monkeypatch):
    """A's validation is held half-way (validating, nothing consumed yet) while B's runs in
    another transaction: B must not consume before A."""
    a, b = _two_claims(cast)
    a_halfway, release_a = threading.Event(), threading.Event()
    normalise = pipeline.normalise

    def held_normalise(**kwargs):
        if threading.current_thread().name == "A":
            a_halfway.set()
            assert release_a.wait(timeout=60)
        return normalise(**kwargs)

    monkeypatch.setattr(pipeline, "normalise", held_normalise)
    thread_a, outcome_a = _in_thread(_validate, cast.a, a.job_id)
    thread_a.name = "A"
    assert a_halfway.wait(timeout=60)
    assert _state(cast, a)[:2] == ("validating", "running")
    thread_b, outcome_b = _in_thread(_validate, cast.a, b.job_id)
    thread_b.join(timeout=60)
    assert outcome_b == [{"waiting_for": "DM-A"}] and _consumed(cast) == 0
    release_a.set()
    thread_a.join(timeout=60)
    assert not isinstance(outcome_a[0], BaseException), outcome_a
    assert (verdicts(a), verdicts(b)) == (A_FIRST, B_REST)


def test_a_second_message_for_a_running_validation_does_nothing(cast):
    a, _b = _two_claims(cast)
    with tenant_context(cast.a.tenant):
        job = Job.objects.get(pk=a.job_id)
        assert job_start(job)  # a run is under way (its worker alive, within the time limit)
        assert claim_validate_run(job) == {}
        assert Claim.objects.get(pk=a.pk).status == "submitted"
        assert Job.objects.get(pk=a.job_id).attempts == 1


def test_an_earlier_claim_whose_worker_was_killed_holds_the_later_one_until_the_sweep(cast):
    with time_machine.travel(T0, tick=False):
        a, b = _two_claims(cast)
        with tenant_context(cast.a.tenant):
            job_start(Job.objects.get(pk=a.job_id))  # A's worker began, then was killed
            Claim.objects.filter(pk=a.pk).update(status=Claim.Status.VALIDATING)
            assert _validate(b.job_id) == {"waiting_for": "DM-A"}
    later = T0 + LIMIT + STUCK_GRACE + datetime.timedelta(minutes=1)
    with time_machine.travel(later, tick=False), tenant_context(cast.a.tenant):
        assert jobs_recover_stuck().retried == [a.job_id]  # A runs again, then starts B
    assert (verdicts(a), verdicts(b)) == (A_FIRST, B_REST)


def test_an_earlier_claim_given_up_lets_the_later_one_go(cast):
    a, b = _two_claims(cast)
    with tenant_context(cast.a.tenant):
        assert _validate(b.job_id) == {"waiting_for": "DM-A"}
        claim_validation_give_up(Job.objects.get(pk=a.job_id), "stopped responding 3 times")
    assert _state(cast, a)[0] == "failed"
    assert verdicts(b) == [("accepted", [], 6, "120.0000")]


def test_a_retry_after_a_transient_error_is_the_same_run_and_goes_on(cast, monkeypatch):
    """The database dropped the connection half-way: the task is retried (with backoff; at once
    here) and that retry validates the claim; it is not refused as a second run."""
    from django.db import OperationalError

    from claims.tasks import validate_claim

    a, _b = _two_claims(cast)
    normalise, failures = pipeline.normalise, []

    def flaky_normalise(**kwargs):
        if not failures:
            failures.append(1)
            raise OperationalError("server closed the connection unexpectedly")
        return normalise(**kwargs)

    monkeypatch.setattr(pipeline, "normalise", flaky_normalise)
    validate_claim.apply(kwargs={"tenant_id": cast.a.tenant.pk, "job_id": a.job_id}, throw=False)
    assert failures == [1]
    assert verdicts(a) == A_FIRST
    with tenant_context(cast.a.tenant):
        assert Job.objects.get(pk=a.job_id).attempts == 2
