"""A POS or inventory file sent through the API: one job that the worker runs from end to end.

The portal's upload stops after reading so that a person confirms the column mapping; a system
has nobody to ask, so the API's job reads the file, confirms the mapping (the one sent with the
file, else the partner's saved one completed by detection) and loads it, with the posdata
services the portal uses. A mapping that misses a required field fails the job with the reason;
the upload waits in the portal for a person to finish the mapping. Re-running the job is safe:
each step does nothing when it is done already.
"""

from __future__ import annotations

from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from api.models import ApiKey
from posdata.models import Upload
from posdata.services import upload_confirm, upload_process, upload_read
from posdata.services.uploads import upload_receive
from prm.accounts.models import Membership
from prm.jobs.models import Job
from prm.jobs.services import job_create, job_enqueue, job_fail, job_progress, job_start, job_succeed
from prm.workflow import DomainError

JOB_KIND = "api:pos_upload"
TASK = "api.pos_upload"


def pos_upload_start(
    *,
    key: ApiKey,
    acting_membership: Membership,
    partner,
    kind: str,
    file: IO[bytes],
    original_name: str,
    mapping: dict[str, str] | None,
) -> tuple[Upload, Job]:
    """Store the file (after the upload checks) and queue the job that reads and loads it."""
    upload = upload_receive(
        partner=partner,
        kind=kind,
        file=file,
        original_name=original_name,
        acting_membership=acting_membership,
        mapping=mapping,
        start_reading=False,
    )
    with transaction.atomic():
        job = job_create(
            kind=JOB_KIND,
            acting_user=acting_membership.user,
            params={"upload_id": upload.pk, "api_key_id": key.pk},
            partner=partner,
        )
        job_enqueue(job, TASK)
    return upload, job


def pos_upload_run(job: Job, *, retry_transient: bool = False) -> dict[str, Any]:
    """The job: read, confirm, load; its result is the load summary (INTERFACES.md) and the
    upload's id, its error the reason the file was refused."""
    if not job_start(job):
        return job.result
    upload = Upload.objects.get(pk=job.params["upload_id"])
    try:
        membership = _sender(job)
        upload = upload_read(upload=upload, retry_transient=retry_transient)
        job_progress(job, 10)
        load = upload.job
        if load is None:
            load = upload_confirm(
                upload=upload, mapping=dict(upload.mapping), acting_membership=membership, enqueue=False
            )
        summary = upload_process(load, retry_transient=retry_transient)
        load.refresh_from_db()
        if load.status == Job.Status.FAILED:
            raise DomainError(load.error)
    except DomainError as exc:
        job_fail(job, str(exc), {"upload": upload.pk})
        job.refresh_from_db()
        return job.result
    result = {"upload": upload.pk, **summary}
    job_succeed(job, result)
    return result


def _sender(job: Job) -> Membership:
    """The key that sent the file, checked again now: a key revoked since loads nothing."""
    key = (
        ApiKey.objects.select_related("tenant", "partner", "service_user")
        .filter(pk=job.params["api_key_id"])
        .first()
    )
    if key is None or not key.is_live:
        raise DomainError(_("The API key that sent the file was revoked since: nothing was loaded."))
    return key.acting_membership()
