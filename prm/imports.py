"""Reference data imports (partners, products, and what later apps register) through
django-import-export resources: the same path for the admin, the portal and ``import_data``.

A file with any invalid row imports nothing and reports every invalid row with line and column.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tablib
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.utils.translation import gettext as _
from import_export.resources import ModelResource

from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.celery import tenant_task
from prm.files import (
    MAX_COLUMNS,
    UploadRejected,
    iter_csv_records,
    iter_xlsx_rows,
    open_text,
    store_upload,
    xlsx_header_width,
)
from prm.jobs.models import Job
from prm.jobs.services import (
    TRANSIENT_ERRORS,
    TRANSIENT_RETRIES,
    job_create,
    job_enqueue,
    job_fail,
    job_fail_unexpected,
    job_start,
    job_succeed,
)
from prm.roles import Perm, membership_has
from prm.workflow import DomainError, require


@dataclass(frozen=True)
class ImportKind:
    # English, marked with gettext_noop where registered: the label is translated when offered,
    # in the language of the request, not once at start-up.
    label: str
    resource: type[ModelResource]
    columns: tuple[str, ...]
    required: tuple[str, ...]
    perm: Perm = Perm.DATA_IMPORT  # who may import this kind in the portal


COMMAND_LINE = "command line"
# Reference files are loaded whole (validated before anything is written): bound their rows.
MAX_REFERENCE_ROWS = 100_000


@dataclass
class ImportContext:
    """Who runs an import. A member in the portal: their scope and permissions apply to every row
    (resources receive this as the ``import_context`` keyword). ``acting_membership`` None: the
    operator on the command line, with the whole tenant in scope; audit events then carry no user
    and say "command line"."""

    acting_membership: Membership | None = None
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def actor(self):
        return self.acting_membership.user if self.acting_membership is not None else None

    @property
    def via(self) -> str:
        return "portal" if self.acting_membership is not None else COMMAND_LINE


IMPORT_KINDS: dict[str, ImportKind] = {}


def register_import_kind(name: str, kind: ImportKind) -> None:
    IMPORT_KINDS[name] = kind


def import_kinds_for(membership) -> list[tuple[str, str]]:
    """(name, label) of the kinds this member may import in the portal."""
    return [
        (name, _(kind.label)) for name, kind in IMPORT_KINDS.items() if membership_has(membership, kind.perm)
    ]


def _too_many_rows() -> UploadRejected:
    return UploadRejected(
        _("The file has more than %(n)d rows; split it into smaller files.") % {"n": MAX_REFERENCE_ROWS}
    )


def _xlsx_rows(path: Path) -> list[list[str]]:
    width = xlsx_header_width(path)
    rows: list[list[str]] = []
    for _number, cells in iter_xlsx_rows(path, width=max(width, 1)):
        rows.append(cells)
        if len(rows) > MAX_REFERENCE_ROWS + 1:
            raise _too_many_rows()
    return rows


def _csv_rows(path: Path) -> list[list[str]]:
    rows: list[list[str]] = []
    try:
        with open_text(path) as handle:
            sample = handle.read(32 * 1024)
            handle.seek(0)
            try:
                dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
            except csv.Error:
                dialect = csv.excel
            for _line, cells in iter_csv_records(handle, dialect):
                rows.append([cell.strip() for cell in cells[: MAX_COLUMNS + 1]])
                if len(rows) > MAX_REFERENCE_ROWS + 1:
                    raise _too_many_rows()
    except UnicodeDecodeError as exc:
        raise UploadRejected(_("The file's text encoding could not be read: %(e)s") % {"e": exc}) from exc
    except csv.Error as exc:
        raise UploadRejected(_("The CSV file is malformed: %(e)s") % {"e": exc}) from exc
    return rows


def read_dataset(path: Path, fmt: str) -> tablib.Dataset:
    """All rows of a CSV (any delimiter, any supported encoding) or the first XLSX sheet, bounded
    in rows, columns and record length."""
    rows = _xlsx_rows(path) if fmt == "xlsx" else _csv_rows(path)
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise UploadRejected(_("The file has no header row."))
    headers = [h.strip() for h in rows[0]]
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        raise UploadRejected(_("The header row has more than %(n)d columns.") % {"n": MAX_COLUMNS})
    width = len(headers)
    dataset = tablib.Dataset(headers=headers)
    for row in rows[1:]:
        dataset.append((row + [""] * width)[:width])
    return dataset


def import_reference_file(
    kind_name: str, path: Path, fmt: str, *, context: ImportContext | None = None, job: Job | None = None
) -> dict[str, Any]:
    """Validate the whole file, then import it in one transaction, or import nothing. Rows run
    with the acting member's scope (``context``); a successful import is audited once with its
    counts (the resources audit each changed record)."""
    context = context or ImportContext()
    kind = IMPORT_KINDS[kind_name]
    dataset = read_dataset(path, fmt)
    report: dict[str, Any] = {"kind": kind_name, "created": 0, "updated": 0, "errors": []}
    missing = [c for c in kind.required if c not in dataset.headers]
    if missing:
        report["errors"] = [
            {"line": 1, "column": c, "message": _("Required column is missing.")} for c in missing
        ]
        return report
    # Extra columns are ignored: keep only the contract's columns.
    for header in list(dataset.headers):
        if header not in kind.columns:
            del dataset[header]
    resource = kind.resource()
    with transaction.atomic():
        result = resource.import_data(
            dataset, dry_run=False, raise_errors=False, use_transactions=False, import_context=context
        )
        report["errors"] = _errors_of(result)
        if report["errors"]:
            transaction.set_rollback(True)
        else:
            report["created"] = result.totals.get("new", 0)
            report["updated"] = result.totals.get("update", 0)
            _audit_import(job, kind_name, report, rows=len(dataset), context=context)
    if report["errors"]:
        # Written after the rollback: a refused file (rows outside the member's scope, say)
        # leaves a trace too, with nothing imported.
        _audit_import(job, kind_name, report, rows=len(dataset), context=context)
    return report


def _audit_import(
    job: Job | None, kind_name: str, report: dict[str, Any], *, rows: int, context: ImportContext
) -> None:
    if job is None:
        return
    after = {
        "kind": kind_name,
        "created": report["created"],
        "updated": report["updated"],
        "rows": rows,
        "via": context.via,
    }
    if report["errors"]:
        after["errors"] = len(report["errors"])
    audit(actor=context.actor, action=f"import.{kind_name}", obj=job, after=after)


def _errors_of(result) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    for invalid in result.invalid_rows:
        for name, messages in invalid.error_dict.items():
            column = "" if name == NON_FIELD_ERRORS else name
            errors.extend({"line": invalid.number + 1, "column": column, "message": m} for m in messages)
    for number, row_errors in result.row_errors():
        for error in row_errors:
            errors.append({"line": number + 1, "column": "", "message": str(error.error)})
    for error in result.base_errors:
        errors.append({"line": 0, "column": "", "message": str(error.error)})
    return sorted(errors, key=lambda e: (e["line"], e["column"]))


def reference_import_start(*, kind: str, upload, acting_membership) -> Job:
    """Portal upload: store the file, create the job, run it in the background as this member."""
    if kind not in IMPORT_KINDS:
        raise DomainError(_("Unknown import kind."))
    require(membership_has(acting_membership, Perm.DATA_IMPORT))
    require(membership_has(acting_membership, IMPORT_KINDS[kind].perm))
    path, fmt, _sha = store_upload(upload, area="imports", max_bytes=50 * 1024 * 1024)
    with transaction.atomic():
        job = job_create(
            kind=f"import:{kind}",
            acting_user=acting_membership.user,
            params={"path": str(path), "format": fmt, "membership_id": acting_membership.pk},
        )
        job_enqueue(job, run_reference_import)
    return job


def _context_of(job: Job, kind: str) -> ImportContext:
    """The member who started a portal import, checked again now (access may have changed since
    the upload); no member recorded: the command line."""
    membership_id = job.params.get("membership_id")
    if membership_id is None:
        return ImportContext()
    membership = (
        Membership.objects.select_related("user", "partner").filter(pk=membership_id, is_active=True).first()
    )
    if (
        membership is None
        or not membership_has(membership, Perm.DATA_IMPORT)
        or not membership_has(membership, IMPORT_KINDS[kind].perm)
    ):
        raise DomainError(_("Your access changed since the upload: nothing was imported."))
    return ImportContext(acting_membership=membership)


def reference_import_run(job: Job, *, retry_transient: bool = False) -> dict[str, Any]:
    """Run an import job (from the worker or, synchronously, from ``import_data``)."""
    if not job_start(job):
        return job.result
    kind = job.kind.removeprefix("import:")
    try:
        context = _context_of(job, kind)
        report = import_reference_file(
            kind, Path(job.params["path"]), job.params["format"], context=context, job=job
        )
    except DomainError as exc:
        report = {
            "kind": kind,
            "created": 0,
            "updated": 0,
            "errors": [{"line": 0, "column": "", "message": str(exc)}],
        }
    except Exception as exc:
        if retry_transient and isinstance(exc, TRANSIENT_ERRORS):
            raise  # the task retries with backoff; the job stays running meanwhile
        message = job_fail_unexpected(job, exc, what=f"import {job.pk}")
        return {
            "kind": kind,
            "created": 0,
            "updated": 0,
            "errors": [{"line": 0, "column": "", "message": message}],
        }
    if report["errors"]:
        job_fail(job, _("%(n)d invalid rows; nothing was imported.") % {"n": len(report["errors"])}, report)
    else:
        job_succeed(job, report)
    return report


@tenant_task(
    name="prm.imports.run_reference_import",
    bind=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=TRANSIENT_RETRIES,
)
def run_reference_import(self, *, job_id: int) -> dict[str, Any]:
    return reference_import_run(
        Job.objects.get(pk=job_id), retry_transient=self.request.retries < self.max_retries
    )
