"""Two-tier deals carried into ship-and-debit: when a reseller's registration that names its
distributor is approved (the ``deal.approved`` event, with ``distributor`` in its data), the
distributor gets a special pricing agreement for that end customer at the approved price, or
its existing one for that registration is extended to the new terms. Subscribed to prm.events
from ``ClaimsConfig.ready()``: claims never imports deals (its sibling); the registration's
lines arrive through the ``partners.registries`` deal pre-fill contract.

Idempotent: the agreement is keyed by (distributor, registration reference); a replayed event
finds it with the same terms and changes nothing. Lines whose product line names several SKUs
(or none) are left out, as are all of them when no exchange rate is stored: the approval itself
never fails for the agreement's sake; what was left out is in the audit record."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from claims.models import PricingAgreement
from claims.services.agreements import (
    AgreementTerms,
    LineTerms,
    _terms_differ,
    agreement_amend,
    agreement_create,
)
from partners.models import Partner
from partners.registries import deal_prefills
from prm.audit.services import audit
from prm.catalog.models import Product
from prm.finance.rates import MissingRate, convert
from prm.workflow import DomainError


def agreement_number(reference: str, distributor: Partner) -> str:
    return f"{reference}-{distributor.code}"[:64]


def carry_two_tier_approval(*, tenant: Any, event_type: str, data: dict[str, Any], key: str) -> None:
    """prm.events subscriber: the approval of a two-tier registration becomes (or extends) its
    distributor's pricing agreement."""
    if event_type != "deal.approved" or not data.get("distributor"):
        return
    distributor = Partner.objects.filter(pk=data["distributor"]["id"], type=Partner.Type.DISTRIBUTOR).first()
    found = deal_prefills([data["partner"]["id"]], data["id"])
    if distributor is None or not found:
        return
    registration = found[0]
    currency = tenant.base_currency
    day = registration.approved_on or timezone.localdate()
    skus: dict[str, list[Product]] = {}
    for product in Product.objects.filter(
        is_active=True, category__in=[line.product_line for line in registration.lines]
    ).order_by("sku"):
        skus.setdefault(product.category, []).append(product)
    quantities: dict[int, int] = {}
    prices: dict[int, tuple[Product, Any, Any]] = {}
    skipped: list[str] = []
    try:
        for line in registration.lines:
            candidates = skus.get(line.product_line, [])
            if len(candidates) != 1:
                skipped.append(line.product_line)
                continue
            product = candidates[0]
            book = convert(
                line.unit_value, from_currency=registration.currency, to_currency=currency, day=day
            )
            approved = convert(
                line.approved_unit_price, from_currency=registration.currency, to_currency=currency, day=day
            )
            quantities[product.pk] = quantities.get(product.pk, 0) + line.quantity
            prices[product.pk] = (product, book.amount, min(approved.amount, book.amount))
    except MissingRate as exc:
        _skip(distributor, registration.reference, str(exc))
        return
    lines = [
        LineTerms(product=p, book_cost=book, approved_cost=approved, authorized_quantity=quantities[pk])
        for pk, (p, book, approved) in sorted(prices.items(), key=lambda item: item[1][0].sku)
    ]
    if not lines:
        _skip(distributor, registration.reference, "no product line names exactly one SKU")
        return
    terms = AgreementTerms(
        end_customer=registration.end_customer,
        start_date=day,
        end_date=max(registration.protection_until or day, day),
        lines=lines,
    )
    existing = PricingAgreement.objects.filter(
        partner=distributor, deal_reference=registration.reference
    ).first()
    try:
        with transaction.atomic():
            if existing is None:
                agreement_create(
                    number=agreement_number(registration.reference, distributor),
                    partner=distributor,
                    terms=terms,
                    acting_membership=None,
                    deal_reference=registration.reference,
                )
            elif existing.status == PricingAgreement.Status.ACTIVE and _terms_differ(existing, terms):
                terms = AgreementTerms(
                    end_customer=terms.end_customer,
                    start_date=min(existing.start_date, terms.start_date),
                    end_date=max(existing.end_date, terms.end_date),
                    lines=terms.lines,
                )
                if _terms_differ(existing, terms):
                    agreement_amend(
                        agreement=existing,
                        terms=terms,
                        acting_membership=None,
                        note=f"Approval of {registration.reference}",
                    )
    except DomainError as exc:
        _skip(distributor, registration.reference, str(exc))
        return
    if skipped:
        _skip(distributor, registration.reference, "product lines left out: " + ", ".join(skipped))


def _skip(distributor: Partner, reference: str, reason: str) -> None:
    audit(
        actor=None,
        action="agreement.two_tier_skipped",
        obj=distributor,
        after={"deal_reference": reference, "reason": reason},
    )
