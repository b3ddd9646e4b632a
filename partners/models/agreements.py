"""Partner agreements: versioned templates per program and the signatures of partners."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partners.models.core import Partner, Program
from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel


class AgreementTemplate(TenantModel):
    """One version of a program's agreement text with merge fields such as ``{{ partner_name }}``."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    program = TenantForeignKey(Program, on_delete=models.CASCADE, related_name="agreement_templates")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(
        help_text=_(
            "Plain text; blank lines separate paragraphs. Merge fields: {{ partner_name }}, {{ partner_code }}, {{ partner_address }}, {{ partner_country }}, {{ tier }}, {{ program }}, {{ vendor }}, {{ effective_date }}, {{ today }}."
        )
    )
    requires_resign = models.BooleanField(
        default=True, help_text=_("Partners who signed an earlier version must sign this one.")
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "program", "version"], name="agreement_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class Agreement(TenantModel):
    """A partner's copy of one template version: the exact PDF prepared for signing and, once
    signed, the evidence (typed name, consent, time, IP, user agent, SHA-256) and the signed PDF."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting signature")
        SIGNED = "signed", _("Signed")

    partner = TenantForeignKey(Partner, on_delete=models.PROTECT, related_name="agreements")
    template = TenantForeignKey(AgreementTemplate, on_delete=models.PROTECT, related_name="agreements")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    document_path = models.CharField(max_length=500)
    document_sha256 = models.CharField(max_length=64)
    signed_pdf_path = models.CharField(max_length=500, blank=True)
    signed_pdf_sha256 = models.CharField(max_length=64, blank=True)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signer_name = models.CharField(max_length=200, blank=True)
    consent = models.BooleanField(default=False)
    signed_at = models.DateTimeField(null=True, blank=True)
    signer_ip = models.GenericIPAddressField(null=True, blank=True)
    signer_user_agent = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner", "template"], name="agreement_partner_template_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner.code} · {self.template}"
