"""Programs, tiers, tier rules and a partner's tier."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import (
    AgreementTemplate,
    Kpi,
    OnboardingItem,
    OnboardingStep,
    Partner,
    Program,
    Tier,
    TierRequirement,
)
from prm.accounts.models import Membership
from prm.audit.services import audit, snapshot
from prm.events import publish
from prm.lib.money import check_minor_units
from prm.roles import Perm, require_staff
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError

# name, rank, discount %, MDF, rebates, lead priority, rules
STANDARD_TIERS: list[tuple[str, int, str, bool, bool, int, dict[str, str]]] = [
    ("Registered", 0, "0", False, False, 0, {}),
    ("Silver", 1, "5", False, True, 1, {Kpi.REVENUE_12M: "100000", Kpi.CERTIFIED_PEOPLE: "1"}),
    ("Gold", 2, "10", True, True, 2, {Kpi.REVENUE_12M: "500000", Kpi.CERTIFIED_PEOPLE: "2"}),
    (
        "Platinum",
        3,
        "15",
        True,
        True,
        3,
        {Kpi.REVENUE_12M: "2000000", Kpi.CERTIFIED_PEOPLE: "4", Kpi.WIN_RATE: "30"},
    ),
]

STANDARD_STEPS: list[tuple[str, int]] = [
    (OnboardingStep.Kind.SIGN_AGREEMENT, 7),
    (OnboardingStep.Kind.COMPANY_PROFILE, 14),
    (OnboardingStep.Kind.PAYOUT_DETAILS, 21),
    (OnboardingStep.Kind.INVITE_COLLEAGUES, 30),
    (OnboardingStep.Kind.CERTIFICATION, 60),
]

STANDARD_AGREEMENT = """This Partner Agreement is made between {{ vendor }} ("Vendor") and {{ partner_name }} ({{ partner_code }}), {{ partner_address }}, {{ partner_country }} ("Partner"), effective {{ effective_date }}.

1. Appointment. Vendor appoints Partner as a non-exclusive member of the {{ program }} program at the {{ tier }} tier.

2. Deal registration. Partner may register opportunities through the partner portal. Approved registrations are protected for the period the program defines.

3. Marketing funds and rebates. Eligibility follows the benefits of Partner's tier, as published in the portal, and may change when the tier changes.

4. Confidentiality. Each party keeps the other's confidential information confidential during this agreement and for three years after it ends.

5. Term. This agreement runs for one year from the effective date and renews automatically unless either party gives 30 days' written notice.

Signed electronically on {{ today }}."""


def _setup_program(program: Program, acting_user) -> None:
    for name, rank, discount, mdf, rebate, priority, rules in STANDARD_TIERS:
        tier = Tier.objects.create(
            program=program,
            name=name,
            rank=rank,
            registration_discount_pct=Decimal(discount),
            mdf_eligible=mdf,
            rebate_eligible=rebate,
            lead_priority=priority,
        )
        for kpi, threshold in rules.items():
            TierRequirement.objects.create(tier=tier, kpi=kpi, threshold=Decimal(threshold))
    for order, (kind, days) in enumerate(STANDARD_STEPS):
        OnboardingStep.objects.create(
            program=program, kind=kind, title=str(OnboardingStep.Kind(kind).label), order=order, due_days=days
        )
    AgreementTemplate.objects.create(
        program=program,
        version=1,
        title=_("Partner agreement"),
        body=STANDARD_AGREEMENT,
        requires_resign=True,
        status=AgreementTemplate.Status.PUBLISHED,
        published_at=timezone.now(),
        created_by=acting_user,
    )


def program_create(
    *, acting_membership: Membership, code: str, name: str, description: str = "", is_default: bool = False
) -> Program:
    """A new program with the standard tiers, checklist and a first agreement version."""
    require_staff(acting_membership, Perm.PROGRAM_MANAGE)
    if Program.objects.filter(code=code).exists():
        raise DomainError(_("A program with the code %(code)s exists already.") % {"code": code})
    with transaction.atomic():
        if is_default:
            Program.objects.filter(is_default=True).update(is_default=False)
        program = Program.objects.create(code=code, name=name, description=description, is_default=is_default)
        _setup_program(program, acting_membership.user)
        audit(
            actor=acting_membership.user,
            action="program.create",
            obj=program,
            after={"code": code, "name": name},
        )
    return program


def default_program(*, acting_user=None) -> Program:
    """The program applicants join: the flagged default, else the first one, else a standard
    "Partner program" created now (a tenant starts without programs)."""
    program = Program.objects.filter(is_default=True).first() or Program.objects.order_by("pk").first()
    if program is not None:
        return program
    with transaction.atomic():
        program = Program.objects.create(code="partners", name=_("Partner program"), is_default=True)
        _setup_program(program, acting_user)
        audit(actor=acting_user, action="program.create", obj=program, after={"code": program.code})
    return program


TIER_BENEFIT_FIELDS = ["registration_discount_pct", "mdf_eligible", "rebate_eligible", "lead_priority"]


def tier_update(
    *, tier: Tier, acting_membership: Membership, rules: dict[str, Decimal | None], **benefits: Any
) -> Tier:
    """Change a tier's benefits and rules (a rule of None removes it)."""
    require_staff(acting_membership, Perm.PROGRAM_MANAGE)
    with transaction.atomic():
        locked = Tier.objects.select_for_update().get(pk=tier.pk)
        before = snapshot(locked, TIER_BENEFIT_FIELDS)
        before["rules"] = {r.kpi: str(r.threshold) for r in locked.requirements.all()}
        for field in TIER_BENEFIT_FIELDS:
            if field in benefits:
                setattr(locked, field, benefits[field])
        locked.full_clean(exclude=["program"])
        locked.save(update_fields=TIER_BENEFIT_FIELDS)
        for kpi, threshold in rules.items():
            if kpi not in Kpi.values:
                raise DomainError(_("Unknown KPI %(kpi)s.") % {"kpi": kpi})
            if threshold is not None and kpi == Kpi.REVENUE_12M:
                check_minor_units(threshold, require_tenant().base_currency)
            if threshold is None:
                TierRequirement.objects.filter(tier=locked, kpi=kpi).delete()
            else:
                TierRequirement.objects.update_or_create(
                    tier=locked, kpi=kpi, defaults={"threshold": threshold}
                )
        after = snapshot(locked, TIER_BENEFIT_FIELDS)
        after["rules"] = {r.kpi: str(r.threshold) for r in locked.requirements.all()}
        audit(actor=acting_membership.user, action="tier.update", obj=locked, before=before, after=after)
    return locked


def partner_set_tier(
    *, partner: Partner, tier: Tier | None, actor, action: str, reason: str = "", via: str = ""
) -> Partner:
    """Move a partner into ``tier`` (and its program); keeps the ``tier`` name field in step.
    Runs inside the caller's transaction when there is one (it audits). Callers are the tier
    services (proposal approval, enrolment, ``partner_change_tier``), never views or imports."""
    with transaction.atomic():
        return _set_tier(partner=partner, tier=tier, actor=actor, action=action, reason=reason, via=via)


def _set_tier(*, partner: Partner, tier: Tier | None, actor, action: str, reason: str, via: str) -> Partner:
    locked = Partner.objects.select_for_update().get(pk=partner.pk)
    before = {"tier": locked.tier, "program": locked.program_id}
    previous = locked.current_tier
    locked.current_tier = tier
    locked.tier = tier.name if tier else ""
    if tier is not None:
        locked.program_id = tier.program_id
    locked.save(update_fields=["current_tier", "tier", "program", "updated_at"])
    after: dict = {"tier": locked.tier, "program": locked.program_id, "reason": reason}
    if via:
        after["via"] = via
    event = audit(actor=actor, action=action, obj=locked, before=before, after=after)
    if (previous.pk if previous else None) != (tier.pk if tier else None):
        # A partner changes tier many times: each change (its audit event) is one occurrence.
        publish(
            require_tenant(),
            "partner.tier_changed",
            {
                "id": locked.pk,
                "code": locked.code,
                "name": locked.name,
                "from_tier": _tier_ref(previous),
                "to_tier": _tier_ref(tier),
                "program": locked.program_id,
                "change": action,
                "reason": reason,
            },
            key=f"{locked.pk}:{event.pk}",
        )
    partner.current_tier, partner.tier, partner.program_id = (
        locked.current_tier,
        locked.tier,
        locked.program_id,
    )
    return locked


def _tier_ref(tier: Tier | None) -> dict[str, Any] | None:
    return {"id": tier.pk, "name": tier.name, "rank": tier.rank} if tier is not None else None


def partner_enrol(*, partner: Partner, program: Program, actor) -> Partner:
    """Put a partner into a program's entry tier and open its onboarding checklist."""
    tier = program.entry_tier
    if tier is None:
        raise DomainError(_("The program %(program)s has no tiers.") % {"program": program.name})
    with transaction.atomic():
        partner = partner_set_tier(partner=partner, tier=tier, actor=actor, action="partner.enrol")
        onboarding_open(partner=partner, program=program)
    return partner


def onboarding_open(*, partner: Partner, program: Program) -> int:
    """Create the partner's checklist items (idempotent), due ``due_days`` after today."""
    today = timezone.localdate()
    existing = set(OnboardingItem.objects.filter(partner=partner).values_list("step_id", flat=True))
    items = [
        OnboardingItem(
            tenant_id=partner.tenant_id,
            partner=partner,
            step=step,
            due_date=today + timedelta(days=step.due_days),
        )
        for step in OnboardingStep.objects.filter(program=program)
        if step.pk not in existing
    ]
    OnboardingItem.objects.bulk_create(items)
    return len(items)
