"""Tenant isolation of webhooks: an endpoint receives its own tenant's events only; a task run for
another tenant cannot reach a delivery; another tenant's pages answer 404 (tests/test_url_sweep.py
and test_views.py)."""

from __future__ import annotations

import pytest

from prm.celery import app
from prm.events import publish
from prm.webhooks.models import WebhookDelivery
from tests.deals.helpers import register
from tests.webhooks.helpers import register_endpoint

pytestmark = pytest.mark.django_db


def test_an_endpoint_never_receives_another_tenants_events(
    cast, receiver, django_capture_on_commit_callbacks
):
    _a, a_secret = register_endpoint(cast.a, receiver.url("/acme"))
    _b, b_secret = register_endpoint(cast.b, receiver.url("/globex"))
    with cast.a.context(), django_capture_on_commit_callbacks(execute=True):
        register(cast)
    with cast.b.context(), django_capture_on_commit_callbacks(execute=True):
        publish(cast.b.tenant, "payable.created", {"id": 5, "reference": "PAY-000005"})
    by_path = {r.path: r for r in receiver.requests}
    assert sorted(by_path) == ["/acme", "/globex"]
    assert by_path["/acme"].verified(a_secret)["tenant"] == "acme"
    assert by_path["/globex"].verified(b_secret)["tenant"] == "globex"
    assert by_path["/acme"].json()["type"] == "deal.submitted"
    assert by_path["/globex"].json()["type"] == "payable.created"
    with cast.b.context():
        assert WebhookDelivery.objects.count() == 1


def test_a_delivery_task_run_for_another_tenant_does_nothing(
    cast, receiver, django_capture_on_commit_callbacks
):
    register_endpoint(cast.a, receiver.url())
    receiver.answer(500)
    with cast.a.context(), django_capture_on_commit_callbacks(execute=True):
        register(cast)
    with cast.a.context():
        delivery = WebhookDelivery.objects.get()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    deliver = app.tasks["prm.webhooks.deliver"]
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            deliver.apply(kwargs={"tenant_id": cast.b.tenant.pk, "delivery_id": delivery.pk}).get()
            == "skipped"
        )
        assert app.tasks["prm.webhooks.start_due"].apply(kwargs={"tenant_id": cast.b.tenant.pk}).get() == 0
    assert len(receiver.requests) == 1


def test_publishing_for_another_tenant_than_the_context_is_refused(cast, receiver):
    register_endpoint(cast.a, receiver.url())
    with cast.b.context(), pytest.raises(ValueError, match="own tenant"):
        publish(cast.a.tenant, "payable.created", {"id": 1})
