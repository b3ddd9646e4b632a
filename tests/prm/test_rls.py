"""Row-level security is the backstop: without the tenant setting, no rows; with it, one tenant."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError, ProgrammingError

from partners.models import Partner
from prm.tenancy import rls
from prm.tenancy.context import TenantContextMissing, tenant_context
from tests.dbroles import owner_connection, require_owner_role

pytestmark = pytest.mark.django_db


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        return cursor.fetchone()[0]


def test_every_table_with_a_tenant_column_has_forced_rls_and_the_policy(db):
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                      EXISTS (SELECT 1 FROM pg_policies p WHERE p.tablename = c.relname AND p.policyname = %s)
                 FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
                WHERE a.attname = 'tenant_id' AND c.relkind = 'r' AND NOT a.attisdropped
                  AND c.relnamespace = 'public'::regnamespace""",
            [rls.POLICY],
        )
        rows = [r for r in cursor.fetchall() if r[0] not in rls.GLOBAL_TABLES_WITH_TENANT]
    assert rows, "no tenant tables found"
    missing = [name for name, enabled, forced, has_policy in rows if not (enabled and forced and has_policy)]
    assert missing == []
    assert {r[0] for r in rows} == set(rls.tenant_tables())


def test_the_application_role_is_not_superuser_and_cannot_bypass_rls(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)


def test_a_connection_without_the_setting_reads_zero_rows_from_every_tenant_table(cast):
    with tenant_context(cast.a.tenant):
        assert Partner.objects.count() == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.tenant_id', true)")
        assert cursor.fetchone()[0] in ("", None)
    for table in rls.tenant_tables():
        assert _count(table) == 0, table


def test_with_the_setting_only_that_tenants_rows_are_visible(cast):
    with tenant_context(cast.b.tenant):
        assert _count("partners_partner") == 1
        assert list(Partner.objects.values_list("code", flat=True)) == ["R100"]


def test_writing_a_row_for_another_tenant_is_refused_by_the_database(cast):
    with (
        tenant_context(cast.a.tenant),
        pytest.raises(ProgrammingError, match="row-level security"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO partners_partner (tenant_id, code, name, type, country, region, tier, status,"
            " email, created_at, updated_at) VALUES (%s, 'X1', 'X', 'reseller', 'US', '', '', 'active',"
            " '', now(), now())",
            [cast.b.tenant.pk],
        )


def test_scoped_manager_fails_closed_without_a_tenant_context(cast):
    with pytest.raises(TenantContextMissing):
        list(Partner.objects.all())


def test_saving_an_object_of_another_tenant_in_this_context_is_refused(cast):
    with tenant_context(cast.a.tenant):
        partner = Partner.objects.get(code="D100")
    with tenant_context(cast.b.tenant), pytest.raises(ValueError, match="another tenant"):
        partner.save()


# --- The runtime role cannot switch the protections off (prm/db/roles.py) ---------------------


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("ALTER TABLE partners_partner NO FORCE ROW LEVEL SECURITY", "must be owner"),
        ("ALTER TABLE partners_partner DISABLE ROW LEVEL SECURITY", "must be owner"),
        ("DROP POLICY tenant_isolation ON partners_partner", "must be owner"),
        ("DROP TRIGGER prm_auditevent_immutable ON prm_auditevent", "must be owner"),
        ("DROP TRIGGER prm_auditevent_no_truncate ON prm_auditevent", "must be owner"),
        ("ALTER TABLE prm_auditevent DISABLE TRIGGER ALL", "must be owner"),
        ("TRUNCATE prm_auditevent", "permission denied"),
        ("TRUNCATE partners_partner CASCADE", "permission denied"),
        ("CREATE TABLE public.prm_intruder (id int)", "permission denied for schema public"),
    ],
)
def test_the_runtime_role_cannot_switch_off_row_level_security_or_the_audit_guards(db, statement, refusal):
    require_owner_role()
    with pytest.raises(DatabaseError, match=refusal), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)


def test_the_runtime_role_owns_no_table_and_has_no_role_powers(db):
    require_owner_role()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT rolcreatedb, rolcreaterole, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        assert cursor.fetchone() == (False, False, False, False)


def test_the_runtime_role_may_create_tables_only_in_the_staging_schema(db):
    require_owner_role()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE UNLOGGED TABLE staging.t0_j0_0_probe (LIKE posdata_stagingrow INCLUDING DEFAULTS)"
        )
        cursor.execute(
            "SELECT tableowner FROM pg_tables WHERE schemaname = 'staging' AND tablename = 't0_j0_0_probe'"
        )
        assert cursor.fetchone()[0] == connection.settings_dict["USER"]
        transaction.set_rollback(True)


def test_tables_created_by_later_migrations_are_granted_to_the_runtime_role(db):
    runtime = connection.settings_dict["USER"]
    with owner_connection() as conn:
        conn.execute("CREATE TABLE public.prm_later_migration (id bigserial PRIMARY KEY, note text)")
        granted = conn.execute(
            "SELECT has_table_privilege(%s, 'public.prm_later_migration', 'SELECT, INSERT, UPDATE, DELETE'),"
            " has_table_privilege(%s, 'public.prm_later_migration', 'TRUNCATE'),"
            " has_sequence_privilege(%s, 'public.prm_later_migration_id_seq', 'USAGE')",
            [runtime, runtime, runtime],
        ).fetchone()
    assert granted == (True, False, True)


class _Boom(Exception):
    pass


def test_a_rollback_to_a_savepoint_cannot_leave_the_previous_tenants_binding_in_force(cast):
    # The test runs in a transaction: both tenants' bindings are transaction-local settings of it.
    with tenant_context(cast.a.tenant):
        assert _count("partners_partner") == 2
    with tenant_context(cast.b.tenant):
        with pytest.raises(_Boom), transaction.atomic():
            assert _count("partners_partner") == 1
            raise _Boom  # rolls the savepoint back, and with it tenant b's setting
        assert list(Partner.objects.values_list("code", flat=True)) == ["R100"]
        assert _count("partners_partner") == 1


def test_leaving_the_context_unbinds_the_rest_of_the_transaction(cast):
    with tenant_context(cast.a.tenant), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.tenant_id', true)")
        assert cursor.fetchone()[0] == str(cast.a.tenant.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.tenant_id', true)")
        assert cursor.fetchone()[0] in ("", None)
