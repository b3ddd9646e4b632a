"""The demo data set. Each app may add a step with ``register_seed_step`` (called per tenant)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from prm.accounts.models import Membership, User
from prm.catalog.models import Product
from prm.roles import MFA_REQUIRED_ROLES, Role
from prm.tenancy.context import tenant_context
from prm.tenancy.hosts import absolute_url, default_tenant_host
from prm.tenancy.models import Tenant

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - development demo only; seed_demo refuses production
# Shared TOTP secret of the demo accounts that must use MFA (vendor admins, channel managers, finance, operator),
# so that a demo can be signed into with any authenticator app or `oathtool --totp -b SECRET`.
DEMO_TOTP_SECRET = "PRMDEMOTOTPKEYXYPRMDEMOTOTPKEYXY"  # noqa: S105

TENANTS = [
    {"slug": "acme", "name": "Acme Industrial", "currency": "USD", "primary_colour": "#b02a37"},
    {"slug": "globex", "name": "Globex Components", "currency": "EUR", "primary_colour": "#0f5132",
     "default_language": "de", "time_zone": "Europe/Berlin"},
]  # fmt: skip

PARTNERS = {
    "acme": [
        {"code": "D100", "name": "Northwind Distribution", "type": "distributor", "country": "US", "region": "West", "tier": "Gold", "email": "channel@northwind.test"},
        {"code": "D200", "name": "Contoso Supply", "type": "distributor", "country": "US", "region": "East", "tier": "Silver", "email": "channel@contoso.test"},
        {"code": "R300", "name": "Fabrikam Resellers", "type": "reseller", "country": "CA", "region": "Canada", "tier": "Registered", "email": "sales@fabrikam.test"},
    ],
    "globex": [
        {"code": "R100", "name": "Initech Systemhaus", "type": "reseller", "country": "DE", "region": "DACH", "tier": "Gold", "email": "vertrieb@initech.test"},
    ],
}  # fmt: skip

USERS = {
    "acme": [
        ("admin@acme.test", "Ada Admin", Role.VENDOR_ADMIN, None),
        ("manager@acme.test", "Max Manager", Role.CHANNEL_MANAGER, None),
        ("marketing@acme.test", "Mia Marketing", Role.MARKETING_MANAGER, None),
        ("finance@acme.test", "Fred Finance", Role.FINANCE, None),
        ("partner@northwind.test", "Nora Northwind", Role.PARTNER_ADMIN, "D100"),
        ("rep@northwind.test", "Rick Rep", Role.PARTNER_USER, "D100"),
        ("partner@contoso.test", "Carl Contoso", Role.PARTNER_ADMIN, "D200"),
    ],
    "globex": [
        ("admin@globex.test", "Greta Globex", Role.VENDOR_ADMIN, None),
        ("partner@initech.test", "Ingo Initech", Role.PARTNER_ADMIN, "R100"),
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
_STEPS: list[SeedStep] = []


def register_seed_step(step: SeedStep) -> None:
    if step not in _STEPS:
        _STEPS.append(step)


def _user(email: str, full_name: str, *, superuser: bool = False) -> User:
    from allauth.account.models import EmailAddress

    user = User.objects.filter(email=email).first()
    if user is None:
        if superuser:
            user = User.objects.create_superuser(email=email, password=DEMO_PASSWORD, full_name=full_name)
        else:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=full_name)
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def _enrol_totp(user: User) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
        RecoveryCodes.activate(user)


def seed_all(stdout=None) -> None:
    from partners.models import Partner
    from prm.tenancy.services import tenant_create

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
            partners = {}
            for p in PARTNERS[tenant.slug]:
                partners[p["code"]], _ = Partner.objects.get_or_create(code=p["code"], defaults=p)
            for email, name, role, partner_code in USERS[tenant.slug]:
                user = _user(email, name)
                Membership.objects.get_or_create(
                    user=user,
                    defaults={"role": role, "partner": partners.get(partner_code) if partner_code else None},
                )
                if role in MFA_REQUIRED_ROLES:
                    _enrol_totp(user)
            for sku, name, category, per_case, price, gtin in PRODUCTS[tenant.slug]:
                Product.objects.get_or_create(
                    sku=sku,
                    defaults={
                        "name": name, "category": category, "units_per_case": per_case,
                        "list_price": Decimal(price), "currency": tenant.base_currency, "gtin": gtin,
                    },
                )  # fmt: skip
        for step in _STEPS:
            with tenant_context(tenant):
                step(tenant, stdout)


def demo_logins() -> str:
    lines = ["", "Portals:"]
    lines.append(f"  {'platform operator':<18} {absolute_url(settings.PRM_BASE_DOMAIN, '/')}")
    for spec in TENANTS:
        lines.append(f"  {spec['name']:<18} {absolute_url(default_tenant_host(spec['slug']), '/')}")
    lines.append("")
    lines.append(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    lines.append(f"  {'operator@prm.test':<26} platform operator   (MFA)")
    for slug, users in USERS.items():
        for email, _name, role, partner_code in users:
            mfa = "  (MFA)" if role in MFA_REQUIRED_ROLES else ""
            where = f"{slug}{'/' + partner_code if partner_code else ''}"
            lines.append(f"  {email:<26} {role.value:<18} {where}{mfa}")
    lines.append(
        f"MFA accounts use the TOTP secret {DEMO_TOTP_SECRET} (e.g. `oathtool --totp -b {DEMO_TOTP_SECRET}`)."
    )
    return "\n".join(lines)
