"""Scheduled reports: saved from a page with its filters, due weekly or monthly, built for each
recipient as that recipient at send time (scope and permission then, not at saving), sent once
per period, attached as CSV, XLSX or PDF; the pages per role, and the list's query count."""

from __future__ import annotations

import csv
import datetime
import io
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from prm.audit.models import AuditEvent
from prm.scheduled_reports import services
from prm.scheduled_reports.models import ScheduledReport, ScheduledReportRun
from prm.scheduled_reports.rhythm import next_run, period_of
from tests.scheduled_reports.helpers import PERIOD, pos_activity, schedule

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


@pytest.fixture
def send_due(cast, django_capture_on_commit_callbacks):
    """Beat's sweep at ``now``; the copies it queues on commit are then delivered (eager tasks)."""

    def run(now):
        with django_capture_on_commit_callbacks(execute=True), cast.a.context():
            return services.scheduled_reports_send_due(now)

    return run


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """A request whose on-commit work (queued copies) runs, as after a real commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _dt(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def _text(attachment) -> str:
    """A text attachment as text (Django's mail keeps text/* attachments as str)."""
    content = attachment[1]
    return (content if isinstance(content, str) else content.decode("utf-8")).lstrip("\ufeff")


def _csv(attachment) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_text(attachment))))


# --- Saving from a page ------------------------------------------------------------------------------


def test_schedule_saved_from_the_page_keeps_the_pages_filters(cast):
    client = cast.a.client("manager")
    p1 = cast.a.partners["p1"].pk
    page = client.get("/pos/", {**PERIOD, "partner": p1, "page": 2})
    link = re.search(r'href="([^"]+)" data-testid="schedule-report"', page.content.decode()).group(1)
    link = link.replace("&amp;", "&")
    query = dict(parse_qsl(urlsplit(link).query))
    assert query == {"report": "pos.sell_through", **PERIOD, "partner": str(p1)}  # paging is no filter

    form = client.get(link)
    assert form.status_code == 200
    hidden = re.search(r'name="params" value="([^"]+)"', form.content.decode()).group(1).replace("&amp;", "&")
    response = client.post(
        "/reports/scheduled/new/",
        {
            "report": "pos.sell_through",
            "params": hidden,
            "name": "P1 sell-through",
            "frequency": "monthly",
            "day_of_month": "3",
            "weekday": "",
            "format": "xlsx",
            "recipients": [cast.a.memberships["manager"].pk, cast.a.memberships["p1_user"].pk],
        },
    )
    assert response.status_code == 302
    with cast.a.context():
        saved = ScheduledReport.objects.get()
        assert saved.params == {**PERIOD, "partner": str(p1)}
        assert (saved.frequency, saved.day_of_month, saved.format) == ("monthly", 3, "xlsx")
        assert saved.owner == cast.a.memberships["manager"]
        assert saved.next_run_at > timezone.now()
        assert AuditEvent.objects.filter(action="scheduled_report.create", object_id=str(saved.pk)).exists()


def test_filters_that_do_not_parse_are_refused_with_a_message(cast):
    response = cast.a.client("manager").post(
        "/reports/scheduled/new/",
        {
            "report": "pos.sell_through",
            "params": "date_from=31.02.2026",
            "name": "Bad",
            "frequency": "weekly",
            "weekday": "0",
            "format": "csv",
            "recipients": [cast.a.memberships["manager"].pk],
        },
    )
    assert response.status_code == 200
    assert "filters are not valid" in response.content.decode()
    with cast.a.context():
        assert not ScheduledReport.objects.exists()


def test_a_partner_user_cannot_choose_another_partners_people_nor_schedule_staff_reports(cast):
    client = cast.a.client("p1_user")
    form = client.get("/reports/scheduled/new/", {"report": "pos.sell_through"})
    body = form.content.decode()
    assert cast.a.users["p1_admin"].email in body
    assert cast.a.users["p2_user"].email not in body and cast.a.users["manager"].email not in body
    response = client.post(
        "/reports/scheduled/new/",
        {
            "report": "pos.sell_through",
            "params": "",
            "name": "Mine",
            "frequency": "weekly",
            "weekday": "1",
            "format": "csv",
            "recipients": [cast.a.memberships["p2_user"].pk],
        },
    )
    assert response.status_code == 200
    assert client.get("/reports/scheduled/new/", {"report": "deals.reports"}).status_code == 403
    with cast.a.context():
        assert not ScheduledReport.objects.exists()


# --- When it is due ----------------------------------------------------------------------------------


def test_weekly_and_monthly_send_times_and_periods():
    monday_6 = _dt(2026, 11, 30, 6)
    # Weekly on Wednesday at 06:00: from Monday morning it is this Wednesday; at 06:00 sharp on a
    # Wednesday the next one is a week later.
    assert next_run(frequency="weekly", weekday=2, day_of_month=None, after=monday_6, tz_name="UTC") == _dt(
        2026, 12, 2, 6
    )
    assert next_run(
        frequency="weekly", weekday=2, day_of_month=None, after=_dt(2026, 12, 2, 6), tz_name="UTC"
    ) == _dt(2026, 12, 9, 6)
    # Monthly on the 28th, across the year's end.
    assert next_run(
        frequency="monthly", weekday=None, day_of_month=28, after=_dt(2026, 12, 28, 7), tz_name="UTC"
    ) == _dt(2027, 1, 28, 6)
    # In the tenant's time zone: 06:00 in Berlin is 05:00 UTC in winter.
    assert next_run(
        frequency="monthly",
        weekday=None,
        day_of_month=1,
        after=_dt(2026, 11, 30, 12),
        tz_name="Europe/Berlin",
    ) == _dt(2026, 12, 1, 5)
    assert period_of("weekly", _dt(2026, 12, 2, 6), "UTC") == "2026-W49"
    assert period_of("monthly", _dt(2027, 1, 28, 6), "UTC") == "2027-01"


def test_only_due_active_schedules_are_sent_and_move_to_their_next_time(cast, send_due):
    due = schedule(cast, "manager", ["manager"], weekday=2, next_run_at=_dt(2026, 12, 2, 6))
    later = schedule(cast, "manager", ["manager"], weekday=4, next_run_at=_dt(2026, 12, 4, 6))
    paused = schedule(cast, "manager", ["manager"], is_active=False, next_run_at=_dt(2026, 12, 1, 6))
    assert send_due(_dt(2026, 12, 2, 7)) == 1
    assert len(mail.outbox) == 1
    with cast.a.context():
        due.refresh_from_db()
        later.refresh_from_db()
        paused.refresh_from_db()
        assert due.next_run_at == _dt(2026, 12, 9, 6) and due.last_sent_at is not None
        assert later.next_run_at == _dt(2026, 12, 4, 6) and later.last_sent_at is None
        assert paused.last_sent_at is None
        assert list(ScheduledReportRun.objects.values_list("period", "status")) == [("2026-W49", "sent")]


# --- Sending as each recipient -----------------------------------------------------------------------


def test_each_recipient_gets_the_report_as_they_may_see_it(cast, send_due):
    pos_activity(cast)
    schedule(cast, "manager", ["manager", "p1_user"], next_run_at=_dt(2026, 12, 2, 6))
    send_due(_dt(2026, 12, 2, 7))
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {cast.a.users["manager"].email, cast.a.users["p1_user"].email}

    def partners_in(message) -> set[str]:
        sell_through = next(a for a in message.attachments if a[0].endswith("-sell_through.csv"))
        return {row[0] for row in _csv(sell_through)[1:]}

    assert partners_in(by_recipient[cast.a.users["manager"].email]) == {"D100", "D200"}
    # The partner user only ever gets his partner's rows, whoever scheduled the report.
    assert partners_in(by_recipient[cast.a.users["p1_user"].email]) == {"D100"}
    p1_files = "".join(_text(a) for a in by_recipient[cast.a.users["p1_user"].email].attachments)
    assert "D200" not in p1_files and "Contoso" not in p1_files


def test_a_recipient_who_lost_the_permission_after_saving_receives_nothing_and_the_owner_sees_why(
    cast, send_due
):
    schedule(
        cast, "admin", ["admin", "manager"], key="deals.reports", params={}, next_run_at=_dt(2026, 12, 2, 6)
    )
    with cast.a.context():
        manager = cast.a.memberships["manager"]
        manager.role = "marketing_manager"  # marketing may not review deals: no deal reports
        manager.save(update_fields=["role"])
        finance = cast.a.memberships["finance"]
    send_due(_dt(2026, 12, 2, 7))
    assert [m.to for m in mail.outbox] == [[cast.a.users["admin"].email]]
    with cast.a.context():
        skipped = ScheduledReportRun.objects.get(recipient=manager)
        assert skipped.status == "skipped" and "may no longer see" in skipped.reason
        assert AuditEvent.objects.filter(action="scheduled_report.skipped").count() == 1
        assert AuditEvent.objects.filter(action="scheduled_report.sent").count() == 1
        schedule_pk = skipped.schedule_id
    page = cast.a.client("admin").get(f"/reports/scheduled/{schedule_pk}/").content.decode()
    assert 'data-testid="run-skipped"' in page and "may no longer see this report" in page
    assert finance.pk  # untouched member


def test_a_deactivated_recipient_receives_nothing(cast, send_due):
    pos_activity(cast)
    schedule(cast, "manager", ["manager", "p1_user"], next_run_at=_dt(2026, 12, 2, 6))
    with cast.a.context():
        member = cast.a.memberships["p1_user"]
        member.is_active = False
        member.save(update_fields=["is_active"])
    send_due(_dt(2026, 12, 2, 7))
    assert [m.to for m in mail.outbox] == [[cast.a.users["manager"].email]]
    with cast.a.context():
        assert ScheduledReportRun.objects.get(recipient=member).status == "skipped"


def test_a_rerun_in_the_same_period_sends_nothing_twice(cast, send_due):
    s = schedule(cast, "manager", ["manager", "admin"], next_run_at=_dt(2026, 12, 2, 6))
    send_due(_dt(2026, 12, 2, 7))
    assert len(mail.outbox) == 2
    send_due(_dt(2026, 12, 2, 8))  # the same task again: nothing is due
    with cast.a.context():
        # Even made due again within the same week (e.g. redelivered before the move was saved),
        # the period's runs exist: nothing is sent twice.
        ScheduledReport.objects.filter(pk=s.pk).update(next_run_at=_dt(2026, 12, 2, 6))
    assert send_due(_dt(2026, 12, 2, 9)) == 0
    assert len(mail.outbox) == 2
    with cast.a.context():
        assert ScheduledReportRun.objects.count() == 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_the_three_formats_attach_valid_files(cast, fmt, committed):
    pos_activity(cast)
    s = schedule(cast, "manager", ["manager"], fmt=fmt, name="=Sell through")
    client = cast.a.client("manager")
    with committed():
        response = client.post(f"/reports/scheduled/{s.pk}/send-now/")
    assert response.status_code == 302
    (message,) = mail.outbox
    files = message.attachments
    if fmt == "csv":
        names = {name for name, _c, _m in files}
        assert "sell-through-sell_through.csv" in names and "sell-through-comparison.csv" in names
        rows = _csv(next(a for a in files if a[0] == "sell-through-sell_through.csv"))
        assert rows[0][:3] == ["Partner", "Partner name", "SKU"]
        assert [
            rows[1][0],
            rows[1][4],
            rows[1][5],
            rows[1][6],
            rows[1][7],
        ] == ["D100", "2026-01", "100", "40", "40.0"]
    elif fmt == "xlsx":
        ((name, content, mimetype),) = files
        assert name == "sell-through.xlsx"
        workbook = load_workbook(io.BytesIO(content))
        assert "sell_through" in workbook.sheetnames and "comparison" in workbook.sheetnames
        sheet = workbook["sell_through"]
        assert sheet.cell(2, 1).value == "D100" and sheet.cell(2, 6).value == 100
    else:
        ((name, content, mimetype),) = files
        assert name == "sell-through.pdf" and mimetype == "application/pdf"
        assert content.startswith(b"%PDF")
    with cast.a.context():
        run = ScheduledReportRun.objects.get()
        assert run.status == "sent" and run.period.startswith("now-") and run.rows > 0


def test_cells_that_look_like_formulas_are_escaped_in_the_attachments(cast, committed):
    with cast.a.context():
        partner = cast.a.partners["p1"]
        partner.name = "=HYPERLINK(1)"
        partner.save(update_fields=["name"])
    pos_activity(cast)
    s = schedule(cast, "manager", ["manager"], fmt="csv")
    with committed():
        cast.a.client("manager").post(f"/reports/scheduled/{s.pk}/send-now/")
    rows = _csv(next(a for a in mail.outbox[0].attachments if a[0].endswith("-sell_through.csv")))
    assert rows[1][1] == "'=HYPERLINK(1)"


# --- Pages per role ----------------------------------------------------------------------------------


def test_owner_manages_others_get_404_and_the_admin_sees_but_does_not_edit(cast):
    s = schedule(cast, "manager", ["manager"])
    url = f"/reports/scheduled/{s.pk}/"
    assert cast.a.client("manager").get(url).status_code == 200
    assert cast.a.client("manager").get(url + "edit/").status_code == 200
    for other in ("finance", "p1_user", "p2_admin"):
        assert cast.a.client(other).get(url).status_code == 404
        assert cast.a.client(other).post(url + "send-now/").status_code == 404
    admin = cast.a.client("admin")
    assert admin.get(url).status_code == 200
    assert admin.get(url + "edit/").status_code == 403
    assert admin.post(url + "send-now/").status_code == 403
    assert cast.b.client("admin").get(url).status_code == 404
    assert cast.a.client().get(url).status_code == 302
    # The admin may stop it (pause); the owner resumes it and deletes it.
    admin.post(url + "pause/")
    with cast.a.context():
        s.refresh_from_db()
        assert not s.is_active and s.next_run_at is None
    cast.a.client("manager").post(url + "resume/")
    with cast.a.context():
        s.refresh_from_db()
        assert s.is_active and s.next_run_at is not None
    cast.a.client("manager").post(url + "delete/")
    with cast.a.context():
        assert not ScheduledReport.objects.filter(pk=s.pk).exists()
        assert AuditEvent.objects.filter(action="scheduled_report.delete").exists()


def test_the_owner_edits_rhythm_format_and_recipients(cast):
    s = schedule(cast, "manager", ["manager"])
    response = cast.a.client("manager").post(
        f"/reports/scheduled/{s.pk}/edit/",
        {
            "name": "Monthly",
            "frequency": "monthly",
            "day_of_month": "15",
            "weekday": "",
            "format": "pdf",
            "recipients": [cast.a.memberships["admin"].pk],
        },
    )
    assert response.status_code == 302
    with cast.a.context():
        s.refresh_from_db()
        assert (s.name, s.frequency, s.day_of_month, s.weekday, s.format) == (
            "Monthly",
            "monthly",
            15,
            None,
            "pdf",
        )
        assert list(s.recipient_rows.values_list("membership_id", flat=True)) == [
            cast.a.memberships["admin"].pk
        ]
        assert s.params == PERIOD  # the filters stay those saved from the page


def test_my_list_shows_my_schedules_and_the_admin_all(cast):
    mine = schedule(cast, "manager", ["manager"], name="Mine")
    theirs = schedule(cast, "finance", ["finance"], key="finance.reports", params={}, name="Theirs")
    body = cast.a.client("manager").get("/reports/scheduled/").content.decode()
    assert f'data-testid="schedule-{mine.pk}"' in body and f'data-testid="schedule-{theirs.pk}"' not in body
    body = cast.a.client("admin").get("/reports/scheduled/").content.decode()
    assert f'data-testid="schedule-{mine.pk}"' in body and f'data-testid="schedule-{theirs.pk}"' in body


def test_the_list_reads_the_same_number_of_queries_for_1_and_8_schedules(cast):
    client = cast.a.client("admin")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/reports/scheduled/").status_code == 200
        return len(ctx.captured_queries)

    schedule(cast, "manager", ["manager", "admin"])
    one = count()
    for n in range(7):
        schedule(cast, "finance" if n % 2 else "manager", ["manager", "finance", "admin"], name=f"S{n}")
    assert count() == one


def test_every_report_page_offers_to_schedule_itself(cast):
    client = cast.a.client("admin")
    for url, key in (
        ("/pos/", "pos.sell_through"),
        ("/pos/inventory/", "pos.inventory"),
        ("/deals/reports/", "deals.reports"),
        ("/claims/reports/", "claims.reports"),
        ("/funds/reports/", "funds.reports"),
        ("/rebates/reports/", "rebates.reports"),
        ("/finance/reports/", "finance.reports"),
        ("/audit/", "audit.log"),
    ):
        body = client.get(url).content.decode()
        assert f"/reports/scheduled/new/?report={key}" in body, url


def test_every_report_page_is_registered_and_builds_its_tables_for_a_member_who_may_see_it(cast):
    from prm.reports import Report, report_kinds
    from prm.roles import membership_has

    kinds = {kind.key: kind for kind in report_kinds()}
    assert set(kinds) >= {
        "pos.sell_through",
        "pos.inventory",
        "deals.reports",
        "claims.reports",
        "funds.reports",
        "rebates.reports",
        "finance.reports",
        "audit.log",
    }
    admin = cast.a.memberships["admin"]
    with cast.a.context():
        for kind in kinds.values():
            assert membership_has(admin, kind.perm), kind.key
            built = kind.build(admin, {})
            assert built and all(isinstance(report, Report) and report.headers for report in built), kind.key


def test_the_finance_reports_page_downloads_its_tables(cast):
    response = cast.a.client("finance").get("/finance/reports/", {"export": "aging", "format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0] == "Age,Owed" and "All open" in text
