from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from prm.files import UploadRejected, store_upload
from prm.imports import IMPORT_KINDS, reference_import_run
from prm.jobs.services import job_create
from prm.management.base import TenantCommand


class Command(TenantCommand):
    help = "Import reference data (CSV or XLSX): " + ", ".join(sorted(IMPORT_KINDS)) + " and kinds apps add."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--kind", required=True)
        parser.add_argument("file")

    def handle_tenant(self, tenant, **options) -> None:
        kind = options["kind"]
        if kind not in IMPORT_KINDS:
            raise CommandError(f"Unknown kind {kind!r}; use one of: {', '.join(sorted(IMPORT_KINDS))}.")
        source = Path(options["file"])
        if not source.is_file():
            raise CommandError(f"No such file: {source}")
        try:
            with source.open("rb") as handle:
                path, fmt, _sha = store_upload(handle, area="imports")
        except UploadRejected as exc:
            raise CommandError(str(exc)) from exc
        job = job_create(kind=f"import:{kind}", acting_user=None, params={"path": str(path), "format": fmt})
        report = reference_import_run(job)
        lines = [
            f"{kind}: {report['created']} created, {report['updated']} updated, {len(report['errors'])} errors"
        ]
        lines += [
            f"  line {e['line']}, column {e['column'] or '-'}: {e['message']}" for e in report["errors"]
        ]
        # Invalid rows are a result, not a usage error: the report says what happened, exit 0.
        self.emit(report, as_json=options["json"], text="\n".join(lines))
