"""Starting a job run: a finished job never starts again; a redelivered message may start a run
again (the one before it died); with ``exclusive`` a second message does nothing while the run
before it may still be alive (running, begun within its kind's time limit), and starts once that
limit has passed (the worker would have stopped that run)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.conf import settings

from prm.jobs.models import Job
from prm.jobs.services import job_create, job_start

pytestmark = pytest.mark.django_db
T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
LIMIT = datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def _attempts(job: Job) -> int:
    return Job.objects.get(pk=job.pk).attempts


def test_an_exclusive_start_waits_out_a_run_that_may_still_be_alive(cast):
    with cast.a.context():
        job = job_create(kind="claims:validate", acting_user=None)
        with time_machine.travel(T0, tick=False):
            assert job_start(job, exclusive=True) is True
        with time_machine.travel(T0 + LIMIT - datetime.timedelta(seconds=1), tick=False):
            assert job_start(job, exclusive=True) is False
            assert _attempts(job) == 1
            assert job_start(job) is True  # not exclusive: a redelivery starts again
            assert _attempts(job) == 2
        with time_machine.travel(T0 + LIMIT * 2 + datetime.timedelta(seconds=1), tick=False):
            assert job_start(job, exclusive=True) is True
            assert _attempts(job) == 3
