"""Data builders for partners tests (use inside the tenant context)."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from partners.models import (
    Certification,
    Course,
    PartnerApplication,
    QuizChoice,
    QuizQuestion,
    Resource,
    Tier,
    TierProposal,
)
from partners.pdf import render_pdf
from partners.services.programs import default_program, partner_enrol


def program_with_partners(cast, *, signed: bool = False):
    """The tenant's standard program with P1 and P2 enrolled (entry tier). Optionally P1 signed."""
    program = default_program(acting_user=cast.a.users["admin"])
    for key in ("p1", "p2"):
        partner_enrol(partner=cast.a.partners[key], program=program, actor=None)
        cast.a.partners[key].refresh_from_db()
    if signed:
        from partners.services.agreements import agreement_prepare, agreement_sign

        agreement = agreement_prepare(
            partner=cast.a.partners["p1"], acting_membership=cast.a.memberships["p1_admin"]
        )
        agreement_sign(
            agreement=agreement,
            acting_membership=cast.a.memberships["p1_admin"],
            signer_name="P One",
            consent=True,
            document_sha256=agreement.document_sha256,
            ip="127.0.0.1",
            user_agent="pytest",
        )
    return program


def tier(program, name: str) -> Tier:
    return Tier.objects.get(program=program, name=name)


def application(**overrides) -> PartnerApplication:
    data = {
        "company": "Orbit Controls",
        "website": "https://www.orbit.test",
        "domain": "orbit.test",
        "country": "US",
        "type": "reseller",
        "expertise": ["pumps"],
        "revenue_band": "1m-10m",
        "contact_name": "Pat Applicant",
        "contact_email": "pat@orbit.test",
        "submitted_at": timezone.now(),
    }
    data.update(overrides)
    return PartnerApplication.objects.create(**data)


def pdf_upload(name: str = "file.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, render_pdf("<p>document</p>"), content_type="application/pdf")


def resource(cast, *, min_tier_rank: int = 0, program=None) -> Resource:
    from partners.services.enablement import resource_create

    return resource_create(
        acting_membership=cast.a.memberships["marketing"],
        title="Catalogue",
        category="Sales",
        upload=pdf_upload(),
        filename="catalogue.pdf",
        min_tier_rank=min_tier_rank,
        program=program,
    )


def course() -> Course:
    course = Course.objects.create(
        title="Sales basics", certification_name="Sales Pro", pass_mark=50, validity_months=12
    )
    for n in range(2):
        question = QuizQuestion.objects.create(course=course, order=n, text=f"Question {n}")
        QuizChoice.objects.create(question=question, text="right", is_correct=True)
        QuizChoice.objects.create(question=question, text="wrong", is_correct=False)
    return course


def certification(cast, user_key: str = "p1_user", partner_key: str = "p1", **overrides) -> Certification:
    today = timezone.localdate()
    data = {
        "user": cast.a.users[user_key],
        "partner": cast.a.partners[partner_key],
        "name": "Vendor certificate",
        "source": Certification.Source.EXTERNAL,
        "status": Certification.Status.PENDING,
        "issued_on": today - timedelta(days=10),
        "expires_on": today + timedelta(days=300),
    }
    data.update(overrides)
    return Certification.objects.create(**data)


def proposal(cast, program) -> TierProposal:
    partner = cast.a.partners["p1"]
    return TierProposal.objects.create(
        partner=partner,
        from_tier=partner.current_tier,
        to_tier=tier(program, "Silver"),
        direction=TierProposal.Direction.PROMOTION,
    )


def plan(cast, *, partner_key: str = "p1", year: int = 2026, goals=None, status: str = "draft"):
    """A business plan of tenant A's partner (default P1) with ``goals`` {(quarter, kpi): target}."""
    from decimal import Decimal

    from partners.models import MONEY_KPIS, BusinessPlan, PlanGoal

    created = BusinessPlan.objects.create(
        partner=cast.a.partners[partner_key], year=year, currency="USD", status=status
    )
    for (quarter, kpi), target in (goals or {}).items():
        PlanGoal.objects.create(
            plan=created,
            quarter=quarter,
            kpi=kpi,
            target=Decimal(str(target)),
            currency="USD" if kpi in MONEY_KPIS else "",
        )
    return created


def initiative(cast, plan_obj, *, owner_key: str = "p1_admin"):
    import datetime

    from partners.models import PlanInitiative

    return PlanInitiative.objects.create(
        plan=plan_obj,
        title="Roadshow",
        owner=cast.a.memberships[owner_key],
        due_date=datetime.date(2026, 3, 31),
    )
