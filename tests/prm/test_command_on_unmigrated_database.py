"""A command run against a database that was never migrated says in one line what to do."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.db import connection

from tests.dbroles import require_owner_role

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def empty_database_url(db):
    """A new, empty database on the test server, reachable with the test run's credentials."""
    name = f"prm_unmigrated_{uuid.uuid4().hex[:8]}"
    # The owner role may create databases; the runtime role may not.
    owner = require_owner_role()
    params = {**connection.get_connection_params(), "user": owner["USER"]}
    if owner["PASSWORD"]:
        params["password"] = owner["PASSWORD"]
    admin = psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = urlsplit(os.environ["DATABASE_URL"])
    yield urlunsplit(url._replace(path=f"/{name}"))
    admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


def run_manage(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "PRM_ENV": "test"}
    env.pop("DATABASE_OWNER_URL", None)  # one role is enough for a command that reads
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_create_tenant_before_migrate_prints_one_line_naming_migrate(empty_database_url):
    result = run_manage(
        "create_tenant",
        "--slug",
        "initech",
        "--name",
        "Initech",
        "--currency",
        "EUR",
        database_url=empty_database_url,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "not been migrated" in lines[0] and "make run" in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_database_is_one_line_too(empty_database_url):
    url = urlsplit(empty_database_url)
    missing = urlunsplit(url._replace(path="/prm_no_such_database"))
    result = run_manage(
        "create_tenant", "--slug", "x", "--name", "X", "--currency", "EUR", database_url=missing
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "does not exist" in result.stderr


def test_other_errors_still_raise():
    from prm.management.entry import explain_database_error

    assert explain_database_error(ValueError("boom")) is None
