"""Drafts: a partner starts a registration (directly or from an accepted lead) and edits it, with
its product lines, until it is submitted. Drafts reserve nothing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from deals.models import (
    DealLine,
    DealRegistration,
)
from deals.services.common import (
    S,
    locked_registration,
    refreshed,
    require_partner_member,
)
from partners.selectors import require_active_partner
from prm.accounts.models import Membership
from prm.audit.services import audit, snapshot
from prm.lib.money import check_minor_units, quantize_money
from prm.lib.names import normalise_domain, normalise_name
from prm.roles import Perm, membership_has
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError, require

DRAFT_FIELDS = (
    "customer_name",
    "customer_domain",
    "country",
    "region",
    "postal_code",
    "industry",
    "address",
    "contact_name",
    "contact_email",
    "contact_phone",
    "currency",
    "expected_close_date",
    "deal_type",
    "distributor",
    "competitors",
    "notes",
)


def line_value(value: Decimal, currency: str) -> Decimal:
    """A line value in the registration's currency: as many decimals as the currency has (JPY
    none, KWD three), refused with a message rather than rounded."""
    if not currency:
        if value:
            raise DomainError(_("Choose the registration's currency before entering values."))
        return value
    return quantize_money(check_minor_units(value, currency), currency)


def clean_lines(lines: Sequence[dict[str, Any]], currency: str) -> list[dict[str, Any]]:
    cleaned = []
    for line in lines:
        product_line = str(line.get("product_line") or "").strip()
        if not product_line:
            continue
        quantity = int(line.get("quantity") or 1)
        value = Decimal(str(line.get("value") or "0"))
        if quantity < 1:
            raise DomainError(_("A quantity must be at least 1."))
        if value < 0:
            raise DomainError(_("A value cannot be negative."))
        cleaned.append(
            {"product_line": product_line, "quantity": quantity, "value": line_value(value, currency)}
        )
    return cleaned


def _apply_fields(registration: DealRegistration, data: dict[str, Any]) -> list[str]:
    changed = []
    for name in DRAFT_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, str):
            value = value.strip()
        if name == "country" and value:
            value = value.upper()
        if name == "currency" and value:
            value = value.upper()
        if name == "customer_domain":
            value = normalise_domain(value or "")
        if getattr(registration, name) != value:
            setattr(registration, name, value)
            changed.append(name)
    registration.customer_name_normalised = normalise_name(registration.customer_name)
    return changed


def _replace_lines(registration: DealRegistration, lines: list[dict[str, Any]]) -> None:
    tenant = require_tenant()
    registration.lines.all().delete()
    DealLine.objects.bulk_create(
        [DealLine(tenant=tenant, registration=registration, **line) for line in lines]
    )
    sync_totals(registration, lines)


def sync_totals(registration: DealRegistration, lines: Iterable[dict[str, Any]]) -> None:
    items = list(lines)
    registration.value = sum((line["value"] for line in items), Decimal("0"))
    registration.product_lines = sorted({line["product_line"] for line in items})


def registration_create(
    *, acting_membership: Membership, data: dict[str, Any], lines: Sequence[dict[str, Any]] = (), lead=None
) -> DealRegistration:
    """Start a draft registration for the member's partner. Drafts reserve nothing."""
    require(
        membership_has(acting_membership, Perm.DEAL_REGISTER) and acting_membership.partner_id is not None
    )
    require_active_partner(acting_membership.partner)
    data = {"currency": require_tenant().base_currency, **data}
    with transaction.atomic():
        registration = DealRegistration(
            partner_id=acting_membership.partner_id,
            created_by=acting_membership.user,
            owner=acting_membership.user,
            status=S.DRAFT,
            lead=lead,
        )
        _apply_fields(registration, data)
        registration.save()
        _replace_lines(registration, clean_lines(lines, registration.currency))
        registration.save(update_fields=["value", "product_lines", "updated_at"])
        audit(
            actor=acting_membership.user,
            action="deal.create",
            obj=registration,
            after=snapshot(registration, ["status", "customer_name", "country", "value"]),
        )
    return registration


def registration_update_draft(
    *,
    registration: DealRegistration,
    acting_membership: Membership,
    data: dict[str, Any],
    lines: Sequence[dict[str, Any]] | None = None,
) -> DealRegistration:
    """Save a draft (or a registration sent back for information): fields and, if given, lines."""
    with transaction.atomic():
        locked = locked_registration(registration)
        require_partner_member(acting_membership, locked)
        if locked.status not in DealRegistration.EDITABLE:
            raise DomainError(_("Only drafts and registrations sent back for information can be edited."))
        before = snapshot(locked, [*list(DRAFT_FIELDS), "value"])
        changed = _apply_fields(locked, data)
        if lines is None and "currency" in changed:
            # The values already entered must fit the new currency's minor unit.
            for line in locked.lines.all():
                line_value(line.value, locked.currency)
        if lines is not None:
            cleaned = clean_lines(lines, locked.currency)
            current = [(line.product_line, line.quantity, line.value) for line in locked.lines.all()]
            if current != [(x["product_line"], x["quantity"], x["value"]) for x in cleaned]:
                _replace_lines(locked, cleaned)
                changed += ["value", "product_lines"]
        if changed:
            locked.save(update_fields=[*set(changed), "customer_name_normalised", "updated_at"])
            audit(
                actor=acting_membership.user,
                action="deal.update",
                obj=locked,
                before=before,
                after=snapshot(locked, [*list(DRAFT_FIELDS), "value"]),
            )
    return refreshed(registration)
