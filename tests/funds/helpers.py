"""Funds, periods, allocations and requests for the funds tests (made through the services;
use inside tenant A's context)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from funds.models import Fund, FundPeriod, FundRequest
from funds.selectors import account_balances
from funds.services.allocations import allocation_create
from funds.services.funds import FundTerms, fund_create, period_create
from funds.services.ledger import account_for
from funds.services.requests import RequestTerms, request_approve, request_create
from partners.models import Partner, Tier
from tests.partners.helpers import program_with_partners


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


def tiers(
    cast, *, p1: str = "Gold", p2: str = "Silver", silver_mdf: bool = True, sign_both: bool = True
) -> dict[str, Tier]:
    """The standard program; P1 and P2 in the named tiers (Silver made MDF-eligible unless
    ``silver_mdf`` is False); both signed the agreement."""
    program = program_with_partners(cast, signed=True)
    found = {t.name: t for t in Tier.objects.filter(program=program)}
    Tier.objects.filter(pk=found["Silver"].pk).update(mdf_eligible=silver_mdf)
    found["Silver"].refresh_from_db()
    for key, name in (("p1", p1), ("p2", p2)):
        Partner.objects.filter(pk=cast.a.partners[key].pk).update(current_tier=found[name], tier=name)
        cast.a.partners[key].refresh_from_db()
    if sign_both:
        sign(cast, "p2")
    return found


def sign(cast, key: str) -> None:
    from partners.services.agreements import agreement_prepare, agreement_sign

    membership = cast.a.memberships[f"{key}_admin"]
    agreement = agreement_prepare(partner=cast.a.partners[key], acting_membership=membership)
    agreement_sign(
        agreement=agreement,
        acting_membership=membership,
        signer_name="Signer",
        consent=True,
        document_sha256=agreement.document_sha256,
        ip="127.0.0.1",
        user_agent="pytest",
    )


def fund(
    cast,
    code: str = "MDF-26",
    *,
    kind: str = Fund.Kind.MDF,
    tier_names=("Gold", "Silver", "Platinum"),
    **terms: Any,
) -> Fund:
    chosen = list(Tier.objects.filter(name__in=tier_names, mdf_eligible=True))
    return fund_create(
        terms=FundTerms(
            code=code,
            name=f"Fund {code}",
            currency=terms.pop("currency", "USD"),
            kind=kind,
            tiers=chosen,
            **terms,
        ),
        acting_membership=cast.a.memberships["admin"],
    )


def period(
    cast, f: Fund, *, budget: str = "100000.00", start=None, end=None, expires_on=None, name: str = "P"
) -> FundPeriod:
    start = start or days(-30)
    end = end or days(60)
    return period_create(
        fund=f,
        name=name,
        start=start,
        end=end,
        budget=Decimal(budget),
        expires_on=expires_on,
        acting_membership=cast.a.memberships["admin"],
    )


def allocate(cast, p: FundPeriod, amount: str, partner: str = "p1", expires_on=None):
    return allocation_create(
        period=p,
        partner=cast.a.partners[partner],
        amount=Decimal(amount),
        expires_on=expires_on,
        acting_membership=cast.a.memberships["admin"],
    )


def terms(**overrides: Any) -> RequestTerms:
    values: dict[str, Any] = {
        "activity_type": "event",
        "title": "Pump roadshow",
        "start_date": days(20),
        "end_date": days(21),
        "estimated_cost": Decimal("4000.00"),
        "requested_amount": Decimal("2000.00"),
        "description": "Two-day roadshow",
        "audience": "Utilities",
        "expected_leads": 20,
    }
    values.update(overrides)
    return RequestTerms(**values)


def request(cast, f: Fund, partner: str = "p1", *, submit: bool = True, **overrides: Any) -> FundRequest:
    return request_create(
        fund=f,
        partner=cast.a.partners[partner],
        terms=terms(**overrides),
        acting_membership=cast.a.memberships[f"{partner}_admin"],
        submit=submit,
    )


def approved(cast, f: Fund, partner: str = "p1", **overrides: Any) -> FundRequest:
    r = request(cast, f, partner, **overrides)
    return request_approve(request=r, acting_membership=cast.a.memberships["admin"])


def balances(cast, f: Fund, partner: str = "p1"):
    return account_balances(account_for(f, cast.a.partners[partner]))


def travel(monkeypatch, day: datetime.date) -> None:
    """Make ``timezone.localdate()`` answer ``day`` (the services read the date there)."""
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: day)


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
CSV = b"name,company\nAda,Acme\nBob,Bolt\n"


def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def proof(cast, claim, requirement: str, name: str, content: bytes, who: str = "p1_admin", captured_on=None):
    from funds.services.claims import proof_upload

    return proof_upload(
        claim=claim,
        requirement=requirement,
        upload=upload(name, content),
        original_name=name,
        captured_on=captured_on,
        acting_membership=cast.a.memberships[who],
    )


def full_proof(cast, claim) -> None:
    """The proof an event needs: invoice, photos, attendee list."""
    proof(cast, claim, "invoice", "invoice.pdf", PDF)
    proof(cast, claim, "photo", "booth.jpg", JPEG)
    proof(cast, claim, "attendees", "attendees.csv", CSV)


def scene(cast) -> dict[str, Any]:
    """A fund with a period, P1's account with an allocation, an approved request of P1 with a
    submitted claim and one proof file, and a delegation (for the URL sweep and view tests). The
    claim is written directly: the services would need the activity to be over."""
    from funds.models import Delegation, FundAccount, FundClaim, LedgerEntry, ProofFile
    from prm.files import store_bytes

    tiers(cast)
    f = fund(cast, "SWEEP")
    p = period(cast, f)
    entry = allocate(cast, p, "5000.00")
    r = approved(cast, f)
    claim = FundClaim.objects.create(
        request=r,
        partner=cast.a.partners["p1"],
        status="submitted",
        actual_cost=Decimal("3000.00"),
        currency="USD",
    )
    path, sha = store_bytes(PDF, area="funds/proof", suffix=".pdf")
    stored = ProofFile.objects.create(
        claim=claim,
        requirement="invoice",
        original_name="invoice.pdf",
        path=path,
        content_type="application/pdf",
        size=len(PDF),
        sha256=sha,
    )
    delegation = Delegation.objects.create(
        delegator=cast.a.memberships["marketing"],
        delegate=cast.a.memberships["manager"],
        starts_on=days(0),
        ends_on=days(5),
    )
    return {
        "fund": f,
        "period": p,
        "entry": entry,
        "account": FundAccount.objects.get(fund=f, partner=cast.a.partners["p1"]),
        "request": r,
        "claim": claim,
        "proof": stored,
        "delegation": delegation,
        "committed": LedgerEntry.objects.get(kind="committed"),
    }
