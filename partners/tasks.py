"""Background work of the partners app: thin tasks that load by id and call a service."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse

from partners.models import PartnerApplication

# Services by module: a task calls whatever the service module holds when it runs.
from partners.services import enablement, onboarding, plans, scorecards
from prm.celery import tenant_task
from prm.jobs.models import Job
from prm.jobs.services import (
    TRANSIENT_ERRORS,
    TRANSIENT_RETRIES,
    job_fail_unexpected,
    job_progress,
    job_start,
    job_succeed,
)
from prm.lib.mail import send_portal_mail
from prm.tenancy.context import require_tenant


@tenant_task(
    name="partners.mail_applicant", autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5
)
def mail_applicant(*, application_id: int, event: str) -> bool:
    """Tell an applicant the outcome of the review (or where to amend the application)."""
    tenant = require_tenant()
    application = PartnerApplication.objects.filter(pk=application_id).first()
    if application is None:
        return False
    context = {"tenant": tenant, "application": application, "event": event}
    if event == "info_requested":
        if not application.amend_token:
            return False
        context["amend_url"] = tenant.portal_url(
            reverse("partners:apply_amend", kwargs={"token": application.amend_token})
        )
    send_portal_mail(
        tenant,
        subject=render_to_string("partners/email/application_subject.txt", context),
        body=render_to_string("partners/email/application_body.txt", context),
        to=[application.contact_email],
    )
    return True


@tenant_task(name="partners.scorecards_nightly")
def scorecards_nightly() -> dict:
    """Nightly: every scored partner's scorecard for today, and tier proposals."""
    return scorecards.scorecards_calculate()


@tenant_task(
    name="partners.scorecards_job",
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=TRANSIENT_RETRIES,
)
def scorecards_job(self, *, job_id: int) -> None:
    job = Job.objects.filter(pk=job_id).first()
    if job is None or not job_start(job):
        return
    try:
        summary = scorecards.scorecards_calculate(
            partner_ids=job.params.get("partner_ids"),
            progress=lambda done, total: job_progress(job, done * 100 // max(total, 1)),
        )
    except TRANSIENT_ERRORS as exc:
        if self.request.retries < self.max_retries:
            raise  # retried with backoff; the job stays running meanwhile
        job_fail_unexpected(job, exc, what="scorecard recalculation")
        return
    except Exception as exc:
        # The user sees a reference; the detail (SQL, data) goes to the log only.
        job_fail_unexpected(job, exc, what="scorecard recalculation")
        return
    job_succeed(job, summary)


@tenant_task(name="partners.onboarding_reminders")
def onboarding_reminders() -> int:
    return onboarding.onboarding_send_reminders()


@tenant_task(name="partners.onboarding_refresh")
def onboarding_refresh() -> int:
    """Hourly: open checklist items follow the data that changed outside the partners app
    (colleagues invited or joined, certificates now valid), never a page view."""
    return onboarding.onboarding_refresh_partners()


@tenant_task(name="partners.onboarding_refresh_program")
def onboarding_refresh_program(*, program_id: int) -> int:
    """After a new agreement version that must be signed: the program's agreement items reopen."""
    return onboarding.onboarding_refresh_partners(program_id=program_id)


@tenant_task(name="partners.certification_reminders")
def certification_reminders() -> dict:
    """Daily: expire lapsed certifications and remind holders 30 days before expiry."""
    return {
        "expired": enablement.certifications_expire(),
        "reminded": enablement.certification_send_expiry_reminders(),
    }


@tenant_task(name="partners.plan_review_reminders")
def plan_review_reminders() -> int:
    """First days of each quarter: both sides of every plan in force review the quarter that
    ended (once per plan and quarter)."""
    return plans.plan_review_reminders()
