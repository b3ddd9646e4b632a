"""``flush`` empties every table as the owner role (the runtime role may not TRUNCATE).

The audit table refuses TRUNCATE (a trigger); outside production, flush lifts that guard inside
its own transaction, so the guard is back whether the flush commits or fails. In production the
guard stays and flush fails: the audit trail is never emptied by a command.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.commands.flush import Command as DjangoFlushCommand
from django.db import connections, transaction

from prm.db.roles import AUDIT_TABLE, as_owner

GUARD = "prm_auditevent_no_truncate"


class Command(DjangoFlushCommand):
    def handle(self, **options: Any) -> None:
        using = options["database"]
        with as_owner(using):
            if settings.PRODUCTION:
                super().handle(**options)
                return
            with transaction.atomic(using=using), connections[using].cursor() as cursor:
                cursor.execute(f"ALTER TABLE {AUDIT_TABLE} DISABLE TRIGGER {GUARD}")
                super().handle(**options)
                cursor.execute(f"ALTER TABLE {AUDIT_TABLE} ENABLE TRIGGER {GUARD}")
