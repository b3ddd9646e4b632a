"""Audit events are evidence: the database itself rejects UPDATE and DELETE on them."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from prm.audit.models import AuditEvent
from prm.audit.services import audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(cast):
    with cast.a.context():
        return audit(
            actor=cast.a.users["admin"],
            action="partner.update",
            obj=cast.a.partners["p1"],
            after={"tier": "Gold"},
        )


def test_updating_an_audit_event_is_rejected_by_the_database(cast, event):
    with cast.a.context():
        with pytest.raises(DatabaseError, match="append-only: UPDATE"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
        event.refresh_from_db()
        assert event.action == "partner.update"


def test_deleting_an_audit_event_is_rejected_by_the_database(cast, event):
    with cast.a.context():
        with pytest.raises(DatabaseError, match="append-only: DELETE"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
        assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_raw_sql_cannot_change_audit_rows_either(cast, event):
    with cast.a.context():
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("UPDATE prm_auditevent SET after = '{}'::jsonb WHERE id = %s", [event.pk])
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM prm_auditevent")
        assert AuditEvent.objects.count() >= 1


def test_audit_event_records_actor_object_before_after_and_request_ip(cast):
    response = cast.a.client("admin").post(
        "/people/invite/", {"email": "ip@example.test", "role": "finance"}, REMOTE_ADDR="203.0.113.7"
    )
    assert response.status_code == 302
    with cast.a.context():
        event = AuditEvent.objects.get(action="invitation.create")
        assert event.actor == cast.a.users["admin"]
        assert event.object_type == "prm.invitation"
        assert event.after["email"] == "ip@example.test"
        assert event.ip_address == "203.0.113.7"
        assert event.tenant == cast.a.tenant
