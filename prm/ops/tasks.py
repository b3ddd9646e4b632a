"""Periodic operations work: heartbeats (platform-wide), stuck-job recovery (per tenant)."""

from __future__ import annotations

from prm.celery import app, tenant_task
from prm.jobs.models import Job
from prm.jobs.recovery import jobs_recover_stuck
from prm.jobs.services import TRANSIENT_ERRORS, TRANSIENT_RETRIES
from prm.jobs.staging import sweep_staging_tables
from prm.ops import heartbeat as hb
from prm.ops.notify import notify_operators
from prm.ops.tenant_data import tenant_export_run
from prm.tenancy.context import require_tenant


@app.task(name="prm.ops.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Beat sends this to the default queue; it pings every workload queue in turn, so each worker
    pool proves that it consumes its queue, and warns (once) about a pool that stopped answering
    the earlier pings."""
    hb.record(f"worker:{app.conf.task_default_queue}")
    others = tuple(q for q in hb.all_queues() if q != app.conf.task_default_queue)
    hb.report_changes(tuple(f"worker:{queue}" for queue in others))
    for queue in others:
        queue_heartbeat.apply_async(kwargs={"queue": queue}, queue=queue, expires=hb.HEARTBEAT_INTERVAL * 4)


@app.task(name="prm.ops.queue_heartbeat", ignore_result=True)
def queue_heartbeat(*, queue: str) -> None:
    hb.record(f"worker:{queue}")


@tenant_task(name="prm.ops.recover_stuck_jobs")
def recover_stuck_jobs() -> dict:
    """Every few minutes per tenant: stuck jobs marked, retried or given up, the operator told;
    then the staging tables no live run can use are dropped."""
    tenant = require_tenant()
    recovery = jobs_recover_stuck()
    dropped = sweep_staging_tables()
    if recovery.details:
        lines = [
            f"- job {d['job']} ({d['kind']}), attempts {d['attempts']}: {d['action'].replace('_', ' ')}"
            for d in recovery.details
        ]
        notify_operators(
            f"{len(recovery.details)} stuck job(s) in tenant {tenant.slug}",
            "Jobs that stopped responding (a worker died or a message was lost):\n\n"
            + "\n".join(lines)
            + "\n\nRetried jobs run again from the start; given-up jobs are failed and their users see why.",
        )
    return {**recovery.as_dict(), "dropped_tables": dropped}


@tenant_task(
    name="prm.ops.tenant_export",
    bind=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=TRANSIENT_RETRIES,
)
def tenant_export(self, *, job_id: int) -> dict:
    """Write the tenant's data archive (a re-run rewrites the same file)."""
    return tenant_export_run(
        Job.objects.get(pk=job_id), retry_transient=self.request.retries < self.max_retries
    )
