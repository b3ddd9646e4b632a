"""The tenant's deal settings: review SLA, protection, extensions, lead distribution, the
registration guidelines partners read and the eligibility rules a submission must meet."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from prm.lib.money import AMOUNT_DECIMALS, AMOUNT_DIGITS
from prm.tenancy.context import require_tenant
from prm.tenancy.models import TenantModel


class DealSettings(TenantModel):
    """The tenant's deal registration and lead policies (one row per tenant, defaults from DOMAIN.md)."""

    class Distribution(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round-robin")
        WEIGHTED = "weighted", _("Weighted by tier")

    protection_days = models.PositiveIntegerField(_("protection period (days)"), default=90)
    extension_days = models.PositiveIntegerField(_("extension length (days)"), default=30)
    max_extensions = models.PositiveSmallIntegerField(_("extensions allowed per registration"), default=1)
    review_sla_hours = models.PositiveIntegerField(_("review SLA (hours)"), default=72)
    review_reminder_hours = models.PositiveIntegerField(
        _("remind reviewers this many hours before the SLA lapses"), default=24
    )
    expiry_warning_days = models.PositiveIntegerField(_("warn partners days before expiry"), default=14)
    fuzzy_threshold = models.DecimalField(
        _("near-match similarity threshold"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.60"),
        validators=[MinValueValidator(Decimal("0.10")), MaxValueValidator(Decimal("1.00"))],
        help_text=_(
            "pg_trgm similarity (0-1) of normalised names above which a registration is a possible conflict."
        ),
    )
    lead_sla_hours = models.PositiveIntegerField(_("lead response SLA (hours)"), default=48)
    max_open_leads = models.PositiveIntegerField(_("default capacity (open leads per partner)"), default=10)
    distribution = models.CharField(
        max_length=16, choices=Distribution.choices, default=Distribution.ROUND_ROBIN
    )
    tier_order = models.CharField(
        _("tier order (lowest first)"),
        max_length=200,
        default="Registered,Silver,Gold,Platinum",
        help_text=_("Comma-separated tier names, used for minimum tiers and weighting."),
    )

    # What partners read above the registration form: HTML cleaned by prm.lib.html on save.
    registration_guidelines = models.TextField(_("registration guidelines"), blank=True)
    # Eligibility rules, checked at submission (deals.eligibility); empty = no restriction.
    min_deal_value = models.DecimalField(
        _("minimum deal value"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_DECIMALS,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "In the base currency; registrations in other currencies are converted at the day's rate."
        ),
    )
    eligible_product_lines = models.JSONField(_("eligible product lines"), default=list, blank=True)
    eligible_countries = models.JSONField(_("eligible customer countries"), default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="deal_settings_one_per_tenant")]
        verbose_name_plural = "deal settings"

    def __str__(self) -> str:
        return "Deal settings"

    @classmethod
    def current(cls) -> DealSettings:
        tenant = require_tenant()
        found = cls.objects.filter(tenant=tenant).first()
        if found is not None:
            return found
        obj, _created = cls.objects.get_or_create(tenant=tenant)
        return obj

    def tier_rank(self, tier: str) -> int:
        """0 for the lowest tier named in ``tier_order``; -1 for a tier not in the list."""
        names = [t.strip().casefold() for t in self.tier_order.split(",") if t.strip()]
        key = (tier or "").strip().casefold()
        return names.index(key) if key in names else -1
