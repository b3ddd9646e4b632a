"""Background work of finance: large payout exports (XLSX). Thin: load by id, call, report."""

from __future__ import annotations

from prm.celery import tenant_task
from prm.finance.payout_export import write_payout_xlsx_file
from prm.finance.remittance import remittance_statements_render
from prm.finance.services import payables_paid_dispatch
from prm.jobs.models import Job
from prm.jobs.services import (
    TRANSIENT_ERRORS,
    TRANSIENT_RETRIES,
    job_fail_unexpected,
    job_start,
    job_succeed,
)


@tenant_task(
    name="prm.finance.payout_export_xlsx",
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=TRANSIENT_RETRIES,
)
def payout_export_xlsx(self, *, job_id: int) -> None:

    job = Job.objects.filter(pk=job_id).first()
    if job is None or not job_start(job):
        return  # a redelivered task for a finished job does nothing
    try:
        result = write_payout_xlsx_file(job)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries < self.max_retries:
            raise
        job_fail_unexpected(job, exc, what="payout export")
        return
    except Exception as exc:
        job_fail_unexpected(job, exc, what="payout export")
        return
    job_succeed(job, result)


@tenant_task(
    name="prm.finance.remittance_statements",
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=TRANSIENT_RETRIES,
)
def remittance_statements(*, payment_ids: list[int]) -> int:
    """Render the statements of newly paid payments (idempotent: rendered ones are skipped)."""

    return remittance_statements_render(payment_ids)


@tenant_task(
    name="prm.finance.payables_paid",
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=TRANSIENT_RETRIES,
)
def payables_paid(*, payable_ids: list[int]) -> dict[str, int]:
    """Tell the sources of newly paid payables (their on_paid hooks; idempotent)."""

    return payables_paid_dispatch(payable_ids)
