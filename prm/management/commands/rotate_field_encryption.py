"""Re-encrypt every value encrypted at rest with the newest field-encryption key.

Rotation: put a new key in front of ``PRM_FIELD_ENCRYPTION_KEY`` (``new,old``), restart, run this
command, then remove the old key. Values already under the newest key are rewritten too (Fernet
tokens carry a timestamp, not the key), which is harmless and keeps the command idempotent.
"""

from __future__ import annotations

import json
from typing import Any

from allauth.mfa.models import Authenticator
from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, models, transaction

from prm.fields import EncryptedTextField
from prm.lib.crypto import rotate_token
from prm.tenancy.context import tenant_context
from prm.tenancy.models import Tenant, TenantModel

MFA_SECRET_KEYS = {"totp": "secret", "recovery_codes": "seed"}


def encrypted_columns() -> list[tuple[type[models.Model], list[str]]]:
    found = []
    for model in apps.get_models():
        columns = [str(f.column) for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if columns and model._meta.managed and not model._meta.proxy:
            found.append((model, columns))
    return found


def rotate_table(model: type[models.Model], columns: list[str]) -> int:
    """Rewrite the encrypted columns of every row this connection may see; return the rows."""
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(str(model._meta.pk.column))
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    assignments = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in columns)
    rows = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {names} FROM {table} ORDER BY {pk} FOR UPDATE")
        for key, *values in cursor.fetchall():
            rotated = [rotate_token(v) if v else v for v in values]
            cursor.execute(f"UPDATE {table} SET {assignments} WHERE {pk} = %s", [*rotated, key])
            rows += 1
    return rows


def rotate_mfa_secrets() -> int:

    rows = 0
    with transaction.atomic():
        for authenticator in Authenticator.objects.select_for_update().filter(type__in=MFA_SECRET_KEYS):
            key = MFA_SECRET_KEYS[authenticator.type]
            if authenticator.data.get(key):
                authenticator.data[key] = rotate_token(authenticator.data[key])
                authenticator.save(update_fields=["data"])
                rows += 1
    return rows


class Command(BaseCommand):
    help = "Re-encrypt payout details and MFA secrets with the newest PRM_FIELD_ENCRYPTION_KEY."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print exactly one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        counts: dict[str, int] = {}
        tenants = list(Tenant.objects.order_by("pk"))
        for model, columns in encrypted_columns():
            label = model._meta.label_lower
            if issubclass(model, TenantModel):
                # Row-level security shows one tenant at a time.
                for tenant in tenants:
                    with tenant_context(tenant):
                        counts[label] = counts.get(label, 0) + rotate_table(model, columns)
            else:
                counts[label] = rotate_table(model, columns)
        counts["mfa.authenticator"] = rotate_mfa_secrets()
        if options["json"]:
            self.stdout.write(json.dumps({"rotated": counts}))
        else:
            for label, rows in counts.items():
                self.stdout.write(f"{label}: {rows} rows re-encrypted with the newest key")
