"""Staging tables a killed worker left behind are dropped by a periodic sweep; live runs keep theirs."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.db import connection

from prm.jobs.models import Job
from prm.jobs.services import job_create
from prm.jobs.staging import staging_tables
from prm.tasks import for_each_tenant, sweep_staging_tables

pytestmark = pytest.mark.django_db


def _create(name: str) -> None:
    schema, table = name.split(".")
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE UNLOGGED TABLE "{schema}"."{table}" (LIKE posdata_stagingrow)')


def _staging() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'staging'")
        return {f"staging.{row[0]}" for row in cursor.fetchall()}


def _job(status: str, user) -> Job:
    job = job_create(kind="pos_upload", acting_user=user)
    Job.objects.filter(pk=job.pk).update(status=status)
    job.refresh_from_db()
    return job


def test_the_sweep_drops_tables_of_finished_jobs_and_of_runs_past_the_time_limit(cast):
    too_old = int(time.time()) - settings.CELERY_TASK_TIME_LIMIT - 60
    with cast.a.context():
        admin = cast.a.users["admin"]
        live = staging_tables(_job(Job.Status.RUNNING, admin), "stage", "norm")
        done = staging_tables(_job(Job.Status.SUCCEEDED, admin), "stage")
        failed = staging_tables(_job(Job.Status.FAILED, admin), "norm")
        killed_job = _job(Job.Status.RUNNING, admin)
        killed = [f"staging.t{cast.a.tenant.pk}_j{killed_job.pk}_{too_old}_stage"]
        gone_job = f"staging.t{cast.a.tenant.pk}_j999999_{int(time.time())}_stage"
    with cast.b.context():
        other_tenant = staging_tables(_job(Job.Status.SUCCEEDED, cast.b.users["admin"]), "stage")
    for name in [*live, *done, *failed, *killed, gone_job, *other_tenant]:
        _create(name)

    assert sweep_staging_tables.delay(tenant_id=cast.a.tenant.pk).get() == 4

    assert _staging() == {*live, *other_tenant}


def test_the_sweep_runs_for_every_tenant_from_the_beat_schedule(cast):
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-staging-tables"]
    assert entry["task"] == "prm.tasks.for_each_tenant"
    assert entry["args"] == ("prm.tasks.sweep_staging_tables",)
    with cast.b.context():
        leftover = staging_tables(_job(Job.Status.FAILED, cast.b.users["admin"]), "stage")
    _create(leftover[0])
    assert for_each_tenant(*entry["args"]) == 2
    assert leftover[0] not in _staging()


def test_the_pos_loader_stages_in_the_staging_schema_and_cleans_up(cast, tmp_path, monkeypatch):
    from posdata import pipeline
    from tests.posdata.helpers import load, write

    created: list[str] = []
    original = pipeline.create_table_like_staging
    monkeypatch.setattr(pipeline, "create_table_like_staging", lambda t: (created.append(t), original(t)))
    path = write(
        tmp_path, "invoice_date,sku,quantity,unit_price,invoice_number\n2026-01-05,PMP-100,3,9.50,INV-1\n"
    )
    _upload, result = load(cast.a, "p1", path)
    assert result["rows_loaded"] == 1, result
    assert created and all(name.startswith(f"staging.t{cast.a.tenant.pk}_j") for name in created)
    assert _staging() == set()
