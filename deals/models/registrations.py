"""Deal registrations: the partner's end customers, registrations with their product lines, files and
extensions, and the conflicts found between them (and with direct opportunities)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from deals.models.opportunities import DirectOpportunity
from prm.lib.money import AMOUNT_DECIMALS, AMOUNT_DIGITS
from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel, currency_validator


class Customer(TenantModel):
    """An end customer, as a partner knows it (``partner`` set) or as the vendor knows it."""

    partner = TenantForeignKey(
        "partners.Partner", on_delete=models.CASCADE, null=True, blank=True, related_name="deal_customers"
    )
    legal_name = models.CharField(max_length=200)
    name_normalised = models.CharField(max_length=200, db_index=True)
    domain = models.CharField(max_length=253, blank=True)
    country = models.CharField(max_length=2)
    address = models.CharField(max_length=300, blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["legal_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner", "country", "name_normalised"], name="deal_customer_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.country})"


class DealRegistration(TenantModel):
    """A partner's claim to an opportunity at an end customer; once approved the partner is
    protected (no other partner gets it registered) until ``protection_until``."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        UNDER_REVIEW = "under_review", _("Under review")
        INFO_REQUESTED = "info_requested", _("Information requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")
        EXPIRED = "expired", _("Expired")

    class DealType(models.TextChoices):
        NEW = "new", _("New business")
        RENEWAL = "renewal", _("Renewal")

    class ConflictFlag(models.TextChoices):
        NONE = "none", _("No conflict")
        NEAR = "near", _("Possible conflict")
        EXACT = "exact", _("Conflict")

    class RejectionCode(models.TextChoices):
        CONFLICT = "conflict", _("Registered first by another partner")
        DIRECT = "direct", _("Vendor direct opportunity")
        INCOMPLETE = "incomplete", _("Incomplete or not qualified")
        DUPLICATE = "duplicate", _("Duplicate registration")
        NOT_ELIGIBLE = "not_eligible", _("Customer or product not eligible")
        OTHER = "other", _("Other")

    TRANSITIONS = {
        Status.DRAFT: {Status.SUBMITTED},
        Status.SUBMITTED: {Status.UNDER_REVIEW},
        Status.UNDER_REVIEW: {Status.APPROVED, Status.REJECTED, Status.INFO_REQUESTED},
        Status.INFO_REQUESTED: {Status.SUBMITTED},
        Status.APPROVED: {Status.WON, Status.LOST, Status.EXPIRED},
        Status.REJECTED: set(),
        Status.WON: set(),
        Status.LOST: set(),
        Status.EXPIRED: set(),
    }
    # "Active" in the conflict rule: submitted, under review (info requested counts: it is still
    # being reviewed) or approved and not expired.
    ACTIVE = (Status.SUBMITTED, Status.UNDER_REVIEW, Status.INFO_REQUESTED, Status.APPROVED)
    EDITABLE = (Status.DRAFT, Status.INFO_REQUESTED)
    OPEN_FOR_REVIEW = (Status.SUBMITTED, Status.UNDER_REVIEW)

    partner = TenantForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="deal_registrations"
    )
    customer = TenantForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="registrations"
    )
    lead = TenantForeignKey(
        "Lead", on_delete=models.SET_NULL, null=True, blank=True, related_name="registrations"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)

    customer_name = models.CharField(_("customer legal name"), max_length=200, blank=True)
    customer_name_normalised = models.CharField(max_length=200, blank=True)
    customer_domain = models.CharField(_("customer web domain"), max_length=253, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO 3166-1 alpha-2"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    region = models.CharField(_("region"), max_length=64, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    industry = models.CharField(_("industry"), max_length=64, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    # The territory the customer falls in (partners.territories.territory_for), set on each
    # submission: its owners review the registration and work its co-sell requests.
    territory = TenantForeignKey(
        "partners.Territory", on_delete=models.SET_NULL, null=True, blank=True, related_name="registrations"
    )
    # Two-tier: the distributor the reseller buys through; it sees this one registration (read
    # only) through a django-guardian grant, and an approval carries to its pricing agreement.
    distributor = TenantForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="distributed_registrations",
        verbose_name=_("distributor"),
    )

    currency = models.CharField(max_length=3, validators=[currency_validator])
    value = models.DecimalField(
        max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, default=Decimal("0")
    )
    product_lines = models.JSONField(default=list, blank=True)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    deal_type = models.CharField(
        _("new or renewal"), max_length=8, choices=DealType.choices, default=DealType.NEW
    )
    competitors = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)

    submitted_at = models.DateTimeField(null=True, blank=True)
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    review_due_at = models.DateTimeField(null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    conflict_flag = models.CharField(max_length=8, choices=ConflictFlag.choices, default=ConflictFlag.NONE)
    protection_days = models.PositiveIntegerField(null=True, blank=True)
    protection_until = models.DateField(null=True, blank=True)
    discount_pct = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    extension_count = models.PositiveSmallIntegerField(default=0)
    rejection_code = models.CharField(max_length=16, choices=RejectionCode.choices, blank=True)
    rejection_reason = models.TextField(blank=True)
    info_request = models.TextField(blank=True)
    closed_value = models.DecimalField(
        max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, null=True, blank=True
    )
    closed_on = models.DateField(null=True, blank=True)
    lost_reason = models.TextField(blank=True)
    # When the beat jobs last acted (idempotent reminders).
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "status"]),
            models.Index(fields=["tenant", "country", "customer_name_normalised"]),
            models.Index(fields=["tenant", "customer_domain"]),
            models.Index(fields=["tenant", "partner", "status"]),
            models.Index(fields=["tenant", "review_due_at"]),
            models.Index(fields=["tenant", "protection_until"]),
            models.Index(fields=["tenant", "territory", "status"]),
        ]
        permissions = [("view_shared_registration", "See a registration shared with one's distributor")]

    def __str__(self) -> str:
        return f"{self.reference} {self.customer_name or '—'}"

    @property
    def reference(self) -> str:
        return f"DR-{self.pk:06d}" if self.pk else "DR-new"

    @property
    def protection_days_left(self) -> int | None:
        if self.status != self.Status.APPROVED or self.protection_until is None:
            return None
        return max(0, (self.protection_until - timezone.localdate()).days)

    def is_active_on(self, day: date) -> bool:
        if self.status == self.Status.APPROVED:
            return self.protection_until is None or self.protection_until >= day
        return self.status in self.ACTIVE


class DealRegistrationUserObjectPermission(UserObjectPermissionBase, TenantModel):
    """Per-object grants on registrations (django-guardian direct foreign key): the people of a
    two-tier deal's distributor may see that one registration."""

    content_object = TenantForeignKey(DealRegistration, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        default_manager_name = "objects"
        unique_together: list[Sequence[str]] = []  # guardian's, replaced by the per-tenant one
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user", "permission", "content_object"],
                name="registration_object_permission_unique",
            )
        ]


class DealLine(TenantModel):
    """A product line of a registration: quantity and value (in the registration's currency)."""

    registration = TenantForeignKey(DealRegistration, on_delete=models.CASCADE, related_name="lines")
    product_line = models.CharField(_("product line"), max_length=100)
    quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    value = models.DecimalField(
        max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, validators=[MinValueValidator(Decimal("0"))]
    )
    added_after_approval = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.product_line} x {self.quantity}"


class DealAttachment(TenantModel):
    """A file a partner attached to a registration (stored under the tenant's folder)."""

    registration = TenantForeignKey(DealRegistration, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    path = models.CharField(max_length=500)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def audit_partner_id(self) -> int:
        """The registration's partner: the partner's history lists this object's events."""
        return self.registration.partner_id


class DealExtension(TenantModel):
    """A partner's request to extend the protection of an approved registration."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    registration = TenantForeignKey(DealRegistration, on_delete=models.CASCADE, related_name="extensions")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    days = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Extension of {self.registration.reference}"

    @property
    def audit_partner_id(self) -> int:
        """The registration's partner: the partner's history lists this object's events."""
        return self.registration.partner_id


class Conflict(TenantModel):
    """A match found when ``registration`` was checked: an earlier registration of another partner
    or a direct opportunity, with the rule that matched and its similarity score."""

    class Rule(models.TextChoices):
        NAME = "name", _("Same normalised name, same country")
        DOMAIN = "domain", _("Same web domain, same country")
        NAME_AND_DOMAIN = "name_and_domain", _("Same name and domain, same country")
        SIMILAR_NAME = "similar_name", _("Similar name")
        PARENT_SUBSIDIARY = "parent_subsidiary", _("Parent or subsidiary name")

    class Kind(models.TextChoices):
        EXACT = "exact", _("Conflict")
        NEAR = "near", _("Possible conflict")

    EXACT_RULES = (Rule.NAME, Rule.DOMAIN, Rule.NAME_AND_DOMAIN)

    registration = TenantForeignKey(DealRegistration, on_delete=models.CASCADE, related_name="conflicts")
    other_registration = TenantForeignKey(
        DealRegistration, on_delete=models.CASCADE, null=True, blank=True, related_name="conflicted_by"
    )
    direct_opportunity = TenantForeignKey(
        DirectOpportunity, on_delete=models.CASCADE, null=True, blank=True, related_name="conflicts"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    rule = models.CharField(max_length=20, choices=Rule.choices)
    score = models.DecimalField(max_digits=4, decimal_places=3)
    product_lines = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "-score", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(other_registration__isnull=False, direct_opportunity__isnull=True)
                | models.Q(other_registration__isnull=True, direct_opportunity__isnull=False),
                name="conflict_one_counterpart",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_rule_display()}"
