"""In-app notifications (e-mail copies are sent on commit)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from prm.tenancy.models import TenantModel


class Notification(TenantModel):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    verb = models.CharField(max_length=80)
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=500, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "recipient", "read_at"])]

    def __str__(self) -> str:
        return self.message
