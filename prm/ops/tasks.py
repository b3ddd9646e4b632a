"""Periodic operations work: heartbeats (platform-wide), stuck-job recovery (per tenant)."""

from __future__ import annotations

from prm.celery import app
from prm.ops import heartbeat as hb


@app.task(name="prm.ops.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Beat sends this to the default queue; it pings every workload queue in turn, so each worker
    pool proves that it consumes its queue."""
    hb.record(f"worker:{app.conf.task_default_queue}")
    for queue in hb.all_queues():
        if queue != app.conf.task_default_queue:
            queue_heartbeat.apply_async(
                kwargs={"queue": queue}, queue=queue, expires=hb.HEARTBEAT_INTERVAL * 4
            )


@app.task(name="prm.ops.queue_heartbeat", ignore_result=True)
def queue_heartbeat(*, queue: str) -> None:
    hb.record(f"worker:{queue}")
