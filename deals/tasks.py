"""Beat jobs of deal registration and leads (fanned out per tenant by prm.tasks.for_each_tenant).
Each is idempotent: a re-run finds nothing left to do."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import DealRegistration, DealSettings, Lead, LeadAssignment
from deals.selectors import partner_people, registration_reviewers, reviewers_for, territory_owners_of
from deals.services.cosell import cosell_remind_due_tasks
from deals.services.leads import lead_time_out
from deals.services.outcome import registration_expire
from prm.celery import tenant_task
from prm.notifications.services import notify
from prm.roles import Role

S = DealRegistration.Status


@tenant_task(name="deals.expire_registrations")
def expire_registrations() -> int:
    """Approved registrations whose protection ended (and were neither won nor lost) expire."""
    ids = DealRegistration.objects.filter(
        status=S.APPROVED, protection_until__lt=timezone.localdate()
    ).values_list("pk", flat=True)
    return sum(1 for pk in list(ids) if registration_expire(registration=DealRegistration.objects.get(pk=pk)))


@tenant_task(name="deals.review_sla")
def review_sla() -> dict[str, int]:
    """Remind the reviewers (the territory's owners, else the partner's reviewers) before the
    review SLA lapses; after it lapsed, escalate to the vendor admins, with the owners copied."""
    settings = DealSettings.current()
    now = timezone.now()
    waiting = DealRegistration.objects.filter(
        status__in=[S.SUBMITTED, S.UNDER_REVIEW], review_due_at__isnull=False
    )
    reminded = escalated = 0
    for r in waiting.filter(
        reminded_at__isnull=True,
        review_due_at__gt=now,
        review_due_at__lte=now + timedelta(hours=settings.review_reminder_hours),
    ).select_related("partner"):
        notify(
            recipients=registration_reviewers(r),
            verb="deal.review_reminder",
            message=lambda r=r: (
                _("%(ref)s (%(partner)s) must be reviewed by %(due)s.")
                % {
                    "ref": r.reference,
                    "partner": r.partner.name,
                    "due": timezone.localtime(r.review_due_at).strftime("%Y-%m-%d %H:%M"),
                }
            ),
            url=reverse("deals:review", kwargs={"pk": r.pk}),
        )
        DealRegistration.objects.filter(pk=r.pk).update(reminded_at=now)
        reminded += 1
    for r in waiting.filter(escalated_at__isnull=True, review_due_at__lte=now).select_related("partner"):
        notify(
            recipients=[
                *reviewers_for(r.partner_id, roles=[Role.VENDOR_ADMIN]),
                *(m.user for m in territory_owners_of(r)),
            ],
            verb="deal.review_escalation",
            message=lambda r=r: (
                _("Review SLA missed: %(ref)s (%(partner)s) has waited since %(since)s.")
                % {
                    "ref": r.reference,
                    "partner": r.partner.name,
                    "since": timezone.localtime(r.submitted_at).strftime("%Y-%m-%d %H:%M"),
                }
            ),
            url=reverse("deals:review", kwargs={"pk": r.pk}),
        )
        DealRegistration.objects.filter(pk=r.pk).update(escalated_at=now)
        escalated += 1
    return {"reminded": reminded, "escalated": escalated}


@tenant_task(name="deals.expiry_warnings")
def expiry_warnings() -> int:
    """Warn partners (by default 14 days ahead) that a registration's protection is about to end."""
    settings = DealSettings.current()
    today = timezone.localdate()
    due = DealRegistration.objects.filter(
        status=S.APPROVED,
        expiry_warned_at__isnull=True,
        protection_until__gte=today,
        protection_until__lte=today + timedelta(days=settings.expiry_warning_days),
    ).select_related("created_by", "owner")
    count = 0
    for r in due:
        notify(
            recipients=partner_people(r),
            verb="deal.expiry_warning",
            message=lambda r=r: (
                _(
                    "The protection of %(ref)s (%(customer)s) ends on %(until)s: close it or request an extension."
                )
                % {"ref": r.reference, "customer": r.customer_name, "until": str(r.protection_until)}
            ),
            url=reverse("deals:detail", kwargs={"pk": r.pk}),
        )
        DealRegistration.objects.filter(pk=r.pk).update(expiry_warned_at=timezone.now())
        count += 1
    return count


@tenant_task(name="deals.lead_timeouts")
def lead_timeouts() -> int:
    """Offers past the lead SLA time out; the lead is routed to the next partner."""
    lead_ids = set(
        LeadAssignment.objects.filter(outcome=LeadAssignment.Outcome.PENDING, due_at__lte=timezone.now())
        .filter(Q(lead__status=Lead.Status.OFFERED))
        .values_list("lead_id", flat=True)
    )
    return sum(1 for pk in sorted(lead_ids) if lead_time_out(lead=Lead.objects.get(pk=pk)))


@tenant_task(name="deals.cosell_task_reminders")
def cosell_task_reminders() -> int:
    """Remind both sides of co-sell tasks that are due (once per task)."""
    return cosell_remind_due_tasks()
