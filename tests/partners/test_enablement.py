"""Resource library eligibility and download counts; quizzes certify; external certificates are
verified; expiry reminders and onboarding reminders (beat tasks)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from partners.models import Certification, OnboardingItem, ResourceDownload
from partners.services.enablement import certification_verify, quiz_submit
from partners.tasks import certification_reminders, onboarding_reminders
from prm.audit.models import AuditEvent
from prm.files import UploadRejected
from prm.notifications.models import Notification
from tests.partners import helpers

pytestmark = pytest.mark.django_db


def test_resource_above_the_partners_tier_is_hidden_and_downloads_are_counted(cast):
    with cast.a.context():
        helpers.program_with_partners(cast)
        gold_only = helpers.resource(cast, min_tier_rank=2)
        everyone = helpers.resource(cast)
    client = cast.a.client("p1_user")
    assert client.get(f"/partners/resources/{gold_only.pk}/download/").status_code == 404
    response = client.get(f"/partners/resources/{everyone.pk}/download/")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert cast.a.client("manager").get(f"/partners/resources/{gold_only.pk}/download/").status_code == 200
    with cast.a.context():
        assert ResourceDownload.objects.filter(resource=everyone).count() == 1
        assert ResourceDownload.objects.filter(resource=gold_only).count() == 1


def test_a_script_disguised_as_a_document_is_refused(cast):
    from partners.services.enablement import resource_create

    with cast.a.context(), pytest.raises(UploadRejected):
        resource_create(
            acting_membership=cast.a.memberships["admin"],
            title="x",
            category="y",
            upload=SimpleUploadedFile("a.pdf", b"<script>alert(1)</script>"),
            filename="a.pdf",
        )


def test_passing_the_quiz_certifies_the_person(cast):
    with cast.a.context():
        course = helpers.course()
        questions = list(course.questions.prefetch_related("choices"))
        wrong = {q.pk: q.choices.get(is_correct=False).pk for q in questions}
        right = {q.pk: q.choices.get(is_correct=True).pk for q in questions}
        failed = quiz_submit(course=course, membership=cast.a.memberships["p1_user"], answers=wrong)
        assert (failed.score, failed.passed) == (0, False)
        assert not Certification.objects.exists()
        passed = quiz_submit(course=course, membership=cast.a.memberships["p1_user"], answers=right)
        cert = Certification.objects.get()
        assert (passed.passed, cert.user, cert.status, cert.name) == (
            True,
            cast.a.users["p1_user"],
            "valid",
            "Sales Pro",
        )
        assert cert.expires_on > cert.issued_on
        assert AuditEvent.objects.filter(action="certification.issue").exists()


def test_external_certificate_counts_after_verification(cast):
    with cast.a.context():
        cert = helpers.certification(cast)
        certification_verify(certification=cert, acting_membership=cast.a.memberships["manager"])
        cert.refresh_from_db()
        assert (cert.status, cert.verified_by) == ("valid", cast.a.users["manager"])
        assert Notification.objects.filter(
            recipient=cast.a.users["p1_user"], verb="certification.verified"
        ).exists()


def test_upload_and_reject_external_certificate_through_the_pages(cast):
    client = cast.a.client("p1_user")
    today = timezone.localdate()
    response = client.post(
        "/partners/certifications/upload/",
        {
            "name": "Electrician",
            "issued_on": today.isoformat(),
            "expires_on": (today + timedelta(days=365)).isoformat(),
            "file": helpers.pdf_upload("cert.pdf"),
        },
    )
    assert response.status_code == 302
    with cast.a.context():
        cert = Certification.objects.get()
        assert cert.status == "pending"
    assert cast.a.client("p2_user").get(f"/partners/certifications/{cert.pk}/file/").status_code == 404
    assert cast.a.client("manager").get(f"/partners/certifications/{cert.pk}/file/").status_code == 200
    cast.a.client("manager").post(f"/partners/certifications/{cert.pk}/reject/", {"reason": "Unreadable"})
    with cast.a.context():
        cert.refresh_from_db()
        assert (cert.status, cert.rejection_reason) == ("rejected", "Unreadable")


def test_expiry_reminder_30_days_before_and_expiry(cast):
    today = timezone.localdate()
    with cast.a.context():
        soon = helpers.certification(cast, status="valid", expires_on=today + timedelta(days=30))
        later = helpers.certification(
            cast, user_key="p1_admin", status="valid", expires_on=today + timedelta(days=31)
        )
        lapsed = helpers.certification(
            cast,
            user_key="p2_user",
            partner_key="p2",
            status="valid",
            issued_on=today - timedelta(days=400),
            expires_on=today - timedelta(days=1),
        )
        result = certification_reminders.run()
        assert result == {"expired": 1, "reminded": 1}
        assert certification_reminders.run() == {"expired": 0, "reminded": 0}  # idempotent
        assert (
            Notification.objects.filter(
                verb="certification.expiring", recipient=cast.a.users["p1_user"]
            ).count()
            == 1
        )
        soon.refresh_from_db(), later.refresh_from_db(), lapsed.refresh_from_db()
        assert (soon.expiry_reminded_on, later.expiry_reminded_on, lapsed.status) == (today, None, "expired")


def test_overdue_onboarding_items_are_reminded_once_a_week(cast):
    with cast.a.context():
        helpers.program_with_partners(cast)
        OnboardingItem.objects.filter(partner=cast.a.partners["p1"]).update(
            due_date=timezone.localdate() - timedelta(days=1)
        )
        assert onboarding_reminders.run() == 5
        assert onboarding_reminders.run() == 0
        assert (
            Notification.objects.filter(verb="onboarding.overdue", recipient=cast.a.users["p1_admin"]).count()
            == 1
        )


def test_onboarding_completes_from_the_data(cast):
    from partners.selectors import onboarding_progress
    from partners.services.onboarding import onboarding_refresh, partner_profile_update, payout_details_update

    with cast.a.context():
        helpers.program_with_partners(cast, signed=True)
        partner = cast.a.partners["p1"]
        partner_profile_update(
            partner=partner,
            acting_membership=cast.a.memberships["p1_admin"],
            data={
                "website": "https://northwind.test",
                "phone": "+1 555",
                "address": "1 Road",
                "city": "Seattle",
                "postal_code": "98101",
            },
        )
        payout_details_update(
            partner=partner,
            acting_membership=cast.a.memberships["p1_admin"],
            account_holder="N",
            account_number="DE89370400440532013000",
            tax_id="T1",
        )
        helpers.certification(cast, status="valid")
        onboarding_refresh(partner=partner)
        progress = onboarding_progress(partner)
        assert (progress["done"], progress["total"], progress["percent"]) == (5, 5, 100)
        assert AuditEvent.objects.filter(action="onboarding.complete").count() == 5


# What a worker and beat see: a fresh interpreter, Django set up, Celery's autodiscovery of every
# installed app's tasks module, nothing imported by the tests themselves.
WORKER_VIEW = """
import json, django
django.setup()
from prm.celery import TenantTask, app
app.loader.import_default_modules()
print(json.dumps({
    "tenant_task": {name: isinstance(task, TenantTask) for name, task in app.tasks.items()},
    "schedule": {key: [entry["task"], list(entry.get("args", ()))] for key, entry in app.conf.beat_schedule.items()},
}))
"""


def _worker_view() -> dict:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "prm.settings"}
    result = subprocess.run(
        [sys.executable, "-c", WORKER_VIEW], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_every_beat_entry_names_a_task_the_worker_registers(settings):
    view = _worker_view()
    schedule, registered = view["schedule"], view["tenant_task"]
    assert set(schedule) == set(settings.CELERY_BEAT_SCHEDULE)
    for key, (task, args) in schedule.items():
        assert task in registered, f"{key}: {task} is not a registered task"
        if task == "prm.tasks.for_each_tenant":
            # for_each_tenant passes tenant_id=...: the fanned-out task must be a TenantTask.
            assert args and args[0] in registered, f"{key}: {args} names no registered task"
            assert registered[args[0]], f"{key}: {args[0]} is not a TenantTask"
    fanned_out = {args[0] for task, args in schedule.values() if task == "prm.tasks.for_each_tenant"}
    assert {
        "partners.scorecards_nightly",
        "partners.onboarding_reminders",
        "partners.certification_reminders",
    } <= fanned_out
