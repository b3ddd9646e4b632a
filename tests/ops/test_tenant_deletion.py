"""Deleting a tenant: operator only, after an export, with the slug typed; closed at once,
cancellable during the grace period, purged after it by the owner role. Row counts per table
before and after: every row of the tenant gone, the other tenant's rows untouched."""

from __future__ import annotations

import datetime

import psycopg
import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from claims.models import Claim
from prm.audit.models import AuditEvent
from prm.files import store_bytes, tenant_folder
from prm.jobs.staging import quote_table, staging_tables
from prm.ops.deletion import tenant_deletion_request
from prm.ops.models import TenantDeletion
from prm.ops.tenant_data import tenant_export_start, tenant_tables
from prm.tenancy.models import Tenant
from prm.workflow import DomainError
from tests.claims.helpers import agreement, line, submit
from tests.dbroles import owner_connection

pytestmark = pytest.mark.django_db(transaction=True)


def _counts(side) -> dict[str, int]:
    with side.context(), connection.cursor() as cursor:
        counts = {}
        for table in tenant_tables():
            cursor.execute(
                f"SELECT count(*) FROM {quote_table(table.name)} WHERE tenant_id = %s", [side.tenant.pk]
            )
            counts[table.name] = cursor.fetchone()[0]
        return counts


def _data(cast):
    """Rows in many tables of both tenants: claims (agreements, lines, verdicts, jobs, audit), files."""
    for side in (cast.a, cast.b):
        with side.context():
            store_bytes(b"a stored file", area="proofs", suffix=".txt")
    with cast.a.context():
        agreement(cast)
        submit(cast, [line()])
        (staging,) = staging_tables(Claim.objects.first().job, "stage")
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE UNLOGGED TABLE {staging} (x int)")
    return staging


def _export(side, user):
    with side.context():
        return tenant_export_start(acting_user=user)


def test_export_then_delete_then_every_row_of_the_tenant_is_gone_and_the_other_untouched(
    cast, operator, platform_client
):
    staging = _data(cast)
    client = platform_client(operator)
    url = f"/ops/tenants/{cast.a.tenant.pk}"
    # Refused without a recent export, and without the slug typed.
    client.post(f"{url}/delete/", {"confirmation": "acme"})
    assert not TenantDeletion.objects.exists()
    assert client.post(f"{url}/export/").status_code == 302  # the job runs on commit (eager here)
    client.post(f"{url}/delete/", {"confirmation": "ACME Industrial"})
    assert not TenantDeletion.objects.exists()

    t0 = timezone.now()
    with time_machine.travel(t0, tick=False):
        assert client.post(f"{url}/delete/", {"confirmation": "acme"}).status_code == 302
    deletion = TenantDeletion.objects.get()
    assert deletion.status == "scheduled" and deletion.due_at == t0 + datetime.timedelta(days=14)
    # Closed at once: the portal answers 404, beat's fan-out skips it.
    assert not Tenant.objects.get(pk=cast.a.tenant.pk).is_active
    assert cast.a.client("admin").get("/").status_code == 404
    # Cancelled during the grace period: open again; then asked for again.
    assert client.post(f"{url}/delete/cancel/").status_code == 302
    assert Tenant.objects.get(pk=cast.a.tenant.pk).is_active
    with time_machine.travel(t0, tick=False):
        client.post(f"{url}/delete/", {"confirmation": "acme"})
    deletion = TenantDeletion.objects.get(status="scheduled")

    before_a, before_b = _counts(cast.a), _counts(cast.b)
    assert (
        sum(before_a.values()) > 25 and before_a["claims_claimline"] == 1 and before_a["prm_auditevent"] > 5
    )
    assert len([t for t, n in before_a.items() if n]) >= 10
    with cast.a.context():
        folder = tenant_folder()
    with cast.b.context():
        folder_b = tenant_folder()
    assert any(folder.rglob("*.txt"))

    # Not due yet: nothing happens.
    with time_machine.travel(t0 + datetime.timedelta(days=13), tick=False):
        call_command("purge_tenants")
    assert _counts(cast.a) == before_a

    with time_machine.travel(t0 + datetime.timedelta(days=14, minutes=1), tick=False):
        call_command("purge_tenants")

    after_a, after_b = _counts(cast.a), _counts(cast.b)
    assert {t: n for t, n in after_a.items() if n} == {}
    assert after_b == before_b
    deletion.refresh_from_db()
    assert deletion.status == "purged"
    assert deletion.rows_deleted == {t: n for t, n in before_a.items()}
    assert not Tenant.objects.filter(pk=cast.a.tenant.pk).exists()
    assert not folder.exists() and any(folder_b.rglob("*.txt"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [staging])
        assert cursor.fetchone()[0] is None
    # People keep their (global) accounts; tenant B still works.
    assert cast.b.client("admin").get("/").status_code == 200
    assert Client(HTTP_HOST=cast.a.host).get("/").status_code == 404


def test_only_operators_may_delete_and_only_with_a_recent_export(cast, operator):
    with pytest.raises(DomainError, match="Export the tenant's data first"):
        tenant_deletion_request(tenant=cast.a.tenant, acting_user=operator, confirmation="acme")
    _export(cast.a, operator)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        tenant_deletion_request(tenant=cast.a.tenant, acting_user=cast.a.users["admin"], confirmation="acme")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)), pytest.raises(DomainError):
        tenant_deletion_request(tenant=cast.a.tenant, acting_user=operator, confirmation="acme")
    deletion = tenant_deletion_request(tenant=cast.a.tenant, acting_user=operator, confirmation="acme")
    with pytest.raises(DomainError, match="already scheduled"):
        tenant_deletion_request(tenant=cast.a.tenant, acting_user=operator, confirmation="acme")
    assert deletion.export_job_id
    with cast.a.context():
        assert AuditEvent.objects.filter(action="tenant.deletion_requested").count() == 1


def test_the_runtime_role_cannot_delete_audit_events_even_naming_the_tenant(cast):
    with cast.a.context():
        AuditEvent.objects.create(action="probe", object_type="x", object_id="1")
    with cast.a.context(), pytest.raises(Exception, match="permission denied"), connection.cursor() as cursor:
        from django.db import transaction

        with transaction.atomic():
            cursor.execute("SELECT set_config('prm.purge_tenant', %s, true)", [str(cast.a.tenant.pk)])
            cursor.execute("DELETE FROM prm_auditevent")
    # The owner, without the setting, is refused by the trigger.
    with owner_connection() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", [str(cast.a.tenant.pk)])
        conn.execute("DELETE FROM prm_auditevent")
