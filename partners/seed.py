"""Demo data of the partners app: ~60 partners across the demo tenants in every tier, with
signed agreements, onboarding progress, certifications, a course, resources and 12 months of
scorecards (registered as a seed step; idempotent)."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from partners.kpis import kpi_values
from partners.models import (
    Agreement,
    BusinessPlan,
    Certification,
    Course,
    Kpi,
    Lesson,
    OnboardingItem,
    Partner,
    PartnerApplication,
    PlanComment,
    PlanGoal,
    PlanInitiative,
    QuizChoice,
    QuizQuestion,
    Resource,
    ResourceVersion,
    Scorecard,
    Tier,
    TierProposal,
)
from partners.pdf import agreement_pdf, render_pdf
from partners.selectors import current_agreement_template
from partners.services.enablement import add_months
from partners.services.programs import default_program, onboarding_open
from prm.accounts.models import Membership, User
from prm.files import store_bytes
from prm.roles import Role
from prm.seed import register_demo_login, seed_user

NAMES = [
    "Alpine",
    "Beacon",
    "Cascade",
    "Delta",
    "Everest",
    "Falcon",
    "Granite",
    "Harbor",
    "Ironwood",
    "Juniper",
    "Keystone",
    "Lakeside",
    "Meridian",
    "Northstar",
    "Oakridge",
    "Pinnacle",
    "Quarry",
    "Riverbend",
    "Summit",
    "Timberline",
    "Unity",
    "Vertex",
    "Westwind",
    "Yukon",
    "Zenith",
    "Aurora",
    "Bluewater",
    "Crestline",
    "Driftwood",
    "Evergreen",
    "Foxglove",
    "Goldfield",
    "Highland",
    "Islebrook",
    "Jetstream",
    "Kingsway",
]
SUFFIX = {"distributor": "Distribution", "reseller": "Solutions", "referral": "Consulting"}
REGIONS = {
    "acme": [("US", "West"), ("US", "East"), ("US", "Central"), ("CA", "Canada"), ("MX", "LATAM")],
    "globex": [("DE", "DACH"), ("AT", "DACH"), ("CH", "DACH"), ("FR", "West"), ("NL", "Benelux")],
}
EXTRA = {"acme": 36, "globex": 20}
REVENUE = {
    "Registered": (10_000, 90_000),
    "Silver": (120_000, 450_000),
    "Gold": (520_000, 1_800_000),
    "Platinum": (2_100_000, 5_000_000),
}
CERTIFIED = {"Registered": 0, "Silver": 1, "Gold": 2, "Platinum": 4}


# The named demo partners and their people (the logins `make run` prints).
DEMO_PARTNERS = {
    "acme": [
        {
            "code": "D100",
            "name": "Northwind Distribution",
            "type": "distributor",
            "country": "US",
            "region": "West",
            "tier": "Gold",
            "email": "channel@northwind.test",
        },
        {
            "code": "D200",
            "name": "Contoso Supply",
            "type": "distributor",
            "country": "US",
            "region": "East",
            "tier": "Silver",
            "email": "channel@contoso.test",
        },
        {
            "code": "R300",
            "name": "Fabrikam Resellers",
            "type": "reseller",
            "country": "CA",
            "region": "Canada",
            "tier": "Registered",
            "email": "sales@fabrikam.test",
        },
    ],
    "globex": [
        {
            "code": "R100",
            "name": "Initech Systemhaus",
            "type": "reseller",
            "country": "DE",
            "region": "DACH",
            "tier": "Gold",
            "email": "vertrieb@initech.test",
        },
    ],
}
DEMO_PARTNER_PEOPLE = {
    "acme": [
        ("partner@northwind.test", "Nora Northwind", Role.PARTNER_ADMIN, "D100"),
        ("rep@northwind.test", "Rick Rep", Role.PARTNER_USER, "D100"),
        ("partner@contoso.test", "Carl Contoso", Role.PARTNER_ADMIN, "D200"),
    ],
    "globex": [
        ("partner@initech.test", "Ingo Initech", Role.PARTNER_ADMIN, "R100"),
    ],
}


def register_demo_logins() -> None:
    for slug, people in DEMO_PARTNER_PEOPLE.items():
        for email, _name, role, code in people:
            register_demo_login(slug, email, role, code)


def seed_demo_partners(tenant, stdout=None) -> None:
    """The named demo partners and one or two people each (idempotent)."""
    with transaction.atomic():
        partners = {
            spec["code"]: Partner.objects.get_or_create(code=spec["code"], defaults=spec)[0]
            for spec in DEMO_PARTNERS.get(tenant.slug, [])
        }
        for email, name, role, code in DEMO_PARTNER_PEOPLE.get(tenant.slug, []):
            seed_user(email, name, role=role, partner=partners[code])


def seed_partners(tenant, stdout=None) -> None:
    seed_demo_partners(tenant, stdout)
    if Partner.objects.filter(code__startswith="S").exists():
        return
    rng = random.Random(f"partners-{tenant.slug}")
    admin = Membership.objects.select_related("user").filter(role=Role.VENDOR_ADMIN).first()
    acting_user = admin.user if admin else None
    with transaction.atomic():
        program = default_program(acting_user=acting_user)
        tiers = {t.name: t for t in Tier.objects.filter(program=program)}
        _create_partners(tenant, rng, tiers)
        for partner in Partner.objects.filter(program__isnull=True):
            tier = tiers.get(partner.tier) or tiers["Registered"]
            Partner.objects.filter(pk=partner.pk).update(program=program, current_tier=tier, tier=tier.name)
        partners = list(Partner.objects.select_related("current_tier", "program").order_by("code"))
        for partner in partners:
            onboarding_open(partner=partner, program=program)
        _people_and_certifications(tenant, rng, partners)
        course = _course(tenant, program)
        Certification.objects.filter(course__isnull=True, source=Certification.Source.COURSE).update(
            course=course
        )
        _onboarding_progress(rng, partners)
        _scorecards(tenant, rng, partners)
        _applications(tenant)
        _resources(tenant, acting_user)
        manager = Membership.objects.select_related("user").filter(role=Role.CHANNEL_MANAGER).first()
        if manager is not None:
            for partner in partners[:6]:
                assign_perm("partners.manage_partner", manager.user, partner)
    # PDFs are rendered outside the data transaction (slow I/O).
    _agreements(partners)
    if stdout is not None:
        stdout.write(
            f"  partners: {len(partners)} partners in {tenant.slug} with agreements, certifications, scorecards"
        )


def _create_partners(tenant, rng, tiers) -> None:
    tier_names = ["Registered", "Silver", "Gold", "Platinum"]
    rows = []
    for n in range(EXTRA[tenant.slug]):
        kind = ["distributor", "reseller", "reseller", "referral"][n % 4]
        country, region = REGIONS[tenant.slug][n % len(REGIONS[tenant.slug])]
        tier = tiers[tier_names[min(3, int(rng.random() ** 1.6 * 4))]]
        name = f"{NAMES[n % len(NAMES)]} {SUFFIX[kind]}"
        slug = name.lower().replace(" ", "")
        status = Partner.Status.ONBOARDING if n % 9 == 0 else Partner.Status.ACTIVE
        rows.append(
            Partner(
                tenant=tenant,
                code=f"S{101 + n}",
                name=name,
                type=kind,
                country=country,
                region=region,
                tier=tier.name,
                current_tier=tier,
                program=tier.program,
                status=status,
                email=f"channel@{slug}.test",
                website=f"https://www.{slug}.test",
                phone=f"+1 555 01{n:02d}",
                address=f"{10 + n} Main Street",
                city=region,
                postal_code=f"{10000 + n * 37}",
                expertise=["pumps"] if n % 2 else ["valves", "controls"],
            )
        )
    Partner.objects.bulk_create(rows)


def _people_and_certifications(tenant, rng, partners) -> None:
    today = timezone.localdate()
    password = make_password(None)
    users, memberships = [], []
    for partner in partners:
        if partner.code[0] != "S":
            continue
        for i in range(CERTIFIED.get(partner.tier, 0) + 1):
            users.append(
                User(
                    email=f"person{i}.{partner.code.lower()}@{tenant.slug}-partners.test",
                    full_name=f"{rng.choice(['Alex', 'Sam', 'Kim', 'Robin', 'Jo'])} {partner.name.split()[0]}",
                    password=password,
                )
            )
    User.objects.bulk_create(users, ignore_conflicts=True)
    by_email = {u.email: u for u in User.objects.filter(email__endswith=f"@{tenant.slug}-partners.test")}
    certs = []
    for partner in partners:
        if partner.code[0] == "S":
            people = [by_email[e] for e in sorted(by_email) if f".{partner.code.lower()}@" in e]
        else:
            people = [m.user for m in Membership.objects.select_related("user").filter(partner=partner)]
        for i, user in enumerate(people):
            if partner.code[0] == "S":
                role = Role.PARTNER_ADMIN if i == 0 else Role.PARTNER_USER
                memberships.append(Membership(tenant=tenant, user=user, role=role, partner=partner))
        for user in people[: max(CERTIFIED.get(partner.tier, 0), 1 if partner.tier != "Registered" else 0)]:
            issued = today - timedelta(days=rng.randint(20, 600))
            certs.append(
                Certification(
                    tenant=tenant,
                    user=user,
                    partner=partner,
                    name="Certified Sales Professional",
                    source=Certification.Source.COURSE,
                    status=Certification.Status.VALID,
                    issued_on=issued,
                    expires_on=add_months(issued, 24),
                )
            )
    Membership.objects.bulk_create(memberships, ignore_conflicts=True)
    # A few that expire soon (the reminder job has something to do) and one expired.
    if certs:
        certs[0].expires_on = today + timedelta(days=20)
        certs[-1].status = Certification.Status.EXPIRED
        certs[-1].issued_on, certs[-1].expires_on = today - timedelta(days=800), today - timedelta(days=70)
    Certification.objects.bulk_create(certs)


def _course(tenant, program) -> Course:
    course = Course.objects.create(
        title="Sales fundamentals",
        description="Positioning, pricing and deal registration basics.",
        certification_name="Certified Sales Professional",
        pass_mark=70,
        validity_months=24,
    )
    Lesson.objects.create(
        course=course,
        order=1,
        title="Our portfolio",
        body="Know the product lines and who buys them.\n\nEach line has a product manager.",
    )
    Lesson.objects.create(
        course=course,
        order=2,
        title="Registering deals",
        body="Register early: the first complete submission wins.\n\nApproved deals are protected.",
    )
    for order, (text, answers) in enumerate(
        [
            (
                "Which registration wins a conflict?",
                [("The first complete submission", True), ("The largest deal", False)],
            ),
            ("Approved deals are ...", [("protected for a period", True), ("paid immediately", False)]),
            ("Who reviews registrations?", [("A channel manager", True), ("The end customer", False)]),
        ],
        start=1,
    ):
        question = QuizQuestion.objects.create(course=course, order=order, text=text)
        QuizChoice.objects.bulk_create(
            [QuizChoice(tenant=tenant, question=question, text=a, is_correct=ok) for a, ok in answers]
        )
    return course


def _onboarding_progress(rng, partners) -> None:
    now = timezone.now()
    done_ids = []
    for item in OnboardingItem.objects.select_related("partner", "step").filter(partner__in=partners):
        if item.partner.status == Partner.Status.ACTIVE and (
            item.step.kind != "payout_details" or rng.random() < 0.7
        ):
            done_ids.append(item.pk)
    OnboardingItem.objects.filter(pk__in=done_ids).update(completed_at=now)
    # Onboarding partners joined a while ago: some items are overdue.
    OnboardingItem.objects.filter(
        partner__status=Partner.Status.ONBOARDING, completed_at__isnull=True
    ).update(due_date=timezone.localdate() - timedelta(days=5))


def _scorecards(tenant, rng, partners) -> None:
    today = timezone.localdate()
    certified = {
        row["partner_id"]: row["n"]
        for row in Certification.objects.filter(status=Certification.Status.VALID, expires_on__gte=today)
        .values("partner_id")
        .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("user_id", distinct=True))
    }
    rows = []
    for partner in partners:
        low, high = REVENUE.get(partner.tier, REVENUE["Registered"])
        revenue = Decimal(rng.randint(low, high))
        for months_back in range(11, -1, -1):
            as_of = today - timedelta(days=30 * months_back)
            factor = Decimal(1) - Decimal(months_back) * Decimal("0.03") + Decimal(rng.randint(-3, 3)) / 100
            submitted = rng.randint(4, 30)
            approved = max(1, int(submitted * 0.7))
            won = int(approved * rng.uniform(0.2, 0.6))
            values = {
                Kpi.REVENUE_12M: str((revenue * factor).quantize(Decimal("1"))),
                Kpi.CERTIFIED_PEOPLE: str(certified.get(partner.pk, 0)),
                Kpi.DEALS_SUBMITTED: str(submitted),
                Kpi.DEALS_APPROVED: str(approved),
                Kpi.DEALS_WON: str(won),
                Kpi.WIN_RATE: str((Decimal(won) * 100 / approved).quantize(Decimal("0.01"))),
                Kpi.MDF_UTILISATION: str(rng.randint(0, 95)),
                Kpi.OVERDUE_ONBOARDING: "0",
            }
            previous = {
                k: str((Decimal(v) * Decimal("0.9")).quantize(Decimal("0.01"))) for k, v in values.items()
            }
            rows.append(
                Scorecard(
                    tenant=tenant,
                    partner=partner,
                    as_of=as_of,
                    values=values,
                    previous=previous,
                    tier=partner.current_tier,
                    qualified_tier=partner.current_tier,
                )
            )
    Scorecard.objects.bulk_create(rows, ignore_conflicts=True)
    # Two partners look ready for the next tier: pending proposals for the channel manager.
    tiers = {t.rank: t for t in Tier.objects.filter(program_id=partners[0].program_id)} if partners else {}
    for partner in [p for p in partners if p.current_tier and p.current_tier.rank < 3][:2]:
        TierProposal.objects.create(
            partner=partner,
            from_tier=partner.current_tier,
            to_tier=tiers[partner.current_tier.rank + 1],
            direction=TierProposal.Direction.PROMOTION,
            reason="Revenue and certifications meet the next tier's rules.",
        )


def _applications(tenant) -> None:
    now = timezone.now()
    for company, website, kind, country in [
        ("Orbit Controls", "https://orbit-controls.test", "reseller", "US"),
        ("Vega Pumps & Parts", "https://www.vegaparts.test", "distributor", "CA"),
        ("Vega Parts Canada", "https://vegaparts.test/ca", "distributor", "CA"),
    ]:
        domain = website.split("//")[1].split("/")[0].removeprefix("www.")
        duplicate = PartnerApplication.objects.filter(domain=domain).exists()
        PartnerApplication.objects.create(
            company=company,
            website=website,
            domain=domain,
            country=country,
            region="",
            type=kind,
            expertise=["pumps"],
            revenue_band="1m-10m",
            contact_name="Pat Applicant",
            contact_email=f"pat@{domain}",
            submitted_at=now,
            is_duplicate=duplicate,
            duplicate_note=f"application from {company}" if duplicate else "",
        )


def _resources(tenant, acting_user) -> None:
    if acting_user is None:
        return
    for title, category, rank in [
        ("Product catalogue", "Sales", 0),
        ("Competitive playbook", "Playbooks", 2),
    ]:
        pdf = render_pdf(f"<h1>{title}</h1><p>{tenant.brand_name} partner material.</p>")
        path, digest = store_bytes(pdf, area="resources", suffix=".pdf")
        resource = Resource.objects.create(
            title=title,
            category=category,
            min_tier_rank=rank,
            created_by=acting_user,
            kind=Resource.Kind.PLAYBOOK if category == "Playbooks" else Resource.Kind.DOCUMENT,
        )
        ResourceVersion.objects.create(
            resource=resource,
            number=1,
            path=path,
            filename=f"{title}.pdf",
            content_type="application/pdf",
            size=len(pdf),
            sha256=digest,
            uploaded_by=acting_user,
        )


def _agreements(partners) -> None:
    """Active partners have signed the current agreement (real PDFs and signature pages)."""
    if not partners:
        return
    template = current_agreement_template(partners[0].program_id)
    if template is None:
        return
    now = timezone.now()
    for partner in partners:
        if (
            partner.status != Partner.Status.ACTIVE
            or Agreement.objects.filter(partner=partner, template=template).exists()
        ):
            continue
        admin = (
            Membership.objects.select_related("user").filter(partner=partner, role=Role.PARTNER_ADMIN).first()
        )
        document = agreement_pdf(template, partner)
        path, digest = store_bytes(document, area="agreements", suffix=".pdf")
        if admin is None:
            Agreement.objects.create(
                partner=partner, template=template, document_path=path, document_sha256=digest
            )
            continue
        name = admin.user.full_name or admin.user.email
        signature = {
            "name": name,
            "email": admin.user.email,
            "signed_at": now.strftime("%Y-%m-%d %H:%M:%S"),
            "ip": "192.0.2.10",
            "user_agent": "seed",
            "document_sha256": digest,
        }
        signed = agreement_pdf(template, partner, signature=signature)
        signed_path, signed_digest = store_bytes(signed, area="agreements", suffix=".pdf")
        Agreement.objects.create(
            partner=partner,
            template=template,
            status=Agreement.Status.SIGNED,
            document_path=path,
            document_sha256=digest,
            signed_pdf_path=signed_path,
            signed_pdf_sha256=signed_digest,
            signer=admin.user,
            signer_name=name,
            consent=True,
            signed_at=now,
            signer_ip="192.0.2.10",
            signer_user_agent="seed",
        )
    OnboardingItem.objects.filter(
        partner__in=[p for p in partners if p.status == Partner.Status.ACTIVE],
        step__kind="sign_agreement",
        completed_at__isnull=True,
    ).update(completed_at=now)


# The demo plan: Northwind's plan for this year, signed by both sides, with goals per quarter.
DEMO_PLAN_PARTNER = {"acme": "D100"}
DEMO_PLAN_GOALS = {
    Kpi.REVENUE_12M: Decimal("250000"),
    Kpi.DEALS_SUBMITTED: Decimal("12"),
    Kpi.DEALS_WON: Decimal("5"),
    Kpi.CERTIFIED_PEOPLE: Decimal("3"),
    Kpi.MARKETING_ACTIVITIES: Decimal("2"),
}


def _demo_revenue_targets(partner: Partner) -> dict[int, Decimal]:
    """Each quarter's revenue goal, from the partner's POS revenue of the last twelve months (the
    KPI registry, filled by the POS seed that runs before): a quarter's average, 5% more each
    quarter, rounded to thousands; the fixed demo goal where the partner has no revenue yet."""
    today = timezone.localdate()
    last_year = kpi_values([partner.pk], today - timedelta(days=365), today)[partner.pk][Kpi.REVENUE_12M]
    base = last_year / 4 if last_year > 0 else DEMO_PLAN_GOALS[Kpi.REVENUE_12M]
    return {
        quarter: (base * (1 + Decimal("0.05") * (quarter - 1)) / 1000).quantize(Decimal("1")) * 1000
        for quarter in (1, 2, 3, 4)
    }


def seed_plans(tenant, stdout=None) -> None:
    """A joint business plan for one demo partner (idempotent): goals for every quarter of this
    year, initiatives of both sides, a comment each, signed by the channel manager and the
    partner admin so that `make run` shows it in force with live progress."""
    code = DEMO_PLAN_PARTNER.get(tenant.slug)
    partner = Partner.objects.filter(code=code).first() if code else None
    if partner is None:
        return
    year = timezone.localdate().year
    if BusinessPlan.objects.filter(partner=partner, year=year).exists():
        return
    manager = (
        Membership.objects.select_related("user").filter(role=Role.CHANNEL_MANAGER, is_active=True).first()
    )
    admin = (
        Membership.objects.select_related("user")
        .filter(role=Role.PARTNER_ADMIN, partner=partner, is_active=True)
        .first()
    )
    if manager is None or admin is None:
        return
    now = timezone.now()
    revenue_targets = _demo_revenue_targets(partner)
    with transaction.atomic():
        plan = BusinessPlan.objects.create(
            partner=partner,
            year=year,
            currency=tenant.base_currency,
            summary=(
                "Grow pump revenue with the installer segment, register every project above 10k, "
                "and certify a third sales engineer before the summer season."
            ),
            status=BusinessPlan.Status.SIGNED,
            created_by=manager.user,
            vendor_signed_by=manager.user,
            vendor_signed_at=now,
            partner_signed_by=admin.user,
            partner_signed_at=now,
        )
        PlanGoal.objects.bulk_create(
            PlanGoal(
                tenant=tenant,
                plan=plan,
                quarter=quarter,
                kpi=kpi,
                target=revenue_targets[quarter] if kpi == Kpi.REVENUE_12M else target,
                currency=tenant.base_currency if kpi == Kpi.REVENUE_12M else "",
            )
            for quarter in (1, 2, 3, 4)
            for kpi, target in DEMO_PLAN_GOALS.items()
        )
        for title, owner, month in (
            ("Joint installer roadshow (4 cities)", admin, 3),
            ("Quarterly pipeline review with the channel manager", manager, 6),
            ("Certify a third sales engineer", admin, 5),
        ):
            PlanInitiative.objects.create(
                plan=plan,
                title=title,
                owner=owner,
                due_date=timezone.localdate().replace(month=month, day=28),
            )
        PlanComment.objects.create(
            plan=plan,
            author=manager.user,
            side=PlanComment.Side.VENDOR,
            text="Targets agreed in our planning call; Q3 carries the new product line.",
        )
        PlanComment.objects.create(
            plan=plan,
            author=admin.user,
            side=PlanComment.Side.PARTNER,
            text="We will staff the roadshow with two engineers.",
        )
    if stdout is not None:
        stdout.write(f"  partners: business plan {year} for {partner.code} in {tenant.slug}")
