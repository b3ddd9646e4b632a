"""Heartbeats of the background processes, kept in Redis where every web process can read them.

* Beat: every task beat publishes records the time (``before_task_publish`` in the beat process).
  The ``ops-heartbeat`` entry publishes one at least every HEARTBEAT_INTERVAL seconds.
* Workers: that task runs on the default queue, records the time for it and sends a small ping to
  every workload queue; the worker pool consuming a queue records its own time. A queue whose
  heartbeat is old has no live worker (or is so backed up that a ping waits for minutes).

The routine lines of all this (Celery's "received", "succeeded", "sending due task") are DEBUG
lines (prm.ops.logs.RoutineTaskFilter); what an operator must see is a change: ``report_changes``
warns once when a worker pool goes stale and says once when it is back.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings

from prm.ops.redis import client, key

logger = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 30.0

_in_beat = False


def all_queues() -> tuple[str, ...]:
    return (settings.CELERY_TASK_DEFAULT_QUEUE, *settings.WORKLOAD_QUEUES)


def record(process: str, now: float | None = None) -> None:
    """``process`` is ``beat`` or ``worker:<queue>``."""
    client().set(key("heartbeat", process), repr(time.time() if now is None else now))


def last_seen(process: str) -> float | None:
    value = client().get(key("heartbeat", process))
    return float(value) if value is not None else None


def age(process: str, now: float | None = None) -> float | None:
    """Seconds since ``process`` was last seen (None: never)."""
    seen = last_seen(process)
    if seen is None:
        return None
    return max(0.0, (time.time() if now is None else now) - seen)


def max_age() -> float:
    return float(settings.PRM_HEARTBEAT_MAX_AGE)


def on_beat_init(**_kwargs) -> None:
    global _in_beat
    _in_beat = True
    record("beat")


def on_before_task_publish(**_kwargs) -> None:
    """In the beat process, every publication proves that the scheduler is ticking."""
    if _in_beat:
        try:
            record("beat")
        except Exception:  # a heartbeat must never stop beat from sending the task itself
            return


def _watched_since(now: float) -> float:
    """When this Redis first saw a heartbeat check: a queue never seen is only stale once the
    watch has run for longer than the allowed age (a fresh start has not heard from anyone yet)."""
    name = key("heartbeat-watch-since")
    client().set(name, repr(now), nx=True)
    return float(client().get(name) or now)


def report_changes(processes: tuple[str, ...], now: float | None = None) -> dict[str, bool]:
    """Log a warning when one of ``processes`` goes stale (not seen for the allowed age) and a
    line when it is back: once per change, whichever process runs the check (the state is kept in
    Redis). Returns {process: stale}."""
    now = time.time() if now is None else now
    since = _watched_since(now)
    stale_now: dict[str, bool] = {}
    for process in processes:
        seen = age(process, now)
        stale = seen > max_age() if seen is not None else now - since > max_age()
        stale_now[process] = stale
        previous = client().set(key("heartbeat-stale", process), "1" if stale else "0", get=True)
        if stale and previous != b"1":
            logger.warning(
                "%s: %s; no worker consumes its queue, or the queue is backed up for minutes",
                process,
                f"last heartbeat {int(seen)} s ago" if seen is not None else "no heartbeat yet",
                extra={"heartbeat": process, "age": seen},
            )
        elif not stale and previous == b"1":
            logger.info("%s: heartbeat back", process, extra={"heartbeat": process, "age": seen})
    return stale_now
