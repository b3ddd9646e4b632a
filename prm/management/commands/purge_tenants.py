"""Purge the tenants whose deletion is due (run as the owner role, like migrate: cron it daily)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from prm.ops.deletion import due_deletions, tenant_purge


class Command(BaseCommand):
    help = (
        "Delete every record and file of tenants whose scheduled deletion is due (needs DATABASE_OWNER_URL)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List what is due; delete nothing.")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        due = list(due_deletions())
        done = []
        for deletion in due:
            if options["dry_run"]:
                done.append({"tenant": deletion.slug, "due_at": deletion.due_at.isoformat(), "purged": False})
                continue
            try:
                purged = tenant_purge(deletion=deletion)
            except Exception as exc:
                raise CommandError(f"purging {deletion.slug} failed: {exc}") from exc
            done.append(
                {
                    "tenant": purged.slug,
                    "purged": True,
                    "rows": sum(purged.rows_deleted.values()),
                    "files": purged.files_deleted,
                }
            )
        if options["json"]:
            self.stdout.write(json.dumps({"tenants": done}))
        else:
            for item in done:
                self.stdout.write(f"{item['tenant']}: {'purged' if item['purged'] else 'due'}")
            if not done:
                self.stdout.write("nothing due")
