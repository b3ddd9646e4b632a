"""Base of commands that work inside one tenant (``--tenant SLUG``) and may print ``--json``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from prm.tenancy.context import tenant_context
from prm.tenancy.models import Tenant


class TenantCommand(BaseCommand):
    json_option = True

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="Tenant slug")
        if self.json_option:
            parser.add_argument("--json", action="store_true", help="Print exactly one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options.pop("tenant")
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"Unknown tenant {slug!r}.")
        with tenant_context(tenant):
            self.handle_tenant(tenant, **options)

    def handle_tenant(self, tenant: Tenant, **options: Any) -> None:
        raise NotImplementedError("subclasses implement handle_tenant")

    def emit(self, payload: dict[str, Any], *, as_json: bool, text: str) -> None:
        if as_json:
            self.stdout.write(json.dumps(payload, ensure_ascii=False, default=str))
        else:
            self.stdout.write(text)
