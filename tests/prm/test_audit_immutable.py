"""Audit events are evidence: the runtime role may only add and read them, and the database itself
rejects UPDATE, DELETE and TRUNCATE on them even from the owner role."""

from __future__ import annotations

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from prm.audit.models import AuditEvent
from prm.audit.services import audit
from tests.dbroles import owner_connection

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


def test_updating_an_audit_event_is_refused_to_the_app(cast, event):
    with cast.a.context():
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
        event.refresh_from_db()
        assert event.action == "partner.update"


def test_deleting_an_audit_event_is_refused_to_the_app(cast, event):
    with cast.a.context():
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
        assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE prm_auditevent SET after = '{}'::jsonb",
        "DELETE FROM prm_auditevent",
        "TRUNCATE prm_auditevent",
        "TRUNCATE prm_auditevent CASCADE",
    ],
)
def test_raw_sql_from_the_app_cannot_change_audit_rows_either(cast, event, statement):
    with cast.a.context():
        with (
            pytest.raises(DatabaseError, match="permission denied"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
        assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("statement", "operation"),
    [
        ("UPDATE prm_auditevent SET action = 'tampered'", "UPDATE"),
        ("DELETE FROM prm_auditevent", "DELETE"),
        ("TRUNCATE prm_auditevent", "TRUNCATE"),
        ("TRUNCATE prm_tenant, prm_auditevent CASCADE", "TRUNCATE"),
    ],
)
def test_even_the_owner_role_cannot_update_delete_or_truncate_audit_rows(cast, event, statement, operation):
    with owner_connection() as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", [str(cast.a.tenant.pk)])
        assert conn.execute("SELECT count(*) FROM prm_auditevent").fetchone()[0] >= 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=f"append-only: {operation}"):
            conn.execute(statement)
    with cast.a.context():
        assert AuditEvent.objects.get(pk=event.pk).action == "partner.update"


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
