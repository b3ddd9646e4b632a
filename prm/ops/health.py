"""Readiness checks (django-health-check): what must work for the portal and its jobs.

Critical checks (database, Redis, migrations applied) decide whether this process may take
traffic: one failing makes readiness answer 503. The others (a worker per queue, beat, disk space
of the media folder) make the status "degraded": the portal answers, but background work stalls
or soon will, and the operator must act.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.contrib.psutil import Disk
from health_check.exceptions import HealthCheckException, ServiceUnavailable, ServiceWarning

from prm.ops import heartbeat
from prm.ops.redis import client

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class Cache(HealthCheck):
    """The cache (rate limits, MFA replay protection) stores and returns a value."""

    def run(self) -> None:
        probe = f"health:{uuid.uuid4().hex}"
        try:
            cache.set(probe, "ok", timeout=5)
            value = cache.get(probe)
            cache.delete(probe)
        except Exception as exc:
            raise ServiceUnavailable("cache unreachable") from exc
        if value != "ok":
            raise ServiceUnavailable("cache returned another value")


@dataclasses.dataclass
class Redis(HealthCheck):
    """The broker and cache answer a PING."""

    def run(self) -> None:
        try:
            client().ping()
        except Exception as exc:
            raise ServiceUnavailable("Redis does not answer") from exc


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Every migration of the code that runs here is applied to the database."""

    alias: str = DEFAULT_DB_ALIAS

    def run(self) -> None:
        try:
            executor = MigrationExecutor(connections[self.alias])
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as exc:
            raise ServiceUnavailable("database unreachable: applied migrations cannot be read") from exc
        if plan:
            names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:5])
            raise ServiceUnavailable(f"{len(plan)} migrations not applied ({names})")


@dataclasses.dataclass
class Heartbeat(HealthCheck):
    """A background process was seen recently (``beat``, or ``worker:<queue>``)."""

    process: str = "beat"

    def run(self) -> None:
        try:
            age = heartbeat.age(self.process)
        except Exception as exc:
            raise ServiceUnavailable("heartbeat unreadable (Redis)") from exc
        if age is None:
            raise ServiceUnavailable(f"{self.process}: never seen")
        if age > heartbeat.max_age():
            raise ServiceUnavailable(f"{self.process}: last seen {int(age)} s ago")


CRITICAL = ("Database", "Cache", "Redis", "MigrationsApplied")


def checks() -> list[HealthCheck]:
    found: list[HealthCheck] = [
        Database(),
        Cache(),
        Redis(),
        MigrationsApplied(),
        Heartbeat(process="beat"),
        *(Heartbeat(process=f"worker:{queue}") for queue in heartbeat.all_queues()),
        Disk(
            path=str(_existing(Path(settings.MEDIA_ROOT))),
            max_disk_usage_percent=settings.PRM_DISK_MAX_PERCENT,
        ),
    ]
    return found


def _existing(path: Path) -> Path:
    """The media folder, or the nearest folder above it that exists (a new install has none yet):
    the disk it will be written to."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return path


def _name(check: HealthCheck) -> str:
    label = type(check).__name__
    if isinstance(check, Heartbeat):
        return f"heartbeat:{check.process}"
    if isinstance(check, Disk):
        return "disk:media"
    return label.lower() if label != "MigrationsApplied" else "migrations"


def _run(check: HealthCheck) -> tuple[HealthCheckException | None, float]:
    """Run one check in this thread (the library's runner uses threads, each with its own
    database connection; a probe every few seconds would leave them behind)."""
    started = time.perf_counter()
    try:
        check.run()
        error = None
    except HealthCheckException as exc:
        error = exc
    except Exception:
        logger.exception("unexpected error in health check %s", _name(check))
        error = HealthCheckException("unknown error")
    return error, time.perf_counter() - started


def readiness() -> dict[str, Any]:
    """Run every check; ``{"status": "ok"|"degraded"|"unavailable", "checks": {...}}``."""
    report: dict[str, Any] = {}
    unavailable = degraded = False
    for check in checks():
        error, seconds = _run(check)
        critical = type(check).__name__ in CRITICAL
        report[_name(check)] = {
            "ok": error is None,
            "critical": critical,
            "error": str(error) if error is not None else "",
            "warning": isinstance(error, ServiceWarning),
            "seconds": round(seconds, 3),
        }
        if error is not None:
            unavailable |= critical
            degraded = True
    status = "unavailable" if unavailable else "degraded" if degraded else "ok"
    return {"status": status, "checks": report}
