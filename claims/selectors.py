"""Reads of agreements and claims, scoped to what a member may see (partner roles: their own
partner's; managers restricted to assigned partners: those partners')."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from claims.models import (
    DEFAULT_CLAIM_WINDOW_DAYS,
    AgreementLine,
    Claim,
    ClaimLine,
    ClaimSettings,
    PricingAgreement,
)
from partners.selectors import partners_for_membership
from prm.accounts.models import Membership
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


def claim_lines(claim: Claim) -> QuerySet[ClaimLine]:
    return claim.lines.select_related("agreement", "agreement_line__product", "resubmission_of").order_by(
        "line"
    )


def get_claim_line_for_membership_or_404(membership: Membership, pk: int) -> ClaimLine:
    lines = ClaimLine.objects.filter(claim__in=claims_for_membership(membership)).select_related(
        "claim", "claim__partner", "agreement_line__product"
    )
    return get_object_or_404(lines, pk=pk)


def claim_window_days() -> int:

    settings = ClaimSettings.objects.first()
    return settings.claim_window_days if settings is not None else DEFAULT_CLAIM_WINDOW_DAYS


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
