"""Celery signal receivers of the operations package (connected from PrmConfig.ready())."""

from __future__ import annotations

import time
from typing import Any

from celery.signals import beat_init, before_task_publish, task_postrun, task_prerun

from prm.ops import heartbeat, metrics

_started: dict[str, float] = {}


def _task_started(task_id: str | None = None, **_kwargs: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


def _task_finished(
    task_id: str | None = None, task: Any = None, state: str | None = None, **_kw: Any
) -> None:
    started = _started.pop(task_id, None) if task_id else None
    name = getattr(task, "name", "unknown")
    seconds = time.perf_counter() - started if started is not None else None
    metrics.observe_task(task=name, outcome=(state or "unknown").lower(), seconds=seconds)


def connect() -> None:
    beat_init.connect(heartbeat.on_beat_init, weak=False, dispatch_uid="prm_ops_beat_init")
    before_task_publish.connect(
        heartbeat.on_before_task_publish, weak=False, dispatch_uid="prm_ops_beat_publish"
    )
    task_prerun.connect(_task_started, weak=False, dispatch_uid="prm_ops_task_prerun")
    task_postrun.connect(_task_finished, weak=False, dispatch_uid="prm_ops_task_postrun")
