"""`manage.py seed_demo` creates the demo tenants and people named in the issue, and is idempotent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import connection

from partners.models import Partner
from prm.accounts.models import Membership, User
from prm.finance.rates import convert
from prm.tenancy import rls
from prm.tenancy.context import tenant_context
from prm.tenancy.models import Domain, Tenant

pytestmark = pytest.mark.django_db

EXPECTED = {
    "acme": {
        "admin@acme.test": ("vendor_admin", None),
        "manager@acme.test": ("channel_manager", None),
        "marketing@acme.test": ("marketing_manager", None),
        "finance@acme.test": ("finance", None),
        "finance2@acme.test": ("finance", None),
        "partner@northwind.test": ("partner_admin", "D100"),
        "rep@northwind.test": ("partner_user", "D100"),
        "partner@contoso.test": ("partner_admin", "D200"),
    },
    "globex": {
        "admin@globex.test": ("vendor_admin", None),
        "partner@initech.test": ("partner_admin", None),
    },
}


def _snapshot() -> dict[str, int]:
    """Row counts of every global table and, per tenant, of every tenant table."""
    counts = {
        "tenants": Tenant.objects.count(),
        "domains": Domain.objects.count(),
        "users": User.objects.count(),
        "authenticators": Authenticator.objects.count(),
    }
    for tenant in Tenant.objects.all():
        with tenant_context(tenant), connection.cursor() as cursor:
            for table in rls.tenant_tables():
                cursor.execute(f'SELECT count(*) FROM "{table}"')
                counts[f"{tenant.slug}.{table}"] = cursor.fetchone()[0]
    return counts


def test_seed_creates_the_demo_tenants_and_people():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    tenants = {t.slug: t for t in Tenant.objects.all()}
    assert (tenants["acme"].name, tenants["acme"].base_currency) == ("Acme Industrial", "USD")
    assert (tenants["globex"].name, tenants["globex"].base_currency) == ("Globex Components", "EUR")
    assert tenants["acme"].primary_domain() == "acme.localhost"
    for slug, people in EXPECTED.items():
        with tenant_context(tenants[slug]):
            members = {m.user.email: m for m in Membership.objects.select_related("user", "partner")}
            assert set(people) <= set(members)
            for email, (role, partner_code) in people.items():
                assert members[email].role == role, email
                if partner_code:
                    assert members[email].partner.code == partner_code
    with tenant_context(tenants["acme"]):
        names = dict(Partner.objects.values_list("code", "name"))
        assert names["D100"] == "Northwind Distribution"
        assert names["D200"] == "Contoso Supply"
    with tenant_context(tenants["globex"]):
        assert Membership.objects.get(user__email="partner@initech.test").partner is not None
    # Demo exchange rates from each tenant's currency, so that demo amounts in others convert.
    for slug, (source, target) in {"acme": ("EUR", "USD"), "globex": ("JPY", "EUR")}.items():
        with tenant_context(tenants[slug]):
            conversion = convert(Decimal("1000"), from_currency=source, to_currency=target, day=date.today())
            assert conversion.rate is not None and conversion.rate.source == "demo", slug
    for email in ("admin@acme.test", "rep@northwind.test", "partner@initech.test"):
        assert authenticate(email=email, password="demo-pass-2026") is not None, email
    for email in (
        "admin@acme.test",
        "manager@acme.test",
        "finance@acme.test",
        "finance2@acme.test",
        "admin@globex.test",
    ):
        assert Authenticator.objects.filter(user__email=email, type=Authenticator.Type.TOTP).exists(), email
    text = out.getvalue()
    assert "demo-pass-2026" in text and "http://acme.localhost:8000/" in text


def test_running_seed_twice_changes_nothing():
    call_command("seed_demo", "--quiet", stdout=StringIO())
    first = _snapshot()
    call_command("seed_demo", "--quiet", stdout=StringIO())
    assert _snapshot() == first


def test_if_empty_skips_a_database_with_tenants():
    call_command("create_tenant", slug="other", name="Other", currency="USD", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo", "--if-empty", "--quiet", stdout=out)
    assert list(Tenant.objects.values_list("slug", flat=True)) == ["other"]
    assert "skipped" in out.getvalue()
