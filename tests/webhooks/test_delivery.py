"""Deliveries: Standard Webhooks headers verified with the `standardwebhooks` verifier; a failed
attempt retried with exponential backoff against a local server that fails then succeeds, with
the same webhook-id; every attempt logged; the sweep starts due deliveries whose task was lost;
a rotated secret signs beside the new one for a day."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from prm.celery import app
from prm.webhooks import delivery as delivery_module
from prm.webhooks.delivery import MAX_ATTEMPTS, retry_delay
from prm.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent
from prm.webhooks.services import PREVIOUS_SECRET_OVERLAP, endpoint_rotate_secret
from tests.deals.helpers import register
from tests.webhooks.helpers import Reply, register_endpoint

pytestmark = pytest.mark.django_db


def _submit(cast, capture):
    """A deal registration submitted by P1 (publishes deal.submitted); its delivery runs on commit."""
    with cast.a.context(), capture(execute=True):
        return register(cast)


def _run_task(name, cast, capture, **kwargs):
    with capture(execute=True):
        return app.tasks[name].apply(kwargs={"tenant_id": cast.a.tenant.pk, **kwargs}).get()


def _delivery(cast) -> WebhookDelivery:
    with cast.a.context():
        return WebhookDelivery.objects.select_related("event").get()


def _attempts(cast) -> list[tuple[int, str, int | None]]:
    with cast.a.context():
        return [(a.number, a.outcome, a.status_code) for a in WebhookAttempt.objects.order_by("number")]


def test_a_delivery_carries_standard_webhooks_headers_the_verifier_accepts(
    cast, receiver, hook, django_capture_on_commit_callbacks
):
    _endpoint, secret = hook
    registration = _submit(cast, django_capture_on_commit_callbacks)
    (request,) = receiver.of_type("deal.submitted")
    payload = request.verified(secret)
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == payload["id"] == _delivery(cast).event.message_id
    assert abs(int(request.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    assert request.headers["webhook-signature"].startswith("v1,")
    assert payload["type"] == "deal.submitted" and payload["tenant"] == "acme"
    assert payload["data"]["id"] == registration.pk and payload["data"]["reference"] == registration.reference
    with pytest.raises(WebhookVerificationError):
        Webhook(_other_secret()).verify(request.body, request.headers)
    tampered = request.body.replace('"acme"', '"globex"')
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, request.headers)
    delivery = _delivery(cast)
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED and delivery.attempts == 1
    assert _attempts(cast) == [(1, "succeeded", 200)]


def _other_secret() -> str:
    from prm.webhooks.services import new_secret

    return new_secret()


def test_a_failed_attempt_is_retried_with_backoff_until_the_server_answers(
    cast, receiver, hook, django_capture_on_commit_callbacks
):
    _endpoint, secret = hook
    receiver.answer(500, Reply(status=503, body="maintenance"), 200)
    t0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(t0, tick=False):
        _submit(cast, django_capture_on_commit_callbacks)
        delivery = _delivery(cast)
        # The retry was scheduled, but it is not due yet: an early run of the task sends nothing.
        assert delivery.status == WebhookDelivery.Status.PENDING
        assert delivery.next_attempt_at == t0 + datetime.timedelta(seconds=retry_delay(1))
        assert len(receiver.requests) == 1
    with time_machine.travel(t0 + datetime.timedelta(seconds=retry_delay(1) - 1), tick=False):
        assert (
            _run_task(
                "prm.webhooks.deliver", cast, django_capture_on_commit_callbacks, delivery_id=delivery.pk
            )
            == "skipped"
        )
    with time_machine.travel(t0 + datetime.timedelta(seconds=retry_delay(1)), tick=False):
        assert (
            _run_task(
                "prm.webhooks.deliver", cast, django_capture_on_commit_callbacks, delivery_id=delivery.pk
            )
            == "failed"
        )
        delivery = _delivery(cast)
        assert delivery.next_attempt_at == timezone.now() + datetime.timedelta(seconds=retry_delay(2))
    with time_machine.travel(delivery.next_attempt_at, tick=False):
        assert (
            _run_task(
                "prm.webhooks.deliver", cast, django_capture_on_commit_callbacks, delivery_id=delivery.pk
            )
            == "sent"
        )
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [60, 300, 1500, 7500]
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(ids) == 1  # the same message every time
    for request in receiver.requests:  # as the receiver checked each when it came
        sent = datetime.datetime.fromtimestamp(int(request.headers["webhook-timestamp"]), tz=datetime.UTC)
        with time_machine.travel(sent, tick=False):
            request.verified(secret)
    delivery = _delivery(cast)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 3, 200)
    assert _attempts(cast) == [(1, "failed", 500), (2, "failed", 503), (3, "succeeded", 200)]
    with cast.a.context():
        second = WebhookAttempt.objects.get(number=2)
        assert second.response_body == "maintenance" and "503" in second.error
        assert second.duration_ms >= 0 and second.started_at == t0 + datetime.timedelta(
            seconds=retry_delay(1)
        )


def test_a_delivery_fails_after_its_attempts_and_the_sweep_starts_lost_retries(
    cast, receiver, hook, django_capture_on_commit_callbacks
):
    """Every retry's own task is lost here (as after a broker restart): the beat sweep starts each
    one once it is due; after the fifth failure the delivery has failed."""
    receiver.default = Reply(status=500)
    t0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(t0, tick=False):
        _submit(cast, django_capture_on_commit_callbacks)
    last = t0
    for attempt in range(1, MAX_ATTEMPTS):
        due = last + datetime.timedelta(seconds=retry_delay(attempt))
        with time_machine.travel(due + datetime.timedelta(seconds=30), tick=False):
            # Within the grace its own task may still come.
            assert _run_task("prm.webhooks.start_due", cast, django_capture_on_commit_callbacks) == 0
        last = due + datetime.timedelta(minutes=2)
        with time_machine.travel(last, tick=False):
            assert _run_task("prm.webhooks.start_due", cast, django_capture_on_commit_callbacks) == 1
            assert _delivery(cast).attempts == attempt + 1
    delivery = _delivery(cast)
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.FAILED, MAX_ATTEMPTS)
    assert len(receiver.requests) == MAX_ATTEMPTS
    with time_machine.travel(last + datetime.timedelta(hours=5), tick=False):
        assert _run_task("prm.webhooks.start_due", cast, django_capture_on_commit_callbacks) == 0


def test_a_long_wait_is_left_to_the_sweep_instead_of_the_broker(settings, monkeypatch):
    """A countdown longer than the broker's visibility timeout would be handed out again by Redis:
    such a retry gets no task of its own."""
    scheduled: list = []
    monkeypatch.setattr(delivery_module, "task_enqueue", lambda name, **kw: scheduled.append(kw))
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 1000}
    delivery = WebhookDelivery(pk=42)
    delivery_module._retry_later(delivery, retry_delay(2))
    delivery_module._retry_later(delivery, retry_delay(3))
    assert scheduled == [{"countdown": 300, "delivery_id": 42}]


def test_a_rotated_secret_and_the_previous_one_both_sign_for_a_day(
    cast, receiver, hook, django_capture_on_commit_callbacks
):
    endpoint, old_secret = hook
    t0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(t0, tick=False):
        with cast.a.context():
            new_secret = endpoint_rotate_secret(
                endpoint=endpoint, acting_membership=cast.a.memberships["admin"]
            )
        _submit(cast, django_capture_on_commit_callbacks)
        (during,) = receiver.requests
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        during.verified(new_secret)
        during.verified(old_secret)  # a receiver that has not switched yet still accepts it
    with time_machine.travel(t0 + PREVIOUS_SECRET_OVERLAP + datetime.timedelta(minutes=1), tick=False):
        with cast.a.context(), django_capture_on_commit_callbacks(execute=True):
            register(cast, name="Later Corp", domain="later.test")
        after = receiver.requests[-1]
        after.verified(new_secret)
        with pytest.raises(WebhookVerificationError):
            after.verified(old_secret)
    assert new_secret != old_secret and new_secret.startswith("whsec_")


def test_one_event_is_one_delivery_per_subscribed_endpoint_and_unsubscribed_ones_get_nothing(
    cast, receiver, django_capture_on_commit_callbacks
):
    first, _ = register_endpoint(cast.a, receiver.url("/first"), events=["deal.submitted"])
    second, _ = register_endpoint(cast.a, receiver.url("/second"), events=["deal.submitted", "deal.approved"])
    register_endpoint(cast.a, receiver.url("/other"), events=["deal.approved"])
    _submit(cast, django_capture_on_commit_callbacks)
    assert sorted(r.path for r in receiver.requests) == ["/first", "/second"]
    with cast.a.context():
        event = WebhookEvent.objects.get()
        assert sorted(event.deliveries.values_list("endpoint_id", flat=True)) == sorted([first.pk, second.pk])
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1


def test_nothing_is_kept_when_no_endpoint_subscribed(cast, django_capture_on_commit_callbacks):
    _submit(cast, django_capture_on_commit_callbacks)
    with cast.a.context():
        assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()


def test_an_unexpected_error_while_sending_is_a_failed_attempt_not_a_stuck_delivery(
    cast, hook, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise RuntimeError("something in the HTTP stack broke")

    monkeypatch.setattr(delivery_module.transport, "post", broken)
    _submit(cast, django_capture_on_commit_callbacks)
    delivery = _delivery(cast)
    assert (delivery.status, delivery.attempts, delivery.claimed_until) == ("pending", 1, None)
    with cast.a.context():
        attempt = WebhookAttempt.objects.get()
        assert attempt.outcome == "failed" and "reference" in attempt.error
        assert "HTTP stack" not in attempt.error  # the detail is logged, not shown


def test_publishing_costs_one_query_without_subscribers_and_the_same_few_for_any_number(cast, receiver):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from prm.events import publish

    def cost(key: str) -> int:
        with cast.a.context(), CaptureQueriesContext(connection) as queries:
            publish(cast.a.tenant, "payable.created", {"id": 1}, key=key)
        return len(queries)

    assert cost("none") == 1
    register_endpoint(cast.a, receiver.url("/1"), events=["payable.created"])
    one = cost("one")
    for n in range(2, 6):
        register_endpoint(cast.a, receiver.url(f"/{n}"), events=["payable.created"])
    assert cost("five") == one
    with cast.a.context():
        assert WebhookDelivery.objects.count() == 1 + 5


def test_a_message_redelivered_after_its_worker_died_takes_the_delivery_over_and_others_wait(
    cast, receiver, hook, django_capture_on_commit_callbacks
):
    """A worker held the delivery for message "m-1" (and maybe POSTed) when it died: the broker's
    copy of m-1 sends it at once, with the same webhook-id; another message (the sweep's, a
    duplicate) sends nothing while the lease lasts."""
    with cast.a.context(), django_capture_on_commit_callbacks(execute=False):
        register(cast)  # the delivery is recorded; its task is not run
        delivery = WebhookDelivery.objects.select_related("event").get()
        assert delivery_module._take(delivery.pk, timezone.now(), "m-1")  # the dead worker's lease
        assert delivery_module.delivery_attempt(delivery.pk, run="m-2") == "skipped"
        assert delivery_module.delivery_attempt(delivery.pk) == "skipped"  # a one-off run too
        assert receiver.requests == []
        assert _run_task_as("m-1", cast, delivery.pk) == "sent"
    (request,) = receiver.requests
    assert request.headers["webhook-id"] == delivery.event.message_id
    after = _delivery(cast)
    assert (after.status, after.attempts, after.claimed_until, after.claimed_by) == ("succeeded", 1, None, "")
    assert _attempts(cast) == [(1, "succeeded", 200)]
    with cast.a.context():
        assert delivery_module.delivery_attempt(delivery.pk, run="m-1") == "skipped"  # finished: once


def _run_task_as(task_id: str, cast, delivery_id: int) -> str:
    """The deliver task as the broker hands out message ``task_id`` (its id is the lease's key)."""
    return (
        app.tasks["prm.webhooks.deliver"]
        .apply(kwargs={"tenant_id": cast.a.tenant.pk, "delivery_id": delivery_id}, task_id=task_id)
        .get()
    )
