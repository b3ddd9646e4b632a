"""Beat jobs with frozen time: expiry at the end of protection, review SLA reminders and
escalation, 14-day expiry warnings, lead SLA time-outs with re-routing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from deals.models import DealRegistration, Lead
from deals.services.leads import lead_create
from deals.services.outcome import registration_mark_won
from deals.services.review import registration_approve
from deals.tasks import expire_registrations, expiry_warnings, lead_timeouts, review_sla
from partners.models import Partner
from prm.audit.models import AuditEvent
from prm.notifications.models import Notification
from tests.deals.helpers import register

pytestmark = pytest.mark.django_db


def _run(task, cast):
    return task.apply(kwargs={"tenant_id": cast.a.tenant.pk}).get()


def test_approved_registration_expires_after_protection_unless_won(cast):
    with cast.a.context():
        manager = cast.a.memberships["manager"]
        expiring = register(cast, name="Expiring", domain="e.test")
        registration_approve(registration=expiring, acting_membership=manager, protection_days=10)
        won = register(cast, name="Won", domain="w.test")
        registration_approve(registration=won, acting_membership=manager, protection_days=10)
        registration_mark_won(
            registration=won,
            acting_membership=cast.a.memberships["p1_user"],
            closed_value="100",
            closed_on=timezone.localdate(),
        )
    with time_machine.travel(timezone.now() + timedelta(days=10), tick=False):
        assert _run(expire_registrations, cast) == 0  # the last protected day
    with time_machine.travel(timezone.now() + timedelta(days=11), tick=False):
        assert _run(expire_registrations, cast) == 1
        assert _run(expire_registrations, cast) == 0  # idempotent
    with cast.a.context():
        expiring.refresh_from_db()
        assert expiring.status == DealRegistration.Status.EXPIRED
        assert AuditEvent.objects.filter(action="deal.expire", object_id=str(expiring.pk)).count() == 1
        assert (
            Notification.objects.filter(recipient=cast.a.users["p1_user"], verb="deal.expired").count() == 1
        )
        won.refresh_from_db()
        assert won.status == DealRegistration.Status.WON


def test_review_sla_reminds_before_and_escalates_after(cast):
    with cast.a.context():
        register(cast)
    start = timezone.now()
    with time_machine.travel(start + timedelta(hours=10), tick=False):
        assert _run(review_sla, cast) == {"reminded": 0, "escalated": 0}
    with time_machine.travel(start + timedelta(hours=50), tick=False):
        assert _run(review_sla, cast) == {"reminded": 1, "escalated": 0}
        assert _run(review_sla, cast) == {"reminded": 0, "escalated": 0}
    with time_machine.travel(start + timedelta(hours=73), tick=False):
        assert _run(review_sla, cast) == {"reminded": 0, "escalated": 1}
        assert _run(review_sla, cast) == {"reminded": 0, "escalated": 0}
    with cast.a.context():
        assert (
            Notification.objects.filter(
                recipient=cast.a.users["manager"], verb="deal.review_reminder"
            ).count()
            == 1
        )
        escalations = Notification.objects.filter(verb="deal.review_escalation")
        assert [n.recipient for n in escalations] == [cast.a.users["admin"]]


def test_partners_are_warned_fourteen_days_before_expiry(cast):
    with cast.a.context():
        registration = register(cast)
        registration_approve(
            registration=registration, acting_membership=cast.a.memberships["manager"], protection_days=30
        )
    with time_machine.travel(timezone.now() + timedelta(days=15), tick=False):
        assert _run(expiry_warnings, cast) == 0
    with time_machine.travel(timezone.now() + timedelta(days=16), tick=False):
        assert _run(expiry_warnings, cast) == 1
        assert _run(expiry_warnings, cast) == 0
    with cast.a.context():
        assert Notification.objects.filter(
            recipient=cast.a.users["p1_user"], verb="deal.expiry_warning"
        ).exists()


def test_lead_offer_times_out_and_is_rerouted(cast):
    with cast.a.context():
        for key in ("p1", "p2"):
            Partner.objects.filter(pk=cast.a.partners[key].pk).update(
                country="US", region="West", expertise=["pumps"], status="active"
            )
        lead = lead_create(
            acting_membership=cast.a.memberships["manager"],
            data={"company": "Slow Co", "country": "US", "product_interest": "pumps"},
        )
        first = lead.partner_id
    with time_machine.travel(timezone.now() + timedelta(hours=47), tick=False):
        assert _run(lead_timeouts, cast) == 0
    with time_machine.travel(timezone.now() + timedelta(hours=49), tick=False):
        assert _run(lead_timeouts, cast) == 1
    with cast.a.context():
        lead.refresh_from_db()
        assert lead.status == Lead.Status.OFFERED
        assert lead.partner_id != first
        assert list(lead.assignments.order_by("id").values_list("outcome", flat=True)) == [
            "timed_out",
            "pending",
        ]
    with time_machine.travel(timezone.now() + timedelta(hours=100), tick=False):
        assert _run(lead_timeouts, cast) == 1
    with cast.a.context():
        lead.refresh_from_db()
        assert lead.status == Lead.Status.RETURNED
