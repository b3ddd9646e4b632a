"""A tenant's whole data set as one archive: every tenant table's rows as CSV, the tenant row, the
people who are members (no password hashes, no MFA secrets), every stored file, and a manifest.

Tables are found in the database (every table of the public schema with a ``tenant_id``
column), not listed by hand: a new app's tables are exported without a change here. Rows are
copied by PostgreSQL (``COPY ... TO STDOUT``) under the tenant's row-level security, values
verbatim (the archive is for moving or restoring data, not for a spreadsheet: nothing is
formula-escaped; encrypted fields stay encrypted). Every table is read in one REPEATABLE READ,
READ ONLY transaction on a connection of its own (``snapshot_reader``): the archive is one moment
of the tenant's data however long it takes to write, while the job's connection reports progress.
The export is a job; running it again rewrites the same archive.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psycopg
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django.utils.translation import gettext as _

from prm.accounts.models import Membership, User
from prm.audit.services import audit
from prm.files import tenant_folder
from prm.jobs.models import Job
from prm.jobs.services import (
    TRANSIENT_ERRORS,
    job_create,
    job_enqueue,
    job_fail_unexpected,
    job_progress,
    job_start,
    job_succeed,
)
from prm.jobs.staging import quote_table
from prm.roles import Perm, membership_has
from prm.tenancy.context import require_tenant
from prm.workflow import require

EXPORT_KIND = "ops:tenant_export"
EXPORT_TASK = "prm.ops.tenant_export"
EXPORT_AREA = "exports"  # under the tenant's folder; left out of the archive itself
FORMAT_VERSION = 1
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    model: str  # app_label.Model, or "" for a table without a model (e.g. a many-to-many)


def tenant_tables() -> list[Table]:
    """Every table of the public schema with a ``tenant_id`` column, by name."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.table_name, array_agg(c.column_name::text ORDER BY c.ordinal_position)
            FROM information_schema.columns c
            JOIN information_schema.tables t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
            WHERE c.table_schema = 'public'
            GROUP BY c.table_name
            HAVING bool_or(c.column_name = 'tenant_id')
            ORDER BY c.table_name
            """
        )
        rows = cursor.fetchall()
    models = {model._meta.db_table: model._meta.label for model in apps.get_models()}
    return [Table(name, tuple(columns), models.get(name, "")) for name, columns in rows]


def can_export(*, acting_user, membership: Membership | None) -> bool:
    """Platform operators, and the tenant's vendor admins."""
    if acting_user is not None and acting_user.is_superuser:
        return True
    return membership is not None and membership_has(membership, Perm.TENANT_EXPORT)


def tenant_export_start(*, acting_user, membership: Membership | None = None) -> Job:
    """Start writing the current tenant's archive (a job; the page follows it)."""
    require(can_export(acting_user=acting_user, membership=membership))
    tenant = require_tenant()
    with transaction.atomic():
        job = job_create(kind=EXPORT_KIND, acting_user=acting_user)
        audit(actor=acting_user, action="tenant.export_requested", obj=tenant, after={"job": job.pk})
        job_enqueue(job, EXPORT_TASK)
    return job


def exports_for_tenant():
    return Job.objects.filter(kind=EXPORT_KIND).select_related("created_by").order_by("-created_at", "-id")


def latest_export(max_age=None) -> Job | None:
    """The newest finished export of the current tenant (not older than ``max_age``)."""
    qs = exports_for_tenant().filter(status=Job.Status.SUCCEEDED)
    if max_age is not None:
        qs = qs.filter(finished_at__gte=timezone.now() - max_age)
    return qs.first()


def tenant_export_run(job: Job, *, retry_transient: bool = False) -> dict[str, Any]:
    if not job_start(job):
        return job.result
    try:
        result = write_archive(job)
    except TRANSIENT_ERRORS as exc:
        if retry_transient:
            raise
        job_fail_unexpected(job, exc, what="tenant export")
        return job.result
    except Exception as exc:
        job_fail_unexpected(job, exc, what="tenant export")
        return job.result
    job_succeed(job, result)
    return result


def tenant_export_give_up(job: Job, message: str) -> None:
    """The stuck-job sweep gave the export up (prm.jobs.registry): the archive a killed run left
    half-written is deleted (the tenant's data should not lie about); the sweep fails the job."""
    partial_path(job).unlink(missing_ok=True)


def archive_path(job: Job) -> Path:
    tenant = require_tenant()
    return tenant_folder() / EXPORT_AREA / f"{tenant.slug}-data-{job.pk}.zip"


def partial_path(job: Job) -> Path:
    """Where the archive is written until it is complete (a killed run's is rewritten by the next)."""
    target = archive_path(job)
    return target.with_name(target.name + ".part")


@contextmanager
def snapshot_reader() -> Iterator[BaseDatabaseWrapper]:
    """A second connection whose one transaction is REPEATABLE READ and READ ONLY: every query on
    it sees the database as it was at the first one. Its own connection, because the job's must
    keep committing progress (visible to the page at once) while the export reads."""
    reader = connection.copy()
    try:
        reader.ensure_connection()
        assert isinstance(reader.connection, psycopg.Connection)
        # psycopg opens the transaction with these at the first statement (the tenant binding).
        reader.connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        reader.connection.read_only = True
        reader.set_autocommit(False)
        yield reader
        reader.commit()
    finally:
        reader.close()


def write_archive(job: Job) -> dict[str, Any]:
    """Write the archive next to its final name and move it there (a re-run replaces it whole)."""
    tenant = require_tenant()
    target = archive_path(job)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(job)
    tables = tenant_tables()
    manifest: dict[str, Any] = {
        "format": "prm-tenant-export",
        "format_version": FORMAT_VERSION,
        "created_at": timezone.now().isoformat(),
        "tenant": {
            "id": tenant.pk,
            "slug": tenant.slug,
            "name": tenant.name,
            "base_currency": tenant.base_currency,
        },
        "notes": [
            "tables/<table>.csv: the table's rows of this tenant, PostgreSQL CSV with a header row, values verbatim.",
            "Every table, tenant.csv and users.csv were read in one transaction: one moment of the data.",
            "Encrypted columns (payout details, MFA secrets) stay encrypted with the platform's key.",
            "users.csv: the people with a membership in this tenant; no password hashes or MFA secrets.",
            "files/: the tenant's stored files, by their path under the tenant's folder.",
        ],
        "tables": {},
        "files": [],
    }
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        with snapshot_reader() as reader:
            manifest["tenant_row"] = _copy_into(
                reader, archive, "tenant.csv", "SELECT * FROM prm_tenant WHERE id = %s", [tenant.pk]
            )
            for index, table in enumerate(tables):
                order = ' ORDER BY "id"' if "id" in table.columns else ""
                copied = _copy_into(
                    reader,
                    archive,
                    f"tables/{table.name}.csv",
                    f"SELECT * FROM {quote_table(table.name)} WHERE tenant_id = %s{order}",
                    [tenant.pk],
                )
                manifest["tables"][table.name] = {
                    "model": table.model,
                    "columns": list(table.columns),
                    **copied,
                }
                job_progress(job, 5 + 75 * (index + 1) // max(len(tables), 1))
            manifest["users"] = _copy_into(reader, archive, "users.csv", *_users_query(tenant.pk))
        for relative, path in _tenant_files(tenant):
            manifest["files"].append({"path": relative, **_add_file(archive, f"files/{relative}", path)})
        job_progress(job, 95)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
    os.replace(partial, target)
    return {
        "file": str(target.relative_to(Path(settings.MEDIA_ROOT))),
        "filename": target.name,
        "tables": len(tables),
        "rows": sum(t["rows"] for t in manifest["tables"].values()),
        "files": len(manifest["files"]),
        "bytes": target.stat().st_size,
    }


class _Hashing(io.RawIOBase):
    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data) -> int:  # type: ignore[override]
        self.sha256.update(data)
        self.size += len(data)
        self.target.write(data)
        return len(data)


def _copy_into(
    reader: BaseDatabaseWrapper, archive: zipfile.ZipFile, name: str, sql: str, params: list[Any]
) -> dict[str, Any]:
    """COPY a query's rows as CSV into the archive member ``name``; rows, bytes and sha256."""
    with archive.open(name, "w", force_zip64=True) as member:
        out = _Hashing(member)
        with reader.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
            with raw.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)", params) as copy:
                for chunk in copy:
                    out.write(bytes(chunk))
            rows = raw.rowcount
    return {"file": name, "rows": rows, "bytes": out.size, "sha256": out.sha256.hexdigest()}


USER_COLUMNS = ("id", "email", "full_name", "date_joined", "last_login", "is_active")


def _users_query(tenant_id: int) -> tuple[str, list[Any]]:
    """The members of the tenant, without their password hashes (MFA secrets live elsewhere)."""
    columns = ", ".join(f'"{name}"' for name in USER_COLUMNS)
    users, memberships = User._meta.db_table, Membership._meta.db_table
    return (
        f"SELECT {columns} FROM {quote_table(users)} WHERE id IN"
        f" (SELECT user_id FROM {quote_table(memberships)} WHERE tenant_id = %s) ORDER BY id",
        [tenant_id],
    )


def _tenant_files(tenant) -> Iterator[tuple[str, Path]]:
    """(path in the archive, file) for every stored file of the tenant but its earlier exports."""
    folder = tenant_folder()
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if path.is_file() and relative.parts[0] != EXPORT_AREA:
                yield str(relative), path
    if tenant.logo:
        logo = Path(settings.MEDIA_ROOT) / tenant.logo.name
        if logo.is_file():
            yield f"branding/{logo.name}", logo


def _add_file(archive: zipfile.ZipFile, name: str, path: Path) -> dict[str, Any]:
    with path.open("rb") as source, archive.open(name, "w", force_zip64=True) as member:
        out = _Hashing(member)
        while chunk := source.read(CHUNK):
            out.write(chunk)
    return {"bytes": out.size, "sha256": out.sha256.hexdigest()}


def export_filename(job: Job) -> str:
    return job.result.get("filename") or _("export.zip")
