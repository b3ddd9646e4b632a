"""Cache keys and stored file paths include the tenant: the same name in two tenants never collides."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.cache import cache

from prm.files import store_upload
from prm.tenancy.context import TenantContextMissing, tenant_context

pytestmark = pytest.mark.django_db


def test_the_same_cache_key_in_two_tenants_names_two_entries(cast):
    # A fresh key per run: tenant ids repeat across test databases, the Redis server does not.
    key = f"dashboard:counts:{uuid.uuid4().hex}"
    with tenant_context(cast.a.tenant):
        cache.set(key, "acme-value", 60)
    with tenant_context(cast.b.tenant):
        assert cache.get(key) is None
        cache.set(key, "globex-value", 60)
    with tenant_context(cast.a.tenant):
        assert cache.get(key) == "acme-value"
    with tenant_context(cast.b.tenant):
        assert cache.get(key) == "globex-value"
    # Outside any tenant (platform pages) the key is a third, separate entry.
    assert cache.get(key) is None


def test_cache_key_names_the_tenant(cast):
    with tenant_context(cast.a.tenant):
        key = cache.make_key("x")
    assert f":t{cast.a.tenant.pk}:" in key


def test_login_rate_limit_counters_are_shared_across_tenants(cast):
    with tenant_context(cast.a.tenant):
        key_a = cache.make_key("allauth:rl:account:login_failed:5/300s/key:abc")
    with tenant_context(cast.b.tenant):
        key_b = cache.make_key("allauth:rl:account:login_failed:5/300s/key:abc")
    assert key_a == key_b


def test_stored_upload_lives_under_the_tenants_folder(cast, settings):
    with tenant_context(cast.a.tenant):
        path_a, fmt, sha = store_upload(io.BytesIO(b"code,name\nD1,X\n"), area="imports")
    with tenant_context(cast.b.tenant):
        path_b, _fmt, _sha = store_upload(io.BytesIO(b"code,name\nD1,X\n"), area="imports")
    media = settings.MEDIA_ROOT
    assert path_a.parent == media / "tenants" / f"{cast.a.tenant.pk}-acme" / "imports"
    assert path_b.parent == media / "tenants" / f"{cast.b.tenant.pk}-globex" / "imports"
    assert fmt == "csv"
    assert len(sha) == 64
    assert path_a.read_bytes() == b"code,name\nD1,X\n"


def test_storing_an_upload_without_a_tenant_fails_closed(cast):
    with pytest.raises(TenantContextMissing):
        store_upload(io.BytesIO(b"a,b\n"), area="imports")
