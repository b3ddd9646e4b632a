from __future__ import annotations

from prm.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.sweep import Entry


def _endpoint(cast):
    """Tenant A's endpoint (rows made directly: the sweep needs rows, not a resolvable URL)."""
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.acme.example/prm",
        events=["deal.approved"],
        secret="whsec_c3dlZXAtc2VjcmV0LWZvci10aGUtdXJsLXN3ZWVw",
        created_by=cast.a.users["admin"],
    )
    return {"pk": endpoint.pk}


def _delivery(cast):
    endpoint = WebhookEndpoint.objects.get(pk=_endpoint(cast)["pk"])
    event = WebhookEvent.objects.create(
        event_type="deal.approved",
        key="1",
        message_id="msg_sweep",
        body='{"id":"msg_sweep","type":"deal.approved","tenant":"acme","occurred_at":"2026-11-02T09:00:00Z","data":{"id":1}}',
        occurred_at="2026-11-02T09:00:00Z",
    )
    delivery = WebhookDelivery.objects.create(
        event=event, endpoint=endpoint, status=WebhookDelivery.Status.FAILED
    )
    return {"pk": delivery.pk}


# Vendor admins only: a partner's people get 403 for any object, which reveals nothing.
ENTRIES = {
    "webhooks:endpoints": Entry(),
    "webhooks:endpoint_new": Entry(methods=("GET", "POST")),
    "webhooks:endpoint_detail": Entry(kwargs=_endpoint),
    "webhooks:endpoint_edit": Entry(kwargs=_endpoint, methods=("GET", "POST")),
    "webhooks:endpoint_rotate": Entry(kwargs=_endpoint, methods=("POST",)),
    "webhooks:endpoint_disable": Entry(kwargs=_endpoint, methods=("POST",)),
    "webhooks:endpoint_enable": Entry(kwargs=_endpoint, methods=("POST",)),
    "webhooks:endpoint_delete": Entry(kwargs=_endpoint, methods=("POST",)),
    "webhooks:delivery_detail": Entry(kwargs=_delivery),
    "webhooks:delivery_replay": Entry(kwargs=_delivery, methods=("POST",)),
}
