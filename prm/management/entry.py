"""`manage.py`'s entry point: database set-up mistakes end in one line that says what to do.

A command run before the first `make run` (say `create_tenant` on a fresh clone) would otherwise
end in a page of traceback about a missing relation.
"""

from __future__ import annotations

import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management import execute_from_command_line
from django.db.utils import OperationalError, ProgrammingError

UNDEFINED_TABLE = "42P01"
INVALID_CATALOG_NAME = "3D000"

MIGRATE_HINT = (
    "The database has not been migrated yet: run `make run` once (it migrates and seeds the demo), "
    "or `python manage.py migrate` against this DATABASE_URL, then run this command again."
)


def explain_database_error(exc: BaseException) -> str | None:
    """One line for the errors a user fixes by setting up the database, else None."""

    if isinstance(exc, ImproperlyConfigured):
        return str(exc).splitlines()[0]
    cause = getattr(exc, "__cause__", None)
    code = getattr(cause, "sqlstate", None)
    if isinstance(exc, ProgrammingError) and code == UNDEFINED_TABLE:
        return MIGRATE_HINT
    if isinstance(exc, OperationalError):
        if code == INVALID_CATALOG_NAME:
            return "The database named in DATABASE_URL does not exist: create it, then run `python manage.py migrate`."
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"Cannot reach the database ({first}): check DATABASE_URL, or run commands through `make`."
    return None


def main(argv: list[str]) -> None:

    try:
        execute_from_command_line(argv)
    except Exception as exc:
        message = explain_database_error(exc)
        if message is None:
            raise
        sys.stderr.write(f"error: {message}\n")
        sys.exit(1)
