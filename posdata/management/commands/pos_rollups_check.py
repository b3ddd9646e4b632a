"""``manage.py pos_rollups_check [--tenant SLUG] [--fix]``: recompute the POS and inventory rollups
from the lines and snapshots and print every difference (exit status 1 when there is any);
``--fix`` rewrites the rollups of the tenants that differ from their lines."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from posdata.pipeline.rollups import rollup_differences, rollups_rebuild
from posdata.watermark import hold_lines_lock_exclusive
from prm.tenancy.context import tenant_context
from prm.tenancy.models import Tenant

SHOWN = 50  # differences printed per tenant


class Command(BaseCommand):
    help = "Compare the POS and inventory rollups with the lines they sum; --fix rebuilds them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="Tenant slug (default: every tenant)")
        parser.add_argument("--fix", action="store_true", help="Rebuild the rollups of tenants that differ")

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = Tenant.objects.order_by("slug")
        if options.get("tenant"):
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants.exists():
                raise CommandError(f"Unknown tenant {options['tenant']!r}.")
        differing = 0
        for tenant in tenants:
            with tenant_context(tenant):
                found = rollup_differences(tenant.pk)
                if not found:
                    self.stdout.write(f"{tenant.slug}: rollups match the lines")
                    continue
                differing += 1
                self.stdout.write(f"{tenant.slug}: {len(found)} rollup rows differ from the lines")
                for difference in found[:SHOWN]:
                    self.stdout.write(f"  {difference}")
                if len(found) > SHOWN:
                    self.stdout.write(f"  ... and {len(found) - SHOWN} more")
                if options["fix"]:
                    with transaction.atomic():
                        # No load of the tenant runs meanwhile: loads hold the lock shared.
                        hold_lines_lock_exclusive(tenant.pk)
                        rollups_rebuild(tenant.pk)
                    left = rollup_differences(tenant.pk)
                    self.stdout.write(
                        f"{tenant.slug}: rebuilt from the lines"
                        + (f", {len(left)} rows still differ" if left else ", they match now")
                    )
                    if not left:
                        differing -= 1
        if differing:
            raise CommandError(
                f"{differing} tenant(s) with rollups that differ from their lines.", returncode=1
            )
