from __future__ import annotations

import pytest
from django.utils import translation

from prm.webhooks import guard
from tests.webhooks.helpers import PUBLIC_V4, PUBLIC_V6, Receiver, fake_resolver, register_endpoint


@pytest.fixture(autouse=True)
def _english():
    """Messages these tests read (refusals, attempt errors) in English, whatever an earlier test
    in the same worker left active."""
    with translation.override("en"):
        yield


@pytest.fixture
def loopback(settings):
    """Deliveries may go to http://127.0.0.1 (the development/test setting)."""
    settings.PRM_WEBHOOKS_ALLOW_LOOPBACK = True


@pytest.fixture
def receiver(loopback):
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def hook(cast, receiver):
    """Tenant A's endpoint for every event, sending to the receiver; (endpoint, secret)."""
    return register_endpoint(cast.a, receiver.url())


@pytest.fixture
def dns(monkeypatch):
    """Names resolve from a table (hooks.example.com: public addresses); (table, names looked up)."""
    table: dict[str, list[str]] = {"hooks.example.com": [PUBLIC_V4, PUBLIC_V6]}
    calls: list[str] = []
    monkeypatch.setattr(guard, "getaddrinfo", fake_resolver(table, calls))
    return table, calls
