"""Enablement: the resource library, courses and quizzes, and certifications."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import IO

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import (
    Certification,
    Course,
    Lesson,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
    Resource,
    ResourceDownload,
    ResourceVersion,
)
from partners.selectors import partner_admins, partner_staff_recipients, require_active_partner
from partners.services.onboarding import onboarding_refresh
from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.decisions import Notice, decide, lock_for_transition
from prm.files import store_document
from prm.notifications.services import notify
from prm.roles import Perm, require_staff
from prm.workflow import DomainError, require

C = Certification.Status
CERTIFICATION_TRANSITIONS = {C.PENDING: frozenset({C.VALID, C.REJECTED}), C.VALID: frozenset({C.EXPIRED})}
CERTIFICATE_KINDS = ("pdf", "png", "jpeg")


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


# --- Resource library ------------------------------------------------------------------------


def resource_create(
    *,
    acting_membership: Membership,
    title: str,
    category: str,
    upload: IO[bytes],
    filename: str,
    description: str = "",
    kind: str = Resource.Kind.DOCUMENT,
    program=None,
    min_tier_rank: int = 0,
    notes: str = "",
) -> Resource:
    require_staff(acting_membership, Perm.ENABLEMENT_MANAGE)
    stored = store_document(upload, area="resources")
    with transaction.atomic():
        resource = Resource.objects.create(
            title=title,
            category=category,
            description=description,
            kind=kind,
            program=program,
            min_tier_rank=min_tier_rank,
            created_by=acting_membership.user,
        )
        _version_insert(resource, stored, filename, notes, acting_membership.user, 1)
        audit(
            actor=acting_membership.user,
            action="resource.create",
            obj=resource,
            after={
                "title": title,
                "category": category,
                "program": program.pk if program else None,
                "min_tier_rank": min_tier_rank,
            },
        )
    return resource


def _version_insert(resource, stored, filename, notes, user, number) -> ResourceVersion:
    return ResourceVersion.objects.create(
        resource=resource,
        number=number,
        path=stored["path"],
        filename=filename[:200] or "document",
        content_type=stored["content_type"],
        size=stored["size"],
        sha256=stored["sha256"],
        notes=notes,
        uploaded_by=user,
    )


def resource_version_add(
    *, resource: Resource, acting_membership: Membership, upload: IO[bytes], filename: str, notes: str = ""
) -> ResourceVersion:
    require_staff(acting_membership, Perm.ENABLEMENT_MANAGE)
    stored = store_document(upload, area="resources")
    with transaction.atomic():
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        number = (locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = _version_insert(locked, stored, filename, notes, acting_membership.user, number)
        audit(
            actor=acting_membership.user,
            action="resource.version_add",
            obj=locked,
            after={"version": number, "sha256": stored["sha256"]},
        )
    return version


def resource_download(*, resource: Resource, membership: Membership) -> ResourceVersion:
    """The newest version, counted as one download. The caller reached ``resource`` through
    ``resources_for_membership`` (eligibility is checked there)."""
    if membership.is_partner:
        require_active_partner(membership.partner)
    version = resource.versions.order_by("-number").first()
    if version is None:
        raise DomainError(_("This resource has no file yet."))
    ResourceDownload.objects.create(
        version=version, resource=resource, user=membership.user, partner_id=membership.partner_id
    )
    return version


# --- Courses ------------------------------------------------------------------------------------


class QuizCoolingDown(DomainError):
    def __init__(self, allowance: QuizAllowance) -> None:
        self.allowance = allowance
        retry = (
            timezone.localtime(allowance.retry_at).strftime("%Y-%m-%d %H:%M") if allowance.retry_at else ""
        )
        super().__init__(
            _("You have used your attempts at this quiz; you can try again from %(when)s.") % {"when": retry}
        )


def course_create(
    *,
    acting_membership: Membership,
    title: str,
    certification_name: str,
    description: str = "",
    pass_mark: int = 80,
    validity_months: int = 24,
    quiz_max_attempts: int = 3,
    quiz_cooldown_hours: int = 24,
    program=None,
) -> Course:
    require_staff(acting_membership, Perm.ENABLEMENT_MANAGE)
    if not 1 <= pass_mark <= 100:
        raise DomainError(_("The pass mark is a percentage between 1 and 100."))
    if quiz_max_attempts < 1 or quiz_cooldown_hours < 1:
        raise DomainError(_("Allow at least one attempt and a cool-down of at least an hour."))
    with transaction.atomic():
        course = Course.objects.create(
            title=title,
            certification_name=certification_name,
            description=description,
            pass_mark=pass_mark,
            validity_months=validity_months,
            quiz_max_attempts=quiz_max_attempts,
            quiz_cooldown_hours=quiz_cooldown_hours,
            program=program,
        )
        audit(
            actor=acting_membership.user,
            action="course.create",
            obj=course,
            after={
                "title": title,
                "pass_mark": pass_mark,
                "quiz_max_attempts": quiz_max_attempts,
                "quiz_cooldown_hours": quiz_cooldown_hours,
            },
        )
    return course


def lesson_add(
    *,
    course: Course,
    acting_membership: Membership,
    title: str,
    body: str,
    upload: IO[bytes] | None = None,
    filename: str = "",
) -> Lesson:
    require_staff(acting_membership, Perm.ENABLEMENT_MANAGE)
    stored = store_document(upload, area="lessons") if upload is not None else None
    with transaction.atomic():
        order = (course.lessons.aggregate(n=Max("order"))["n"] or 0) + 1
        lesson = Lesson.objects.create(
            course=course,
            order=order,
            title=title,
            body=body,
            attachment_path=str(stored["path"]) if stored else "",
            attachment_name=filename[:200] if stored else "",
            attachment_type=str(stored["content_type"]) if stored else "",
        )
        audit(
            actor=acting_membership.user,
            action="lesson.create",
            obj=lesson,
            after={"course": course.pk, "title": title},
        )
    return lesson


def question_add(
    *, course: Course, acting_membership: Membership, text: str, choices: list[tuple[str, bool]]
) -> QuizQuestion:
    require_staff(acting_membership, Perm.ENABLEMENT_MANAGE)
    choices = [(c.strip(), ok) for c, ok in choices if c.strip()]
    if len(choices) < 2 or sum(1 for _c, ok in choices if ok) != 1:
        raise DomainError(_("A question needs at least two answers, exactly one of them correct."))
    with transaction.atomic():
        order = (course.questions.aggregate(n=Max("order"))["n"] or 0) + 1
        question = QuizQuestion.objects.create(course=course, order=order, text=text)
        QuizChoice.objects.bulk_create(
            [
                QuizChoice(tenant_id=course.tenant_id, question=question, text=c, is_correct=ok)
                for c, ok in choices
            ]
        )
        audit(
            actor=acting_membership.user,
            action="quiz_question.create",
            obj=question,
            after={"course": course.pk},
        )
    return question


@dataclass(frozen=True)
class QuizAllowance:
    """How many attempts a person has left on a course's quiz, and when a cool-down ends."""

    left: int
    retry_at: datetime | None = None


def quiz_allowance(*, course: Course, user, now: datetime | None = None) -> QuizAllowance:
    """After ``quiz_max_attempts`` failed attempts in a row the quiz cools down for
    ``quiz_cooldown_hours`` from the last one; then a fresh round starts. A pass resets the count."""
    now = now or timezone.now()
    cooldown = timedelta(hours=course.quiz_cooldown_hours)
    limit = course.quiz_max_attempts
    streak, last_failure = 0, None
    attempts = QuizAttempt.objects.filter(course=course, user=user).order_by("created_at", "id")
    for created_at, passed in attempts.values_list("created_at", "passed"):
        if passed:
            streak, last_failure = 0, None
            continue
        if streak >= limit and last_failure is not None and created_at >= last_failure + cooldown:
            streak = 0
        streak, last_failure = streak + 1, created_at
    if streak < limit:
        return QuizAllowance(left=limit - streak)
    assert last_failure is not None
    if now < last_failure + cooldown:
        return QuizAllowance(left=0, retry_at=last_failure + cooldown)
    return QuizAllowance(left=limit)


def quiz_submit(*, course: Course, membership: Membership, answers: dict[int, int]) -> QuizAttempt:
    """Score the quiz; at or above the pass mark the person is certified (partner members only).
    Attempts are limited per course (``quiz_allowance``)."""
    require(membership.is_partner, _("Only partner members take quizzes for certification."))
    require_active_partner(membership.partner)
    questions = list(course.questions.prefetch_related("choices"))
    if not questions:
        raise DomainError(_("This course has no quiz yet."))
    correct = 0
    for question in questions:
        chosen = answers.get(question.pk)
        if any(choice.pk == chosen and choice.is_correct for choice in question.choices.all()):
            correct += 1
    score = round(correct * 100 / len(questions))
    passed = score >= course.pass_mark
    with transaction.atomic():
        # One attempt at a time per person: concurrent submissions cannot exceed the allowance.
        Membership.objects.select_for_update().get(pk=membership.pk)
        allowance = quiz_allowance(course=course, user=membership.user)
        if allowance.left < 1:
            raise QuizCoolingDown(allowance)
        attempt = QuizAttempt.objects.create(
            course=course,
            user=membership.user,
            partner_id=membership.partner_id,
            answers={str(k): v for k, v in answers.items()},
            score=score,
            passed=passed,
        )
        audit(
            actor=membership.user,
            action="quiz.submit",
            obj=attempt,
            after={"course": course.pk, "score": score, "passed": passed},
        )
        if passed:
            today = timezone.localdate()
            cert = Certification.objects.create(
                user=membership.user,
                partner_id=membership.partner_id,
                course=course,
                name=course.certification_name,
                source=Certification.Source.COURSE,
                status=C.VALID,
                issued_on=today,
                expires_on=add_months(today, course.validity_months),
            )
            audit(
                actor=membership.user,
                action="certification.issue",
                obj=cert,
                after={"course": course.pk, "expires_on": cert.expires_on.isoformat()},
            )
            _after_certification_change(cert)
    return attempt


def certificate_upload(
    *, membership: Membership, name: str, issued_on: date, expires_on: date, upload: IO[bytes], filename: str
) -> Certification:
    """A partner member uploads an external certificate; it counts once a channel manager verifies it."""
    require(membership.is_partner)
    require_active_partner(membership.partner)
    if expires_on <= issued_on:
        raise DomainError(_("The expiry date must be after the issue date."))
    stored = store_document(upload, area="certificates", kinds=CERTIFICATE_KINDS, max_bytes=20 * 1024 * 1024)
    with transaction.atomic():
        cert = Certification.objects.create(
            user=membership.user,
            partner_id=membership.partner_id,
            name=name,
            source=Certification.Source.EXTERNAL,
            status=C.PENDING,
            issued_on=issued_on,
            expires_on=expires_on,
            file_path=str(stored["path"]),
            file_name=filename[:200],
            file_type=str(stored["content_type"]),
        )
        audit(
            actor=membership.user,
            action="certification.upload",
            obj=cert,
            after={"name": name, "sha256": stored["sha256"]},
        )
        notify(
            recipients=partner_staff_recipients(cert.partner),
            verb="certification.uploaded",
            message=lambda: (
                _("%(user)s uploaded the certificate %(name)s for verification.")
                % {"user": membership.user, "name": name}
            ),
            url=reverse("partners:certifications") + "?status=pending",
        )
    return cert


def _lock_for_decision(cert: Certification, acting_membership: Membership, target: str) -> Certification:
    require_staff(acting_membership, Perm.CERTIFICATION_VERIFY)
    return lock_for_transition(
        Certification, cert.pk, transitions=CERTIFICATION_TRANSITIONS, target=target, what=_("Certification")
    )


def certification_verify(*, certification: Certification, acting_membership: Membership) -> Certification:
    with transaction.atomic():
        locked = _lock_for_decision(certification, acting_membership, C.VALID)
        decide(
            locked,
            C.VALID,
            transitions=CERTIFICATION_TRANSITIONS,
            what=_("Certification"),
            actor=acting_membership.user,
            action="certification.verify",
            decided_by="verified_by",
            decided_at="verified_at",
            notices=[
                Notice(
                    recipients=[locked.user],
                    verb="certification.verified",
                    message=lambda: _("Your certificate %(name)s was verified.") % {"name": locked.name},
                    url=reverse("partners:certifications"),
                )
            ],
        )
        _after_certification_change(locked)
    return locked


def certification_reject(
    *, certification: Certification, acting_membership: Membership, reason: str
) -> Certification:
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Give the reason for the rejection."))
    with transaction.atomic():
        locked = _lock_for_decision(certification, acting_membership, C.REJECTED)
        decide(
            locked,
            C.REJECTED,
            transitions=CERTIFICATION_TRANSITIONS,
            what=_("Certification"),
            actor=acting_membership.user,
            action="certification.reject",
            decided_by="verified_by",
            decided_at="verified_at",
            changes={"rejection_reason": reason[:300]},
            detail={"reason": reason},
            notices=[
                Notice(
                    recipients=[locked.user],
                    verb="certification.rejected",
                    message=lambda: (
                        _("Your certificate %(name)s was not accepted: %(reason)s")
                        % {"name": locked.name, "reason": reason}
                    ),
                    url=reverse("partners:certifications"),
                )
            ],
        )
    return locked


def _after_certification_change(cert: Certification) -> None:
    onboarding_refresh(partner=cert.partner)


def certifications_expire(*, today: date | None = None) -> int:
    """Valid certifications past their expiry date become expired (they already stopped counting)."""
    today = today or timezone.localdate()
    expired = 0
    for cert in Certification.objects.filter(status=C.VALID, expires_on__lt=today):
        with transaction.atomic():
            locked = Certification.objects.select_for_update().get(pk=cert.pk)
            if locked.status != C.VALID:
                continue
            decide(
                locked,
                C.EXPIRED,
                transitions=CERTIFICATION_TRANSITIONS,
                what=_("Certification"),
                actor=None,
                action="certification.expire",
                decided_by=None,
                decided_at=None,
            )
            expired += 1
    return expired


EXPIRY_REMINDER_DAYS = 30


def certification_send_expiry_reminders(*, today: date | None = None) -> int:
    """Remind holders (and their partner admins) 30 days before a certification expires; once each."""
    today = today or timezone.localdate()
    due = Certification.objects.select_related("user", "partner").filter(
        status=C.VALID,
        expiry_reminded_on__isnull=True,
        expires_on__gte=today,
        expires_on__lte=today + timedelta(days=EXPIRY_REMINDER_DAYS),
    )
    sent = 0
    for cert in due:
        with transaction.atomic():
            notify(
                recipients=[cert.user, *partner_admins(cert.partner)],
                verb="certification.expiring",
                message=lambda cert=cert: (
                    _("The certification %(name)s of %(user)s expires on %(date)s.")
                    % {"name": cert.name, "user": cert.user, "date": cert.expires_on.isoformat()}
                ),
                url=reverse("partners:courses"),
            )
            Certification.objects.filter(pk=cert.pk).update(expiry_reminded_on=today)
            sent += 1
    return sent
