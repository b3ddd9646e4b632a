"""Demo data: about 2,000 registrations across the demo partners in every status (with conflicts,
extensions, won and lost deals), direct opportunities, routing rules and leads in every routing
state. Set-based (bulk_create with the tenant set explicitly) so it runs in seconds."""

from __future__ import annotations

import contextlib
import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from deals.models import (
    Conflict,
    Customer,
    DealExtension,
    DealLine,
    DealRegistration,
    DealSettings,
    DirectOpportunity,
    Lead,
    LeadAssignment,
    RoutingRule,
)
from deals.services.drafts import registration_update_draft
from deals.services.leads import lead_accept
from deals.services.submission import registration_submit
from partners.models import Partner
from prm.accounts.models import Membership
from prm.catalog.models import Product
from prm.lib.names import normalise_domain, normalise_name
from prm.roles import Role
from prm.workflow import DomainError

S = DealRegistration.Status
STEMS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Hooli",
    "Vandelay",
    "Pied Piper",
    "Massive Dynamic",
    "Oscorp",
    "Gringotts",
    "Monarch",
    "Nakatomi",
    "Virtucon",
    "Aperture",
    "Black Mesa",
    "Dunder Mifflin",
    "Sterling Cooper",
    "Prestige",
    "Bluth",
    "Krusty",
    "Duff",
    "Blue Sun",
    "Weyland",
    "Yoyodyne",
    "Zorg",
    "Gekko",
    "Nordström",
    "Müller",
    "Société Générale",
    "Ålborg",
    "Łódź Metal",
    "Café Olé",
    "Schön",
    "Brûlerie",
]
KINDS = [
    "Water",
    "Chemicals",
    "Foods",
    "Mining",
    "Utilities",
    "Logistics",
    "Pharma",
    "Textiles",
    "Energy",
    "Paper",
]
SUFFIXES = ["Inc.", "Ltd", "GmbH", "LLC", "Corp.", "S.A.", "B.V.", "plc", "AG", ""]
COUNTRIES = ["US", "US", "US", "CA", "DE", "GB", "FR"]
WEIGHTS = [
    (S.DRAFT, 7),
    (S.SUBMITTED, 9),
    (S.UNDER_REVIEW, 9),
    (S.INFO_REQUESTED, 4),
    (S.APPROVED, 22),
    (S.REJECTED, 9),
    (S.WON, 21),
    (S.LOST, 11),
    (S.EXPIRED, 8),
]


def seed_deals(tenant, stdout=None) -> None:
    if DealRegistration.objects.exists():
        return
    partners = list(Partner.objects.order_by("code"))
    lines = sorted(set(Product.objects.values_list("category", flat=True))) or ["general"]
    if not partners:
        return
    rng = random.Random(f"deals-{tenant.slug}")
    count = 2000 if tenant.slug == "acme" else 120
    with transaction.atomic():
        DealSettings.current()
        _expertise(partners, lines, rng)
        users = _partner_users(partners)
        reviewers = list(
            Membership.objects.filter(role__in=["channel_manager", "vendor_admin"]).values_list(
                "user_id", flat=True
            )
        )
        registrations = _registrations(tenant, partners, users, reviewers, lines, rng, count)
        _conflicts(tenant, registrations, partners, users, rng)
        _extensions(tenant, registrations, users, reviewers, rng)
        opportunities = _opportunities(tenant, lines, rng)
        _leads(tenant, partners, lines, rng)
    if stdout is not None:
        stdout.write(
            f"  deals: {DealRegistration.objects.count()} registrations, {len(opportunities)} direct opportunities, "
            f"{Lead.objects.count()} leads, {Conflict.objects.count()} conflicts\n"
        )


def _expertise(partners, lines, rng) -> None:
    for partner in partners:
        if not partner.expertise:
            chosen = sorted(rng.sample(lines, k=min(len(lines), rng.randint(2, 3))))
            Partner.objects.filter(pk=partner.pk).update(expertise=chosen)
            partner.expertise = chosen


def _partner_users(partners) -> dict[int, list[int]]:
    users: dict[int, list[int]] = {p.pk: [] for p in partners}
    for partner_id, user_id in Membership.objects.filter(partner__isnull=False).values_list(
        "partner_id", "user_id"
    ):
        users.setdefault(partner_id, []).append(user_id)
    return users


def _customer_name(rng) -> str:
    name = f"{rng.choice(STEMS)} {rng.choice(KINDS)}"
    suffix = rng.choice(SUFFIXES)
    return f"{name} {suffix}".strip()


def _expected_close(r: DealRegistration, habit: int, today, dates: random.Random):
    """What the partner said at registration: for a closed deal, its close date less the partner's
    usual slip (give or take two weeks); for an open one, a date ahead (a few already overdue)."""
    if r.closed_on is not None:
        return r.closed_on - timedelta(days=habit + dates.randint(-14, 14))
    if r.status in (S.REJECTED, S.EXPIRED):
        return timezone.localdate(r.created_at) + timedelta(days=dates.randint(30, 150))
    return today + timedelta(days=dates.randint(-20, 180))


def _registrations(tenant, partners, users, reviewers, lines, rng, count) -> list[DealRegistration]:
    now = timezone.now()
    today = timezone.localdate()
    statuses = [s for s, w in WEIGHTS for _ in range(w)]
    rows = []
    line_specs = []
    # Close dates come from their own generator, set once the status is known. Each
    # partner has its habit of slipping (closing later than it said), so the forecast's slippage
    # correction has something real to learn.
    dates = random.Random(f"close-dates-{tenant.slug}")
    habit = {p.pk: dates.choice([0, 7, 14, 30, 45]) for p in partners}
    for i in range(count):
        partner = partners[i % len(partners)]
        status = rng.choice(statuses)
        name = _customer_name(rng)
        created = now - timedelta(days=rng.randint(1, 540), hours=rng.randint(0, 23))
        chosen = sorted(rng.sample(lines, k=rng.randint(1, min(3, len(lines)))))
        specs = [(line, rng.randint(1, 40), Decimal(rng.randint(20, 900) * 100)) for line in chosen]
        value = sum((v for _l, _q, v in specs), Decimal("0"))
        user_id = (users.get(partner.pk) or [None])[0]
        r = DealRegistration(
            tenant=tenant,
            partner=partner,
            created_by_id=user_id,
            owner_id=user_id,
            status=status,
            customer_name=name,
            customer_name_normalised=normalise_name(name),
            customer_domain=normalise_domain(normalise_name(name).replace(" ", "") + ".example"),
            country=partner.country if rng.random() < 0.7 else rng.choice(COUNTRIES),
            address=f"{rng.randint(1, 999)} Main Street",
            contact_name="Pat Buyer",
            contact_email=f"buyer{i}@customer.example",
            currency=tenant.base_currency,
            value=value,
            product_lines=chosen,
            deal_type=rng.choice(["new", "new", "renewal"]),
            competitors=rng.choice(["", "Grundfos", "KSB", "Xylem"]),
            created_at=created,
        )
        # Never in the future: a later conflicting registration must be submitted after this one.
        submitted = min(created + timedelta(hours=rng.randint(1, 48)), now - timedelta(minutes=30))
        decided = min(submitted + timedelta(hours=rng.randint(2, 120)), now)
        if status != S.DRAFT:
            r.submitted_at = r.first_submitted_at = submitted
            r.review_due_at = submitted + timedelta(hours=72)
        if status in (S.APPROVED, S.REJECTED, S.WON, S.LOST, S.EXPIRED):
            r.decided_at = decided
            r.reviewer_id = rng.choice(reviewers) if reviewers else None
        if status in (S.APPROVED, S.WON, S.LOST, S.EXPIRED):
            r.protection_days = 90
            protected_until = timezone.localdate(decided) + timedelta(days=90)
            r.protection_until = protected_until
            r.discount_pct = Decimal(rng.choice(["0", "5", "10", "15"]))
        if status == S.APPROVED:
            # Keep approved ones inside their protection (some about to expire).
            r.protection_until = today + timedelta(days=rng.randint(0, 89))
        if status == S.EXPIRED:
            r.protection_until = min(protected_until, today - timedelta(days=1))
        if status == S.WON:
            r.closed_value = (value * Decimal(rng.choice(["0.8", "0.9", "1", "1.1"]))).quantize(
                Decimal("0.01")
            )
            r.closed_on = min(today, timezone.localdate(decided) + timedelta(days=rng.randint(5, 80)))
        if status == S.LOST:
            r.lost_reason = rng.choice(["Price", "Went with a competitor", "Project cancelled"])
            r.closed_on = min(today, timezone.localdate(decided) + timedelta(days=rng.randint(5, 80)))
        if status == S.REJECTED:
            r.rejection_code = rng.choice(["incomplete", "not_eligible", "duplicate"])
            r.rejection_reason = "Demo decision"
        if status == S.INFO_REQUESTED:
            r.info_request = "Please name the project and the decision maker."
        r.expected_close_date = _expected_close(r, habit[partner.pk], today, dates)
        rows.append(r)
        line_specs.append(specs)
    created_rows = DealRegistration.objects.bulk_create(rows, batch_size=500)
    DealLine.objects.bulk_create(
        [
            DealLine(
                tenant=tenant, registration=r, product_line=line, quantity=q, value=v, created_at=r.created_at
            )
            for r, specs in zip(created_rows, line_specs, strict=True)
            for line, q, v in specs
        ],
        batch_size=1000,
    )
    customers: dict[tuple, Customer] = {}
    for r in created_rows:
        if r.status != S.DRAFT:
            customers.setdefault(
                (r.partner_id, r.country, r.customer_name_normalised),
                Customer(
                    tenant=tenant,
                    partner_id=r.partner_id,
                    legal_name=r.customer_name,
                    name_normalised=r.customer_name_normalised,
                    domain=r.customer_domain,
                    country=r.country,
                    address=r.address,
                    contact_name=r.contact_name,
                    contact_email=r.contact_email,
                ),
            )
    Customer.objects.bulk_create(list(customers.values()), batch_size=500)
    return created_rows


def _conflicts(tenant, registrations, partners, users, rng) -> None:
    """Second registrations of the same customer by another partner (exact conflicts, submitted
    later), and subsidiary-name registrations (near matches)."""
    if len(partners) < 2:
        return
    firsts = [r for r in registrations if r.status in (S.SUBMITTED, S.UNDER_REVIEW, S.APPROVED)][:150]
    now = timezone.now()
    later, kinds = [], []
    for n, first in enumerate(firsts):
        other = next(p for p in partners[1:] + partners[:1] if p.pk != first.partner_id)
        near = n % 3 == 2
        name = f"{first.customer_name} Holdings Europe" if near else first.customer_name.upper()
        status = rng.choice([S.SUBMITTED, S.UNDER_REVIEW, S.REJECTED]) if not near else S.SUBMITTED
        submitted = max(first.submitted_at or now, now - timedelta(days=2)) + timedelta(minutes=n + 1)
        user_id = (users.get(other.pk) or [None])[0]
        later.append(
            DealRegistration(
                tenant=tenant,
                partner=other,
                created_by_id=user_id,
                owner_id=user_id,
                status=status,
                customer_name=name,
                customer_name_normalised=normalise_name(name),
                customer_domain="" if near else first.customer_domain,
                country=first.country,
                address="1 Other Road",
                contact_name="Sam Buyer",
                contact_email=f"sam{n}@customer.example",
                currency=first.currency,
                value=first.value,
                product_lines=first.product_lines,
                expected_close_date=first.expected_close_date,
                submitted_at=min(submitted, now),
                first_submitted_at=min(submitted, now),
                review_due_at=min(submitted, now) + timedelta(hours=72),
                created_at=min(submitted, now) - timedelta(hours=1),
                conflict_flag=DealRegistration.ConflictFlag.NEAR
                if near
                else DealRegistration.ConflictFlag.EXACT,
                rejection_code="conflict" if status == S.REJECTED else "",
                rejection_reason="Registered first by another partner" if status == S.REJECTED else "",
                decided_at=now if status == S.REJECTED else None,
            )
        )
        kinds.append((first, near))
    created = DealRegistration.objects.bulk_create(later)
    DealLine.objects.bulk_create(
        [
            DealLine(
                tenant=tenant,
                registration=r,
                product_line=line,
                quantity=1,
                value=(r.value / len(r.product_lines)).quantize(Decimal("0.01")),
            )
            for r in created
            for line in r.product_lines
        ]
    )
    Conflict.objects.bulk_create(
        [
            Conflict(
                tenant=tenant,
                registration=r,
                other_registration=first,
                kind=Conflict.Kind.NEAR if near else Conflict.Kind.EXACT,
                rule=Conflict.Rule.PARENT_SUBSIDIARY if near else Conflict.Rule.NAME_AND_DOMAIN,
                score=Decimal("0.520") if near else Decimal("1.000"),
                product_lines=r.product_lines,
            )
            for r, (first, near) in zip(created, kinds, strict=True)
        ]
    )


def _extensions(tenant, registrations, users, reviewers, rng) -> None:
    rows, extended = [], []
    now = timezone.now()
    for r in registrations:
        if r.status not in (S.APPROVED, S.WON) or rng.random() > 0.12:
            continue
        requester = (users.get(r.partner_id) or [None])[0]
        if requester is None:
            continue
        pending = r.status == S.APPROVED and rng.random() < 0.4
        rows.append(
            DealExtension(
                tenant=tenant,
                registration=r,
                requested_by_id=requester,
                reason="Customer postponed the decision",
                days=30,
                status=DealExtension.Status.PENDING if pending else DealExtension.Status.APPROVED,
                decided_by_id=None if pending else (reviewers[0] if reviewers else None),
                decided_at=None if pending else now,
            )
        )
        if not pending:
            extended.append(r.pk)
    DealExtension.objects.bulk_create(rows)
    DealRegistration.objects.filter(pk__in=extended).update(extension_count=1)


def _opportunities(tenant, lines, rng) -> list[DirectOpportunity]:
    rows = []
    for i in range(80):
        name = _customer_name(rng)
        rows.append(
            DirectOpportunity(
                tenant=tenant,
                reference=f"OPP-{1000 + i}",
                customer_name=name,
                customer_name_normalised=normalise_name(name),
                customer_domain=normalise_domain(normalise_name(name).replace(" ", "") + ".example"),
                country=rng.choice(COUNTRIES),
                product_lines=sorted(rng.sample(lines, k=1)),
                value=Decimal(rng.randint(50, 2000) * 100),
                currency=tenant.base_currency,
                expected_close_date=timezone.localdate() + timedelta(days=rng.randint(10, 200)),
                sales_owner="Key account team",
                status=rng.choice(["open", "open", "open", "won", "lost"]),
                created_at=timezone.now() - timedelta(days=rng.randint(30, 400)),
            )
        )
    return DirectOpportunity.objects.bulk_create(rows)


def _leads(tenant, partners, lines, rng) -> None:
    RoutingRule.objects.bulk_create(
        [
            RoutingRule(
                tenant=tenant,
                position=10,
                name="Key accounts: Gold and up",
                min_tier="Gold",
                product_lines=lines[:1],
                distribution="weighted",
            ),
            RoutingRule(tenant=tenant, position=20, name="North America", countries=["US", "CA"]),
            RoutingRule(
                tenant=tenant,
                position=30,
                name="Everywhere else",
                match_territory=False,
                require_expertise=False,
            ),
        ]
    )
    now = timezone.now()
    states = ["new", "offered", "offered", "accepted", "accepted", "returned", "closed"]
    leads, plans = [], []
    for i in range(140):
        state = states[i % len(states)]
        partner = partners[i % len(partners)]
        leads.append(
            Lead(
                tenant=tenant,
                reference=f"WEB-{5000 + i}",
                company=_customer_name(rng),
                contact_name="Lee Prospect",
                contact_email=f"lead{i}@prospect.example",
                country=partner.country,
                region=partner.region,
                product_interest=rng.choice(lines),
                value=Decimal(rng.randint(10, 500) * 100),
                currency=tenant.base_currency,
                source=rng.choice(["Website", "Trade show", "Webinar", "Referral"]),
                # "accepted" leads are offered first and accepted through the service below, as a
                # partner would: that is what gives each its draft registration.
                status="offered" if state == "accepted" else state,
                partner=partner if state in ("offered", "accepted") else None,
                offer_due_at=now + timedelta(hours=rng.randint(-10, 40))
                if state in ("offered", "accepted")
                else None,
                routing_note="Demo routing" if state != "new" else "",
                created_at=now - timedelta(days=rng.randint(0, 60)),
            )
        )
        plans.append((state, partner))
    created = Lead.objects.bulk_create(leads)
    assignments = []
    for lead, (state, partner) in zip(created, plans, strict=True):
        others = [p for p in partners if p.pk != partner.pk]
        if state in ("offered", "accepted", "returned") and others:
            assignments.append(
                LeadAssignment(
                    tenant=tenant,
                    lead=lead,
                    partner=rng.choice(others),
                    reason="Round-robin",
                    offered_at=lead.created_at,
                    due_at=lead.created_at + timedelta(hours=48),
                    outcome="declined",
                    decided_at=lead.created_at + timedelta(hours=5),
                    decline_reason="No capacity this quarter",
                )
            )
        if state == "offered":
            assignments.append(
                LeadAssignment(
                    tenant=tenant,
                    lead=lead,
                    partner=partner,
                    reason="Round-robin",
                    offered_at=now - timedelta(hours=8),
                    due_at=lead.offer_due_at,
                )
            )
        elif state == "accepted":
            assignments.append(
                LeadAssignment(
                    tenant=tenant,
                    lead=lead,
                    partner=partner,
                    reason="Round-robin",
                    offered_at=lead.created_at,
                    due_at=lead.offer_due_at,
                )
            )
        elif state == "returned":
            assignments.append(
                LeadAssignment(
                    tenant=tenant,
                    lead=lead,
                    partner=partner,
                    reason="Round-robin",
                    offered_at=lead.created_at,
                    due_at=lead.created_at + timedelta(hours=48),
                    outcome="timed_out",
                    decided_at=lead.created_at + timedelta(hours=48),
                )
            )
    LeadAssignment.objects.bulk_create(assignments)
    _accept_leads([lead for lead, (state, _p) in zip(created, plans, strict=True) if state == "accepted"])


def _accept_leads(leads: list[Lead]) -> None:
    """The partner's admin accepts each lead through the service (a draft registration each) and
    submits two in three of them (converted leads); a partner without people leaves its lead
    offered, a registration the rules refuse stays a draft."""
    people = {
        m.partner_id: m
        for m in Membership.objects.filter(is_active=True, role=Role.PARTNER_ADMIN).order_by("-pk")
    }
    for i, lead in enumerate(leads):
        membership = people.get(lead.partner_id)
        if membership is None:
            continue
        registration = lead_accept(lead=lead, acting_membership=membership)
        if i % 3 == 2:
            continue  # still a draft: the partner has not qualified it yet
        # What the partner adds before submitting: the site and when it expects to close.
        registration = registration_update_draft(
            registration=registration,
            acting_membership=membership,
            data={
                "address": f"{10 + i} Industrial Park",
                "expected_close_date": timezone.localdate() + timedelta(days=30 + 7 * i),
            },
        )
        with contextlib.suppress(DomainError):
            registration_submit(registration=registration, acting_membership=membership)
