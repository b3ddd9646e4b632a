from __future__ import annotations

import pytest

from tests.webhooks.helpers import Receiver, register_endpoint


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
