"""Heartbeats of the background processes, kept in Redis where every web process can read them.

* Beat: every task beat publishes records the time (``before_task_publish`` in the beat process).
  The ``ops-heartbeat`` entry publishes one at least every HEARTBEAT_INTERVAL seconds.
* Workers: that task runs on the default queue, records the time for it and sends a small ping to
  every workload queue; the worker pool consuming a queue records its own time. A queue whose
  heartbeat is old has no live worker (or is so backed up that a ping waits for minutes).
"""

from __future__ import annotations

import time

from django.conf import settings

from prm.ops.redis import client, key

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
