"""Scheduled reports: save a report page with its filters, change, pause, delete, send now; and
the sending itself, run by beat: claim each due period's runs (insert-on-conflict, so a rerun
sends nothing twice), then build each recipient's copy AS THAT RECIPIENT — their membership,
partner scope and permission at send time — and e-mail it with its attachment."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping, Sequence

from celery import current_app
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.lib.mail import send_portal_mail
from prm.reports import InvalidReportParams, ReportKind, query_dict, report_kind, report_params
from prm.roles import Perm, membership_has
from prm.scheduled_reports.attachments import attachments
from prm.scheduled_reports.models import ScheduledReport, ScheduledReportRecipient, ScheduledReportRun
from prm.scheduled_reports.rhythm import next_run, period_of
from prm.scheduled_reports.selectors import recipient_choices
from prm.tenancy.context import require_tenant
from prm.tenancy.hosts import absolute_url
from prm.tenancy.locale import supported_language
from prm.workflow import DomainError, require

DELIVER_TASK = "prm.scheduled_reports.deliver"
logger = logging.getLogger(__name__)
R = ScheduledReportRun.Status


class ScheduleInvalid(DomainError):
    """The schedule cannot be saved as asked (unknown report, filters that do not parse, a
    recipient who is not a member one may choose)."""


def _kind(key: str) -> ReportKind:
    kind = report_kind(key)
    if kind is None:
        raise ScheduleInvalid(_("This report cannot be scheduled."))
    return kind


def _next(schedule: ScheduledReport, after: datetime.datetime) -> datetime.datetime:
    return next_run(
        frequency=schedule.frequency,
        weekday=schedule.weekday,
        day_of_month=schedule.day_of_month,
        after=after,
        tz_name=require_tenant().time_zone,
    )


def _rhythm(schedule: ScheduledReport, frequency: str, weekday: int | None, day_of_month: int | None) -> None:
    schedule.frequency = frequency
    if frequency == ScheduledReport.Frequency.WEEKLY:
        if weekday is None or not 0 <= weekday <= 6:
            raise ScheduleInvalid(_("Choose the weekday of a weekly report."))
        schedule.weekday, schedule.day_of_month = weekday, None
    else:
        if day_of_month is None or not 1 <= day_of_month <= 28:
            raise ScheduleInvalid(_("Choose a day of the month from 1 to 28 for a monthly report."))
        schedule.weekday, schedule.day_of_month = None, day_of_month


def _recipients(acting_membership: Membership, recipients: Sequence[Membership]) -> list[int]:
    ids = sorted({m.pk for m in recipients})
    if not ids:
        raise ScheduleInvalid(_("Choose at least one recipient."))
    allowed = set(recipient_choices(acting_membership).filter(pk__in=ids).values_list("pk", flat=True))
    if set(ids) - allowed:
        raise ScheduleInvalid(_("Recipients must be active members you may send reports to."))
    return ids


def _set_recipients(schedule: ScheduledReport, ids: list[int]) -> None:
    ScheduledReportRecipient.objects.filter(schedule=schedule).exclude(membership_id__in=ids).delete()
    existing = set(
        ScheduledReportRecipient.objects.filter(schedule=schedule).values_list("membership_id", flat=True)
    )
    ScheduledReportRecipient.objects.bulk_create(
        [
            ScheduledReportRecipient(tenant_id=schedule.tenant_id, schedule=schedule, membership_id=pk)
            for pk in ids
            if pk not in existing
        ]
    )


def _state(schedule: ScheduledReport, recipient_ids: list[int] | None = None) -> dict:
    state = {
        "name": schedule.name,
        "report": schedule.report_key,
        "params": schedule.params,
        "frequency": schedule.frequency,
        "weekday": schedule.weekday,
        "day_of_month": schedule.day_of_month,
        "format": schedule.format,
        "active": schedule.is_active,
    }
    if recipient_ids is not None:
        state["recipients"] = recipient_ids
    return state


def _require_owner(schedule: ScheduledReport, acting_membership: Membership) -> None:
    require(
        schedule.owner_id == acting_membership.pk and membership_has(acting_membership, Perm.REPORT_SCHEDULE),
        _("Only the owner of a scheduled report may change or send it."),
    )


def _require_owner_or_overseer(schedule: ScheduledReport, acting_membership: Membership) -> None:
    require(
        (
            schedule.owner_id == acting_membership.pk
            and membership_has(acting_membership, Perm.REPORT_SCHEDULE)
        )
        or membership_has(acting_membership, Perm.REPORT_SCHEDULE_ALL)
    )


def _locked(schedule: ScheduledReport) -> ScheduledReport:
    return ScheduledReport.objects.select_for_update().get(pk=schedule.pk)


def scheduled_report_create(
    *,
    acting_membership: Membership,
    report_key: str,
    params: Mapping[str, str],
    name: str,
    frequency: str,
    weekday: int | None,
    day_of_month: int | None,
    format: str,
    recipients: Sequence[Membership],
) -> ScheduledReport:
    """Save a report page with its filters for a weekly or monthly e-mail. The owner must be able
    to open the page; each recipient's right to see it is checked at every send."""
    require(membership_has(acting_membership, Perm.REPORT_SCHEDULE))
    kind = _kind(report_key)
    require(membership_has(acting_membership, kind.perm))
    params = report_params(params)
    try:
        kind.tables(acting_membership, params)
    except InvalidReportParams as exc:
        raise ScheduleInvalid(
            _("The report's filters are not valid: %(problems)s") % {"problems": exc}
        ) from exc
    ids = _recipients(acting_membership, recipients)
    with transaction.atomic():
        schedule = ScheduledReport(
            owner=acting_membership,
            name=name.strip() or str(kind.label),
            report_key=kind.key,
            params=params,
            format=format,
        )
        _rhythm(schedule, frequency, weekday, day_of_month)
        schedule.next_run_at = _next(schedule, timezone.now())
        schedule.save()
        _set_recipients(schedule, ids)
        audit(
            actor=acting_membership.user,
            action="scheduled_report.create",
            obj=schedule,
            after=_state(schedule, ids),
        )
    return schedule


def scheduled_report_update(
    *,
    schedule: ScheduledReport,
    acting_membership: Membership,
    name: str,
    frequency: str,
    weekday: int | None,
    day_of_month: int | None,
    format: str,
    recipients: Sequence[Membership],
) -> ScheduledReport:
    """Change the rhythm, format, name or recipients (the owner only); the next send follows the
    new rhythm (a period already sent is not sent again)."""
    _require_owner(schedule, acting_membership)
    ids = _recipients(acting_membership, recipients)
    with transaction.atomic():
        locked = _locked(schedule)
        before = _state(locked, sorted(locked.recipient_rows.values_list("membership_id", flat=True)))
        locked.name = name.strip() or locked.name
        locked.format = format
        _rhythm(locked, frequency, weekday, day_of_month)
        locked.next_run_at = _next(locked, timezone.now())
        locked.save(
            update_fields=[
                "name",
                "format",
                "frequency",
                "weekday",
                "day_of_month",
                "next_run_at",
                "updated_at",
            ]
        )
        _set_recipients(locked, ids)
        audit(
            actor=acting_membership.user,
            action="scheduled_report.update",
            obj=locked,
            before=before,
            after=_state(locked, ids),
        )
    return locked


def scheduled_report_set_active(
    *, schedule: ScheduledReport, acting_membership: Membership, active: bool
) -> ScheduledReport:
    """Pause or resume (the owner, or a vendor admin stopping a schedule). Resuming sends next at
    the first due time from now: periods missed while paused are not caught up."""
    _require_owner_or_overseer(schedule, acting_membership)
    with transaction.atomic():
        locked = _locked(schedule)
        if locked.is_active == active:
            raise DomainError(
                _("The report is already active.") if active else _("The report is already paused.")
            )
        locked.is_active = active
        locked.next_run_at = _next(locked, timezone.now()) if active else None
        locked.save(update_fields=["is_active", "next_run_at", "updated_at"])
        audit(
            actor=acting_membership.user,
            action="scheduled_report.resume" if active else "scheduled_report.pause",
            obj=locked,
            before={"active": not active},
            after={"active": active},
        )
    return locked


def scheduled_report_delete(*, schedule: ScheduledReport, acting_membership: Membership) -> None:
    _require_owner_or_overseer(schedule, acting_membership)
    with transaction.atomic():
        locked = _locked(schedule)
        audit(
            actor=acting_membership.user, action="scheduled_report.delete", obj=locked, before=_state(locked)
        )
        locked.delete()


def scheduled_report_send_now(*, schedule: ScheduledReport, acting_membership: Membership) -> int:
    """Send the report now, outside its rhythm (the owner only): a period of its own, keyed to the
    minute, so a double click sends once. Returns how many copies were queued."""
    _require_owner(schedule, acting_membership)
    with transaction.atomic():
        locked = _locked(schedule)
        period = f"now-{timezone.now():%Y%m%dT%H%M}"
        run_ids = _claim(locked, period)
        audit(
            actor=acting_membership.user,
            action="scheduled_report.send_now",
            obj=locked,
            after={"period": period},
        )
        _deliver_on_commit(run_ids)
    return len(run_ids)


# --- Sending ------------------------------------------------------------------------------------------


def _claim(schedule: ScheduledReport, period: str) -> list[int]:
    """Insert one pending run per recipient of ``period``; the ids of the rows that were new (a
    run that exists already, from an earlier attempt, is never sent again)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {ScheduledReportRun._meta.db_table}
                (tenant_id, schedule_id, period, recipient_id, status, reason, rows, created_at)
            SELECT r.tenant_id, r.schedule_id, %s, r.membership_id, %s, '', 0, now()
            FROM {ScheduledReportRecipient._meta.db_table} r
            WHERE r.tenant_id = %s AND r.schedule_id = %s
            ON CONFLICT (tenant_id, schedule_id, period, recipient_id) DO NOTHING
            RETURNING id
            """,
            [period, R.PENDING, schedule.tenant_id, schedule.pk],
        )
        return [row[0] for row in cursor.fetchall()]


def _deliver_on_commit(run_ids: list[int]) -> None:
    if not run_ids:
        return
    tenant_id = require_tenant().pk
    transaction.on_commit(lambda: current_app.tasks[DELIVER_TASK].delay(tenant_id=tenant_id, run_ids=run_ids))


def scheduled_reports_send_due(now: datetime.datetime | None = None) -> int:
    """Beat's hourly sweep: for every active schedule whose time has come, claim the runs of the
    period it is due for, move it to its next time, and queue the copies. Returns runs claimed."""
    now = now or timezone.now()
    tz_name = require_tenant().time_zone
    claimed = 0
    with transaction.atomic():
        due = (
            ScheduledReport.objects.select_for_update(skip_locked=True)
            .filter(is_active=True, next_run_at__lte=now)
            .order_by("next_run_at", "pk")
        )
        for schedule in due:
            assert schedule.next_run_at is not None
            run_ids = _claim(schedule, period_of(schedule.frequency, schedule.next_run_at, tz_name))
            schedule.next_run_at = _next(schedule, now)
            schedule.save(update_fields=["next_run_at"])
            _deliver_on_commit(run_ids)
            claimed += len(run_ids)
    return claimed


def _refusal(run: ScheduledReportRun, kind: ReportKind | None) -> str:
    """Why this copy must not be sent, or "" (the recipient as they are now, not at saving)."""
    recipient, owner = run.recipient, run.schedule.owner
    if kind is None:
        return _("The report no longer exists.")
    if not recipient.is_active or not recipient.user.is_active:
        return _("The recipient is no longer an active member of the portal.")
    if not membership_has(recipient, kind.perm):
        return _("The recipient may no longer see this report.")
    if not owner.is_active or not membership_has(owner, kind.perm):
        return _("The owner of the schedule may no longer see this report.")
    return ""


def _finish(run: ScheduledReportRun, status: str, reason: str = "", rows: int = 0) -> None:
    run.status, run.reason, run.rows = status, reason[:500], rows
    run.sent_at = timezone.now() if status == R.SENT else None
    run.save(update_fields=["status", "reason", "rows", "sent_at"])
    schedule = run.schedule
    audit(
        actor=None,
        action=f"scheduled_report.{status}",
        obj=schedule,
        after={
            "period": run.period,
            "recipient": run.recipient.user.email,
            "reason": run.reason,
            "rows": rows,
        },
    )
    if status == R.SENT:
        ScheduledReport.objects.filter(pk=schedule.pk).update(last_sent_at=run.sent_at)


def scheduled_report_deliver(run_id: int) -> str:
    """Build one recipient's copy as that recipient and e-mail it; or record why not. A run that
    is no longer pending (delivered by an earlier attempt) is left alone."""
    tenant = require_tenant()
    run = (
        ScheduledReportRun.objects.select_related(
            "schedule__owner__user", "schedule__owner__partner", "recipient__user", "recipient__partner"
        )
        .filter(pk=run_id, status=R.PENDING)
        .first()
    )
    if run is None:
        return ""
    schedule, recipient = run.schedule, run.recipient
    kind = report_kind(schedule.report_key)
    reason = _refusal(run, kind)
    if reason or kind is None:
        _finish(run, R.SKIPPED, reason)
        return R.SKIPPED
    language = (
        supported_language(recipient.user.language) or supported_language(tenant.default_language) or "en"
    )
    with translation.override(language):
        title = f"{schedule.name} — {kind.label}"
        subtitle = _("%(tenant)s · period %(period)s") % {"tenant": tenant.brand_name, "period": run.period}
        try:
            reports = kind.build(recipient, schedule.params)
            files = attachments(
                reports,
                fmt=schedule.format,
                stem=slugify(schedule.name) or "report",
                title=title,
                subtitle=subtitle,
            )
        except InvalidReportParams as exc:
            _finish(
                run,
                R.SKIPPED,
                _("The saved filters are not valid for this recipient: %(problems)s") % {"problems": exc},
            )
            return R.SKIPPED
        except Exception:  # a failing report must not leave the copy pending forever: record it
            logger.exception("Scheduled report %s could not be built for run %s", schedule.pk, run.pk)
            _finish(run, R.FAILED, _("The report could not be built; the operators have the details."))
            return R.FAILED
        link = absolute_url(tenant.primary_domain(), _page_url(kind, schedule.params))
        body = _(
            'Your scheduled report "%(name)s" (%(report)s) is attached, as you may see it today.\n\n'
            "Open the page: %(link)s\n\nYou receive it because %(owner)s scheduled it for you."
        ) % {"name": schedule.name, "report": kind.label, "link": link, "owner": schedule.owner.user}
        subject = f"[{tenant.brand_name}] {schedule.name}"
    try:
        send_portal_mail(
            tenant,
            subject=subject,
            body=body,
            to=[recipient.user.email],
            attachments=[(f.filename, f.content, f.mimetype) for f in files],
        )
    except OSError as exc:  # the mail server refused or was unreachable: say so in the history
        _finish(run, R.FAILED, str(exc))
        return R.FAILED
    _finish(run, R.SENT, rows=sum(len(report.rows) for report in reports))
    return R.SENT


def _page_url(kind: ReportKind, params: Mapping[str, str]) -> str:
    query = query_dict(params).urlencode()
    return reverse(kind.url_name) + (f"?{query}" if query else "")
