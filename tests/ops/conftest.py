from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import enrol_totp
from tests.factories import UserFactory

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
