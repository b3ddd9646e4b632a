"""Writes of special pricing agreements: create, amend (a new version; the previous terms are
kept), cancel. Vendor staff act in the back office; ``import_data --kind agreements`` runs
``agreement_upsert`` per agreement of the file."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from claims.models import AgreementLine, AgreementVersion, PricingAgreement
from partners.models import Partner
from partners.selectors import partner_admins, partners_for_membership
from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.catalog.models import Product
from prm.lib.money import check_minor_units
from prm.lib.names import normalise_name
from prm.notifications.services import notify
from prm.roles import Perm, membership_has
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError, check_transition, require

A = PricingAgreement.Status


@dataclass(frozen=True)
class LineTerms:
    """The terms of one agreement line as entered or imported."""

    product: Product
    book_cost: Decimal
    approved_cost: Decimal
    authorized_quantity: int
    max_resale_price: Decimal | None = None


@dataclass(frozen=True)
class AgreementTerms:
    end_customer: str
    start_date: datetime.date
    end_date: datetime.date
    lines: list[LineTerms]


def _check_terms(terms: AgreementTerms, currency: str) -> None:
    if not terms.end_customer.strip() or not normalise_name(terms.end_customer):
        raise DomainError(_("Name the end customer."))
    if terms.end_date < terms.start_date:
        raise DomainError(_("The end date must be on or after the start date."))
    if not terms.lines:
        raise DomainError(_("An agreement needs at least one line."))
    seen: set[int] = set()
    for line in terms.lines:
        sku = line.product.sku
        if line.product.pk in seen:
            raise DomainError(_("%(sku)s appears twice; give each SKU one line.") % {"sku": sku})
        seen.add(line.product.pk)
        amounts = [line.book_cost, line.approved_cost] + (
            [line.max_resale_price] if line.max_resale_price is not None else []
        )
        for amount in amounts:
            if amount < 0:
                raise DomainError(_("%(sku)s: costs and prices cannot be negative.") % {"sku": sku})
            check_minor_units(amount, currency)
        if line.approved_cost > line.book_cost:
            raise DomainError(_("%(sku)s: the approved cost must not be above the book cost.") % {"sku": sku})
        if line.authorized_quantity <= 0:
            raise DomainError(_("%(sku)s: the authorised quantity must be positive.") % {"sku": sku})


def _require_manage(acting_membership: Membership | None, partner: Partner) -> None:
    """Staff with the capability, within their partner scope; None: the command line."""
    if acting_membership is None:
        return
    require(membership_has(acting_membership, Perm.SPA_MANAGE))
    if not partners_for_membership(acting_membership).filter(pk=partner.pk).exists():
        raise DomainError(_("You cannot manage agreements of this partner."))


def _actor(acting_membership: Membership | None):
    return acting_membership.user if acting_membership is not None else None


def terms_snapshot(agreement: PricingAgreement) -> dict[str, Any]:
    """The agreement's terms as JSON (kept in the version history and the audit log)."""
    return {
        "version": agreement.version,
        "end_customer": agreement.end_customer,
        "start_date": agreement.start_date.isoformat(),
        "end_date": agreement.end_date.isoformat(),
        "status": agreement.status,
        "lines": [
            {
                "sku": line.product.sku,
                "book_cost": str(line.book_cost),
                "approved_cost": str(line.approved_cost),
                "authorized_quantity": line.authorized_quantity,
                "max_resale_price": None if line.max_resale_price is None else str(line.max_resale_price),
            }
            for line in agreement.lines.select_related("product").order_by("product__sku")
        ],
    }


def _write_lines(agreement: PricingAgreement, lines: list[LineTerms]) -> None:
    """Make the agreement's lines these: change the ones kept, add new ones, remove dropped ones
    that no claim has used. Authorised quantities never go below what claims consumed."""
    existing = {
        line.product_id: line
        for line in AgreementLine.objects.select_for_update().filter(agreement=agreement)
    }
    wanted = {line.product.pk for line in lines}
    for product_id, line in existing.items():
        if product_id in wanted:
            continue
        if line.consumed_quantity or line.claim_lines.exists():
            raise DomainError(
                _("%(sku)s was already claimed against; it cannot be removed (set its quantity instead).")
                % {"sku": line.product.sku}
            )
        line.delete()
    for terms in lines:
        current = existing.get(terms.product.pk)
        if current is None:
            AgreementLine.objects.create(
                agreement=agreement,
                product=terms.product,
                book_cost=terms.book_cost,
                approved_cost=terms.approved_cost,
                authorized_quantity=terms.authorized_quantity,
                max_resale_price=terms.max_resale_price,
            )
            continue
        if terms.authorized_quantity < current.consumed_quantity:
            raise DomainError(
                _("%(sku)s: %(consumed)d were already claimed; the authorised quantity cannot be lower.")
                % {"sku": terms.product.sku, "consumed": current.consumed_quantity}
            )
        current.book_cost = terms.book_cost
        current.approved_cost = terms.approved_cost
        current.authorized_quantity = terms.authorized_quantity
        current.max_resale_price = terms.max_resale_price
        current.save(update_fields=["book_cost", "approved_cost", "authorized_quantity", "max_resale_price"])


def agreement_create(
    *,
    number: str,
    partner: Partner,
    terms: AgreementTerms,
    acting_membership: Membership | None,
    deal_reference: str = "",
) -> PricingAgreement:
    """Issue a special pricing agreement to a distributor (``deal_reference``: the approved deal
    registration it was started from, kept on the agreement and in the audit record)."""
    _require_manage(acting_membership, partner)
    number = (number or "").strip()
    if not number or len(number) > 64:
        raise DomainError(_("The agreement number is 1 to 64 characters."))
    currency = require_tenant().base_currency
    _check_terms(terms, currency)
    with transaction.atomic():
        if PricingAgreement.objects.filter(number__iexact=number).exists():
            raise DomainError(_("Agreement %(n)s exists already.") % {"n": number})
        agreement = PricingAgreement.objects.create(
            number=number,
            partner=partner,
            end_customer=terms.end_customer.strip(),
            end_customer_normalised=normalise_name(terms.end_customer),
            start_date=terms.start_date,
            end_date=terms.end_date,
            currency=currency,
            deal_reference=(deal_reference or "")[:32],
            created_by=_actor(acting_membership),
        )
        _write_lines(agreement, terms.lines)
        audit(
            actor=_actor(acting_membership),
            action="agreement.create",
            obj=agreement,
            after={
                "partner": partner.code,
                "deal_reference": agreement.deal_reference,
                **terms_snapshot(agreement),
            },
        )
    return agreement


def agreement_amend(
    *,
    agreement: PricingAgreement,
    terms: AgreementTerms,
    acting_membership: Membership | None,
    note: str = "",
) -> PricingAgreement:
    """New terms as a new version; the previous terms are kept in the version history."""
    with transaction.atomic():
        locked = (
            PricingAgreement.objects.select_for_update(of=("self",))
            .select_related("partner")
            .get(pk=agreement.pk)
        )
        _require_manage(acting_membership, locked.partner)
        if locked.status != A.ACTIVE:
            raise DomainError(_("A cancelled agreement cannot be amended."))
        _check_terms(terms, locked.currency)
        before = terms_snapshot(locked)
        AgreementVersion.objects.create(
            agreement=locked,
            version=locked.version,
            terms=before,
            note=note,
            created_by=_actor(acting_membership),
        )
        locked.end_customer = terms.end_customer.strip()
        locked.end_customer_normalised = normalise_name(terms.end_customer)
        locked.start_date = terms.start_date
        locked.end_date = terms.end_date
        locked.version += 1
        locked.save(
            update_fields=[
                "end_customer",
                "end_customer_normalised",
                "start_date",
                "end_date",
                "version",
                "updated_at",
            ]
        )
        _write_lines(locked, terms.lines)
        audit(
            actor=_actor(acting_membership),
            action="agreement.amend",
            obj=locked,
            before=before,
            after={**terms_snapshot(locked), "note": note},
        )
    agreement.refresh_from_db()
    return agreement


def agreement_cancel(
    *, agreement: PricingAgreement, acting_membership: Membership | None, reason: str
) -> PricingAgreement:
    """Cancel an agreement: lines claimed under it from now on are rejected (AGREEMENT_CANCELLED)."""

    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the agreement is cancelled."))
    with transaction.atomic():
        locked = (
            PricingAgreement.objects.select_for_update(of=("self",))
            .select_related("partner")
            .get(pk=agreement.pk)
        )
        _require_manage(acting_membership, locked.partner)
        check_transition(PricingAgreement.TRANSITIONS, locked.status, A.CANCELLED, what=_("The agreement"))
        locked.status = A.CANCELLED
        locked.cancel_reason = reason
        locked.save(update_fields=["status", "cancel_reason", "updated_at"])
        audit(
            actor=_actor(acting_membership),
            action="agreement.cancel",
            obj=locked,
            before={"status": A.ACTIVE},
            after={"status": A.CANCELLED, "reason": reason},
        )
        notify(
            recipients=partner_admins(locked.partner),
            verb="agreement.cancelled",
            message=lambda: (
                _("Special pricing agreement %(n)s was cancelled: %(reason)s")
                % {"n": locked.number, "reason": reason}
            ),
        )
    agreement.refresh_from_db()
    return agreement


def agreement_upsert(
    *,
    number: str,
    partner: Partner,
    terms: AgreementTerms,
    status: str,
    acting_membership: Membership | None,
) -> tuple[PricingAgreement, bool]:
    """The import's natural key is the agreement number: create it, or amend it when its terms
    changed, and cancel it when the file says cancelled. Returns (agreement, created)."""
    existing = PricingAgreement.objects.filter(number__iexact=number.strip()).first()
    if existing is None:
        agreement = agreement_create(
            number=number, partner=partner, terms=terms, acting_membership=acting_membership
        )
        created = True
    else:
        if existing.partner_id != partner.pk:
            raise DomainError(
                _("Agreement %(n)s belongs to %(p)s; an agreement's distributor cannot change.")
                % {"n": existing.number, "p": existing.partner.code}
            )
        agreement, created = existing, False
        if existing.status == A.ACTIVE and _terms_differ(existing, terms):
            agreement = agreement_amend(
                agreement=existing, terms=terms, acting_membership=acting_membership, note=_("Imported")
            )
    if status == A.CANCELLED and agreement.status == A.ACTIVE:
        agreement = agreement_cancel(
            agreement=agreement, acting_membership=acting_membership, reason=_("Imported as cancelled")
        )
    elif status == A.ACTIVE and agreement.status == A.CANCELLED:
        raise DomainError(
            _("Agreement %(n)s is cancelled; a cancelled agreement is not reactivated.") % {"n": number}
        )
    return agreement, created


def _terms_differ(agreement: PricingAgreement, terms: AgreementTerms) -> bool:
    current = terms_snapshot(agreement)
    wanted = {
        "end_customer": terms.end_customer.strip(),
        "start_date": terms.start_date.isoformat(),
        "end_date": terms.end_date.isoformat(),
        "lines": sorted(
            (
                {
                    "sku": line.product.sku,
                    "book_cost": str(line.book_cost),
                    "approved_cost": str(line.approved_cost),
                    "authorized_quantity": line.authorized_quantity,
                    "max_resale_price": None if line.max_resale_price is None else str(line.max_resale_price),
                }
                for line in terms.lines
            ),
            key=lambda line: str(line["sku"]),
        ),
    }

    def comparable(data: dict[str, Any]) -> dict[str, Any]:
        lines = [
            {
                **line,
                "book_cost": str(Decimal(line["book_cost"]).normalize()),
                "approved_cost": str(Decimal(line["approved_cost"]).normalize()),
                "max_resale_price": None
                if line["max_resale_price"] is None
                else str(Decimal(line["max_resale_price"]).normalize()),
            }
            for line in data["lines"]
        ]
        return {**{k: data[k] for k in ("end_customer", "start_date", "end_date")}, "lines": lines}

    return comparable(current) != comparable(wanted)
