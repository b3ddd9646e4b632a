"""Sending events to webhook endpoints (Standard Webhooks).

``event_record`` (subscribed to ``prm.events``) writes the event and one delivery per subscribed
endpoint inside the publishing transaction and starts each delivery once it commits. An attempt
takes the delivery for a short lease (so that a second copy of the task sends nothing), checks
the URL again, signs and POSTs the event, and records the attempt. The lease names the task
message that holds it: when a worker dies at any point of an attempt, the broker hands the same
message to another worker, which takes the delivery over at once and makes the attempt again
(the receiver may get the POST a second time, with the same ``webhook-id``); what the dead worker
had not committed is gone, so the delivery's rows end as after a single attempt. A failed attempt is tried again
after 1, 5, 25 and 125 minutes (five attempts over about 2.6 hours); the last failure fails the
delivery and counts against the endpoint, which is disabled after ``PRM_WEBHOOKS_DISABLE_AFTER``
failed deliveries in a row. A beat sweep starts deliveries whose time has come and whose task was
lost (a broker restart) or was too far away to wait in the broker.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from prm.events import iso
from prm.jobs.services import task_enqueue, unexpected_failure_message
from prm.tenancy.context import require_tenant
from prm.tenancy.models import Tenant
from prm.webhooks import transport
from prm.webhooks.guard import UnsafeUrl, check_url
from prm.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from prm.webhooks.services import DELIVER_TASK, disable_after, endpoint_disable

logger = logging.getLogger(__name__)

D = WebhookDelivery.Status
MAX_ATTEMPTS = 5
FIRST_RETRY_SECONDS = 60
BACKOFF_FACTOR = 5
# A worker holds a delivery this long while it sends (far beyond the transport's own deadline).
LEASE = datetime.timedelta(minutes=2)
# The sweep starts deliveries due longer ago than this (their own task should have run by then).
SWEEP_GRACE = datetime.timedelta(minutes=1)
SWEEP_BATCH = 1000


def retry_delay(attempts_so_far: int) -> int:
    """Seconds before the next attempt after ``attempts_so_far`` failed ones in the round."""
    return FIRST_RETRY_SECONDS * BACKOFF_FACTOR ** (attempts_so_far - 1)


def event_record(*, tenant: Tenant, event_type: str, data: dict[str, Any], key: str) -> WebhookEvent | None:
    """Keep the event and a pending delivery for each enabled endpoint subscribed to it (none:
    nothing is kept), in the caller's transaction; send them once it commits. The same
    (event type, key) a second time records nothing."""
    if tenant.pk != require_tenant().pk:
        raise ValueError("An event is published in its own tenant's context.")
    endpoint_ids = list(
        WebhookEndpoint.objects.filter(status=WebhookEndpoint.Status.ENABLED, events__contains=[event_type])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not endpoint_ids:
        return None
    now = timezone.now()
    message_id = f"msg_{uuid.uuid4().hex}"
    envelope = {
        "id": message_id,
        "type": event_type,
        "tenant": tenant.slug,
        "occurred_at": iso(now),
        "data": data,
    }
    body = json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)
    try:
        with transaction.atomic():  # a savepoint: a repeat leaves the caller's transaction usable
            event = WebhookEvent.objects.create(
                event_type=event_type, key=key[:200], message_id=message_id, body=body, occurred_at=now
            )
    except IntegrityError as exc:
        if "webhook_event_once" not in str(exc):
            raise
        return None
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(tenant=tenant, event=event, endpoint_id=pk, next_attempt_at=now)
            for pk in endpoint_ids
        ]
    )
    for delivery in deliveries:
        task_enqueue(DELIVER_TASK, delivery_id=delivery.pk)
    return event


# --- signing -----------------------------------------------------------------------------------------


def signature(endpoint: WebhookEndpoint, *, message_id: str, timestamp: datetime.datetime, body: str) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256>`` with the endpoint's secret, and
    with the previous one too while a rotation's overlap lasts (space-separated)."""
    secrets = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_until
        and endpoint.previous_secret_until > timestamp
    ):
        secrets.append(endpoint.previous_secret)
    return " ".join(Webhook(secret).sign(message_id, timestamp, body) for secret in secrets)


def signed_headers(endpoint: WebhookEndpoint, event: WebhookEvent) -> dict[str, str]:
    timestamp = timezone.now().astimezone(datetime.UTC)
    return {
        "webhook-id": event.message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature(
            endpoint, message_id=event.message_id, timestamp=timestamp, body=event.body
        ),
    }


# --- one attempt -----------------------------------------------------------------------------------


def _take(delivery_id: int, now: datetime.datetime, run: str) -> bool:
    """Hold a due, pending delivery for the run ``run`` (its task message id); False when it is
    not due, finished, or held by another run. The same message delivered again (its worker died
    holding the delivery) takes it over."""
    return bool(
        WebhookDelivery.objects.filter(pk=delivery_id, status=D.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now) | Q(claimed_by=run))
        .update(claimed_until=now + LEASE, claimed_by=run)
    )


def _send(delivery: WebhookDelivery) -> transport.Answer:
    """Check the URL again (its name may resolve elsewhere by now) and POST the signed event to
    the address checked."""
    try:
        target = check_url(delivery.endpoint.url)
    except UnsafeUrl as exc:
        return transport.Answer(status=None, body="", error=str(exc)[:300], duration_ms=0)
    return transport.post(
        target,
        delivery.event.body.encode("utf-8"),
        signed_headers(delivery.endpoint, delivery.event),
        timeout=float(settings.PRM_WEBHOOKS_TIMEOUT),
    )


def delivery_attempt(delivery_id: int, *, run: str | None = None) -> str:
    """Make the next attempt of a delivery if it is due: ``sent``, ``failed`` (a retry is
    scheduled or the delivery failed), ``skipped`` (not due, finished or held elsewhere) or
    ``endpoint_disabled``. ``run``: the task message's id (a redelivery of it resumes a
    delivery its dead worker held); a one-off run gets an id of its own."""
    started_at = timezone.now()
    if not _take(delivery_id, started_at, run or f"run_{uuid.uuid4().hex}"):
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    if not delivery.endpoint.is_enabled:
        _stop_for_disabled_endpoint(delivery)
        return "endpoint_disabled"
    try:
        answer = _send(delivery)
    except Exception as exc:  # whatever a receiver does, the attempt is logged and counted
        message = unexpected_failure_message(exc, what=f"webhook delivery {delivery_id}")
        answer = transport.Answer(status=None, body="", error=message[:300], duration_ms=0)
    _record(delivery_id, answer, started_at)
    return "sent" if answer.ok else "failed"


def _stop_for_disabled_endpoint(delivery: WebhookDelivery) -> None:
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status != D.PENDING:
            return
        locked.status = D.FAILED
        locked.last_error = _("The endpoint is disabled.")
        locked.completed_at = timezone.now()
        locked.next_attempt_at = locked.claimed_until = None
        locked.claimed_by = ""
        locked.save(
            update_fields=[
                "status",
                "last_error",
                "completed_at",
                "next_attempt_at",
                "claimed_until",
                "claimed_by",
            ]
        )


def _record(delivery_id: int, answer: transport.Answer, started_at: datetime.datetime) -> None:
    """Log the attempt; then delivered, retried later, or failed (counted against the endpoint)."""
    now = timezone.now()
    with transaction.atomic():
        # The endpoint first, then the delivery: the order every writer of both takes.
        endpoint_id = (
            WebhookDelivery.objects.filter(pk=delivery_id).values_list("endpoint_id", flat=True).first()
        )
        if endpoint_id is None:  # the endpoint was deleted meanwhile, with its deliveries
            return
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        number = locked.attempts + 1
        WebhookAttempt.objects.create(
            delivery=locked,
            number=number,
            outcome=WebhookAttempt.Outcome.SUCCEEDED if answer.ok else WebhookAttempt.Outcome.FAILED,
            started_at=started_at,
            duration_ms=answer.duration_ms,
            status_code=answer.status,
            error=answer.error
            or ("" if answer.ok else _("The receiver answered %(code)s.") % {"code": answer.status}),
            response_body=answer.body,
            replay=locked.round_attempts == 0 and locked.attempts > 0,
        )
        locked.attempts = number
        locked.round_attempts += 1
        locked.claimed_until = None
        locked.claimed_by = ""
        locked.last_status_code = answer.status
        locked.last_error = (
            "" if answer.ok else (answer.error or _("HTTP %(code)s") % {"code": answer.status})[:300]
        )
        if answer.ok:
            _finish(locked, D.SUCCEEDED, now)
            if endpoint.consecutive_failures:
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
        elif locked.round_attempts < MAX_ATTEMPTS:
            delay = retry_delay(locked.round_attempts)
            locked.next_attempt_at = now + datetime.timedelta(seconds=delay)
            _retry_later(locked, delay)
        else:
            _finish(locked, D.FAILED, now)
            _count_failure(endpoint, locked)
        locked.save(
            update_fields=[
                "attempts",
                "round_attempts",
                "claimed_until",
                "claimed_by",
                "last_status_code",
                "last_error",
                "status",
                "next_attempt_at",
                "completed_at",
            ]
        )
    logger.info(
        "webhook attempt %s",
        "delivered" if answer.ok else "failed",
        extra={
            "delivery_id": delivery_id,
            "attempt": number,
            "status_code": answer.status,
            "ms": answer.duration_ms,
        },
    )


def _finish(locked: WebhookDelivery, status: str, now: datetime.datetime) -> None:
    locked.status = status
    locked.completed_at = now
    locked.next_attempt_at = None


def _retry_later(locked: WebhookDelivery, delay: int) -> None:
    """The retry's own task, unless the wait is longer than the broker keeps a message unacked
    (Redis would hand it out again meanwhile): then the sweep starts it when it is due."""
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    if delay < visibility:
        task_enqueue(DELIVER_TASK, countdown=delay, delivery_id=locked.pk)


def _count_failure(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> None:
    """One more failed delivery in a row for the (locked) endpoint; at the limit it is disabled
    and the tenant's vendor admins are told."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    endpoint.refresh_from_db(fields=["consecutive_failures"])
    if endpoint.is_enabled and endpoint.consecutive_failures >= disable_after():
        endpoint_disable(
            endpoint=endpoint,
            acting_membership=None,
            reason=_("%(n)d deliveries in a row failed (the last: %(error)s).")
            % {"n": endpoint.consecutive_failures, "error": delivery.last_error},
        )


# --- the sweep -----------------------------------------------------------------------------------------


def deliveries_start_due(now: datetime.datetime | None = None) -> int:
    """Start the current tenant's pending deliveries that are due and held by nobody: their task
    was lost, or their retry was too far away to wait in the broker."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(status=D.PENDING, next_attempt_at__lte=now - SWEEP_GRACE)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for delivery_id in due:
        task_enqueue(DELIVER_TASK, delivery_id=delivery_id)
    return len(due)
