"""The audit log: who did what to which object, with before/after. Rows are immutable (a
database trigger rejects UPDATE and DELETE). Each event names the partner whose business it is
(when there is one), so that a partner's history is one indexed look-up."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel


class AuditEvent(TenantModel):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    # The partner the object belongs to (the partner itself for a partner), set when recording.
    partner = TenantForeignKey(
        settings.PRM_PARTNER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "object_type", "object_id"]),
            models.Index(fields=["tenant", "action"]),
            models.Index(fields=["tenant", "-created_at"]),
            models.Index(fields=["tenant", "partner", "-created_at"], name="audit_partner_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"
