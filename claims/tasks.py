"""Background jobs of claims: thin wrappers that load by id and call the services. Transient
database errors are retried with backoff; on the last attempt the service fails the claim."""

from __future__ import annotations

from typing import Any

from claims.services.claims import claim_validate_run
from prm.celery import tenant_task
from prm.jobs.models import Job
from prm.jobs.services import TRANSIENT_ERRORS, TRANSIENT_RETRIES


@tenant_task(
    name="claims.validate_claim",
    bind=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=TRANSIENT_RETRIES,
)
def validate_claim(self, *, job_id: int) -> dict[str, Any]:
    # The same run resumes after a transient error (a retry), or when the broker hands this
    # message out again because its worker died (redelivered): not a second run of the job.
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    return claim_validate_run(
        Job.objects.get(pk=job_id),
        retry_transient=self.request.retries < self.max_retries,
        resumed=self.request.retries > 0 or redelivered,
    )
