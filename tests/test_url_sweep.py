"""Every URL pattern, every method it accepts, requested as anonymous, as another tenant's user
and as another partner's user: nothing of tenant A or partner P1 leaks.

A new URL pattern without an entry in a ``tests/<app>/sweep_entries.py`` fails this test.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from prm.tenancy.context import tenant_context
from tests.sweep import Entry, all_entries, session_entries

pytestmark = pytest.mark.django_db

THIRD_PARTY_PREFIXES = ("allauth.", "django.views.i18n", "django.contrib.admin")


def _patterns(urlconf: str) -> list[tuple[str, object]]:
    """(namespaced name, callback) of every named pattern, skipping third-party modules."""
    found: list[tuple[str, object]] = []

    def walk(resolver: URLResolver, namespace: str) -> None:
        for item in resolver.url_patterns:
            if isinstance(item, URLResolver):
                if item.namespace == "admin":  # Django admin: operator-only, tested separately
                    continue
                ns = f"{namespace}{item.namespace}:" if item.namespace else namespace
                walk(item, ns)
            elif isinstance(item, URLPattern) and item.name:
                module = getattr(item.callback, "__module__", "")
                if module.startswith(THIRD_PARTY_PREFIXES):
                    continue
                found.append((f"{namespace}{item.name}", item.callback))

    walk(get_resolver(urlconf), "")
    return found


def _portal_names() -> set[str]:
    return {name for name, _cb in _patterns(settings.ROOT_URLCONF)}


def _platform_names() -> set[str]:
    return {f"platform:{name}" for name, _cb in _patterns(settings.PRM_PLATFORM_URLCONF)}


def test_every_url_pattern_has_a_sweep_entry():
    entries = all_entries()
    missing = sorted((_portal_names() | _platform_names()) - set(entries))
    assert missing == [], f"add sweep entries for: {missing}"
    stale = sorted(set(entries) - _portal_names() - _platform_names())
    assert stale == [], f"sweep entries without a URL pattern: {stale}"


def _url(name: str, entry: Entry, cast) -> str:
    kwargs = {}
    if entry.kwargs is not None:
        with tenant_context(cast.a.tenant):
            kwargs = entry.kwargs(cast)
    if entry.platform:
        return reverse(name.removeprefix("platform:"), urlconf=settings.PRM_PLATFORM_URLCONF, kwargs=kwargs)
    return reverse(name, kwargs=kwargs)


def _request(client: Client, method: str, url: str):
    return client.get(url) if method == "GET" else client.post(url, {})


def _a_data_markers(cast) -> list[str]:
    return ["Northwind Distribution", "Contoso Supply", cast.a.users["p1_admin"].email]


@pytest.mark.parametrize("name", sorted(session_entries()))
def test_anonymous_is_sent_to_login_or_gets_404(name, cast):
    entry = all_entries()[name]
    url = _url(name, entry, cast)
    client = Client(HTTP_HOST="localhost" if entry.platform else cast.a.host)
    for method in entry.methods:
        response = _request(client, method, url)
        if entry.public:
            assert response.status_code in {200, 302, 404, 410}, (method, url, response.status_code)
            continue
        assert response.status_code in {302, 404}, (method, url, response.status_code)
        if response.status_code == 302:
            assert "/accounts/login/" in response["Location"], (method, url, response["Location"])


@pytest.mark.parametrize("name", sorted(n for n, e in session_entries().items() if not e.platform))
def test_another_tenants_user_gets_404_for_objects_and_no_data(name, cast):
    entry = all_entries()[name]
    url = _url(name, entry, cast)
    # Tenant B's admin on tenant B's host, naming tenant A's objects: 404.
    if entry.kwargs is not None:
        client_b = cast.b.client("admin")
        for method in entry.methods:
            response = _request(client_b, method, url)
            assert response.status_code == 404, (method, url, response.status_code)
    # Tenant B's user on tenant A's host: never A's data.
    client = Client(HTTP_HOST=cast.a.host)
    client.force_login(cast.b.users["p1_admin"])
    for method in entry.methods:
        response = _request(client, method, url)
        assert response.status_code in {200, 302, 403, 404, 405, 410}, (method, url, response.status_code)
        body = response.content.decode(errors="replace") if not getattr(response, "streaming", False) else ""
        for marker in _a_data_markers(cast):
            assert marker not in body, (method, url, marker)


@pytest.mark.parametrize("name", sorted(n for n, e in session_entries().items() if e.partner_owned))
def test_another_partners_user_gets_404(name, cast):
    """P2's admin and user naming P1's object get 404; a role that may not use the page at all
    gets 403 for any object (P1's own user of that role too), which reveals nothing."""
    entry = all_entries()[name]
    url = _url(name, entry, cast)
    for other, own in (("p2_admin", "p1_admin"), ("p2_user", "p1_user")):
        for method in entry.methods:
            response = _request(cast.a.client(other), method, url)
            if response.status_code == 403:
                assert _request(cast.a.client(own), method, url).status_code == 403, (method, url, other)
                continue
            assert response.status_code == 404, (method, url, other, response.status_code)
