"""Reads about partners. ``partners_for_membership`` is the single scoping rule reused by every app;
``tier_benefits`` and ``agreement_signed`` are what other apps ask about a partner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps
from typing import Any

from django.contrib import messages
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import get_objects_for_user, get_users_with_perms

from partners.models import (
    Agreement,
    AgreementTemplate,
    BusinessPlan,
    Certification,
    Course,
    Kpi,
    OnboardingItem,
    OnboardingStep,
    Partner,
    PartnerApplication,
    PartnerUserObjectPermission,
    PayoutDetails,
    PlanComment,
    PlanInitiative,
    Program,
    Resource,
    Scorecard,
    Territory,
    Tier,
    TierProposal,
)
from prm.accounts.models import Invitation, Membership
from prm.notifications.recipients import partner_members, staff_members
from prm.roles import Role
from prm.workflow import DomainError

K = OnboardingStep.Kind


def partners_for_membership(membership: Membership) -> QuerySet[Partner]:
    """Partner roles: their own partner. Managers restricted to assignments: assigned partners
    (django-guardian object grants). Other vendor staff: every partner of the tenant."""
    qs = Partner.objects.all()
    if membership.is_partner:
        return qs.filter(pk=membership.partner_id or 0)
    if membership.assigned_partners_only:
        assigned = get_objects_for_user(
            membership.user, "partners.manage_partner", klass=qs, accept_global_perms=False
        )
        return qs.filter(pk__in=assigned.values("pk"))
    return qs


class PartnerNotActive(DomainError):
    """The partner is suspended or terminated: nothing new happens in its name."""


def require_active_partner(partner: Partner | None) -> None:
    """For every service that acts in a partner's name (deal registration and approval, lead
    acceptance, POS uploads, training, downloads, claims): refuse unless the partner may operate.
    Reads the status from the database: the caller's copy may predate a suspension."""
    if partner is None:
        raise PartnerNotActive(_("This needs a partner."))
    status = Partner.objects.filter(pk=partner.pk).values_list("status", flat=True).first()
    if status is None or status in Partner.BLOCKED_STATUSES:
        label = Partner.Status(status).label if status else ""
        raise PartnerNotActive(
            _("%(partner)s is %(status)s: this is not possible until the partner is reactivated.")
            % {"partner": partner.name, "status": str(label).lower()}
        )


def get_partner_for_membership_or_404(membership: Membership, pk: int) -> Partner:
    return get_object_or_404(partners_for_membership(membership), pk=pk)


def partner_ids_for_membership(membership: Membership) -> QuerySet:
    return partners_for_membership(membership).values("pk")


# --- Tiers and benefits -------------------------------------------------------------------------


@dataclass(frozen=True)
class TierBenefits:
    """What a partner's tier entitles it to (other apps read this, never the tier tables)."""

    tier: str
    rank: int
    registration_discount_pct: Decimal
    mdf_eligible: bool
    rebate_eligible: bool
    lead_priority: int


NO_BENEFITS = TierBenefits("", -1, Decimal("0"), False, False, 0)


def tier_benefits(partner: Partner) -> TierBenefits:
    """The benefits of the partner's current tier; a partner without a tier gets none."""
    tier = partner.current_tier if partner.current_tier_id else None
    if tier is None:
        return TierBenefits(partner.tier, -1, Decimal("0"), False, False, 0) if partner.tier else NO_BENEFITS
    return TierBenefits(
        tier=tier.name,
        rank=tier.rank,
        registration_discount_pct=tier.registration_discount_pct,
        mdf_eligible=tier.mdf_eligible,
        rebate_eligible=tier.rebate_eligible,
        lead_priority=tier.lead_priority,
    )


def programs() -> QuerySet[Program]:
    return Program.objects.prefetch_related(
        Prefetch("tiers", queryset=Tier.objects.prefetch_related("requirements").order_by("rank"))
    )


def tier_names() -> list[str]:
    """Every tier name of the tenant's programs, once each (the directory's tier filter)."""
    return sorted(set(Tier.objects.values_list("name", flat=True)))


def get_program_or_404(pk: int) -> Program:
    return get_object_or_404(programs(), pk=pk)


def get_territory_or_404(pk: int) -> Territory:
    """A territory of the tenant (territories are vendor-wide: the view checks the permission)."""
    return get_object_or_404(Territory.objects.all(), pk=pk)


def get_tier_or_404(pk: int) -> Tier:
    return get_object_or_404(Tier.objects.select_related("program"), pk=pk)


def next_tier(partner: Partner) -> Tier | None:
    if partner.program_id is None:
        return None
    rank = partner.current_tier.rank if partner.current_tier is not None else -1
    return (
        Tier.objects.filter(program_id=partner.program_id, rank__gt=rank)
        .prefetch_related("requirements")
        .order_by("rank")
        .first()
    )


# --- Agreements -----------------------------------------------------------------------------------


class AgreementNotSigned(DomainError):
    """The partner must sign its program's current agreement first."""


def current_agreement_template(program_id: int | None) -> AgreementTemplate | None:
    if program_id is None:
        return None
    return (
        AgreementTemplate.objects.filter(program_id=program_id, status=AgreementTemplate.Status.PUBLISHED)
        .order_by("-version")
        .first()
    )


def minimum_signed_version(program_id: int | None) -> int | None:
    """The oldest agreement version a partner may have signed and still count as signed: the
    newest published version that requires re-signing (or the first version)."""
    published = AgreementTemplate.objects.filter(
        program_id=program_id,
        status__in=[AgreementTemplate.Status.PUBLISHED, AgreementTemplate.Status.RETIRED],
    ).exclude(published_at__isnull=True)
    if not published.exists():
        return None
    resign = (
        published.filter(requires_resign=True).order_by("-version").values_list("version", flat=True).first()
    )
    if resign is not None:
        return resign
    return published.order_by("version").values_list("version", flat=True).first()


def agreement_signed(partner: Partner) -> bool:
    """Has the partner signed its program's current agreement (or an earlier version that the
    current one does not require re-signing)? A partner whose program has no published agreement
    has nothing to sign (True)."""
    minimum = minimum_signed_version(partner.program_id)
    if minimum is None:
        return True
    return Agreement.objects.filter(
        partner=partner,
        status=Agreement.Status.SIGNED,
        template__program_id=partner.program_id,
        template__version__gte=minimum,
    ).exists()


def require_signed_agreement(partner: Partner) -> None:
    """For services of other apps (deal registration, fund requests, claims): raise
    ``AgreementNotSigned`` (a DomainError) unless the current agreement is signed."""
    if not agreement_signed(partner):
        raise AgreementNotSigned(
            _("%(partner)s must sign the current partner agreement first.") % {"partner": partner.name}
        )


def signed_agreement_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """View decorator (put it under ``portal_view``): partner members whose partner has not signed
    the current agreement are sent to the agreement page with a message. Vendor staff pass."""

    @wraps(view)
    def wrapped(request, *args: Any, **kwargs: Any):
        membership = getattr(request, "membership", None)
        if membership is not None and membership.is_partner and not agreement_signed(membership.partner):
            messages.warning(request, _("Sign the current partner agreement to unlock this page."))
            return redirect("partners:agreement_current")
        return view(request, *args, **kwargs)

    return wrapped


def agreements_for_membership(membership: Membership) -> QuerySet[Agreement]:
    return Agreement.objects.select_related("partner", "template", "signer").filter(
        partner__in=partners_for_membership(membership)
    )


def recent_agreements(partner: Partner, limit: int = 10) -> list[Agreement]:
    """The partner's latest agreements (its page; the partner was checked by the caller)."""
    return list(Agreement.objects.filter(partner=partner).select_related("template", "signer")[:limit])


def get_agreement_for_membership_or_404(membership: Membership, pk: int) -> Agreement:
    return get_object_or_404(agreements_for_membership(membership), pk=pk)


def agreement_templates() -> QuerySet[AgreementTemplate]:
    return AgreementTemplate.objects.select_related("program", "created_by")


# --- Applications -------------------------------------------------------------------------------


def applications_for_review() -> QuerySet[PartnerApplication]:
    return PartnerApplication.objects.select_related("program", "partner", "reviewed_by")


def get_application_or_404(pk: int) -> PartnerApplication:
    return get_object_or_404(applications_for_review(), pk=pk)


def get_application_by_amend_token_or_404(token: str) -> PartnerApplication:
    return get_object_or_404(
        PartnerApplication.objects.filter(status=PartnerApplication.Status.INFO_REQUESTED),
        amend_token=token,
    )


# --- Onboarding ------------------------------------------------------------------------------------


def onboarding_items(partner: Partner) -> list[OnboardingItem]:
    return list(OnboardingItem.objects.filter(partner=partner).select_related("step"))


def onboarding_step_done(kind: str, partner: Partner) -> bool:
    """Whether the data shows a checklist step done (the agreement signed, the profile complete...)."""
    if kind == K.SIGN_AGREEMENT:
        return agreement_signed(partner)
    if kind == K.COMPANY_PROFILE:
        return partner.profile_complete
    if kind == K.PAYOUT_DETAILS:
        return PayoutDetails.objects.filter(partner=partner).exists()
    if kind == K.INVITE_COLLEAGUES:
        members = Membership.objects.filter(partner=partner, is_active=True).count()
        pending = Invitation.objects.filter(partner=partner, status=Invitation.Status.PENDING).count()
        return members + pending >= 2
    if kind == K.CERTIFICATION:
        today = timezone.localdate()
        return Certification.objects.filter(
            partner=partner, status=Certification.Status.VALID, issued_on__lte=today, expires_on__gte=today
        ).exists()
    return False


def onboarding_changes(partner: Partner, items: list[OnboardingItem]) -> list[tuple[OnboardingItem, bool]]:
    """The checklist items whose state the data has changed, each with whether it is done now: an
    item is done once its condition holds; only the agreement item reopens (a new version to sign)."""
    changes = []
    for item in items:
        done = onboarding_step_done(item.step.kind, partner)
        if done and item.completed_at is None:
            changes.append((item, True))
        elif not done and item.completed_at is not None and item.step.kind == K.SIGN_AGREEMENT:
            changes.append((item, False))
    return changes


def onboarding_progress(partner: Partner, *, live: bool = False) -> dict[str, Any]:
    """The checklist as recorded. ``live``: as the data stands now (the onboarding page), for
    display only; the recorded state follows the events that change the data and the periodic
    refresh (``partners.services.onboarding.onboarding_refresh``), never a page view."""
    items = onboarding_items(partner)
    if live:
        now = timezone.now()
        for item, is_done in onboarding_changes(partner, items):
            item.completed_at = now if is_done else None  # shown, not saved
    today = timezone.localdate()
    done = sum(1 for i in items if i.is_done)
    total = len(items)
    return {
        "items": items,
        "done": done,
        "total": total,
        "percent": round(done * 100 / total) if total else 100,
        "overdue": sum(1 for i in items if not i.is_done and i.due_date < today),
        "today": today,
    }


# --- Enablement -------------------------------------------------------------------------------------


def resources_for_membership(membership: Membership) -> QuerySet[Resource]:
    """Staff see every resource; partner members see published resources of their program (or of
    every program) from their tier upward."""
    qs = Resource.objects.select_related("program").annotate(download_count=Count("downloads"))
    if membership.is_staff_member:
        return qs
    partner = membership.partner
    if partner is None:
        return qs.none()
    rank = partner.current_tier.rank if partner.current_tier is not None else 0
    return qs.filter(is_published=True, min_tier_rank__lte=rank).filter(
        Q(program__isnull=True) | Q(program_id=partner.program_id)
    )


def get_resource_for_membership_or_404(membership: Membership, pk: int) -> Resource:
    return get_object_or_404(resources_for_membership(membership), pk=pk)


def courses_for_membership(membership: Membership) -> QuerySet[Course]:
    qs = Course.objects.all()
    if membership.is_staff_member:
        return qs
    program_id = membership.partner.program_id if membership.partner is not None else None
    return qs.filter(is_published=True).filter(Q(program__isnull=True) | Q(program_id=program_id))


def get_course_for_membership_or_404(membership: Membership, pk: int) -> Course:
    return get_object_or_404(courses_for_membership(membership), pk=pk)


def certifications_for_membership(membership: Membership) -> QuerySet[Certification]:
    return Certification.objects.select_related("user", "partner", "course", "verified_by").filter(
        partner__in=partners_for_membership(membership)
    )


def get_certification_for_membership_or_404(membership: Membership, pk: int) -> Certification:
    return get_object_or_404(certifications_for_membership(membership), pk=pk)


def valid_certifications_q(on=None) -> Q:
    day = on or timezone.localdate()
    return Q(status=Certification.Status.VALID, issued_on__lte=day, expires_on__gte=day)


# --- Scorecards and tier proposals -------------------------------------------------------------------


def latest_scorecard(partner: Partner) -> Scorecard | None:
    return Scorecard.objects.filter(partner=partner).order_by("-as_of").first()


def scorecard_history(partner: Partner, limit: int = 24) -> list[Scorecard]:
    return list(reversed(Scorecard.objects.filter(partner=partner).order_by("-as_of")[:limit]))


def scorecard_chart(history: list[Scorecard]) -> dict[str, Any]:
    """The scorecard trend chart's data (revenue and certified people per scorecard day); values
    stay strings (Decimal text), the chart script parses them."""
    return {
        "labels": [s.as_of.isoformat() for s in history],
        "revenue": [s.values.get(Kpi.REVENUE_12M, "0") for s in history],
        "certified": [s.values.get(Kpi.CERTIFIED_PEOPLE, "0") for s in history],
        "revenue_label": str(Kpi.REVENUE_12M.label),
        "certified_label": str(Kpi.CERTIFIED_PEOPLE.label),
    }


def tier_proposals_for_membership(membership: Membership) -> QuerySet[TierProposal]:
    return TierProposal.objects.select_related("partner", "from_tier", "to_tier", "decided_by").filter(
        partner__in=partners_for_membership(membership)
    )


def get_tier_proposal_for_membership_or_404(membership: Membership, pk: int) -> TierProposal:
    return get_object_or_404(tier_proposals_for_membership(membership), pk=pk)


# --- Directory ------------------------------------------------------------------------------------------


def account_managers(partner: Partner) -> list:
    return list(get_users_with_perms(partner, only_with_perms_in=["manage_partner"], with_group_users=False))


# --- Who hears about a partner ------------------------------------------------------------------------


def partner_admins(partner: Partner) -> list:
    return partner_members(partner.pk, roles=[Role.PARTNER_ADMIN])


def partner_staff_recipients(partner: Partner) -> list:
    """Who hears about a partner on the vendor side: its account managers, else the channel
    managers who see every partner."""
    return account_managers(partner) or staff_members([Role.CHANNEL_MANAGER], unrestricted_only=True)


def partner_people(partner: Partner) -> QuerySet[Membership]:
    """The partner's active people, by e-mail (its page; the partner was checked by the caller)."""
    return partner.memberships.select_related("user").filter(is_active=True).order_by("user__email")


def pending_invitations(partner: Partner) -> QuerySet[Invitation]:
    return Invitation.objects.filter(partner=partner, status=Invitation.Status.PENDING)


def contacts_for_membership(membership: Membership) -> QuerySet[Membership]:
    """The people of every partner the member may see (the contacts export)."""
    return Membership.objects.filter(partner__in=partners_for_membership(membership)).order_by(
        "partner__code", "user__email"
    )


def channel_manager_memberships() -> QuerySet[Membership]:
    return Membership.objects.select_related("user").filter(
        role__in=[Role.CHANNEL_MANAGER, Role.VENDOR_ADMIN], is_active=True
    )


def partner_directory(membership: Membership) -> QuerySet[Partner]:
    """The directory's base queryset: scoped, with what the table shows in one query."""
    signed = Agreement.objects.filter(partner=OuterRef("pk"), status=Agreement.Status.SIGNED)
    return (
        partners_for_membership(membership)
        .select_related("program", "current_tier")
        .annotate(has_signed=Exists(signed))
    )


def managed_partner_ids(user) -> QuerySet:
    return PartnerUserObjectPermission.objects.filter(
        user=user, permission__codename="manage_partner"
    ).values("content_object_id")


# --- Joint business plans -------------------------------------------------------------------------


def plans_for_membership(membership: Membership) -> QuerySet[BusinessPlan]:
    """The plans of the partners the member may see (partner roles: their own partner's)."""
    return BusinessPlan.objects.filter(partner__in=partners_for_membership(membership)).select_related(
        "partner", "vendor_signed_by", "partner_signed_by"
    )


def get_plan_for_membership_or_404(membership: Membership, pk: int) -> BusinessPlan:
    return get_object_or_404(plans_for_membership(membership), pk=pk)


def get_initiative_for_membership_or_404(membership: Membership, pk: int) -> PlanInitiative:
    return get_object_or_404(
        PlanInitiative.objects.select_related("plan__partner").filter(
            plan__partner__in=partners_for_membership(membership)
        ),
        pk=pk,
    )


def plan_people(plan: BusinessPlan) -> QuerySet[Membership]:
    """Who may own an initiative of the plan: the partner's active people and the vendor's active
    staff (the service checks that a restricted manager has the partner in reach)."""
    return (
        Membership.objects.select_related("user")
        .filter(is_active=True)
        .filter(Q(partner_id=plan.partner_id) | Q(partner__isnull=True))
        .order_by("partner_id", "user__email")
    )


def plan_side_recipients(plan: BusinessPlan, side: str) -> list:
    """Who hears about the plan on one side: the partner's admins, or the vendor's account
    managers of the partner (else the channel managers who see every partner)."""
    if side == PlanComment.Side.PARTNER:
        return partner_members(plan.partner_id, roles=[Role.PARTNER_ADMIN])
    return partner_staff_recipients(plan.partner)
