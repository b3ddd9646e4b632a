"""Recruitment: applications from companies that want to join a partner program."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partners.models.core import Partner, Program, RevenueBand
from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel


class PartnerApplication(TenantModel):
    """A company's application submitted through the public form on the tenant's portal."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        INFO_REQUESTED = "info_requested", _("More information requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    company = models.CharField(max_length=200)
    website = models.URLField()
    domain = models.CharField(max_length=253, db_index=True, help_text=_("The website's host, normalised"))
    country = models.CharField(max_length=2)
    region = models.CharField(max_length=64, blank=True)
    type = models.CharField(max_length=16, choices=Partner.Type.choices)
    expertise = models.JSONField(default=list, blank=True)
    revenue_band = models.CharField(max_length=16, choices=RevenueBand.choices)
    contact_name = models.CharField(max_length=200)
    contact_email = models.EmailField()
    contact_phone = models.CharField(max_length=40, blank=True)
    message = models.TextField(blank=True)
    program = TenantForeignKey(Program, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # Another application or partner with the same website domain exists.
    is_duplicate = models.BooleanField(default=False)
    duplicate_note = models.CharField(max_length=300, blank=True)
    info_request = models.TextField(blank=True)
    rejection_reason = models.TextField(blank=True)
    # Single-use link for the applicant to amend after an information request.
    # NULL, not "", when there is none: NULLs do not collide in the per-tenant unique constraint.
    amend_token = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    partner = TenantForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    submitted_ip = models.GenericIPAddressField(null=True, blank=True)
    submitted_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["tenant", "status"]), models.Index(fields=["tenant", "domain"])]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "amend_token"], name="application_amend_token_unique")
        ]

    def __str__(self) -> str:
        return self.company
