"""Jobs that stopped responding: found, marked, started again when that is safe, given up when it
is not, and the operator told.

A run is stuck when its job is still ``running`` past the kind's time limit (the worker's hard
limit would have ended it, so the worker died: SIGKILL, out of memory, a lost machine) plus a
grace, or still ``queued`` past the broker's visibility timeout plus a grace (the message was
lost: the broker restarted without its data). Celery redelivers a killed worker's task by itself
after the visibility timeout; the sweep covers the cases it does not, and a run started twice is
harmless because every job kind is idempotent (prm/jobs/registry.py).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from prm.audit.services import audit
from prm.jobs.models import Job
from prm.jobs.registry import JobKind, job_kind_for, registered_job_kinds, time_limit_of
from prm.jobs.services import job_enqueue, job_fail
from prm.ops import metrics

logger = logging.getLogger(__name__)

# Beyond the time limit before a running job counts as stuck (the hard limit, clean-up, a slow
# database): and the sweep's own period.
STUCK_GRACE = datetime.timedelta(minutes=5)


@dataclass
class Recovery:
    retried: list[int] = field(default_factory=list)
    given_up: list[int] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"retried": self.retried, "given_up": self.given_up, "details": self.details}


def queued_limit() -> datetime.timedelta:
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    return datetime.timedelta(seconds=visibility)


def stuck_jobs(now: datetime.datetime | None = None) -> list[Job]:
    """The current tenant's jobs that no live run can still be working on."""
    now = now or timezone.now()
    shortest = min([time_limit_of(None), *(time_limit_of(kind) for kind in registered_job_kinds().values())])
    began = Coalesce("attempt_started_at", "started_at")
    candidates = (
        Job.objects.annotate(began=began)
        .filter(
            Q(status=Job.Status.RUNNING, began__lt=now - shortest - STUCK_GRACE)
            | Q(status=Job.Status.QUEUED, created_at__lt=now - queued_limit() - STUCK_GRACE)
        )
        .order_by("pk")
    )
    found: list[Any] = []
    for job in candidates:
        if job.status == Job.Status.QUEUED:
            if (job.stuck_at or job.created_at) < now - queued_limit() - STUCK_GRACE:
                found.append(job)
        elif job.began < now - time_limit_of(job_kind_for(job.kind)) - STUCK_GRACE:
            found.append(job)
    return found


def jobs_recover_stuck(now: datetime.datetime | None = None) -> Recovery:
    """Mark every stuck job of the current tenant; start the retryable ones again (until their
    attempts are used up), fail the others with a message the user reads, and tell the operator."""
    now = now or timezone.now()
    outcome = Recovery()
    for job in stuck_jobs(now):
        kind = job_kind_for(job.kind)
        with transaction.atomic():
            locked = Job.objects.select_for_update().get(pk=job.pk)
            if locked.is_finished:  # finished meanwhile
                continue
            before = {"status": locked.status, "attempts": locked.attempts}
            locked.stuck_count += 1
            locked.stuck_at = now
            retry = kind is not None and kind.retryable and locked.attempts < kind.max_attempts
            if retry:
                locked.status = Job.Status.QUEUED
                locked.save(update_fields=["stuck_count", "stuck_at", "status"])
                job_enqueue(locked, kind.task)  # type: ignore[union-attr]
                outcome.retried.append(locked.pk)
            else:
                locked.save(update_fields=["stuck_count", "stuck_at"])
            audit(
                actor=None,
                action="job.stuck",
                obj=locked,
                before=before,
                after={"action": "retried" if retry else "given_up", "kind": locked.kind},
            )
        metrics.observe_job(kind=job.kind, outcome="stuck", seconds=None)
        if not retry:
            message = _give_up_message(locked, kind)
            if kind is not None and kind.on_give_up is not None:
                kind.on_give_up(locked, message)
            locked.refresh_from_db()
            if not locked.is_finished:
                job_fail(locked, message)
            outcome.given_up.append(locked.pk)
        outcome.details.append(
            {
                "job": locked.pk,
                "kind": locked.kind,
                "attempts": locked.attempts,
                "action": "retried" if retry else "given_up",
            }
        )
        logger.error(
            "job stuck: %s",
            "retried" if retry else "given up",
            extra={"job_id": locked.pk, "kind": locked.kind, "attempts": locked.attempts},
        )
    return outcome


def _give_up_message(job: Job, kind: JobKind | None) -> str:
    if kind is None:
        return _("The job stopped responding and its kind is unknown here; it was stopped. Start it again.")
    if not kind.retryable:
        return _(
            "%(what)s stopped responding and is not started again automatically. The operator has been "
            "told; check its result before starting it again."
        ) % {"what": kind.label}
    return _(
        "%(what)s stopped responding %(n)d times and was stopped. Start it again, or contact support."
    ) % {
        "what": kind.label,
        "n": job.attempts,
    }
