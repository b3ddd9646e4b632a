"""Background work of the API: the upload job of files sent through it, and the retention of
idempotency records. Thin: load by id, call the service; transient database errors retry."""

from __future__ import annotations

from typing import Any

from api.idempotency import purge_expired
from api.uploads import pos_upload_run
from prm.celery import tenant_task
from prm.jobs.models import Job
from prm.jobs.services import TRANSIENT_ERRORS, TRANSIENT_RETRIES


@tenant_task(
    name="api.pos_upload",
    bind=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=TRANSIENT_RETRIES,
)
def pos_upload(self, *, job_id: int) -> dict[str, Any]:
    return pos_upload_run(Job.objects.get(pk=job_id), retry_transient=self.request.retries < self.max_retries)


@tenant_task(name="api.purge_idempotency_records")
def purge_idempotency_records() -> int:
    return purge_expired()
