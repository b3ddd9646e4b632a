"""The beat schedule, filled by the apps: each registers its periodic work from its
``AppConfig.ready()`` with ``register_beat_entry``; nobody edits a central dict.

The registry's dict *is* ``settings.CELERY_BEAT_SCHEDULE``: beat reads it after Django has set up
(Celery's Django fix-up loads the apps before the scheduler starts), so every entry is there.
This module imports nothing from Django: settings import it.
"""

from __future__ import annotations

from typing import Any

FOR_EACH_TENANT = "prm.tasks.for_each_tenant"

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {}


def register_beat_entry(name: str, task: str, schedule: Any, *, per_tenant: bool = True) -> None:
    """Run ``task`` on ``schedule`` (seconds or a crontab). A per-tenant task is fanned out by
    ``prm.tasks.for_each_tenant`` to every active tenant (tasks receive their tenant explicitly);
    ``per_tenant=False`` is for platform-wide work only."""
    if per_tenant:
        entry = {"task": FOR_EACH_TENANT, "schedule": schedule, "args": (task,)}
    else:
        entry = {"task": task, "schedule": schedule}
    existing = BEAT_SCHEDULE.get(name)
    if existing is not None and existing != entry:
        raise ValueError(f"Beat entry {name!r} is registered twice with different tasks or schedules.")
    BEAT_SCHEDULE[name] = entry
