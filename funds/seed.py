"""Demo data of funds: an MDF fund with a budget per quarter, bulk allocations by tier and a
discretionary one (with a reversal), last quarter's allocation that expired, a co-op fund accrued
from the demo POS sales, requests waiting at each approval level (and a draft, one returned for
changes, a rejected one, an approved one), claims in every review status, and last quarter's
claim paid through a real payout batch (built, approved by a second finance user, exported and
marked paid), all made through the services. Activities in the past are built "as of" their dates (the services read the day from
``timezone.localdate``)."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from funds.models import Fund, FundClaim, FundRequest, LedgerEntry
from funds.services.allocations import allocation_bulk_by_tier, allocation_create, coop_accrue
from funds.services.claims import (
    claim_approve,
    claim_create,
    claim_reject,
    claim_return,
    claim_submit,
    claims_mark_paid,
    proof_upload,
)
from funds.services.expiry import expiries_post
from funds.services.funds import FundTerms, fund_create, period_create
from funds.services.ledger import entry_reverse
from funds.services.requests import (
    RequestTerms,
    delegation_create,
    request_approve,
    request_ask_changes,
    request_create,
    request_reject,
)
from partners.models import Partner, PayoutDetails, Tier
from partners.services.onboarding import payout_details_update, payout_details_verify
from partners.services.programs import tier_update
from prm.accounts.models import Membership
from prm.finance.batches import (
    BatchFilters,
    PaymentConfirmation,
    payout_batch_approve,
    payout_batch_create,
    payout_batch_export,
    payout_batch_mark_paid,
)
from prm.lib.periods import quarter
from prm.roles import Role
from prm.workflow import DomainError

D = Decimal
PDF = b"%PDF-1.4\n% demo invoice\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
CSV = b"name,company,email\nAlex Kim,Globex Water,alex@example.test\nSam Lee,Initrode,sam@example.test\n"


@contextmanager
def as_of(day: datetime.date) -> Iterator[None]:
    """Build history: the services see ``day`` as today."""
    with mock.patch("django.utils.timezone.localdate", return_value=day):
        yield


def _member(role: str, partner: Partner | None = None) -> Membership | None:
    qs = Membership.objects.select_related("user", "partner").filter(role=role, is_active=True)
    return (qs.filter(partner=partner) if partner is not None else qs).order_by("pk").first()


def seed_funds(tenant, stdout=None) -> None:
    if Fund.objects.exists():
        return
    admin = _member(Role.VENDOR_ADMIN)
    if admin is None:
        return
    marketing = _member(Role.MARKETING_MANAGER) or admin
    manager = _member(Role.CHANNEL_MANAGER) or admin
    tiers = {t.name: t for t in Tier.objects.select_related("program")}
    if "Silver" in tiers and not tiers["Silver"].mdf_eligible:
        # The demo program gives Silver partners MDF too, so both demo distributors take part.
        tier_update(tier=tiers["Silver"], acting_membership=admin, rules={}, mdf_eligible=True)
        tiers["Silver"].refresh_from_db()
    eligible = [t for t in tiers.values() if t.mdf_eligible]
    if not eligible:
        return
    today = timezone.localdate()
    currency = tenant.base_currency
    mdf = fund_create(
        terms=FundTerms(
            code=f"MDF-{today.year}", name="Market development fund", currency=currency, tiers=eligible
        ),
        acting_membership=admin,
    )
    start, end = quarter(today)
    prev_start, prev_end = quarter(today, back=1)
    amounts = {t.pk: D({"Platinum": "20000", "Gold": "10000"}.get(t.name, "5000")) for t in eligible}
    needed = sum(
        (
            amounts[tier_id]
            for tier_id in Partner.objects.filter(current_tier__in=eligible).values_list(
                "current_tier_id", flat=True
            )
        ),
        D("0"),
    )
    # Budgets leave room for the discretionary allocations of the quarter.
    budget = (needed * D("1.25")).quantize(D("1000")) + D("50000")
    previous = period_create(
        fund=mdf,
        name=f"{prev_start.year}-Q{(prev_start.month - 1) // 3 + 1}",
        start=prev_start,
        end=prev_end,
        budget=budget,
        acting_membership=admin,
    )
    current = period_create(
        fund=mdf,
        name=f"{start.year}-Q{(start.month - 1) // 3 + 1}",
        start=start,
        end=end + datetime.timedelta(days=30),
        budget=budget,
        expires_on=end + datetime.timedelta(days=30),
        acting_membership=admin,
    )
    partners = {p.code: p for p in Partner.objects.filter(current_tier__in=eligible).order_by("code")}
    main = next((p for p in partners.values() if _member(Role.PARTNER_ADMIN, p)), None)
    # Last quarter: a tier allocation that partly went unused and expired.
    with as_of(prev_start + datetime.timedelta(days=3)):
        allocation_bulk_by_tier(
            period=previous, amounts=amounts, acting_membership=marketing, note="Quarterly MDF"
        )
    allocation_bulk_by_tier(
        period=current, amounts=amounts, acting_membership=marketing, note="Quarterly MDF"
    )
    if main is not None:
        extra = allocation_create(
            period=current,
            partner=main,
            amount=D("2500"),
            acting_membership=marketing,
            note="Launch of the 3 kW pump line",
        )
        entry_reverse(
            entry=extra, acting_membership=marketing, reason="Typed 2,500 instead of 2,000", amount=D("500")
        )
    _coop(tenant, currency, eligible, admin)
    if main is None:
        expiries_post(day=today)
        return
    partner_admin = _member(Role.PARTNER_ADMIN, main)
    assert partner_admin is not None
    _previous_quarter_activities(main, mdf, partner_admin, manager, marketing, prev_start)
    expiries_post(day=today)
    _requests(main, mdf, partner_admin, manager, marketing, today)
    _claims(main, mdf, partner_admin, manager, marketing, today)
    if marketing.pk != manager.pk:
        delegation_create(
            delegator=marketing,
            delegate=manager,
            starts_on=today + datetime.timedelta(days=14),
            ends_on=today + datetime.timedelta(days=21),
            acting_membership=marketing,
        )


def _coop(tenant, currency: str, eligible: list[Tier], admin: Membership) -> None:
    today = timezone.localdate()
    coop = fund_create(
        terms=FundTerms(
            code=f"COOP-{today.year}",
            name="Co-op fund",
            currency=currency,
            kind=Fund.Kind.COOP,
            accrual_pct=D("2"),
            tiers=eligible,
        ),
        acting_membership=admin,
    )
    start = today.replace(month=1, day=1)
    period = period_create(
        fund=coop,
        name=str(today.year),
        start=start,
        end=start.replace(month=12, day=31),
        budget=D("50000000"),
        expires_on=start.replace(year=start.year + 1, month=3, day=31),
        acting_membership=admin,
    )
    # No POS data or a missing rate: the fund simply has no accruals yet.
    with contextlib.suppress(DomainError):
        coop_accrue(period, acting_user=admin.user)


def _terms(
    kind: str, title: str, start: datetime.date, days: int, cost: str, amount: str, leads: int = 20
) -> RequestTerms:
    return RequestTerms(
        activity_type=kind,
        title=title,
        start_date=start,
        end_date=start + datetime.timedelta(days=days),
        estimated_cost=D(cost),
        requested_amount=D(amount),
        description=f"{title} for utility buyers",
        audience="Water utilities",
        expected_leads=leads,
    )


def _previous_quarter_activities(main, mdf, partner_admin, manager, marketing, prev_start) -> None:
    """A print ad last quarter, claimed, approved and paid: part of that quarter's money was used."""
    with as_of(prev_start + datetime.timedelta(days=5)):
        r = request_create(
            fund=mdf,
            partner=main,
            terms=_terms(
                "print", "Trade magazine ad", prev_start + datetime.timedelta(days=20), 0, "3000", "1500"
            ),
            acting_membership=partner_admin,
            submit=True,
        )
        request_approve(request=r, acting_membership=manager)
    with as_of(prev_start + datetime.timedelta(days=30)):
        claim = claim_create(
            request=r, acting_membership=partner_admin, actual_cost=D("2800"), impressions=45000
        )
        _proof(claim, partner_admin, "invoice", "invoice-ad.pdf", PDF)
        _proof(claim, partner_admin, "tear_sheet", "tear-sheet.pdf", PDF)
        claim_submit(claim=claim, acting_membership=partner_admin)
        claim_approve(claim=claim, acting_membership=marketing)
    with as_of(prev_start + datetime.timedelta(days=55)):
        _pay(claim, main, partner_admin, paid_on=prev_start + datetime.timedelta(days=56))


def _pay(claim: FundClaim, partner: Partner, partner_admin: Membership, paid_on: datetime.date) -> None:
    """Pay the claim's payable as finance does: the partner's payout details verified, a batch of
    the partner's fund claims built by one finance user, approved by another (maker-checker),
    exported and marked paid. A tenant without two finance users leaves the claim approved."""
    finance = list(
        Membership.objects.select_related("user")
        .filter(role=Role.FINANCE, is_active=True, partner__isnull=True)
        .order_by("pk")[:2]
    )
    if len(finance) < 2:
        return
    maker, checker = finance
    details = PayoutDetails.objects.filter(partner=partner).first()
    if details is None:
        details = payout_details_update(
            partner=partner,
            acting_membership=partner_admin,
            account_holder=partner.name,
            account_number="DE89 3704 0044 0532 0130 00",
            bank_code="COBADEFFXXX",
            tax_id="DE123456789",
        )
    if not details.is_verified:
        payout_details_verify(partner=partner, acting_membership=maker)
    batch = payout_batch_create(
        acting_membership=maker,
        currency=claim.currency,
        filters=BatchFilters(source_types=("fund_claim",), partner_ids=(partner.pk,)),
        note="MDF claims",
    )
    batch = payout_batch_approve(batch=batch, acting_membership=checker)
    batch = payout_batch_export(batch=batch, acting_membership=maker)
    payout_batch_mark_paid(
        batch=batch,
        acting_membership=maker,
        confirmations=[PaymentConfirmation(partner.pk, f"DEMO-{claim.reference}", paid_on)],
    )
    # Finance tells funds from a task started after the commit (in the worker, later; never inside
    # an enclosing transaction): the seed posts "paid" itself, which that task then finds done.
    claims_mark_paid([claim.pk])


def _proof(claim, member, requirement, name, content, captured_on=None) -> None:
    proof_upload(
        claim=claim,
        requirement=requirement,
        upload=SimpleUploadedFile(name, content),
        original_name=name,
        captured_on=captured_on,
        acting_membership=member,
    )


def _requests(main, mdf, partner_admin, manager, marketing, today) -> None:
    soon = today + datetime.timedelta(days=25)
    # Waiting at level 1 (channel manager), 2 (marketing manager) and 3 (vendor admin).
    request_create(
        fund=mdf,
        partner=main,
        terms=_terms("event", "Customer open day", soon, 0, "6000", "3000"),
        acting_membership=partner_admin,
        submit=True,
    )
    level2 = request_create(
        fund=mdf,
        partner=main,
        terms=_terms("trade_show", "WaterTech booth", soon, 2, "24000", "12000", 80),
        acting_membership=partner_admin,
        submit=True,
    )
    _escalate(level2, manager)
    level3 = request_create(
        fund=mdf,
        partner=main,
        terms=_terms("digital", "Search campaign", soon, 60, "60000", "30000", 150),
        acting_membership=partner_admin,
        submit=True,
    )
    _escalate(level3, manager)
    _escalate(level3, marketing)
    request_create(
        fund=mdf,
        partner=main,
        terms=_terms("webinar", "Pump sizing webinar", soon, 0, "1200", "600"),
        acting_membership=partner_admin,
        submit=False,
    )
    changes = request_create(
        fund=mdf,
        partner=main,
        terms=_terms("print", "Catalogue insert", soon, 0, "4000", "2000"),
        acting_membership=partner_admin,
        submit=True,
    )
    request_ask_changes(request=changes, acting_membership=manager, reason="Please attach the media plan.")
    rejected = request_create(
        fund=mdf,
        partner=main,
        terms=_terms("other", "Golf day", soon, 0, "5000", "2500"),
        acting_membership=partner_admin,
        submit=True,
    )
    request_reject(request=rejected, acting_membership=manager, reason="Hospitality is not funded.")
    approved = request_create(
        fund=mdf,
        partner=main,
        terms=_terms("training", "Installer training", soon, 1, "3000", "1500"),
        acting_membership=partner_admin,
        submit=True,
    )
    with contextlib.suppress(DomainError):
        request_approve(request=approved, acting_membership=manager)


def _escalate(request: FundRequest, member: Membership) -> None:
    """Approve at a level below the request's amount (moves it on); a tenant without that role
    leaves the request waiting at the first level."""
    if member.role in (Role.CHANNEL_MANAGER, Role.MARKETING_MANAGER):
        request_approve(request=request, acting_membership=member)


def _claims(main, mdf, partner_admin, manager, marketing, today) -> None:
    """Activities this quarter that are over: claims in draft, submitted, returned, approved,
    partially approved and rejected."""
    plan = [
        ("draft", "event", "Dealer breakfast", "2000", "1000", "1900"),
        ("submitted", "webinar", "Valve webinar", "1600", "800", "1500"),
        ("returned", "event", "Roadshow Denver", "3000", "1500", "3100"),
        ("approved", "trade_show", "Regional expo", "8000", "4000", "7000"),
        ("partial", "digital", "Social campaign", "4000", "2000", "4200"),
        ("rejected", "print", "Flyer mailing", "1000", "500", "900"),
    ]
    start = today - datetime.timedelta(days=30)
    for i, (status, kind, title, cost, amount, actual) in enumerate(plan):
        activity = start + datetime.timedelta(days=i)
        with as_of(activity - datetime.timedelta(days=12)):
            r = request_create(
                fund=mdf,
                partner=main,
                terms=_terms(kind, title, activity, 0, cost, amount),
                acting_membership=partner_admin,
                submit=True,
            )
            try:
                request_approve(request=r, acting_membership=manager)
            except DomainError:
                continue
        claim = claim_create(
            request=r,
            acting_membership=partner_admin,
            actual_cost=D(actual),
            leads=8 + i,
            attendees=40 + 10 * i,
        )
        if status == "draft":
            _proof(claim, partner_admin, "invoice", "invoice.pdf", PDF)
            continue
        _proof(claim, partner_admin, "invoice", "invoice.pdf", PDF)
        if kind in ("event", "trade_show"):
            _proof(claim, partner_admin, "photo", "booth.jpg", JPEG)
            _proof(claim, partner_admin, "attendees", "attendees.csv", CSV)
        elif kind == "webinar":
            _proof(claim, partner_admin, "attendees", "attendees.csv", CSV)
        elif kind == "digital":
            _proof(claim, partner_admin, "screenshot", "ad-screenshot.png", PNG, captured_on=activity)
        elif kind == "print":
            _proof(claim, partner_admin, "tear_sheet", "flyer.pdf", PDF)
        claim_submit(claim=claim, acting_membership=partner_admin)
        if status == "returned":
            claim_return(
                claim=claim, acting_membership=marketing, reason="The attendee list has no e-mail addresses."
            )
        elif status == "approved":
            claim_approve(claim=claim, acting_membership=marketing)
        elif status == "partial":
            claim_approve(
                claim=claim,
                acting_membership=marketing,
                amount=D("1600"),
                reason="Two of five ad sets ran off-brand.",
            )
        elif status == "rejected":
            claim_reject(
                claim=claim, acting_membership=marketing, reason="The flyer does not show our products."
            )


def seeded_counts() -> dict[str, int]:
    """For the seed test and the demo summary."""
    return {
        "funds": Fund.objects.count(),
        "entries": LedgerEntry.objects.count(),
        "requests": FundRequest.objects.count(),
        "claims": FundClaim.objects.count(),
    }
