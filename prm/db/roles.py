"""The two database roles: the owner (migrations) and the runtime role (the app, DML only).

The runtime role cannot ALTER, DROP or TRUNCATE the app's tables, so it cannot switch off
row-level security or the audit trail's triggers. It may create tables only in the staging
schema (the POS loader's COPY targets). ``migrate`` switches to the owner for its run; after each
migration the owner grants the runtime role what it needs, and default privileges cover tables
that later migrations create.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connections

AUDIT_TABLE = "prm_auditevent"
# Staging tables of bulk loads (COPY targets) live here, where the runtime role may create tables.
STAGING_SCHEMA = "staging"


def _use(credentials: dict[str, Any], using: str) -> None:
    connection = connections[using]
    connection.close()
    connection.settings_dict.update(credentials)


def use_owner(using: str = "default") -> None:
    """Connect as the owner from now on (no-op when one role does both)."""
    if settings.PRM_DATABASE_OWNER:
        _use(settings.PRM_DATABASE_OWNER, using)


def use_runtime(using: str = "default") -> None:
    if settings.PRM_DATABASE_OWNER:
        _use(settings.PRM_DATABASE_RUNTIME, using)


@contextmanager
def as_owner(using: str = "default") -> Iterator[None]:
    """Run the enclosed schema work as the owner role, then reconnect as the role used before."""
    owner = settings.PRM_DATABASE_OWNER
    connection = connections[using]
    if not owner or connection.settings_dict["USER"] == owner["USER"]:
        yield
        return
    if connection.in_atomic_block:
        raise RuntimeError("Cannot switch to the owner role inside a transaction.")
    before = {key: connection.settings_dict[key] for key in owner}
    _use(owner, using)
    try:
        yield
    finally:
        _use(before, using)


def runtime_grant_sql(runtime: str, staging_schema: str) -> list[str]:
    role = connections["default"].ops.quote_name(runtime)
    schema = connections["default"].ops.quote_name(staging_schema)
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        # UPDATE: setval, which django-import-export runs after creating rows.
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
        # Tables and sequences that later migrations create (as this owner) are covered too.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role}",
        # Audit events are written and read, never changed (a trigger refuses it as well).
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {AUDIT_TABLE} FROM {role}",
        f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {role}",
    ]


def grant_runtime_privileges(using: str = "default") -> bool:
    """As the owner, give the runtime role DML on every table; False when one role does both."""
    owner = settings.PRM_DATABASE_OWNER
    connection = connections[using]
    if not owner or connection.settings_dict["USER"] != owner["USER"]:
        return False
    with connection.cursor() as cursor:
        for statement in runtime_grant_sql(str(settings.PRM_DATABASE_RUNTIME["USER"]), STAGING_SCHEMA):
            cursor.execute(statement)
    return True


def grant_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    # post_migrate fires once per app; the grants cover all tables, so run once, for prm's signal.
    if getattr(sender, "name", None) == "prm":
        grant_runtime_privileges(using)
