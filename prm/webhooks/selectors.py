"""Reading webhook endpoints and their deliveries: vendor staff with the capability, their own
tenant's only (another tenant's or a partner member's request is a 404)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from prm.accounts.models import Membership
from prm.roles import Perm, membership_has
from prm.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def _may_manage(membership: Membership) -> bool:
    return membership.is_staff_member and membership_has(membership, Perm.WEBHOOK_MANAGE)


def endpoints_for_membership(membership: Membership) -> QuerySet[WebhookEndpoint]:
    if not _may_manage(membership):
        return WebhookEndpoint.objects.none()
    return WebhookEndpoint.objects.all()


def get_endpoint_for_membership_or_404(membership: Membership, pk: int) -> WebhookEndpoint:
    return get_object_or_404(endpoints_for_membership(membership), pk=pk)


def deliveries_of(endpoint: WebhookEndpoint, *, status: str = "") -> QuerySet[WebhookDelivery]:
    """The endpoint's deliveries, newest first, with their events (one query per page)."""
    qs = (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .order_by("-created_at", "-id")
    )
    if status in WebhookDelivery.Status.values:
        qs = qs.filter(status=status)
    return qs


def get_delivery_for_membership_or_404(membership: Membership, pk: int) -> WebhookDelivery:
    if not _may_manage(membership):
        return get_object_or_404(WebhookDelivery.objects.none(), pk=pk)
    return get_object_or_404(WebhookDelivery.objects.select_related("event", "endpoint"), pk=pk)


def attempts_of(delivery: WebhookDelivery) -> QuerySet[WebhookAttempt]:
    return WebhookAttempt.objects.filter(delivery=delivery).order_by("-number")
