"""Onboarding checklists and the partner's payout details."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partners.fields import EncryptedTextField, mask
from partners.models.core import Partner, Program
from prm.tenancy.fields import TenantForeignKey, TenantOneToOneField
from prm.tenancy.models import TenantModel


class OnboardingStep(TenantModel):
    """One item of a program's onboarding checklist, due a number of days after joining."""

    class Kind(models.TextChoices):
        SIGN_AGREEMENT = "sign_agreement", _("Sign the partner agreement")
        COMPANY_PROFILE = "company_profile", _("Complete the company profile")
        PAYOUT_DETAILS = "payout_details", _("Add payout details")
        INVITE_COLLEAGUES = "invite_colleagues", _("Invite colleagues")
        CERTIFICATION = "certification", _("Complete a certification")

    program = TenantForeignKey(Program, on_delete=models.CASCADE, related_name="onboarding_steps")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField(default=0)
    due_days = models.PositiveSmallIntegerField(default=14)

    class Meta:
        ordering = ["program", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "program", "kind"], name="onboarding_step_unique")
        ]

    def __str__(self) -> str:
        return self.title


class OnboardingItem(TenantModel):
    """A partner's progress on one checklist step; completion is detected from the data."""

    partner = TenantForeignKey(Partner, on_delete=models.CASCADE, related_name="onboarding_items")
    step = TenantForeignKey(OnboardingStep, on_delete=models.CASCADE, related_name="items")
    due_date = models.DateField()
    completed_at = models.DateTimeField(null=True, blank=True)
    last_reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["step__order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "partner", "step"], name="onboarding_item_unique")
        ]
        indexes = [models.Index(fields=["tenant", "completed_at", "due_date"])]

    def __str__(self) -> str:
        return f"{self.partner.code}: {self.step}"

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None


class PayoutDetails(TenantModel):
    """Where and how the vendor pays the partner. Encrypted at rest; shown masked."""

    partner = TenantOneToOneField(Partner, on_delete=models.CASCADE, related_name="payout_details")
    account_holder = EncryptedTextField()
    account_number = EncryptedTextField(help_text=_("IBAN or account number"))
    bank_code = EncryptedTextField(blank=True, help_text=_("BIC / SWIFT or routing number"))
    tax_id = EncryptedTextField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    # Finance checks new details (e.g. a call-back to the partner) before money goes there; any
    # change clears the check.
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "partner"], name="payout_details_one_per_partner")
        ]

    def __str__(self) -> str:
        return f"{self.partner.code} payout details"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    def masked(self) -> dict[str, str]:
        return {
            "account_holder": self.account_holder,
            "account_number": mask(self.account_number),
            "bank_code": mask(self.bank_code, 3),
            "tax_id": mask(self.tax_id, 3),
        }
