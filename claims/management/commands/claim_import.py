from __future__ import annotations

import datetime
import json
import time
from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from claims.models import Claim
from claims.selectors import NOT_VALIDATED
from claims.services.claims import claim_file_submit, claim_result, claim_validate_run
from partners.models import Partner
from prm.jobs.models import Job
from prm.management.base import TenantCommand
from prm.workflow import DomainError

WAIT_SECONDS = 2


class Command(TenantCommand):
    help = "Submit a distributor's ship-and-debit claim file, wait for its validation and print the verdicts."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--partner", required=True, help="Partner code")
        parser.add_argument("--claim-number", required=True, help="Debit memo number")
        parser.add_argument("--claim-date", required=True, help="YYYY-MM-DD")
        parser.add_argument("file")

    def handle_tenant(self, tenant, **options) -> None:
        partner = Partner.objects.filter(code=options["partner"]).first()
        if partner is None:
            raise CommandError(f"Unknown partner {options['partner']!r} in tenant {tenant.slug!r}.")
        try:
            claim_date = datetime.date.fromisoformat(options["claim_date"])
        except ValueError as exc:
            raise CommandError(f"--claim-date {options['claim_date']!r} is not a date (YYYY-MM-DD).") from exc
        source = Path(options["file"])
        if not source.is_file():
            raise CommandError(f"No such file: {source}")
        try:
            claim = claim_file_submit(
                partner=partner, path=source, number=options["claim_number"], claim_date=claim_date
            )
        except DomainError as exc:
            raise CommandError(str(exc).replace("\n", " ")) from exc
        self._wait_for_earlier_claims(claim)
        if claim.status == claim.Status.FAILED:
            raise CommandError(claim.error.replace("\n", " ") or "The claim could not be validated.")
        result = claim_result(claim)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        lines = [
            f"claim {result['claim_number']}: {result['status']}; claimed {result['totals']['claimed']}, "
            f"approved {result['totals']['approved']} {claim.currency}"
        ]
        lines += [
            f"  line {line['line']}: {line['status']} {line['accepted_quantity']} {line['amount']} {' '.join(line['codes'])}"
            for line in result["lines"]
        ]
        self.stdout.write("\n".join(lines))

    def _wait_for_earlier_claims(self, claim: Claim) -> None:
        """Quantity is consumed in submission order: while an earlier claim of the partner is still
        being validated (by a worker), this one waits, then is validated here (unless a worker,
        started by that claim, is at it already)."""
        told = False
        while claim.status in NOT_VALIDATED and claim.job_id is not None:
            job = Job.objects.get(pk=claim.job_id)
            if not told and job.counts.get("waiting_for"):
                self.stderr.write(f"Waiting for claim {job.counts['waiting_for']} to be validated first.")
                told = True
            time.sleep(WAIT_SECONDS)
            claim_validate_run(job)
            claim.refresh_from_db()
