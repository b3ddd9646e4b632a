"""``migrate`` runs as the owner role (DATABASE_OWNER_URL): the runtime role has DML only."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrateCommand

from prm.db.roles import as_owner


class Command(DjangoMigrateCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        with as_owner(options["database"]):
            super().handle(*args, **options)
