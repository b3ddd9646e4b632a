"""Print the Citus script that distributes this database by tenant (docs/scale-out.md)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from prm.tenancy.distribution import Catalogue, citus_script, readiness_violations, unclassified_tables


class Command(BaseCommand):
    help = (
        "Check that every tenant table can be distributed by tenant_id and print the Citus statements "
        "(reference tables, then tenant tables parents first, colocated) for this database."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options) -> None:
        with connection.cursor() as cursor:
            catalogue = Catalogue.read(cursor)
        problems = readiness_violations(catalogue) + [
            f"{table}: global table not declared a reference or local table (prm/tenancy/distribution.py)"
            for table in unclassified_tables(catalogue)
        ]
        if problems:
            raise CommandError(f"{len(problems)} problem(s) stop distribution: " + "; ".join(problems))
        statements = citus_script(catalogue)
        if options["json"]:
            self.stdout.write(json.dumps({"statements": statements}))
            return
        self.stdout.write("CREATE EXTENSION IF NOT EXISTS citus;")
        self.stdout.write("\n".join(statements))
