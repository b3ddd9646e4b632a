"""PostgreSQL row-level security: the backstop of tenant isolation.

After every ``migrate`` each concrete ``TenantModel`` table gets ENABLE + FORCE ROW LEVEL SECURITY
and a ``tenant_isolation`` policy comparing ``tenant_id`` with the session setting
``app.tenant_id``. A connection without the setting sees no rows and can write none. The
application's runtime role is neither superuser/BYPASSRLS nor owner (prm/db/roles.py), and FORCE
makes the policy bind the owner role as well.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connections

from prm.tenancy.distribution import REFERENCE_TABLES_WITH_TENANT
from prm.tenancy.models import TenantModel

POLICY = "tenant_isolation"
TENANT_PREDICATE = "tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint"

# Extra permissive policies (OR-ed with tenant_isolation), table -> (name, command, predicate).
EXTRA_POLICIES: dict[str, list[tuple[str, str, str]]] = {
    # A user may list their own memberships in every tenant (tenant switcher, "no access" page).
    "prm_membership": [
        (
            "membership_self",
            "SELECT",
            "user_id = nullif(current_setting('app.user_id', true), '')::bigint",
        ),
    ],
}


# Tables that carry a tenant_id but are global by design (no policy; Citus reference tables).
GLOBAL_TABLES_WITH_TENANT = REFERENCE_TABLES_WITH_TENANT


def tenant_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, TenantModel) and model._meta.managed and not model._meta.proxy
    )


def policy_sql(table: str) -> list[str]:
    quoted = ".".join(f'"{part}"' for part in table.split("."))  # staging tables are schema.table
    statements = [
        f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {quoted}",
        f"CREATE POLICY {POLICY} ON {quoted} USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})",
    ]
    for name, command, predicate in EXTRA_POLICIES.get(table, []):
        statements.append(f"DROP POLICY IF EXISTS {name} ON {quoted}")
        statements.append(f"CREATE POLICY {name} ON {quoted} FOR {command} USING ({predicate})")
    return statements


def apply_policies(using: str = "default") -> list[str]:
    """Create or refresh the policies on every existing tenant table; return the tables done."""
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    done = []
    with connection.cursor() as cursor:
        for table in tenant_tables():
            if table not in existing:
                continue
            for statement in policy_sql(table):
                cursor.execute(statement)
            done.append(table)
    return done


def apply_policies_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    # post_migrate fires once per app; the policies cover all apps, so run once, for prm's signal.
    if getattr(sender, "name", None) == "prm":
        apply_policies(using)
