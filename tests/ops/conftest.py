from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from prm.celery import app
from tests.conftest import enrol_totp
from tests.factories import UserFactory
from tests.ops.chaos import Chaos, WorkerPool, private_routes

PLATFORM_HOST = "localhost"


@pytest.fixture
def operator(db):
    user = UserFactory(email="operator@prm.test", is_superuser=True, is_staff=True)
    enrol_totp(user)
    return user


@pytest.fixture
def platform_client():
    def make(user=None, **extra) -> Client:
        client = Client(HTTP_HOST=PLATFORM_HOST, **extra)
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def fresh_heartbeats():
    """Every background process seen just now (tests that are not about heartbeats)."""
    from prm.ops import heartbeat

    for queue in heartbeat.all_queues():
        heartbeat.record(f"worker:{queue}")
    heartbeat.record("beat")


@pytest.fixture(scope="session")
def pool(django_db_setup, tmp_path_factory):
    """The chaos tests' worker processes: started once per test process, by its first chaos test."""
    workers = WorkerPool(tmp_path_factory.mktemp("chaos"))
    workers.wait_ready()
    yield workers
    workers.stop_all()


@pytest.fixture
def chaos(pool, settings):
    app.conf.task_always_eager = False  # tasks go to the broker, and the pool's workers
    settings.MEDIA_ROOT = pool.media  # the workers' media folder
    harness = Chaos(pool)
    # The workers write in the default language: so does this process (an earlier test may have
    # left another one active), or the undisturbed run's messages would differ in wording only.
    with private_routes(), translation.override(settings.LANGUAGE_CODE):
        yield harness
    harness.disarm()
    app.conf.task_always_eager = True
