"""Beat's hourly sweep of due scheduled reports, and the delivery of each claimed copy."""

from __future__ import annotations

from prm.celery import tenant_task
from prm.scheduled_reports import services


@tenant_task(name="prm.scheduled_reports.send_due")
def send_due() -> int:
    return services.scheduled_reports_send_due()


@tenant_task(name="prm.scheduled_reports.deliver", time_limit=600, soft_time_limit=540)
def deliver(*, run_ids: list[int]) -> dict[str, int]:
    done: dict[str, int] = {}
    for run_id in run_ids:
        status = services.scheduled_report_deliver(run_id)
        if status:
            done[status] = done.get(status, 0) + 1
    return done
