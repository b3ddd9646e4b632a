"""Background jobs of POS data: thin wrappers that load by id and call the services."""

from __future__ import annotations

from typing import Any

from prm.celery import tenant_task
from prm.jobs.models import Job


@tenant_task(name="posdata.process_upload")
def process_upload(*, job_id: int) -> dict[str, Any]:
    from posdata.services import upload_process

    return upload_process(Job.objects.get(pk=job_id))


@tenant_task(name="posdata.reprocess_exceptions")
def reprocess_exceptions(*, job_id: int) -> dict[str, Any]:
    from posdata.services import exceptions_reprocess_run

    return exceptions_reprocess_run(Job.objects.get(pk=job_id))
