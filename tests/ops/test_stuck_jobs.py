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


def _give_up_at_t0(job: Job) -> None:
    """The job's last attempt began at T0 and its worker died (attempts used up)."""
    job_start(job)
    Job.objects.filter(pk=job.pk).update(attempts=3)


def test_a_pos_load_given_up_fails_its_upload_and_the_partner_sees_why(
    cast, operator_user, tmp_path, django_capture_on_commit_callbacks
):
    from posdata.models import Upload
    from posdata.services import upload_confirm, upload_receive

    path = tmp_path / "sales.csv"
    path.write_text("Invoice,Date,Item,Qty,Price\nA-1,2026-10-01,PMP-100,2,10.00\n")
    with time_machine.travel(T0, tick=False), cast.a.context():
        with path.open("rb") as handle:
            upload = upload_receive(
                partner=cast.a.partners["p1"],
                kind="pos",
                file=handle,
                original_name="sales.csv",
                acting_membership=cast.a.memberships["p1_admin"],
                read_now=True,
            )
        job = upload_confirm(upload=upload, mapping=upload.mapping, enqueue=False)
        _give_up_at_t0(job)
        Upload.objects.filter(pk=upload.pk).update(status=Upload.Status.PROCESSING)  # killed mid-load
    with time_machine.travel(T0 + LIMIT + STUCK_GRACE * 2, tick=False):
        summary = _recover(cast, django_capture_on_commit_callbacks)
    assert summary["given_up"] == [job.pk]
    with cast.a.context():
        job.refresh_from_db()
        upload.refresh_from_db()
        assert AuditEvent.objects.filter(action="pos.upload_given_up", object_id=str(upload.pk)).exists()
    assert job.status == Job.Status.FAILED and "POS or inventory load stopped responding 3 times" in job.error
    assert upload.status == Upload.Status.FAILED
    assert upload.error == f"{job.error} Send the file again to load it."
    page = cast.a.client("p1_admin").get(f"/pos/uploads/{upload.pk}/").content.decode()
    assert "stopped responding 3 times" in page and "Send the file again to load it." in page


def test_a_rebate_run_given_up_fails_and_its_page_says_why(
    cast, operator_user, django_capture_on_commit_callbacks
):
    from rebates.models import CalculationRun
    from rebates.services.runs import run_start
    from tests.rebates.helpers import definition, load

    with time_machine.travel(T0, tick=False), cast.a.context():
        run = run_start(program=load(definition()), enqueue=False)
        _give_up_at_t0(run.job)
    with time_machine.travel(T0 + LIMIT + STUCK_GRACE * 2, tick=False):
        assert _recover(cast, django_capture_on_commit_callbacks)["given_up"] == [run.job_id]
    with cast.a.context():
        run.refresh_from_db()
        error = Job.objects.get(pk=run.job_id).error
    assert run.status == CalculationRun.Status.FAILED and run.error == error
    page = cast.a.client("admin").get(f"/rebates/runs/{run.pk}/").content.decode()
    assert "Rebate calculation stopped responding 3 times" in page


def test_exports_given_up_leave_no_half_written_file_and_the_job_page_says_why(
    cast, operator_user, django_capture_on_commit_callbacks
):
    from prm.finance.payout_export import partial_workbook_path
    from prm.ops.tenant_data import partial_path

    with time_machine.travel(T0, tick=False), cast.a.context():
        workbook = job_create(
            kind="export:payout_batch", acting_user=cast.a.users["finance"], params={"batch": 1}
        )
        archive = job_create(kind="ops:tenant_export", acting_user=cast.a.users["admin"])
        halves = [partial_workbook_path(workbook), partial_path(archive)]
        for job, half in zip((workbook, archive), halves, strict=True):
            _give_up_at_t0(job)
            half.parent.mkdir(parents=True, exist_ok=True)
            half.write_bytes(b"PK half an archive")  # what the killed run had written
    with time_machine.travel(T0 + LIMIT + STUCK_GRACE * 2, tick=False):
        assert sorted(_recover(cast, django_capture_on_commit_callbacks)["given_up"]) == [
            workbook.pk,
            archive.pk,
        ]
    assert not any(half.exists() for half in halves)
    for job, who, label in (
        (workbook, "finance", "Payout workbook"),
        (archive, "admin", "Tenant data export"),
    ):
        page = cast.a.client(who).get(f"/jobs/{job.pk}/").content.decode()
        assert f"{label} stopped responding 3 times" in page


def test_beat_runs_the_recovery_sweeps_for_every_tenant_and_the_heartbeat_once_for_the_platform():
    """Without these entries nothing notices a stuck job, an orphaned staging table, a lost
    webhook delivery or a dead worker pool."""
    beat = settings.CELERY_BEAT_SCHEDULE
    per_tenant = {
        "recover-stuck-jobs": ("prm.ops.recover_stuck_jobs", 300.0),
        "sweep-staging-tables": ("prm.tasks.sweep_staging_tables", 1800.0),
        "webhooks-start-due": ("prm.webhooks.start_due", 120.0),
    }
    for name, (task, every) in per_tenant.items():
        assert beat[name] == {"task": "prm.tasks.for_each_tenant", "schedule": every, "args": (task,)}
        assert task in app.tasks
    assert beat["ops-heartbeat"]["task"] == "prm.ops.heartbeat" and "args" not in beat["ops-heartbeat"]
    assert "prm.ops.heartbeat" in app.tasks
