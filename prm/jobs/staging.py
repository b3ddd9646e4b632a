"""Scratch tables of bulk loads: named after their job, kept in the staging schema, swept.

A load streams a partner file with COPY into an UNLOGGED table it creates in the staging schema
(the only schema where the runtime role may create tables). The name carries the tenant, the job
and the time the run began, so a periodic sweep can drop what a killed worker left behind: tables
of jobs that finished or failed, and tables older than the task time limit (no run lives longer).
"""

from __future__ import annotations

import re
import time

from django.conf import settings
from django.db import connection
from psycopg import sql as pgsql

from prm.db.roles import STAGING_SCHEMA
from prm.jobs.models import Job
from prm.tenancy.context import require_tenant

NAME = re.compile(r"^t(?P<tenant>\d+)_j(?P<job>\d+)_(?P<started>\d+)_[a-z]+$")


def staging_tables(job: Job, *purposes: str) -> list[str]:
    """Schema-qualified names for one run of ``job`` (e.g. ``"stage", "norm"``)."""
    started = int(time.time())
    return [f"{STAGING_SCHEMA}.t{job.tenant_id}_j{job.pk}_{started}_{p}" for p in purposes]


def quote_table(name: str) -> str:
    """``schema.table`` or ``table`` as a quoted SQL identifier."""
    return pgsql.Identifier(*name.split(".")).as_string(None)


def _tables_of_current_tenant() -> list[tuple[str, int, int]]:
    tenant = require_tenant()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind = 'r' AND c.relname LIKE %s",
            [STAGING_SCHEMA, f"t{tenant.pk}\\_j%"],
        )
        names = [row[0] for row in cursor.fetchall()]
    found = []
    for name in names:
        match = NAME.match(name)
        if match and int(match["tenant"]) == tenant.pk:
            found.append((name, int(match["job"]), int(match["started"])))
    return found


def sweep_staging_tables(now: float | None = None) -> list[str]:
    """Drop the current tenant's staging tables that no live run can still use; return them."""
    now = time.time() if now is None else now
    tables = _tables_of_current_tenant()
    running = set(
        Job.objects.filter(pk__in={job for _, job, _ in tables})
        .exclude(status__in=Job.FINISHED)
        .values_list("pk", flat=True)
    )
    oldest_live = now - settings.CELERY_TASK_TIME_LIMIT
    dropped = []
    for name, job, started in tables:
        if job in running and started >= oldest_live:
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {quote_table(f'{STAGING_SCHEMA}.{name}')}")
        dropped.append(name)
    return dropped
