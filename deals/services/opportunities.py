"""The vendor's direct opportunities (own pipeline) and the tenant's deal settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from deals.models import DealSettings, DirectOpportunity
from prm.accounts.models import Membership
from prm.audit.services import audit, snapshot
from prm.lib.html import sanitize_html
from prm.lib.money import check_minor_units, quantize_money
from prm.lib.names import normalise_domain, normalise_name
from prm.roles import Perm, membership_has
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError, require

OPPORTUNITY_FIELDS = [
    "reference",
    "customer_name",
    "customer_domain",
    "country",
    "product_lines",
    "value",
    "currency",
    "expected_close_date",
    "sales_owner",
    "status",
]
SETTINGS_FIELDS = [
    "protection_days",
    "extension_days",
    "max_extensions",
    "review_sla_hours",
    "review_reminder_hours",
    "expiry_warning_days",
    "fuzzy_threshold",
    "lead_sla_hours",
    "max_open_leads",
    "distribution",
    "tier_order",
    "registration_guidelines",
    "min_deal_value",
    "eligible_product_lines",
    "eligible_countries",
]


def _opportunity_values(data: dict[str, Any]) -> dict[str, Any]:
    """The cleaned fields of a direct opportunity (create and upsert read the same input)."""
    currency = (data.get("currency") or require_tenant().base_currency).upper()
    lines = sorted({str(x).strip() for x in data.get("product_lines") or [] if str(x).strip()})
    name = (data.get("customer_name") or "").strip()
    country = (data.get("country") or "").strip().upper()
    reference = (data.get("reference") or "").strip()
    if not (name and len(country) == 2 and lines and reference):
        raise DomainError(
            _("A direct opportunity needs a reference, a customer, a country and product lines.")
        )
    status = data.get("status") or DirectOpportunity.Status.OPEN
    if status not in DirectOpportunity.Status.values:
        raise DomainError(_("Unknown status."))
    return {
        "reference": reference,
        "customer_name": name,
        "customer_name_normalised": normalise_name(name),
        "customer_domain": normalise_domain(data.get("customer_domain") or ""),
        "country": country,
        "product_lines": lines,
        "value": quantize_money(
            check_minor_units(Decimal(str(data.get("value") or "0")), currency), currency
        ),
        "currency": currency,
        "expected_close_date": data.get("expected_close_date"),
        "sales_owner": (data.get("sales_owner") or "").strip(),
        "status": status,
    }


def direct_opportunity_create(*, acting_membership: Membership, data: dict[str, Any]) -> DirectOpportunity:
    """Record a vendor-owned opportunity; partner registrations submitted later conflict with it."""
    require(membership_has(acting_membership, Perm.OPPORTUNITY_MANAGE))
    values = _opportunity_values(data)
    if DirectOpportunity.objects.filter(reference=values["reference"]).exists():
        raise DomainError(_("Reference %(ref)s is already used.") % {"ref": values["reference"]})
    return _insert(acting_membership, values)


def _insert(acting_membership: Membership, values: dict[str, Any]) -> DirectOpportunity:
    with transaction.atomic():
        opportunity = DirectOpportunity.objects.create(created_by=acting_membership.user, **values)
        audit(
            actor=acting_membership.user,
            action="direct_opportunity.create",
            obj=opportunity,
            after=snapshot(opportunity, OPPORTUNITY_FIELDS),
        )
    return opportunity


def direct_opportunity_upsert(
    *, acting_membership: Membership, data: dict[str, Any]
) -> tuple[DirectOpportunity, bool]:
    """The CRM's sync path: the opportunity with this reference (its external id) is created, or
    brought in line with ``data`` (fields and status, audited when anything changed). Returns the
    opportunity and whether it was created. Two syncs of a new reference at once: one creates it,
    the other updates it."""
    require(membership_has(acting_membership, Perm.OPPORTUNITY_MANAGE))
    values = _opportunity_values(data)
    with transaction.atomic():
        existing = DirectOpportunity.objects.select_for_update().filter(reference=values["reference"]).first()
        if existing is None:
            try:
                return _insert(acting_membership, values), True
            except IntegrityError:  # created by a concurrent sync since we looked
                existing = DirectOpportunity.objects.select_for_update().get(reference=values["reference"])
        before = snapshot(existing, OPPORTUNITY_FIELDS)
        changed = [name for name, value in values.items() if getattr(existing, name) != value]
        for name in changed:
            setattr(existing, name, values[name])
        if changed:
            existing.save(update_fields=changed)
            audit(
                actor=acting_membership.user,
                action="direct_opportunity.update",
                obj=existing,
                before=before,
                after=snapshot(existing, OPPORTUNITY_FIELDS),
            )
    return existing, False


def direct_opportunity_set_status(
    *, opportunity: DirectOpportunity, acting_membership: Membership, status: str
) -> DirectOpportunity:
    require(membership_has(acting_membership, Perm.OPPORTUNITY_MANAGE))
    if status not in DirectOpportunity.Status.values:
        raise DomainError(_("Unknown status."))
    with transaction.atomic():
        locked = DirectOpportunity.objects.select_for_update().get(pk=opportunity.pk)
        before = snapshot(locked, ["status"])
        locked.status = status
        locked.save(update_fields=["status"])
        audit(
            actor=acting_membership.user,
            action="direct_opportunity.status",
            obj=locked,
            before=before,
            after=snapshot(locked, ["status"]),
        )
    opportunity.refresh_from_db()
    return opportunity


def deal_settings_update(*, acting_membership: Membership, data: dict[str, Any]) -> DealSettings:
    require(membership_has(acting_membership, Perm.DEAL_SETTINGS))
    with transaction.atomic():
        current = DealSettings.current()
        settings = DealSettings.objects.select_for_update().get(pk=current.pk)
        before = snapshot(settings, SETTINGS_FIELDS)
        for name in SETTINGS_FIELDS:
            if name in data:
                setattr(settings, name, data[name])
        # Partners' browsers render the guidelines: only the allow-listed HTML is ever stored.
        settings.registration_guidelines = sanitize_html(settings.registration_guidelines)
        if settings.min_deal_value is not None:
            check_minor_units(settings.min_deal_value, require_tenant().base_currency)
        settings.full_clean(exclude=["tenant"])
        settings.save()
        audit(
            actor=acting_membership.user,
            action="deal_settings.update",
            obj=settings,
            before=before,
            after=snapshot(settings, SETTINGS_FIELDS),
        )
    return settings
