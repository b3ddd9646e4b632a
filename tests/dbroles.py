"""A connection as the owner role (migrations) to the test database, beside the app's runtime one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.conf import settings
from django.db import connection


def require_owner_role() -> dict:
    """The suite runs with the two roles of production; a single-role database fails here on purpose."""
    if not settings.PRM_DATABASE_OWNER:
        pytest.fail(
            "DATABASE_OWNER_URL is not set: the app's role would own its tables and could switch off "
            "row-level security. Run through `make test` (embedded stack) or set both URLs (README)."
        )
    return settings.PRM_DATABASE_OWNER


@contextmanager
def owner_connection() -> Iterator[psycopg.Connection]:
    """Its own transaction, rolled back at the end: what a test does as the owner never stays."""
    owner = require_owner_role()
    params = {
        "dbname": connection.settings_dict["NAME"],
        "user": owner["USER"],
        "password": owner["PASSWORD"] or None,
        "host": owner["HOST"] or None,
        "port": owner["PORT"] or None,
    }
    with psycopg.connect(**{**owner["OPTIONS"], **{k: v for k, v in params.items() if v}}) as conn:
        try:
            yield conn
        finally:
            conn.rollback()


PROBE_TABLE_PREFIXES = ("prm_probe", "legacy_", "probe_")


@pytest.fixture
def schema_changes_as_owner(transactional_db, django_db_blocker):
    """For tests that run DDL (schema-editor behaviour, hand-made legacy tables): the runtime role
    may not create tables, so the test runs as the owner role with committed statements, and its
    probe tables are dropped afterwards."""
    from prm.db.roles import as_owner

    require_owner_role()
    with as_owner():
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND ("
                    + " OR ".join("tablename LIKE %s" for _ in PROBE_TABLE_PREFIXES)
                    + ")",
                    [f"{prefix}%" for prefix in PROBE_TABLE_PREFIXES],
                )
                for (table,) in cursor.fetchall():
                    cursor.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
