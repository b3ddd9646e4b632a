"""An endpoint whose deliveries keep failing is disabled after PRM_WEBHOOKS_DISABLE_AFTER failed
deliveries in a row and the tenant's vendor admins are told; a success resets the count. A
finished delivery is replayed from the back office with the same webhook-id."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from prm.audit.models import AuditEvent
from prm.notifications.models import Notification
from prm.webhooks.delivery import MAX_ATTEMPTS
from prm.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from prm.webhooks.services import delivery_replay, endpoint_disable, endpoint_enable
from prm.workflow import DomainError
from tests.deals.helpers import register
from tests.webhooks.helpers import Reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_attempt(monkeypatch):
    """Each delivery gets a single attempt, so that a failed delivery takes one request."""
    monkeypatch.setattr("prm.webhooks.delivery.MAX_ATTEMPTS", 1)


def _submit(cast, capture, n: int):
    with cast.a.context(), capture(execute=True):
        return register(cast, name=f"Customer {n}", domain=f"c{n}.test")


def _endpoint(cast, endpoint) -> WebhookEndpoint:
    with cast.a.context():
        return WebhookEndpoint.objects.get(pk=endpoint.pk)


def test_repeated_failed_deliveries_disable_the_endpoint_and_tell_the_vendor_admins(
    cast, receiver, hook, settings, one_attempt, django_capture_on_commit_callbacks
):
    settings.PRM_WEBHOOKS_DISABLE_AFTER = 3
    endpoint, _secret = hook
    receiver.default = Reply(status=500, body="down")
    for n in range(2):
        _submit(cast, django_capture_on_commit_callbacks, n)
    assert _endpoint(cast, endpoint).consecutive_failures == 2
    assert _endpoint(cast, endpoint).is_enabled
    _submit(cast, django_capture_on_commit_callbacks, 2)
    disabled = _endpoint(cast, endpoint)
    assert disabled.status == WebhookEndpoint.Status.DISABLED and disabled.consecutive_failures == 3
    assert "3 deliveries in a row failed" in disabled.disabled_reason
    with cast.a.context():
        told = Notification.objects.filter(verb="webhook.disabled")
        assert {n.recipient for n in told} == {cast.a.users["admin"]}
        assert told.get().url == f"/webhooks/{endpoint.pk}/"
        event = AuditEvent.objects.get(action="webhook_endpoint.disable")
        assert event.actor is None and event.after == {
            "status": "disabled",
            "reason": disabled.disabled_reason,
            "automatic": True,
        }
    # Nothing more is sent to it.
    _submit(cast, django_capture_on_commit_callbacks, 3)
    assert len(receiver.requests) == 3
    with cast.a.context():
        assert WebhookDelivery.objects.filter(status=WebhookDelivery.Status.FAILED).count() == 3
        assert not WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).exists()


def test_a_success_resets_the_count_of_failures_in_a_row(
    cast, receiver, hook, settings, one_attempt, django_capture_on_commit_callbacks
):
    settings.PRM_WEBHOOKS_DISABLE_AFTER = 2
    endpoint, _secret = hook
    receiver.answer(500, 200, 500)
    for n in range(3):
        _submit(cast, django_capture_on_commit_callbacks, n)
    endpoint = _endpoint(cast, endpoint)
    assert endpoint.is_enabled and endpoint.consecutive_failures == 1


def test_a_delivery_pending_when_the_endpoint_was_disabled_stops_and_can_be_replayed_once_enabled(
    cast, receiver, hook, django_capture_on_commit_callbacks
):
    endpoint, secret = hook
    receiver.answer(500)
    _submit(cast, django_capture_on_commit_callbacks, 0)
    admin = cast.a.memberships["admin"]
    with cast.a.context():
        endpoint_disable(endpoint=endpoint, acting_membership=admin, reason="Receiver moving")
        delivery = WebhookDelivery.objects.get()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    with django_capture_on_commit_callbacks(execute=True):
        from prm.celery import app

        app.tasks["prm.webhooks.deliver"].apply(
            kwargs={"tenant_id": cast.a.tenant.pk, "delivery_id": delivery.pk}
        )
    with cast.a.context():
        delivery.refresh_from_db()
        assert (
            delivery.status == WebhookDelivery.Status.FAILED
            and delivery.last_error == "The endpoint is disabled."
        )
        with pytest.raises(DomainError, match="enable it first"):
            delivery_replay(delivery=delivery, acting_membership=admin)
        endpoint_enable(endpoint=endpoint, acting_membership=admin)
    with cast.a.context(), django_capture_on_commit_callbacks(execute=True):
        delivery_replay(delivery=delivery, acting_membership=admin)
    assert len(receiver.requests) == 2
    first, replayed = receiver.requests
    assert first.headers["webhook-id"] == replayed.headers["webhook-id"] and first.body == replayed.body
    replayed.verified(secret)
    with cast.a.context():
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.round_attempts) == ("succeeded", 2, 1)
        assert list(WebhookAttempt.objects.order_by("number").values_list("replay", flat=True)) == [
            False,
            True,
        ]
        assert (
            AuditEvent.objects.filter(action="webhook_delivery.replay", object_id=str(delivery.pk)).count()
            == 1
        )


def test_a_replay_of_a_failed_delivery_gets_a_new_round_of_attempts(
    cast, receiver, hook, django_capture_on_commit_callbacks
):
    receiver.default = Reply(status=500)
    _submit(cast, django_capture_on_commit_callbacks, 0)
    with cast.a.context():
        delivery = WebhookDelivery.objects.get()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.FAILED,
            attempts=MAX_ATTEMPTS,
            round_attempts=MAX_ATTEMPTS,
            next_attempt_at=None,
        )
    receiver.default = Reply(status=204)
    with cast.a.context(), django_capture_on_commit_callbacks(execute=True):
        delivery_replay(delivery=delivery, acting_membership=cast.a.memberships["admin"])
    with cast.a.context():
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
            "succeeded",
            MAX_ATTEMPTS + 1,
            204,
        )


def test_a_pending_delivery_is_not_replayed_and_only_vendor_admins_replay(
    cast, receiver, hook, django_capture_on_commit_callbacks
):
    receiver.answer(500)
    _submit(cast, django_capture_on_commit_callbacks, 0)
    with cast.a.context():
        delivery = WebhookDelivery.objects.get()
        with pytest.raises(DomainError, match="still being sent"):
            delivery_replay(delivery=delivery, acting_membership=cast.a.memberships["admin"])
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED)
        for who in ("manager", "finance", "p1_admin"):
            with pytest.raises(PermissionDenied):
                delivery_replay(delivery=delivery, acting_membership=cast.a.memberships[who])
        assert not AuditEvent.objects.filter(action="webhook_delivery.replay").exists()
        assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.FAILED
