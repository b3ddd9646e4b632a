"""What the core knows about each kind of job: the task that runs it, whether a job that stopped
responding may be started again, and how to give up on one.

Apps register their kinds from ``AppConfig.ready()``; the stuck-job sweep
(``prm.jobs.recovery.jobs_recover_stuck``) reads this registry, so a new app only adds an entry:

    register_job_kind("rebates:calculate", JobKind(task="rebates.calculate", label="Rebate calculation"))

A job's task is started with ``(tenant_id=..., job_id=...)`` (``job_enqueue``), and must be safe to
run again from any point: its effects keyed (unique constraints, ``ON CONFLICT DO NOTHING``), a
half-done predecessor finished or redone. ``retryable=False`` is for work that must not simply run
again (something left the system, e.g. a message to a bank); such a job is failed and the operator
told.
"""

from __future__ import annotations

import datetime
import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

    from prm.jobs.models import Job


@dataclass(frozen=True)
class JobKind:
    task: str  # the Celery task started with (tenant_id=..., job_id=...)
    label: str | StrPromise  # translated when shown
    retryable: bool = True
    # Runs before the sweep gives a job up (attempts used up, or not retryable); seconds.
    max_attempts: int = 3
    time_limit: int | None = None  # None: settings.CELERY_TASK_TIME_LIMIT
    # Fail the job's business object too (an upload, a claim) when the sweep gives the job up;
    # called inside the tenant context with the job and the message the user will see.
    on_give_up: Callable[[Job, str], None] | None = None


_KINDS: dict[str, JobKind] = {}


def register_job_kind(pattern: str, kind: JobKind) -> None:
    """``pattern`` is a job kind (``claims:validate``) or a shell pattern (``import:*``)."""
    existing = _KINDS.get(pattern)
    if existing is not None and existing != kind:
        raise ValueError(f"Job kind {pattern!r} is registered twice differently.")
    _KINDS[pattern] = kind


def unregister_job_kind(pattern: str) -> None:
    _KINDS.pop(pattern, None)


def job_kind_for(kind: str) -> JobKind | None:
    """The registration of ``kind``: an exact entry first, then the longest matching pattern."""
    if kind in _KINDS:
        return _KINDS[kind]
    matches = [p for p in _KINDS if fnmatch.fnmatchcase(kind, p)]
    return _KINDS[max(matches, key=len)] if matches else None


def registered_job_kinds() -> dict[str, JobKind]:
    return dict(_KINDS)


def time_limit_of(kind: JobKind | None) -> datetime.timedelta:
    """How long one run of the kind may take: past it, the worker has stopped the run (or died)."""
    seconds = kind.time_limit if kind is not None and kind.time_limit else settings.CELERY_TASK_TIME_LIMIT
    return datetime.timedelta(seconds=seconds)


def run_presumed_alive_for(kind: JobKind | None) -> datetime.timedelta:
    """How long after it began a run may still be working: until its time limit (then the worker
    stops it), or until the broker's visibility timeout if that is shorter (then the broker hands
    its message to another worker: it takes the run for dead, and so do we)."""
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout")
    limit = time_limit_of(kind)
    return min(limit, datetime.timedelta(seconds=visibility)) if visibility else limit
