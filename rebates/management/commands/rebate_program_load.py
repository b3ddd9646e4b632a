from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from prm.management.base import TenantCommand
from prm.workflow import DomainError
from rebates.services.programs import program_load


class Command(TenantCommand):
    help = "Create a rebate program from a JSON definition, or replace its terms as a new version."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("file")

    def handle_tenant(self, tenant, **options) -> None:
        source = Path(options["file"])
        if not source.is_file():
            raise CommandError(f"No such file: {source}")
        try:
            program, changed = program_load(text=source.read_bytes())
        except DomainError as exc:
            raise CommandError(f"{source.name}: {str(exc).replace(chr(10), ' ')}") from exc
        payload = {
            "program": program.code,
            "version": program.version,
            "status": program.status,
            "changed": changed,
        }
        text = f"program {program.code}: version {program.version} ({program.status})" + (
            "" if changed else ", unchanged"
        )
        if options["json"]:
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
        else:
            self.stdout.write(text)
