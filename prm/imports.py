"""Reference data imports (partners, products, and what later apps register) through
django-import-export resources: the same path for the admin, the portal and ``import_data``.

A file with any invalid row imports nothing and reports every invalid row with line and column.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tablib
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.utils.translation import gettext as _
from import_export.resources import ModelResource

from prm.celery import tenant_task
from prm.files import UploadRejected, iter_xlsx_rows, open_text, store_upload
from prm.jobs.models import Job
from prm.jobs.services import job_create, job_enqueue, job_fail, job_start, job_succeed
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


IMPORT_KINDS: dict[str, ImportKind] = {}


def register_import_kind(name: str, kind: ImportKind) -> None:
    IMPORT_KINDS[name] = kind


def import_kinds_for(membership) -> list[tuple[str, str]]:
    """(name, label) of the kinds this member may import in the portal."""
    return [
        (name, _(kind.label)) for name, kind in IMPORT_KINDS.items() if membership_has(membership, kind.perm)
    ]


def read_dataset(path: Path, fmt: str) -> tablib.Dataset:
    """All rows of a CSV (any delimiter, any supported encoding) or the first XLSX sheet."""
    if fmt == "xlsx":
        rows = [cells for _number, cells in iter_xlsx_rows(path)]
    else:
        try:
            with open_text(path) as handle:
                sample = handle.read(32 * 1024)
                handle.seek(0)
                try:
                    dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
                except csv.Error:
                    dialect = csv.excel
                rows = [[cell.strip() for cell in row] for row in csv.reader(handle, dialect)]
        except UnicodeDecodeError as exc:
            raise UploadRejected(_("The file's text encoding could not be read: %(e)s") % {"e": exc}) from exc
        except csv.Error as exc:
            raise UploadRejected(_("The CSV file is malformed: %(e)s") % {"e": exc}) from exc
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise UploadRejected(_("The file has no header row."))
    headers = [h.strip() for h in rows[0]]
    width = len(headers)
    dataset = tablib.Dataset(headers=headers)
    for row in rows[1:]:
        dataset.append((row + [""] * width)[:width])
    return dataset


def import_reference_file(kind_name: str, path: Path, fmt: str) -> dict[str, Any]:
    """Validate the whole file, then import it in one transaction, or import nothing."""
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
        result = resource.import_data(dataset, dry_run=False, raise_errors=False, use_transactions=False)
        errors = _errors_of(result)
        if errors:
            transaction.set_rollback(True)
            report["errors"] = errors
            return report
    report["created"] = result.totals.get("new", 0)
    report["updated"] = result.totals.get("update", 0)
    return report


def _errors_of(result) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    for invalid in result.invalid_rows:
        for field, messages in invalid.error_dict.items():
            column = "" if field == NON_FIELD_ERRORS else field
            errors.extend({"line": invalid.number + 1, "column": column, "message": m} for m in messages)
    for number, row_errors in result.row_errors():
        for error in row_errors:
            errors.append({"line": number + 1, "column": "", "message": str(error.error)})
    for error in result.base_errors:
        errors.append({"line": 0, "column": "", "message": str(error.error)})
    return sorted(errors, key=lambda e: (e["line"], e["column"]))


def reference_import_start(*, kind: str, upload, acting_membership) -> Job:
    """Portal upload: store the file, create the job, run it in the background."""
    if kind not in IMPORT_KINDS:
        raise DomainError(_("Unknown import kind."))
    require(membership_has(acting_membership, Perm.DATA_IMPORT))
    require(membership_has(acting_membership, IMPORT_KINDS[kind].perm))
    path, fmt, _sha = store_upload(upload, area="imports", max_bytes=50 * 1024 * 1024)
    with transaction.atomic():
        job = job_create(
            kind=f"import:{kind}",
            acting_user=acting_membership.user,
            params={"path": str(path), "format": fmt},
        )
        job_enqueue(job, run_reference_import)
    return job


def reference_import_run(job: Job) -> dict[str, Any]:
    """Run an import job (from the worker or, synchronously, from ``import_data``)."""
    if not job_start(job):
        return job.result
    kind = job.kind.removeprefix("import:")
    try:
        report = import_reference_file(kind, Path(job.params["path"]), job.params["format"])
    except DomainError as exc:
        report = {
            "kind": kind,
            "created": 0,
            "updated": 0,
            "errors": [{"line": 0, "column": "", "message": str(exc)}],
        }
    if report["errors"]:
        job_fail(job, _("%(n)d invalid rows; nothing was imported.") % {"n": len(report["errors"])}, report)
    else:
        job_succeed(job, report)
    return report


@tenant_task(name="prm.imports.run_reference_import")
def run_reference_import(*, job_id: int) -> dict[str, Any]:
    return reference_import_run(Job.objects.get(pk=job_id))
