"""Jobs: create one, enqueue its task on commit, record progress and the outcome."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import Task, current_app
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from prm.audit.services import acting_for
from prm.jobs.models import Job
from prm.jobs.registry import job_kind_for, run_presumed_alive_for
from prm.ops import logs, metrics
from prm.tenancy.context import require_tenant

logger = logging.getLogger(__name__)

# Errors that say nothing about the work itself (the database restarted, a connection dropped):
# the task is retried with backoff instead of failing the user's job.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
TRANSIENT_RETRIES = 5


def job_create(*, kind: str, acting_user, params: dict[str, Any] | None = None, partner=None) -> Job:
    return Job.objects.create(kind=kind, created_by=acting_user, params=params or {}, partner=partner)


def job_enqueue(job: Job, task: str | Task) -> None:
    """Start the task named ``task`` for ``job`` once the current transaction commits.

    Services name the task instead of importing it: tasks import services, never the other way
    (tests/test_layering.py refuses the cycle)."""
    tenant_id = require_tenant().pk
    name = task if isinstance(task, str) else task.name
    # ``current_app`` is prm.celery's app (prm/__init__ creates it); naming it here would close
    # a cycle with the task base class, which uses this module.
    transaction.on_commit(lambda: current_app.tasks[name].delay(tenant_id=tenant_id, job_id=job.pk))


def task_enqueue(task_name: str, *, countdown: float | None = None, **kwargs: Any) -> None:
    """Run the tenant task registered as ``task_name`` for the current tenant once the current
    transaction commits (the same by-name start as ``job_enqueue``, for tasks without a job);
    ``countdown``: not before that many seconds after the commit."""
    tenant_id = require_tenant().pk
    transaction.on_commit(
        lambda: current_app.tasks[task_name].apply_async(
            kwargs={"tenant_id": tenant_id, **kwargs}, countdown=countdown
        )
    )


def job_start(job: Job, *, exclusive: bool = False) -> bool:
    """Mark the job running; False if it already finished (a redelivered task does nothing).

    ``exclusive``: False also while another run of the job may be alive, i.e. running and begun
    within its kind's time limit (past it the worker stopped that run, or died: a new run may start;
    ``run_presumed_alive_for``). For
    a job whose task can be sent twice on purpose (claims: a validation that waited for an earlier
    claim is started again by that claim); a retry of the same run after a transient error is not
    a second run and starts with ``exclusive`` False."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.is_finished:
            return False
        now = timezone.now()
        began = locked.attempt_started_at or locked.started_at
        if (
            exclusive
            and locked.status == Job.Status.RUNNING
            and began is not None
            and began > now - run_presumed_alive_for(job_kind_for(locked.kind))
        ):
            return False
        locked.status = Job.Status.RUNNING
        locked.started_at = locked.started_at or now
        locked.attempts += 1
        locked.attempt_started_at = now
        locked.save(update_fields=["status", "started_at", "attempts", "attempt_started_at"])
    job.refresh_from_db()
    return True


def job_progress(job: Job, percent: int, counts: dict[str, Any] | None = None) -> None:
    percent = max(0, min(100, int(percent)))
    fields: dict[str, Any] = {"progress": percent}
    if counts is not None:
        fields["counts"] = counts
    Job.objects.filter(pk=job.pk).update(**fields)


def _observe(job: Job, outcome: str, finished_at, result: Any = None) -> None:
    started = job.attempt_started_at or job.started_at or job.created_at
    seconds = (finished_at - started).total_seconds() if started else None
    metrics.observe_job(
        kind=job.kind, outcome=outcome, seconds=seconds, rows=metrics.rows_of(result) if result else 0
    )
    logger.info("job %s", outcome, extra={"kind": job.kind, "job_id": job.pk, "seconds": seconds})


def job_succeed(job: Job, result: dict[str, Any]) -> None:
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.SUCCEEDED, progress=100, result=result, finished_at=now
    )
    _observe(job, "succeeded", now, result)


def job_fail(job: Job, error: str, result: dict[str, Any] | None = None) -> None:
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.FAILED, error=error[:4000], result=result or {}, finished_at=now
    )
    _observe(job, "failed", now)


def unexpected_failure_message(exc: BaseException, *, what: str) -> str:
    """Log an unexpected error with its traceback under a short reference and return what the
    user sees: the reference, never the exception's text (it can hold SQL, paths or data)."""
    reference = secrets.token_hex(4).upper()
    logger.error("%s failed unexpectedly [reference %s]", what, reference, exc_info=exc)
    return _(
        "Something went wrong on our side (reference %(ref)s). Try again later; if it keeps "
        "failing, give the reference to support."
    ) % {"ref": reference}


def job_fail_unexpected(job: Job, exc: BaseException, *, what: str = "") -> str:
    """Mark ``job`` failed after an unexpected error: the user sees a reference, the log the detail."""
    message = unexpected_failure_message(exc, what=what or str(job))
    job_fail(job, message)
    return message


@contextmanager
def acting_for_job(job_id: Any) -> Iterator[None]:
    """Inside, audit events without an actor name the user who started job ``job_id``."""
    job = Job.objects.select_related("created_by").filter(pk=job_id).first() if job_id else None
    token = acting_for.set(job.created_by if job is not None else None)
    try:
        if job is None:
            yield
        else:
            with logs.bound(job_id=job.pk, user=job.created_by_id):
                yield
    finally:
        acting_for.reset(token)
