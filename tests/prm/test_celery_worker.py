"""A real Celery worker process picks up a tenant task enqueued on commit and finishes the job:
the wiring the product relies on (broker URL, task signature, tenant context, RLS) end to end."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from io import BytesIO
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from prm.imports import reference_import_start
from prm.jobs.models import Job
from prm.tenancy.context import tenant_context

pytestmark = pytest.mark.django_db(transaction=True)


def _test_database_url() -> str:
    """DATABASE_URL pointing at the test database the worker must use."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture
def worker():
    from prm.celery import app

    app.conf.task_always_eager = False
    # Like production's workers: the runtime role only, no owner URL.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_OWNER_URL"}
    env.update({"DATABASE_URL": _test_database_url(), "PRM_ENV": "test"})
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "prm",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
    )
    yield process
    process.terminate()
    process.wait(timeout=20)


def test_an_import_job_enqueued_on_commit_is_run_by_the_worker(cast, worker):
    upload = BytesIO(b"code,name,type,country\nW100,Worker Partner,reseller,FR\n")
    upload.name = "partners.csv"
    with tenant_context(cast.a.tenant):
        job = reference_import_start(
            kind="partners", upload=upload, acting_membership=cast.a.memberships["admin"]
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.is_finished:
                break
            time.sleep(0.3)
        assert job.status == Job.Status.SUCCEEDED, (job.status, job.error)
        assert job.result == {"kind": "partners", "created": 1, "updated": 0, "errors": []}
        from partners.models import Partner

        assert Partner.objects.filter(code="W100", country="FR").exists()
    with tenant_context(cast.b.tenant):
        from partners.models import Partner

        assert not Partner.objects.filter(code="W100").exists()
