"""Records of the platform operator's work on whole tenants (global, not tenant-owned: a deletion
record outlives the tenant it deleted)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TenantDeletion(models.Model):
    """A platform operator's decision to delete a tenant: the tenant closes at once, its data is
    purged after the grace period (unless cancelled), and the row keeps what was deleted."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")
        PURGED = "purged", _("Purged")

    TRANSITIONS = {
        Status.SCHEDULED: {Status.CANCELLED, Status.PURGED},
        Status.CANCELLED: set(),
        Status.PURGED: set(),
    }

    # Plain values, not a foreign key: the tenant row is gone after the purge. (Not "tenant_id":
    # a table with that column is a tenant table, under row-level security.)
    deleted_tenant_id = models.BigIntegerField(db_index=True)
    slug = models.CharField(max_length=63)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    export_job_id = models.BigIntegerField(help_text="The export job the deletion was requested after.")
    export_file = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField()
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    rows_deleted = models.JSONField(default=dict, blank=True)  # table -> rows
    files_deleted = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["deleted_tenant_id"],
                condition=models.Q(status="scheduled"),
                name="prm_one_scheduled_deletion_per_tenant",
            )
        ]

    def __str__(self) -> str:
        return f"deletion of {self.slug} ({self.status})"
