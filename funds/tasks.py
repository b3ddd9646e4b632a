"""Background work of funds: thin wrappers that set the tenant (TenantTask) and call a service."""

from __future__ import annotations

from typing import Any

from funds.services.allocations import accrue_open_periods, coop_accrue_run
from funds.services.claims import claims_mark_paid
from funds.services.expiry import expiries_post, expiry_warnings_send, requests_lapse_overdue
from prm.celery import tenant_task
from prm.jobs.models import Job


@tenant_task(name="funds.accrue_coop")
def accrue_coop(*, job_id: int) -> dict[str, Any]:
    """The co-op accrual of one period, started from the period's page."""
    return coop_accrue_run(Job.objects.get(pk=job_id))


@tenant_task(name="funds.accrue_open_periods")
def accrue_open_periods_task() -> list[dict[str, Any]]:
    """Nightly: recalculate the accrual of every running co-op period from the POS data."""
    return accrue_open_periods()


@tenant_task(name="funds.nightly")
def nightly() -> dict[str, Any]:
    """Nightly: lapse unclaimed requests, post expiries, then warn about the next 30 days (in this
    order: released money can still expire the same night). First, the safety net of "paid":
    finance's on_paid hook posts it when a payment is recorded, in a task started after the
    commit; a payment whose task never ran (broker down, worker lost past its retries) is
    caught up here."""
    paid = claims_mark_paid()
    lapsed = requests_lapse_overdue()
    expired = expiries_post()
    warned = expiry_warnings_send()
    return {"paid": paid, "lapsed": lapsed, "expired": expired, "warnings": warned}
