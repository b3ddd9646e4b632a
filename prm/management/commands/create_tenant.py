from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from prm.tenancy.services import tenant_create
from prm.workflow import DomainError


class Command(BaseCommand):
    help = "Create a tenant with its portal domain (default <slug>.<PRM_BASE_DOMAIN>)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--currency", required=True, help="ISO 4217 base currency, e.g. USD")
        parser.add_argument("--domain", default=None, help="Host name (default <slug>.<base domain>)")

    def handle(self, *args, **options) -> None:
        try:
            tenant = tenant_create(
                slug=options["slug"],
                name=options["name"],
                currency=options["currency"],
                domain=options["domain"],
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Created tenant {tenant.slug} ({tenant.name}) at {tenant.portal_url()}")
