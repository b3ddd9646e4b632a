from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from partners.models import Partner
from posdata import pipeline
from posdata.models import Kind
from posdata.services import parse_mapping_option, pos_file_load, summary_dict
from prm.management.base import TenantCommand
from prm.workflow import DomainError


class Command(TenantCommand):
    help = "Load a partner's point-of-sale (or inventory) file: CSV or XLSX, as messy as ERPs make them."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--partner", required=True, help="Partner code")
        parser.add_argument("--mapping", help='"File header=canonical_field,..."')
        parser.add_argument("--kind", default=Kind.POS, choices=[k.value for k in Kind])
        parser.add_argument("file")

    def handle_tenant(self, tenant, **options) -> None:
        partner = Partner.objects.filter(code=options["partner"]).first()
        if partner is None:
            raise CommandError(f"Unknown partner {options['partner']!r} in tenant {tenant.slug!r}.")
        source = Path(options["file"])
        if not source.is_file():
            raise CommandError(f"No such file: {source}")
        mapping = None
        if options.get("mapping"):
            try:
                mapping = parse_mapping_option(options["mapping"])
            except ValueError as exc:
                raise CommandError(f"Bad --mapping: {exc}") from exc
        try:
            upload, result = pos_file_load(
                partner=partner, path=source, kind=options["kind"], mapping=mapping
            )
        except DomainError as exc:
            raise CommandError(str(exc).replace("\n", " ")) from exc
        if upload is not None and result.get("status") == "loaded":
            # The job keeps the first problems; the command reports every one.
            result = summary_dict(upload, errors=pipeline.first_errors(upload.pk, 10**9))
        elif upload is not None:
            raise CommandError(upload.error or "The file could not be loaded.")
        text = "\n".join(
            [
                f"{result['status']}: {result['rows_read']} read, {result['rows_loaded']} loaded, "
                f"{result['rows_rejected']} rejected, {result['rows_duplicate']} duplicate; "
                f"quantity {result['quantity_total']}, amount {result['amount_total']}"
                + (f" {upload.currency}" if upload is not None and upload.currency else "")
                + (
                    " (" + ", ".join(f"{a} {c}" for c, a in result["amount_totals"].items()) + ")"
                    if result.get("amount_totals")
                    else ""
                ),
                *(f"  line {e['line']}, {e['column']}: {e['code']} {e['message']}" for e in result["errors"]),
            ]
        )
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.stdout.write(text)
