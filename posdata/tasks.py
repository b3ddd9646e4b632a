"""Background jobs of POS data: thin wrappers that load by id and call the services. Transient
database errors are retried with backoff; on the last attempt the service fails the work.
Tasks import services; services start these tasks by name (posdata.services.common.task)."""

from __future__ import annotations

from typing import Any

from posdata.models import Upload
from posdata.services import exceptions_reprocess_run, upload_process, upload_read
from prm.celery import tenant_task
from prm.jobs.models import Job
from prm.jobs.services import TRANSIENT_ERRORS, TRANSIENT_RETRIES
from prm.workflow import DomainError

RETRYING = {
    "bind": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "max_retries": TRANSIENT_RETRIES,
}


def _retries_left(task) -> bool:
    return task.request.retries < task.max_retries


@tenant_task(name="posdata.read_upload", **RETRYING)
def read_upload(self, *, upload_id: int) -> str:
    """Read a received file's head (header row, columns, preview, proposed mapping)."""
    upload = Upload.objects.filter(pk=upload_id).first()
    if upload is None:
        return "missing"
    try:
        return upload_read(upload=upload, retry_transient=_retries_left(self)).status
    except DomainError:  # the reason is on the upload for its sender
        return Upload.Status.FAILED


@tenant_task(name="posdata.process_upload", **RETRYING)
def process_upload(self, *, job_id: int) -> dict[str, Any]:
    return upload_process(Job.objects.get(pk=job_id), retry_transient=_retries_left(self))


@tenant_task(name="posdata.reprocess_exceptions", **RETRYING)
def reprocess_exceptions(self, *, job_id: int) -> dict[str, Any]:
    return exceptions_reprocess_run(Job.objects.get(pk=job_id), retry_transient=_retries_left(self))
