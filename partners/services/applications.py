"""Recruitment: public applications, duplicate detection, and the review transitions."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Partner, PartnerApplication, Program
from partners.services.programs import default_program, partner_enrol
from prm.accounts.models import Membership
from prm.accounts.services import partner_invitation_create
from prm.audit.services import audit
from prm.decisions import decide, lock_for_transition
from prm.jobs.services import task_enqueue
from prm.notifications.recipients import staff_members
from prm.notifications.services import notify
from prm.roles import Perm, Role, require_staff
from prm.workflow import DomainError, check_transition

S = PartnerApplication.Status
APPLICATION_TRANSITIONS = {
    S.SUBMITTED: frozenset({S.APPROVED, S.REJECTED, S.INFO_REQUESTED}),
    S.INFO_REQUESTED: frozenset({S.SUBMITTED, S.REJECTED}),
}
APPLICANT_FIELDS = [
    "company",
    "website",
    "country",
    "region",
    "type",
    "expertise",
    "revenue_band",
    "contact_name",
    "contact_email",
    "contact_phone",
    "message",
]


class RateLimited(DomainError):
    pass


def normalise_domain(website: str) -> str:
    """'https://WWW.Example.com/about' -> 'example.com'."""
    value = website.strip().lower()
    if "//" not in value:
        value = "//" + value
    host = (urlsplit(value).hostname or "").rstrip(".")
    return host.removeprefix("www.")


def application_rate_check(ip: str | None) -> None:
    """At most ``PRM_APPLICATION_RATE_LIMIT`` submissions per hour from one address (Redis cache,
    keyed per tenant)."""
    limit = getattr(settings, "PRM_APPLICATION_RATE_LIMIT", 5)
    key = f"partners:apply:{ip or 'unknown'}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=3600)
        count = 1
    if count > limit:
        raise RateLimited(_("Too many applications from your network. Please try again later."))


def _duplicate_note(domain: str, exclude_pk: int | None = None) -> str:
    others = PartnerApplication.objects.filter(domain=domain)
    if exclude_pk:
        others = others.exclude(pk=exclude_pk)
    notes = [_("application from %(company)s") % {"company": a.company} for a in others[:3]]
    partner_hits = Partner.objects.filter(
        Q(website__icontains=f"//{domain}") | Q(website__icontains=f".{domain}")
    )
    notes += [_("existing partner %(code)s") % {"code": p.code} for p in partner_hits[:3]]
    return "; ".join(notes)[:300]


def application_submit(*, data: dict[str, Any], ip: str | None = None) -> PartnerApplication:
    """Store a public application; one with a website domain seen before is flagged as duplicate."""
    domain = normalise_domain(data["website"])
    if not domain:
        raise DomainError(_("Enter the company's website."))
    program = data.get("program") or Program.objects.filter(is_default=True).first()
    with transaction.atomic():
        note = _duplicate_note(domain)
        application = PartnerApplication.objects.create(
            **{f: data.get(f, "" if f != "expertise" else []) for f in APPLICANT_FIELDS},
            domain=domain,
            program=program,
            is_duplicate=bool(note),
            duplicate_note=note,
            submitted_ip=ip,
            submitted_at=timezone.now(),
        )
        audit(
            actor=None,
            action="application.submit",
            obj=application,
            after={"company": application.company, "domain": domain, "duplicate": application.is_duplicate},
        )
        notify(
            recipients=staff_members([Role.CHANNEL_MANAGER, Role.VENDOR_ADMIN], unrestricted_only=True),
            verb="application.submitted",
            message=lambda: _("New partner application from %(company)s.") % {"company": application.company},
            url=_review_url(application),
        )
    return application


def _review_url(application: PartnerApplication) -> str:
    return reverse("partners:application_detail", kwargs={"pk": application.pk})


def _lock_for_review(
    application: PartnerApplication, acting_membership: Membership, target: str
) -> PartnerApplication:
    require_staff(acting_membership, Perm.APPLICATION_REVIEW)
    return lock_for_transition(
        PartnerApplication,
        application.pk,
        transitions=APPLICATION_TRANSITIONS,
        target=target,
        what=_("Application"),
    )


def _decide(
    locked: PartnerApplication, target: str, *, acting_membership: Membership, action: str, **kwargs
) -> None:
    decide(
        locked,
        target,
        transitions=APPLICATION_TRANSITIONS,
        what=_("Application"),
        actor=acting_membership.user,
        action=action,
        decided_by="reviewed_by",
        decided_at="reviewed_at",
        **kwargs,
    )


def _next_code(partner_type: str) -> str:
    prefix = {"distributor": "D", "reseller": "R", "referral": "F"}.get(partner_type, "P")
    number = Partner.objects.count() + 1000
    while Partner.objects.filter(code=f"{prefix}{number}").exists():
        number += 1
    return f"{prefix}{number}"


def application_approve(
    *,
    application: PartnerApplication,
    acting_membership: Membership,
    program: Program | None = None,
    code: str = "",
) -> Partner:
    """Create the partner in the program's entry tier and invite the contact as partner admin."""
    with transaction.atomic():
        locked = _lock_for_review(application, acting_membership, S.APPROVED)
        program = program or locked.program or default_program(acting_user=acting_membership.user)
        code = (code or "").strip().upper() or _next_code(locked.type)
        if Partner.objects.filter(code=code).exists():
            raise DomainError(_("The partner code %(code)s is taken.") % {"code": code})
        partner = Partner.objects.create(
            code=code,
            name=locked.company,
            type=locked.type,
            country=locked.country,
            region=locked.region,
            email=locked.contact_email,
            website=locked.website,
            phone=locked.contact_phone,
            expertise=locked.expertise,
            revenue_band=locked.revenue_band,
            status=Partner.Status.ONBOARDING,
        )
        audit(
            actor=acting_membership.user,
            action="partner.create",
            obj=partner,
            after={"code": code, "application": locked.pk},
        )
        partner = partner_enrol(partner=partner, program=program, actor=acting_membership.user)
        partner_invitation_create(
            acting_membership=acting_membership,
            email=locked.contact_email,
            partner=partner,
            role=Role.PARTNER_ADMIN,
        )
        _decide(
            locked,
            S.APPROVED,
            acting_membership=acting_membership,
            action="application.approve",
            changes={"partner": partner, "program": program, "amend_token": None},
            detail={"partner": partner.pk},
        )
    application.refresh_from_db()
    return partner


def application_reject(
    *, application: PartnerApplication, acting_membership: Membership, reason: str
) -> None:
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Give the reason for the rejection."))
    with transaction.atomic():
        locked = _lock_for_review(application, acting_membership, S.REJECTED)
        _decide(
            locked,
            S.REJECTED,
            acting_membership=acting_membership,
            action="application.reject",
            changes={"rejection_reason": reason, "amend_token": None},
            detail={"reason": reason},
        )
        task_enqueue("partners.mail_applicant", application_id=locked.pk, event="rejected")
    application.refresh_from_db()


def application_request_info(
    *, application: PartnerApplication, acting_membership: Membership, message: str
) -> str:
    """Ask the applicant for more information; returns the single-use amend token."""
    message = message.strip()
    if not message:
        raise DomainError(_("Say what information is missing."))
    with transaction.atomic():
        locked = _lock_for_review(application, acting_membership, S.INFO_REQUESTED)
        _decide(
            locked,
            S.INFO_REQUESTED,
            acting_membership=acting_membership,
            action="application.request_info",
            changes={"info_request": message, "amend_token": secrets.token_urlsafe(32)},
            detail={"message": message},
        )
        task_enqueue("partners.mail_applicant", application_id=locked.pk, event="info_requested")
    application.refresh_from_db()
    return locked.amend_token or ""


def application_amend(*, token: str, data: dict[str, Any]) -> PartnerApplication:
    """The applicant's answer through the single-use link: the application is submitted again."""
    with transaction.atomic():
        locked = PartnerApplication.objects.select_for_update().filter(amend_token=token).first()
        if locked is None or locked.status != S.INFO_REQUESTED:
            raise DomainError(_("This link has already been used or is no longer valid."))
        check_transition(APPLICATION_TRANSITIONS, locked.status, S.SUBMITTED, what=_("Application"))
        before = {f: locked.expertise if f == "expertise" else getattr(locked, f) for f in APPLICANT_FIELDS}
        for field in APPLICANT_FIELDS:
            if field in data:
                setattr(locked, field, data[field])
        locked.domain = normalise_domain(locked.website)
        note = _duplicate_note(locked.domain, exclude_pk=locked.pk)
        locked.is_duplicate, locked.duplicate_note = bool(note), note
        locked.status = S.SUBMITTED
        locked.amend_token = None
        locked.submitted_at = timezone.now()
        locked.save()
        audit(
            actor=None,
            action="application.amend",
            obj=locked,
            before={"status": S.INFO_REQUESTED, **before},
            after={"status": S.SUBMITTED, **{f: getattr(locked, f) for f in APPLICANT_FIELDS}},
        )
        if locked.reviewed_by_id:
            notify(
                recipients=[locked.reviewed_by],
                verb="application.amended",
                message=lambda: _("%(company)s answered your questions.") % {"company": locked.company},
                url=_review_url(locked),
            )
    return locked
