"""Jobs stuck past their time limit (frozen time): marked, retried while they may be, given up
after that or when their kind may not run again, the operator told, orphaned staging tables
dropped; running jobs within their limit and finished jobs are left alone."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from claims.models import Claim
from prm.audit.models import AuditEvent
from prm.celery import app
from prm.db.roles import STAGING_SCHEMA
from prm.jobs.models import Job
from prm.jobs.recovery import STUCK_GRACE
from prm.jobs.registry import (
    JobKind,
    job_kind_for,
    register_job_kind,
    registered_job_kinds,
    unregister_job_kind,
)
from prm.jobs.services import job_create, job_start
from prm.jobs.staging import staging_tables
from prm.ops.tasks import recover_stuck_jobs
from tests.claims.helpers import agreement, line, submit

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
LIMIT = datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def _staging_table(job: Job) -> str:
    (name,) = staging_tables(job, "stage")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE UNLOGGED TABLE {name} (x int)")
    return name.split(".", 1)[1]


def _staging_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f"{STAGING_SCHEMA}.{name}"])
        return cursor.fetchone()[0] is not None


def _recover(cast, capture):
    with capture(execute=True):
        return recover_stuck_jobs.delay(tenant_id=cast.a.tenant.pk).get()


@pytest.fixture
def operator_user(db):
    from tests.factories import UserFactory

    return UserFactory(email="ops@prm.test", is_superuser=True, is_staff=True)


def _killed_validation(cast):
    """A claim whose validation run began at T0 and whose worker died half-way (VALIDATING, the
    scratch table written)."""
    with cast.a.context():
        agreement(cast)
        claim = submit(cast, [line()], validate=False)
        job = claim.job
        job_start(job)
        Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.VALIDATING)
        table = _staging_table(job)
    return claim, job, table


def test_every_job_kind_on_main_is_registered_with_a_task_that_exists():
    app.loader.import_default_modules()
    kinds = ["pos:pos", "pos:inventory", "pos:reprocess", "claims:validate", "import:partners",
             "import:fx_rates", "export:payout_batch", "partners:scorecards"]  # fmt: skip
    for kind in kinds:
        registered = job_kind_for(kind)
        assert registered is not None, kind
        assert registered.task in app.tasks, (kind, registered.task)
    for pattern, registered in registered_job_kinds().items():
        assert registered.task in app.tasks, pattern


def test_a_killed_validation_is_retried_after_its_time_limit_and_finishes(
    cast, operator_user, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False):
        claim, job, table = _killed_validation(cast)
    with time_machine.travel(T0 + LIMIT - datetime.timedelta(minutes=1), tick=False):
        summary = _recover(cast, django_capture_on_commit_callbacks)
        assert summary["retried"] == [] and summary["given_up"] == []
        assert _staging_exists(table)  # its run may still be alive
    with time_machine.travel(T0 + LIMIT + STUCK_GRACE - datetime.timedelta(minutes=1), tick=False):
        summary = _recover(cast, django_capture_on_commit_callbacks)
        assert summary["retried"] == [] and summary["given_up"] == []
        assert summary["dropped_tables"] == [table]  # past the hard time limit no run can use it
    with time_machine.travel(T0 + LIMIT + STUCK_GRACE + datetime.timedelta(minutes=1), tick=False):
        summary = _recover(cast, django_capture_on_commit_callbacks)
    assert summary["retried"] == [job.pk]
    with cast.a.context():
        job.refresh_from_db()
        claim.refresh_from_db()
        assert job.status == Job.Status.SUCCEEDED  # the retry ran (eagerly, here) and finished
        assert (job.attempts, job.stuck_count) == (2, 1)
        assert claim.status == Claim.Status.IN_REVIEW
        assert claim.lines.count() == 1
        event = AuditEvent.objects.get(action="job.stuck")
        assert event.after["action"] == "retried"
    assert not _staging_exists(table)
    (told,) = [m for m in mail.outbox if "stuck" in m.subject]
    assert told.to == [operator_user.email]
    assert f"job {job.pk} (claims:validate), attempts 1: retried" in told.body


def test_a_job_that_used_up_its_attempts_is_given_up_and_its_claim_fails(
    cast, operator_user, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False):
        claim, job, _table = _killed_validation(cast)
        with cast.a.context():
            Job.objects.filter(pk=job.pk).update(attempts=3)
    with time_machine.travel(T0 + LIMIT + STUCK_GRACE * 2, tick=False):
        summary = _recover(cast, django_capture_on_commit_callbacks)
    assert summary["given_up"] == [job.pk]
    with cast.a.context():
        job.refresh_from_db()
        claim.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "stopped responding 3 times" in job.error
    assert claim.status == Claim.Status.FAILED and claim.error == job.error
    assert any("given up" in m.body for m in mail.outbox if "stuck" in m.subject)


def test_a_kind_that_may_not_run_again_is_failed_and_the_operator_told(
    cast, operator_user, django_capture_on_commit_callbacks
):
    register_job_kind(
        "test:bank_send", JobKind(task="prm.tasks.expire_invitations", label="Bank send", retryable=False)
    )
    try:
        with time_machine.travel(T0, tick=False), cast.a.context():
            job = job_create(kind="test:bank_send", acting_user=None)
            job_start(job)
        with time_machine.travel(T0 + LIMIT + STUCK_GRACE * 2, tick=False):
            summary = _recover(cast, django_capture_on_commit_callbacks)
    finally:
        unregister_job_kind("test:bank_send")
    assert summary["given_up"] == [job.pk]
    with cast.a.context():
        job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "not started again automatically" in job.error
    assert any("stuck" in m.subject for m in mail.outbox)


def test_a_queued_job_whose_message_was_lost_is_sent_again(cast, django_capture_on_commit_callbacks):
    calls = []
    task_name = "tests.ops.lost_job"

    @app.task(name=task_name)
    def lost(tenant_id, job_id):
        calls.append(job_id)

    register_job_kind("test:lost", JobKind(task=task_name, label="Lost"))
    visibility = datetime.timedelta(seconds=settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"])
    try:
        with time_machine.travel(T0, tick=False), cast.a.context():
            job = job_create(kind="test:lost", acting_user=None)
            fresh = job_create(kind="test:lost", acting_user=None)
            done = job_create(kind="test:lost", acting_user=None)
            Job.objects.filter(pk=done.pk).update(status=Job.Status.SUCCEEDED, finished_at=timezone.now())
        with time_machine.travel(T0 + visibility + STUCK_GRACE + datetime.timedelta(minutes=1), tick=False):
            with cast.a.context():
                Job.objects.filter(pk=fresh.pk).update(created_at=timezone.now())
            summary = _recover(cast, django_capture_on_commit_callbacks)
    finally:
        unregister_job_kind("test:lost")
        app.tasks.unregister(task_name)
    assert summary["retried"] == [job.pk]
    assert calls == [job.pk]


def test_staging_tables_of_other_tenants_and_live_runs_stay(cast, django_capture_on_commit_callbacks):
    with cast.a.context():
        live = job_create(kind="pos:pos", acting_user=None)
        job_start(live)
        live_table = _staging_table(live)
    with cast.b.context():
        other = job_create(kind="pos:pos", acting_user=None)
        Job.objects.filter(pk=other.pk).update(status=Job.Status.FAILED)
        other_table = _staging_table(other)
    _recover(cast, django_capture_on_commit_callbacks)
    assert _staging_exists(live_table)
    assert _staging_exists(other_table)
