"""Reads of agreements and claims, scoped to what a member may see (partner roles: their own
partner's; managers restricted to assigned partners: those partners')."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import AgreementLine, Claim, ClaimLine, ClaimSettings, PricingAgreement
from partners.models import Partner
from partners.registries import DealPrefill, deal_prefills
from partners.selectors import partners_for_membership
from prm.accounts.models import Membership
from prm.catalog.models import Product
from prm.finance.rates import MissingRate, convert
from prm.tenancy.context import require_tenant


def agreements_for_membership(membership: Membership) -> QuerySet[PricingAgreement]:
    return PricingAgreement.objects.filter(partner__in=partners_for_membership(membership)).select_related(
        "partner"
    )


def get_agreement_for_membership_or_404(membership: Membership, pk: int) -> PricingAgreement:
    return get_object_or_404(agreements_for_membership(membership), pk=pk)


def agreement_lines(agreement: PricingAgreement) -> QuerySet[AgreementLine]:
    return agreement.lines.select_related("product").order_by("product__sku")


def claims_for_membership(membership: Membership) -> QuerySet[Claim]:
    return Claim.objects.filter(partner__in=partners_for_membership(membership)).select_related(
        "partner", "job", "payable"
    )


def get_claim_for_membership_or_404(membership: Membership, pk: int) -> Claim:
    return get_object_or_404(claims_for_membership(membership), pk=pk)


# A claim in these states has not consumed its quantity yet.
NOT_VALIDATED = (Claim.Status.SUBMITTED, Claim.Status.VALIDATING)


def earlier_claim_not_validated(claim: Claim) -> Claim | None:
    """The first claim of the same partner submitted before ``claim`` that has not finished
    validating. Quantity is consumed in submission order (DOMAIN.md), so ``claim`` waits for it."""
    earlier = Q(submitted_at__lt=claim.submitted_at) | Q(submitted_at=claim.submitted_at, pk__lt=claim.pk)
    return (
        Claim.objects.filter(earlier, partner_id=claim.partner_id, status__in=NOT_VALIDATED)
        .order_by("submitted_at", "pk")
        .first()
    )


def first_claim_not_validated(partner_id: int) -> Claim | None:
    """The partner's claim whose validation is next in submission order, if any."""
    return (
        Claim.objects.filter(partner_id=partner_id, status__in=NOT_VALIDATED)
        .select_related("job")
        .order_by("submitted_at", "pk")
        .first()
    )


def claim_lines(claim: Claim) -> QuerySet[ClaimLine]:
    return claim.lines.select_related("agreement", "agreement_line__product", "resubmission_of").order_by(
        "line"
    )


def get_claim_line_for_membership_or_404(membership: Membership, pk: int) -> ClaimLine:
    lines = ClaimLine.objects.filter(claim__in=claims_for_membership(membership)).select_related(
        "claim", "claim__partner", "agreement_line__product"
    )
    return get_object_or_404(lines, pk=pk)


def claim_settings() -> ClaimSettings:
    """The tenant's claim policy; the DOMAIN.md defaults (unsaved) until someone changes them."""
    return ClaimSettings.objects.first() or ClaimSettings()


def claim_window_days() -> int:
    return claim_settings().claim_window_days


def deal_prefills_for_membership(
    membership: Membership, registration_id: int | None = None
) -> list[tuple[DealPrefill, Partner]]:
    """Approved deal registrations of the distributors the member may manage agreements for
    (provided by the deals app through ``partners.registries``), each with its distributor."""
    partners = {
        p.pk: p
        for p in partners_for_membership(membership).filter(type=Partner.Type.DISTRIBUTOR).order_by("code")
    }
    return [(found, partners[found.partner_id]) for found in deal_prefills(list(partners), registration_id)]


@dataclass(frozen=True)
class AgreementPrefill:
    """A new agreement's form as an approved deal registration starts it: the header, one line
    per product line of the deal, a hint per line (the product line and its SKUs) and warnings."""

    registration: DealPrefill
    partner: Partner
    initial: dict[str, Any]
    lines: list[dict[str, Any]]
    hints: list[str]
    warnings: list[str]


def agreement_prefill(membership: Membership, registration_id: int) -> AgreementPrefill | None:
    """The agreement pre-filled from approved registration ``registration_id`` (None when the
    member may not see it or it is not approved). Per deal line: the SKU when its product line
    names one product, the quantity, book cost = the deal's value per unit and approved cost =
    that value less the registration's approved discount, converted into the tenant's currency
    at the approval date's stored rate (left empty, with a warning, when no rate is stored)."""
    found = deal_prefills_for_membership(membership, registration_id)
    if not found:
        return None
    registration, partner = found[0]
    currency = require_tenant().base_currency
    day = registration.approved_on or timezone.localdate()
    skus: dict[str, list[str]] = {}
    for category, sku in (
        Product.objects.filter(
            is_active=True, category__in=[line.product_line for line in registration.lines]
        )
        .order_by("sku")
        .values_list("category", "sku")
    ):
        skus.setdefault(category, []).append(sku)
    warnings: list[str] = []
    lines, hints = [], []
    for line in registration.lines:
        candidates = skus.get(line.product_line, [])
        prices: dict[str, Any] = {}
        try:
            for field, amount in (
                ("book_cost", line.unit_value),
                ("approved_cost", line.approved_unit_price),
            ):
                prices[field] = convert(
                    amount, from_currency=registration.currency, to_currency=currency, day=day
                ).amount
        except MissingRate as exc:
            prices = {}
            if str(exc) not in warnings:
                warnings.append(str(exc))
        lines.append(
            {
                "sku": candidates[0] if len(candidates) == 1 else "",
                "authorized_quantity": line.quantity,
                **prices,
            }
        )
        hints.append(
            _("Product line %(line)s: %(skus)s")
            % {"line": line.product_line, "skus": ", ".join(candidates) or _("no active product")}
        )
    if any(not line["sku"] for line in lines):
        warnings.append(_("Choose the SKU of each product line that names several products."))
    initial = {
        "partner": partner.pk,
        "end_customer": registration.end_customer,
        "start_date": day,
        "end_date": max(registration.protection_until or day, day),
        "registration": registration.id,
    }
    return AgreementPrefill(registration, partner, initial, lines, hints, warnings)


def rejected_lines_for_resubmission(membership: Membership, line_ids: list[int]) -> QuerySet[ClaimLine]:
    """Rejected lines of claims the member may see, to pre-fill a resubmission (others are ignored)."""
    return ClaimLine.objects.filter(
        pk__in=line_ids, claim__in=claims_for_membership(membership), status=ClaimLine.Status.REJECTED
    ).order_by("claim_id", "line")


def lines_in_order(claim: Claim) -> QuerySet[ClaimLine]:
    """The lines of a claim already fetched through its scoping selector, by line number."""
    return ClaimLine.objects.filter(claim=claim).order_by("line")


def approved_claims_ledger() -> tuple[str, list[Any]]:
    """What finance's reconciliation compares with the payables of kind "claim": every approved
    claim owes its approved total, in its currency (a claim approved at zero owes nothing)."""
    sql = (
        "SELECT id::text, approved_total, currency FROM claims_claim"
        " WHERE tenant_id = %s AND status = 'approved' AND approved_total <> 0"
    )
    return sql, [require_tenant().pk]
