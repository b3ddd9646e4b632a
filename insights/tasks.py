"""Background work of insights: the nightly forecasts and the on-demand job (thin: call the service)."""

from __future__ import annotations

from typing import Any

from insights.services import forecasts
from prm.celery import tenant_task
from prm.jobs.models import Job
from prm.jobs.services import (
    TRANSIENT_ERRORS,
    TRANSIENT_RETRIES,
    job_fail_unexpected,
    job_start,
    job_succeed,
)


@tenant_task(name="insights.forecast_nightly", time_limit=3600, soft_time_limit=3500)
def forecast_nightly() -> dict[str, Any]:
    """Nightly, per tenant: both forecasts recomputed (the previous run's rows replaced)."""
    return forecasts.forecasts_recompute()


@tenant_task(
    name="insights.forecast_job",
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=TRANSIENT_RETRIES,
    time_limit=3600,
    soft_time_limit=3500,
)
def forecast_job(self, *, job_id: int) -> None:
    job = Job.objects.filter(pk=job_id).first()
    if job is None or not job_start(job):
        return
    try:
        summary = forecasts.forecasts_recompute()
    except TRANSIENT_ERRORS as exc:
        if self.request.retries < self.max_retries:
            raise  # retried with backoff; the job stays running meanwhile
        job_fail_unexpected(job, exc, what="forecast recomputation")
        return
    except Exception as exc:
        # The user sees a reference; the detail goes to the log only.
        job_fail_unexpected(job, exc, what="forecast recomputation")
        return
    job_succeed(job, summary)
