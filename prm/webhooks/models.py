"""Webhooks: the endpoints a tenant registers, the events recorded for them, one delivery per
event and endpoint, and every attempt to send it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from prm.fields import EncryptedTextField
from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel


class WebhookEndpoint(TenantModel):
    """A URL of the tenant's own systems (CRM, ERP, integration platform) that receives the events
    it subscribed to, signed with its secret (Standard Webhooks). Disabled by hand, or by the
    delivery service after repeated failures."""

    class Status(models.TextChoices):
        ENABLED = "enabled", _("Enabled")
        DISABLED = "disabled", _("Disabled")

    TRANSITIONS = {Status.ENABLED: {Status.DISABLED}, Status.DISABLED: {Status.ENABLED}}

    url = models.URLField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = ArrayField(models.CharField(max_length=64), verbose_name=_("events"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ENABLED)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # The signing secret (``whsec_`` + base64), encrypted at rest; after a rotation the previous
    # one signs too until ``previous_secret_until``, so receivers can switch without a gap.
    secret = EncryptedTextField()
    previous_secret = EncryptedTextField(blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    # Deliveries in a row that used up their attempts; the endpoint is disabled at the limit.
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "status"])]

    def __str__(self) -> str:
        return self.url

    @property
    def is_enabled(self) -> bool:
        return self.status == self.Status.ENABLED


class WebhookEvent(TenantModel):
    """Something that happened, as sent: ``body`` is the exact JSON every attempt sends (and
    signs), ``message_id`` its ``webhook-id``. Recorded once per (type, key): publishing the same
    occurrence again adds nothing. Kept only when an endpoint subscribed to it."""

    event_type = models.CharField(max_length=64)
    key = models.CharField(max_length=200)
    message_id = models.CharField(max_length=40)
    body = models.TextField()
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "event_type", "key"], name="webhook_event_once"),
            models.UniqueConstraint(fields=["tenant", "message_id"], name="webhook_message_id_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"


class WebhookDelivery(TenantModel):
    """One event for one endpoint: pending until an attempt succeeds or the attempts of the round
    are used up. A replay starts a new round (same ``webhook-id``, same body)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed")

    # A finished delivery goes back to pending only when someone replays it.
    TRANSITIONS = {
        Status.PENDING: {Status.SUCCEEDED, Status.FAILED},
        Status.SUCCEEDED: {Status.PENDING},
        Status.FAILED: {Status.PENDING},
    }

    event = TenantForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = TenantForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)  # all attempts, replays included
    round_attempts = models.PositiveIntegerField(default=0)  # attempts since the last (re)start
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker sending it holds it until then (a second copy of the task does nothing meanwhile);
    # ``claimed_by`` is that run's task message id: the same message redelivered after its
    # worker died takes the delivery over at once and sends it again (same webhook-id).
    claimed_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "event", "endpoint"], name="webhook_delivery_once"),
        ]
        indexes = [
            models.Index(fields=["tenant", "endpoint", "created_at"]),
            models.Index(
                fields=["tenant", "next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event.event_type} -> {self.endpoint.url}"


class WebhookAttempt(TenantModel):
    """One try to send a delivery: when, how long, what the receiver answered (or the error)."""

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed")

    delivery = TenantForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    response_body = models.TextField(blank=True)  # the first characters only
    replay = models.BooleanField(default=False)  # the first attempt of a replay round

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "delivery", "number"], name="webhook_attempt_once"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.outcome}"
