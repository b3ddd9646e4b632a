"""Background jobs of rebates: the calculation run (thin: load by id, call the service)."""

from __future__ import annotations

from typing import Any

from prm.celery import tenant_task
from prm.jobs.models import Job
from prm.jobs.services import TRANSIENT_ERRORS, TRANSIENT_RETRIES
from rebates.services.runs import run_execute


@tenant_task(
    name="rebates.calculate",
    bind=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=TRANSIENT_RETRIES,
    time_limit=3600,
    soft_time_limit=3500,
)
def calculate(self, *, job_id: int) -> dict[str, Any]:
    return run_execute(Job.objects.get(pk=job_id))
