"""API keys (the credentials of integrations) and the stored outcomes of idempotent requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from prm.accounts.models import Membership
from prm.roles import PARTNER_ROLES, Role
from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel


class ApiKey(TenantModel):
    """A credential a system (the vendor's CRM or ERP, a partner's ERP) uses instead of a person.

    A vendor key acts with one vendor role for the whole tenant; a partner key acts as that
    partner's admin and sees only that partner's records. ``scopes`` narrow either further to the
    resources (read or write) the integration needs. The secret is shown once and stored only as
    its SHA-256 (the secret is 32 random bytes: a slow hash adds nothing against guessing it).
    ``service_user`` is the key's identity in the audit trail and in ``created_by`` columns: a
    user that cannot sign in and belongs to no tenant as a member (so nobody notifies or lists it).
    """

    class Kind(models.TextChoices):
        VENDOR = "vendor", _("Vendor-wide")
        PARTNER = "partner", _("Bound to a partner")

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    role = models.CharField(_("acts as"), max_length=32, choices=Role.choices)
    partner = TenantForeignKey(
        settings.PRM_PARTNER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scopes = models.JSONField(_("scopes"), default=list)
    prefix = models.CharField(max_length=16)
    secret_hash = models.CharField(max_length=64)
    service_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Recorded at most once a minute per key (api.authentication), not on every request.
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "prefix"], name="api_key_prefix_unique"),
            models.UniqueConstraint(
                fields=["tenant", "name"],
                condition=models.Q(revoked_at__isnull=True),
                name="api_key_live_name",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind="partner", partner__isnull=False, role__in=sorted(r.value for r in PARTNER_ROLES)
                    )
                    | (
                        models.Q(kind="vendor", partner__isnull=True)
                        & ~models.Q(role__in=sorted(r.value for r in PARTNER_ROLES))
                    )
                ),
                name="api_key_partner_iff_partner_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None

    def acting_membership(self) -> Membership:
        """The membership the key acts with: its role (and partner) in its tenant, held in memory
        only. Every service and selector checks it exactly as it checks a person's membership;
        it is never saved, so the key is nobody's colleague, approver or notification recipient."""
        return Membership(
            tenant=self.tenant,
            user=self.service_user,
            role=self.role,
            partner=self.partner,
            assigned_partners_only=False,
            is_active=self.is_live,
        )


class IdempotencyRecord(TenantModel):
    """The outcome of a POST sent with an ``Idempotency-Key``: a retry with the same key gets this
    response again instead of running twice; the same key with another request is refused. The
    row is inserted in the transaction that runs the request, so a concurrent duplicate waits on
    the unique index until the first commits (or rolls back: then it runs itself)."""

    api_key = TenantForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "api_key", "key"], name="api_idempotency_once")
        ]
        indexes = [models.Index(fields=["tenant", "created_at"])]

    def __str__(self) -> str:
        return f"{self.api_key_id}:{self.key}"
