"""The demo data set. The core seeds tenants, vendor staff and products; each app adds a named
step with ``register_seed_step(step, name=..., after=(...))`` from its ``AppConfig.ready()``. Steps
run per tenant in an order that honours their declared dependencies (not INSTALLED_APPS order);
a step naming an unknown dependency, or a cycle, is a configuration error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from prm.accounts.models import Membership, User
from prm.catalog.models import Product
from prm.roles import MFA_REQUIRED_ROLES, Role
from prm.tenancy.context import tenant_context
from prm.tenancy.hosts import absolute_url, default_tenant_host
from prm.tenancy.models import Tenant
from prm.tenancy.services import tenant_create

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - development demo only; seed_demo refuses production
# Shared TOTP secret of the demo accounts that must use MFA (vendor admins, channel managers, finance, operator),
# so that a demo can be signed into with any authenticator app or `oathtool --totp -b SECRET`.
DEMO_TOTP_SECRET = "PRMDEMOTOTPKEYXYPRMDEMOTOTPKEYXY"  # noqa: S105

TENANTS = [
    {"slug": "acme", "name": "Acme Industrial", "currency": "USD", "primary_colour": "#b02a37"},
    {
        "slug": "globex",
        "name": "Globex Components",
        "currency": "EUR",
        "primary_colour": "#0f5132",
        "default_language": "de",
        "time_zone": "Europe/Berlin",
    },
]

USERS = {
    "acme": [
        ("admin@acme.test", "Ada Admin", Role.VENDOR_ADMIN),
        ("manager@acme.test", "Max Manager", Role.CHANNEL_MANAGER),
        ("marketing@acme.test", "Mia Marketing", Role.MARKETING_MANAGER),
        ("finance@acme.test", "Fred Finance", Role.FINANCE),
        # The checker of maker-checker: a payout batch is approved by a second finance user.
        ("finance2@acme.test", "Fiona Finance", Role.FINANCE),
    ],
    "globex": [
        ("admin@globex.test", "Greta Globex", Role.VENDOR_ADMIN),
    ],
}

PRODUCTS = {
    "acme": [
        ("PMP-100", "Centrifugal pump 1 kW", "pumps", 4, "1250.00", "00012345600012"),
        ("PMP-200", "Centrifugal pump 3 kW", "pumps", 2, "2890.00", "00012345600029"),
        ("PMP-300", "Submersible pump 5 kW", "pumps", 1, "4100.00", "00012345600036"),
        ("VLV-010", "Ball valve DN50", "valves", 10, "185.50", "00012345600104"),
        ("VLV-020", "Butterfly valve DN100", "valves", 6, "420.00", "00012345600111"),
        ("CTL-500", "Pump controller", "controls", 5, "760.00", "00012345600500"),
        ("SNS-050", "Pressure sensor", "controls", 20, "95.25", "00012345600517"),
        ("SVC-PLN", "Service plan, 1 year", "services", 1, "299.00", ""),
    ],
    "globex": [
        ("GX-RES-1K", "Widerstand 1 kOhm (Rolle)", "passives", 50, "12.40", "04012345000011"),
        ("GX-CAP-10U", "Kondensator 10 uF (Rolle)", "passives", 50, "18.90", "04012345000028"),
        ("GX-MCU-32", "Mikrocontroller 32-bit", "semiconductors", 100, "3.75", "04012345000035"),
    ],
}

SeedStep = Callable[[Tenant, Any], None]


@dataclass(frozen=True)
class _Step:
    name: str
    run: SeedStep
    after: tuple[str, ...]


_STEPS: dict[str, _Step] = {}
# (tenant slug, e-mail, role, where) of demo accounts that apps add (partner people), for the
# login list that `make run` prints.
_DEMO_LOGINS: list[tuple[str, str, str, str]] = []


def register_seed_step(step: SeedStep, *, name: str, after: tuple[str, ...] = ()) -> None:
    """Add ``step(tenant, stdout)`` to the demo seed, to run after the steps named in ``after``."""
    _STEPS[name] = _Step(name=name, run=step, after=tuple(after))


def register_demo_login(tenant_slug: str, email: str, role: Role, where: str = "") -> None:
    entry = (tenant_slug, email, role.value, where)
    if entry not in _DEMO_LOGINS:
        _DEMO_LOGINS.append(entry)


def ordered_steps() -> list[_Step]:
    """The registered steps, each after its dependencies (ties keep registration order)."""
    for step in _STEPS.values():
        unknown = [dep for dep in step.after if dep not in _STEPS]
        if unknown:
            raise ImproperlyConfigured(f"Seed step {step.name!r} runs after unknown step(s) {unknown}.")
    ordered: list[_Step] = []
    done: set[str] = set()
    pending = list(_STEPS.values())
    while pending:
        ready = [step for step in pending if set(step.after) <= done]
        if not ready:
            raise ImproperlyConfigured(
                f"Seed steps depend on each other in a cycle: {[s.name for s in pending]}."
            )
        for step in ready:
            ordered.append(step)
            done.add(step.name)
            pending.remove(step)
    return ordered


def seed_user(email: str, full_name: str, *, role: Role, partner: Any = None) -> User:
    """A demo account with a membership in the current tenant (and TOTP where its role needs it)."""
    user = _user(email, full_name)
    Membership.objects.get_or_create(user=user, defaults={"role": role, "partner": partner})
    if role in MFA_REQUIRED_ROLES:
        _enrol_totp(user)
    return user


def _user(email: str, full_name: str, *, superuser: bool = False) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        if superuser:
            user = User.objects.create_superuser(email=email, password=DEMO_PASSWORD, full_name=full_name)
        else:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=full_name)
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def _enrol_totp(user: User) -> None:
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
        RecoveryCodes.activate(user)


def seed_all(stdout=None) -> None:
    steps = ordered_steps()
    operator = _user("operator@prm.test", "Olivia Operator", superuser=True)
    _enrol_totp(operator)
    for spec in TENANTS:
        spec = dict(spec)
        tenant = Tenant.objects.filter(slug=spec["slug"]).first()
        if tenant is None:
            tenant = tenant_create(
                slug=spec.pop("slug"), name=spec.pop("name"), currency=spec.pop("currency"), **spec
            )
        with tenant_context(tenant), transaction.atomic():
            for email, name, role in USERS[tenant.slug]:
                seed_user(email, name, role=role)
            for sku, name, category, per_case, price, gtin in PRODUCTS[tenant.slug]:
                Product.objects.get_or_create(
                    sku=sku,
                    defaults={
                        "name": name,
                        "category": category,
                        "units_per_case": per_case,
                        "list_price": Decimal(price),
                        "currency": tenant.base_currency,
                        "gtin": gtin,
                    },
                )
        for step in steps:
            with tenant_context(tenant):
                step.run(tenant, stdout)


def demo_logins() -> str:
    lines = ["", "Portals:"]
    lines.append(f"  {'platform operator':<18} {absolute_url(settings.PRM_BASE_DOMAIN, '/')}")
    for spec in TENANTS:
        lines.append(f"  {spec['name']:<18} {absolute_url(default_tenant_host(spec['slug']), '/')}")
    lines.append("")
    lines.append(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    lines.append(f"  {'operator@prm.test':<26} platform operator   (MFA)")
    logins = [(slug, email, role.value, "") for slug, users in USERS.items() for email, _name, role in users]
    mfa_roles = {role.value for role in MFA_REQUIRED_ROLES}
    for slug, email, role, where in [*logins, *_DEMO_LOGINS]:
        mfa = "  (MFA)" if role in mfa_roles else ""
        lines.append(f"  {email:<26} {role:<18} {slug}{'/' + where if where else ''}{mfa}")
    lines.append(
        f"MFA accounts use the TOTP secret {DEMO_TOTP_SECRET} (e.g. `oathtool --totp -b {DEMO_TOTP_SECRET}`)."
    )
    return "\n".join(lines)
