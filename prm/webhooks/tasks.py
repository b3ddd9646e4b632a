"""Webhook tasks: one attempt of a delivery, and the sweep that starts due deliveries."""

from __future__ import annotations

from prm.celery import tenant_task
from prm.jobs.services import TRANSIENT_ERRORS, TRANSIENT_RETRIES
from prm.webhooks.delivery import deliveries_start_due, delivery_attempt

# One attempt waits at most twice the transport timeout; the limits only stop a hung worker.
ATTEMPT_TIME_LIMIT = 120


@tenant_task(
    name="prm.webhooks.deliver",
    bind=True,
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=TRANSIENT_RETRIES,
    time_limit=ATTEMPT_TIME_LIMIT,
    soft_time_limit=ATTEMPT_TIME_LIMIT - 30,
)
def deliver(self, *, delivery_id: int) -> str:
    """Send a delivery if it is due (a copy of the task that finds it taken or not due does
    nothing; this message delivered again after its worker died takes it over); the receiver's
    failures are retried on the delivery's own schedule, not here."""
    return delivery_attempt(delivery_id, run=self.request.id)


@tenant_task(name="prm.webhooks.start_due")
def start_due() -> int:
    """Every two minutes per tenant: deliveries due whose task was lost or was too far off."""
    return deliveries_start_due()
