"""API keys: created in the back office (secret shown once, stored hashed), listed by prefix,
rotated and revoked (the old secret refused at once), last use recorded at most once a minute,
every change audited; a key authenticates only on its own tenant's host."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.keys import parse_token
from api.models import ApiKey
from api.services import api_key_create
from prm.audit.models import AuditEvent
from prm.roles import Role
from prm.workflow import DomainError
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r"prm_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def _create_in_back_office(cast, **data):
    client = cast.a.client("admin")
    form = {
        "name": "CRM sync",
        "kind": "vendor",
        "role": "channel_manager",
        "scopes": ["deals:write"],
        **data,
    }
    return client.post("/api-keys/new/", form)


def test_a_created_key_is_shown_once_and_stored_only_as_its_hash(cast):
    response = _create_in_back_office(cast)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = TOKEN.search(response.content.decode()).group(0)
    prefix, secret = parse_token(token)
    with cast.a.context():
        key = ApiKey.objects.get(prefix=prefix)
        assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in str(ApiKey.objects.filter(pk=key.pk).values().get())
        event = AuditEvent.objects.get(action="api_key.create", object_id=str(key.pk))
    assert event.actor == cast.a.users["admin"]
    assert event.after["prefix"] == prefix and secret not in str(event.after)
    listing = cast.a.client("admin").get("/api-keys/").content.decode()
    assert f"prm_{prefix}_" in listing and secret not in listing
    assert ApiClient(cast.a.host, token).get("/api/v1/deals/").status_code == 200


def test_the_key_lists_only_what_its_scopes_allow(cast):
    token = TOKEN.search(_create_in_back_office(cast).content.decode()).group(0)
    client = ApiClient(cast.a.host, token)
    assert client.get("/api/v1/deals/").status_code == 200  # write implies read
    refused = client.get("/api/v1/partners/")
    assert refused.status_code == 403
    assert "partners:read" in refused.json()["detail"]


@pytest.mark.parametrize("who", ["manager", "finance", "p1_admin"])
def test_only_vendor_admins_manage_keys(cast, who):
    client = cast.a.client(who)
    assert client.get("/api-keys/").status_code == 403
    assert (
        client.post("/api-keys/new/", {"name": "x", "kind": "vendor", "role": "finance"}).status_code == 403
    )
    with cast.a.context():
        assert not ApiKey.objects.exists()


def test_a_partner_bound_key_needs_a_partner_and_a_scope(cast):
    response = _create_in_back_office(cast, kind="partner", role="", scopes=["deals:read"])
    assert "Choose the partner the key is bound to." in response.content.decode()
    with cast.a.context(), pytest.raises(DomainError):
        api_key_create(
            acting_membership=cast.a.memberships["admin"], name="x", kind="vendor", role="finance", scopes=[]
        )
    with cast.a.context():
        assert not ApiKey.objects.exists()


def test_rotation_shows_a_new_secret_once_and_refuses_the_old_one_at_once(cast, keys):
    old = keys.issued["manager"].token
    key = keys.key("manager")
    response = cast.a.client("admin").post(f"/api-keys/{key.pk}/rotate/")
    assert response.status_code == 200
    new = TOKEN.search(response.content.decode()).group(0)
    assert new != old
    assert ApiClient(cast.a.host, old).get("/api/v1/deals/").status_code == 401
    assert ApiClient(cast.a.host, new).get("/api/v1/deals/").status_code == 200
    with cast.a.context():
        event = AuditEvent.objects.get(action="api_key.rotate", object_id=str(key.pk))
        key.refresh_from_db()
    assert event.before == {"prefix": parse_token(old)[0]} and event.after == {"prefix": key.prefix}
    assert key.name == "CRM" and key.service_user_id == keys.key("manager").service_user_id


def test_a_revoked_key_is_refused_and_cannot_be_rotated_back(cast, keys):
    key = keys.key("vendor")
    admin = cast.a.client("admin")
    assert admin.post(f"/api-keys/{key.pk}/revoke/").status_code == 302
    response = keys.client("vendor").get("/api/v1/partners/")
    assert response.status_code == 401
    assert response.json()["type"] == "urn:prm:problem:unauthenticated"
    assert "is revoked" in admin.post(f"/api-keys/{key.pk}/rotate/", follow=True).content.decode()
    assert keys.client("vendor").get("/api/v1/partners/").status_code == 401
    with cast.a.context():
        assert AuditEvent.objects.filter(action="api_key.revoke", object_id=str(key.pk)).count() == 1
        assert not AuditEvent.objects.filter(action="api_key.rotate").exists()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer prm_000000000000_wrong",
        "Bearer not-a-key",
        "Basic dXNlcjpwYXNz",
        "Bearer ",
    ],
)
def test_a_malformed_or_wrong_key_is_401(cast, keys, header):
    prefix = keys.key("vendor").prefix
    client = ApiClient(cast.a.host, None)
    response = client.get("/api/v1/partners/", HTTP_AUTHORIZATION=header.replace("000000000000", prefix))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_key_is_refused_on_another_tenants_host_and_accepted_on_its_own(cast, keys):
    token = keys.issued["b"].token
    assert ApiClient(cast.a.host, token).get("/api/v1/partners/").status_code == 401
    assert ApiClient(cast.b.host, token).get("/api/v1/partners/").status_code == 200
    assert ApiClient("localhost", token).get("/api/v1/partners/").status_code == 404  # no API on the platform


def test_last_use_is_written_at_most_once_a_minute(cast, keys):
    client = keys.client("vendor")
    client.get("/api/v1/products/")
    with cast.a.context():
        first = ApiKey.objects.get(pk=keys.key("vendor").pk).last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/products/")
    assert not [q for q in queries.captured_queries if q["sql"].startswith('UPDATE "api_apikey"')]
    with cast.a.context():
        assert ApiKey.objects.get(pk=keys.key("vendor").pk).last_used_at == first


def test_a_key_is_no_member_of_the_tenant(cast, keys):
    """The key's identity signs its audit events but is nobody's colleague: it cannot sign in and
    appears in no list of people."""
    identity = keys.key("p1").service_user
    assert not identity.is_active and not identity.has_usable_password()
    assert str(identity) == "API key: Northwind ERP"
    assert identity.email not in cast.a.client("admin").get("/people/").content.decode()
    membership = keys.key("p1").acting_membership()
    assert membership.pk is None and membership.role == Role.PARTNER_ADMIN


def test_every_write_through_a_key_is_audited_in_its_name(cast, keys):
    client = keys.client("p1")
    client.get("/api/v1/deals/")
    deal = {"customer_name": "Audit Co", "country": "US", "lines": [{"product_line": "pumps", "value": "1"}]}
    created = client.post_json("/api/v1/deals/", deal, HTTP_IDEMPOTENCY_KEY="a-1")
    client.post_json("/api/v1/deals/", deal, HTTP_IDEMPOTENCY_KEY="a-1")  # a replay ran nothing
    refused = client.post_json(f"/api/v1/deals/{created.json()['id']}/approve/")
    assert refused.status_code == 403
    with cast.a.context():
        writes = list(AuditEvent.objects.filter(action="api.write").select_related("actor"))
    assert [(str(e.actor), e.object_type, e.after) for e in writes] == [
        ("API key: Northwind ERP", "api.apikey", {"method": "POST", "path": "/api/v1/deals/", "status": 201})
    ]
