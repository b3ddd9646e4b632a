"""The tenant cast (STYLE.md) and helpers every test can reach.

Tenant A (acme): vendor admin, channel manager, marketing manager, finance, partner P1 with an
admin and a user, partner P2 with an admin and a user. Tenant B (globex): its own admin and partner admin.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from prm.accounts.models import Membership, User
from prm.roles import MFA_REQUIRED_ROLES, Role
from prm.tenancy.context import tenant_context
from prm.tenancy.models import Tenant
from prm.tenancy.services import tenant_create
from tests.factories import MembershipFactory, PartnerFactory, ProductFactory, UserFactory

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The test database is created and migrated by the owner role, like production's."""
    from prm.db.roles import use_owner

    use_owner()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """...and the tests run as the runtime role (DML only), like the app. The owner drops it."""
    from prm.db.roles import use_owner, use_runtime

    with django_db_blocker.unblock():
        use_runtime()
    yield
    with django_db_blocker.unblock():
        use_owner()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request through the portal activates the
    member's language in this thread (as Django's own LocaleMiddleware does) and leaves it, so a
    German page would otherwise make the next test's messages German."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Tasks run in-process in tests (on commit, like in production). Tests that need the real
    worker start one explicitly."""
    from prm.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def enrol_totp(user: User) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, TOTP_SECRET)


@dataclass
class TenantSide:
    tenant: Tenant
    users: dict[str, User] = field(default_factory=dict)
    memberships: dict[str, Membership] = field(default_factory=dict)
    partners: dict[str, Any] = field(default_factory=dict)
    host: str = ""

    def client(self, who: str | None = None) -> Client:
        """A test client on this tenant's host, signed in as ``who`` (None: anonymous)."""
        client = Client(HTTP_HOST=self.host)
        if who is not None:
            client.force_login(self.users[who])
        return client

    def context(self):
        return tenant_context(self.tenant)


@dataclass
class Cast:
    a: TenantSide
    b: TenantSide


def _member(side: TenantSide, key: str, role: Role, partner=None) -> None:
    user = UserFactory(email=f"{key}@{side.tenant.slug}.test", full_name=key.replace("_", " ").title())
    side.users[key] = user
    side.memberships[key] = MembershipFactory(user=user, role=role, partner=partner)
    if role in MFA_REQUIRED_ROLES:
        enrol_totp(user)


@pytest.fixture
def cast(db) -> Cast:
    a = TenantSide(tenant_create(slug="acme", name="Acme Industrial", currency="USD"), host="acme.localhost")
    b = TenantSide(
        tenant_create(slug="globex", name="Globex Components", currency="EUR"), host="globex.localhost"
    )
    with tenant_context(a.tenant):
        a.partners["p1"] = PartnerFactory(code="D100", name="Northwind Distribution", type="distributor")
        a.partners["p2"] = PartnerFactory(code="D200", name="Contoso Supply", type="distributor")
        _member(a, "admin", Role.VENDOR_ADMIN)
        _member(a, "manager", Role.CHANNEL_MANAGER)
        _member(a, "marketing", Role.MARKETING_MANAGER)
        _member(a, "finance", Role.FINANCE)
        _member(a, "p1_admin", Role.PARTNER_ADMIN, a.partners["p1"])
        _member(a, "p1_user", Role.PARTNER_USER, a.partners["p1"])
        _member(a, "p2_admin", Role.PARTNER_ADMIN, a.partners["p2"])
        _member(a, "p2_user", Role.PARTNER_USER, a.partners["p2"])
        a.partners["product"] = ProductFactory(sku="PMP-100", currency="USD")
    with tenant_context(b.tenant):
        b.partners["p1"] = PartnerFactory(code="R100", name="Initech", country="DE")
        _member(b, "admin", Role.VENDOR_ADMIN)
        _member(b, "p1_admin", Role.PARTNER_ADMIN, b.partners["p1"])
        b.partners["product"] = ProductFactory(sku="GX-1", currency="EUR")
    return Cast(a=a, b=b)


def _browser_required() -> bool:
    """CI sets PRM_REQUIRE_BROWSER=1: there a missing chromium fails the run instead of skipping."""
    return os.environ.get("PRM_REQUIRE_BROWSER", "") not in {"", "0", "false"}


@pytest.fixture
def chromium_path() -> str:
    return _chromium_or_skip()


def _chromium_or_skip() -> str:
    """Debian's chromium, or the test is skipped (failed where CI requires the browser). Called by
    the session-scoped launch arguments too: Playwright's browser fixture is built before any
    function-scoped fixture, so a check there alone would come too late."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        if _browser_required():
            pytest.fail("PRM_REQUIRE_BROWSER=1 but Debian's chromium is not installed (make browser-deps)")
        pytest.skip("Debian's chromium is not installed (make browser-deps)")
    return path


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Playwright's sync API runs an event loop in the test thread, and Django refuses database
    access from a thread with a running loop. Browser journeys, and only they, allow it: for the
    whole of their set-up, call and teardown (pytest-django's database teardown included)."""
    if item.get_closest_marker("browser") is None:
        return (yield)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        return (yield)
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def pytest_collection_modifyitems(config, items):
    """Browser journeys run last: once Playwright's session-scoped browser has started, no other
    test shares the thread with its event loop."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say how many browser journeys really ran, so a silent skip shows in every CI log."""
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for outcome in counts:
        for report in terminalreporter.stats.get(outcome, []):
            if "browser" in getattr(report, "keywords", {}) and (
                outcome != "passed" or report.when == "call"
            ):
                counts[outcome] += 1
    terminalreporter.write_line(
        "browser journeys run: {passed} (passed {passed}, failed {failed}, skipped {skipped})".format(
            **counts
        )
    )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    path = _chromium_or_skip()
    return {
        **browser_type_launch_args,
        "executable_path": path,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
