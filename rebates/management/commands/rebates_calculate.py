from __future__ import annotations

import json

from django.core.management.base import CommandError, CommandParser

from prm.management.base import TenantCommand
from prm.workflow import DomainError
from rebates.models import CalculationRun, RebateProgram
from rebates.services.runs import run_now, run_result


class Command(TenantCommand):
    help = "Calculate a rebate program over the loaded POS data (or won deals) and print what is due."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--program", required=True, help="Program code")

    def handle_tenant(self, tenant, **options) -> None:
        program = RebateProgram.objects.filter(code=options["program"]).first()
        if program is None:
            raise CommandError(f"Unknown program {options['program']!r} in tenant {tenant.slug!r}.")
        try:
            run = run_now(program=program)
        except DomainError as exc:
            raise CommandError(str(exc).replace("\n", " ")) from exc
        if run.status != CalculationRun.Status.SUCCEEDED:
            raise CommandError((run.error or "The calculation failed.").replace("\n", " "))
        result = run.job.result if run.job is not None and run.job.result else run_result(run)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        lines = [f"{result['program']} ({result['currency']}), run {run.reference}:"]
        lines += [
            f"  {p['partner']}{' ' + p['payee'] if 'payee' in p else ''}: measure {p['measure']}, earned {p['earned']},"
            f" paid before {p['paid_before']}, due {p['due']}"
            for p in result["partners"]
        ]
        lines.append(f"total due {result['total_due']}")
        self.stdout.write("\n".join(lines))
