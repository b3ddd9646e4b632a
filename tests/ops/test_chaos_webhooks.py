"""Chaos for webhook deliveries (tests/ops/chaos.py has the method): events published to several
endpoints of a real HTTP receiver on 127.0.0.1, a worker SIGKILLed in the middle of one delivery
(before its POST, after the POST was answered but before the attempt was recorded, inside the
transaction that records it), the broker hands its message to another worker, and:

* every event reaches every endpoint subscribed to it;
* the delivery rows and their attempt logs end as after an undisturbed run, with no row twice;
* a POST sent again carries the same ``webhook-id`` and body (receivers deduplicate on it).

The redelivered message takes over the delivery its dead worker held at once: the lease names the
message (``claimed_by``), so nothing waits for the lease to run out or for the sweep."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from django.db import transaction
from django.db.models import Count

from prm.celery import app
from prm.events import EVENT_TYPES, publish
from prm.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent
from prm.webhooks.services import DELIVER_TASK
from tests.ops.chaos import Started
from tests.webhooks.helpers import Receiver, register_endpoint

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.chaos]

# Three receivers of the tenant's systems, each subscribed to some events.
ENDPOINTS = {
    "/crm": ("deal.submitted", "deal.approved", "claim.approved"),
    "/erp": ("claim.approved", "payable.created"),
    "/audit": tuple(EVENT_TYPES),
}
EVENTS = (
    ("deal.submitted", 101),
    ("deal.approved", 101),
    ("claim.approved", 7),
    ("payable.created", 31),
    ("payable.created", 32),
    ("partner.tier_changed", 5),
    ("lead.offered", 9),
)
SUBSCRIBED = sorted(
    (path, event_type, n)
    for event_type, n in EVENTS
    for path, events in ENDPOINTS.items()
    if event_type in events
)
P = WebhookDelivery.Status.PENDING


@pytest.fixture
def receiver(settings):
    settings.PRM_WEBHOOKS_ALLOW_LOOPBACK = True  # this process registers the endpoints
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def secrets(cast, receiver) -> dict[str, str]:
    return {
        path: register_endpoint(cast.a, receiver.url(path), events=events)[1]
        for path, events in ENDPOINTS.items()
    }


def _path(delivery: WebhookDelivery) -> str:
    return "/" + delivery.endpoint.url.rsplit("/", 1)[1]


def _deliver_all_here(cast) -> None:
    for pk in WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True):
        app.tasks[DELIVER_TASK].apply(kwargs={"tenant_id": cast.a.tenant.pk, "delivery_id": pk}, throw=True)


def _all_finished() -> bool:
    return WebhookDelivery.objects.exists() and not WebhookDelivery.objects.filter(status=P).exists()


def _without_ids(body: str) -> dict:
    """The envelope without what differs between two runs (message id, time)."""
    envelope = json.loads(body)
    return {k: v for k, v in envelope.items() if k not in ("id", "occurred_at")}


def _state(receiver: Receiver) -> dict:
    deliveries = {}
    for d in WebhookDelivery.objects.select_related("event", "endpoint").prefetch_related("attempt_log"):
        deliveries[(_path(d), d.event.event_type, d.event.key)] = (
            d.status,
            d.attempts,
            d.round_attempts,
            d.last_status_code,
            d.last_error,
            d.next_attempt_at,
            d.claimed_until,
            d.claimed_by,
            d.completed_at is not None,
            sorted(
                (a.number, a.outcome, a.status_code, a.error, a.response_body, a.replay)
                for a in d.attempt_log.all()
            ),
        )
    return {
        "deliveries": dict(sorted(deliveries.items())),
        "events": sorted(
            (e.event_type, e.key, json.dumps(_without_ids(e.body), sort_keys=True))
            for e in WebhookEvent.objects.all()
        ),
        # What each endpoint received, one entry per message however often it came.
        "received": sorted(
            {
                (r.path, r.headers["webhook-id"], json.dumps(_without_ids(r.body), sort_keys=True))
                for r in receiver.requests
            }
        ),
    }


def _comparable(state: dict) -> dict:
    """The state without the message ids (new ones in each run)."""
    return {**state, "received": sorted((path, body) for path, _id, body in state["received"])}


@pytest.mark.parametrize(
    ("pause", "sent_before_kill"),
    [
        ("prm.webhooks.delivery:check_url", False),  # the delivery taken, nothing sent yet
        ("prm.webhooks.transport:post", True),  # the POST answered 200, nothing recorded
        ("prm.webhooks.delivery:_finish", True),  # inside the transaction recording it: rolled back
    ],
    ids=["before-the-post", "after-the-post", "while-recording-the-attempt"],
)
def test_a_webhook_delivery_killed_mid_attempt_reaches_every_endpoint_once_with_the_same_id(
    cast, chaos, receiver, secrets, pause, sent_before_kill
):
    def start() -> Started:
        receiver.requests.clear()
        with transaction.atomic():  # the deliveries start once this commits
            for event_type, n in EVENTS:
                publish(cast.a.tenant, event_type, {"id": n, "number": f"N-{n}"})
        return Started(
            task=DELIVER_TASK, enqueued=True, run_here=lambda: _deliver_all_here(cast), done=_all_finished
        )

    def state(started: Started) -> dict:
        return _state(receiver)

    held: dict = {}

    def paused_mid_attempt(started: Started) -> None:
        task = chaos.paused_task()
        assert task["task"] == DELIVER_TASK
        delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(
            pk=task["kwargs"]["delivery_id"]
        )
        held.update(path=_path(delivery), message_id=delivery.event.message_id, task_id=task["id"])
        # Held by the paused worker's message, nothing of the attempt committed...
        assert (delivery.status, delivery.attempts, delivery.claimed_by) == (P, 0, task["id"])
        assert not WebhookAttempt.objects.filter(delivery=delivery).exists()
        # ...and the receiver has the POST (or not yet).
        sent = [
            r
            for r in receiver.requests
            if (r.path, r.headers["webhook-id"]) == (held["path"], held["message_id"])
        ]
        assert len(sent) == (1 if sent_before_kill else 0)

    with cast.a.context():
        reference = chaos.undisturbed(start, state)
        outcome = chaos.killed_and_redelivered(start, state, pause=pause, while_paused=paused_mid_attempt)

        # The undisturbed run: every subscribed endpoint got its events, each delivered at once.
        assert sorted(reference["deliveries"]) == [(p, t, str(n)) for p, t, n in SUBSCRIBED]
        assert {v[:5] for v in reference["deliveries"].values()} == {("succeeded", 1, 1, 200, "")}
        assert {(v[5], v[6], v[7]) for v in reference["deliveries"].values()} == {(None, None, "")}
        assert len(reference["received"]) == len(SUBSCRIBED)

        # The killed run ends the same, row for row, with nothing twice.
        assert _comparable(outcome.state) == _comparable(reference)
        assert WebhookDelivery.objects.count() == len(SUBSCRIBED)
        assert not WebhookDelivery.objects.values("event", "endpoint").annotate(n=Count("id")).filter(n__gt=1)
        assert WebhookAttempt.objects.count() == len(SUBSCRIBED)  # one attempt each: the redone one too
        assert WebhookEvent.objects.count() == len(EVENTS)

        # Every POST is signed for its endpoint, and one message is always the same id and body.
        by_message = defaultdict(list)
        for request in receiver.requests:
            assert request.verified(secrets[request.path])["id"] == request.headers["webhook-id"]
            by_message[(request.path, request.headers["webhook-id"])].append(request.body)
        assert all(len(set(bodies)) == 1 for bodies in by_message.values())
        message_ids = dict(WebhookDelivery.objects.values_list("event__message_id", "event__event_type"))
        assert {message_id for _path, message_id in by_message} == set(message_ids)
        # The held delivery was sent again by the redelivered message (once more when its first
        # POST had gone out), with the same webhook-id; no other delivery was sent twice.
        resent = {key: len(bodies) for key, bodies in by_message.items() if len(bodies) > 1}
        expected = {(held["path"], held["message_id"]): 2} if sent_before_kill else {}
        assert resent == expected
        assert len(receiver.requests) == len(SUBSCRIBED) + (1 if sent_before_kill else 0)
        # It was the broker's redelivery of the killed message that finished it, not the sweep.
        assert chaos.finished_by_other_worker(held["task_id"], outcome.killed_pid)
