"""Failed sign-ins are rate limited (allauth ``login_failed``, counters in the Redis cache)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def test_after_five_failures_for_one_account_even_the_right_password_is_refused(cast, settings):
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    client = cast.a.client()
    for _attempt in range(5):
        response = client.post(
            "/accounts/login/", {"login": "p1_user@acme.test", "password": "wrong-password"}
        )
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"login": "p1_user@acme.test", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts" in response.content


def test_the_limit_is_per_account_and_does_not_lock_out_others(cast):
    client = cast.a.client()
    for _attempt in range(5):
        client.post("/accounts/login/", {"login": "p1_user@acme.test", "password": "wrong-password"})
    response = client.post("/accounts/login/", {"login": "p2_user@acme.test", "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == cast.a.users["p2_user"].pk


def test_switching_tenant_host_does_not_reset_the_failure_budget(cast):
    for _attempt in range(5):
        cast.a.client().post("/accounts/login/", {"login": "p1_user@acme.test", "password": "wrong-password"})
    client = cast.b.client()
    response = client.post("/accounts/login/", {"login": "p1_user@acme.test", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts" in response.content
