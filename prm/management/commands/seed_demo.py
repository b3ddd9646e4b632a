"""Demo data for development: two tenants, their staff and partners, a small catalog.

Idempotent: running it again changes nothing. Refuses to run with production settings.
Later apps extend the seed through ``prm.seed.register_seed_step``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from prm.seed import demo_logins, seed_all
from prm.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Create the demo tenants, users, partners and data (development only; idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if any tenant exists")
        parser.add_argument("--quiet", action="store_true", help="Do not print the portal URLs and logins")

    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run with production settings (PRM_ENV=production).")

        if options["if_empty"] and Tenant.objects.exists():
            self.stdout.write("The database has tenants already: demo seed skipped.")
        else:
            seed_all(stdout=self.stdout)
            self.stdout.write(self.style.SUCCESS("Demo data ready."))
        if not options["quiet"]:
            self.stdout.write(demo_logins())
