"""`manage.py create_tenant` (INTERFACES.md): a tenant with its portal domain, one-line errors."""

from __future__ import annotations

import pytest
from django.core.management import ManagementUtility, call_command

from prm.audit.models import AuditEvent
from prm.tenancy.context import tenant_context
from prm.tenancy.models import Domain, Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_test_connection(monkeypatch):
    # run_from_argv closes all connections at the end, which would end the test's transaction.
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)


def run(*args: str) -> int:
    """Run the command like the shell does (exit code, stderr); return the exit code."""
    try:
        ManagementUtility(["manage.py", "create_tenant", *args]).execute()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_creates_tenant_with_default_domain_under_the_base_domain(capsys):
    assert run("--slug", "initech", "--name", "Initech Corp", "--currency", "eur") == 0
    tenant = Tenant.objects.get(slug="initech")
    assert (tenant.name, tenant.base_currency) == ("Initech Corp", "EUR")
    assert list(Domain.objects.filter(tenant=tenant).values_list("host", "is_primary")) == [
        ("initech.localhost", True)
    ]
    assert "initech.localhost" in capsys.readouterr().out
    with tenant_context(tenant):
        assert AuditEvent.objects.filter(action="tenant.create", object_id=str(tenant.pk)).count() == 1


def test_domain_option_sets_a_custom_host():
    call_command(
        "create_tenant", slug="umbrella", name="Umbrella", currency="USD", domain="Portal.Umbrella.EXAMPLE"
    )
    assert Domain.objects.get(tenant__slug="umbrella").host == "portal.umbrella.example"


def test_duplicate_slug_exits_non_zero_with_a_one_line_error(capsys):
    assert run("--slug", "initech", "--name", "Initech", "--currency", "EUR") == 0
    capsys.readouterr()
    assert run("--slug", "initech", "--name", "Again", "--currency", "EUR") != 0
    err = capsys.readouterr().err.strip()
    assert "initech" in err and "exists" in err
    assert len(err.splitlines()) == 1
    assert Tenant.objects.filter(slug="initech").count() == 1


def test_host_already_serving_another_tenant_is_refused(capsys):
    assert run("--slug", "one", "--name", "One", "--currency", "EUR", "--domain", "shared.example") == 0
    assert run("--slug", "two", "--name", "Two", "--currency", "EUR", "--domain", "shared.example") != 0
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not Tenant.objects.filter(slug="two").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("--slug", "Bad Slug", "--name", "X", "--currency", "EUR"),
        ("--slug", "okslug", "--name", "X", "--currency", "EURO"),
        ("--slug", "okslug", "--name", "X"),
    ],
)
def test_bad_arguments_exit_non_zero_and_create_nothing(args, capsys):
    assert run(*args) != 0
    err = capsys.readouterr().err.strip()
    assert err
    assert not Tenant.objects.exists()
