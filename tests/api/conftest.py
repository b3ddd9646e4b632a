"""API keys of the tenant cast and clients that send them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from api.scopes import ALL_SCOPES
from api.services import IssuedKey, api_key_create
from prm.roles import Role
from tests.conftest import Cast, TenantSide
from tests.posdata.helpers import catalog  # noqa: F401  (the POS tests' catalog fixture)


class ApiClient(Client):
    """A test client on a tenant's host that sends an API key (JSON by default)."""

    def __init__(self, host: str, token: str | None) -> None:
        extra = {"HTTP_HOST": host}
        if token is not None:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        super().__init__(**extra)

    def post_json(self, path: str, data: Any = None, **extra: Any):
        return self.post(path, data if data is not None else {}, content_type="application/json", **extra)

    def put_json(self, path: str, data: Any = None, **extra: Any):
        return self.put(path, data if data is not None else {}, content_type="application/json", **extra)


@dataclass
class Keys:
    """Issued keys by name: ``vendor`` (vendor admin, every scope), ``manager`` (channel manager),
    ``finance``, ``p1`` / ``p2`` (partner-bound, every scope), ``b`` (tenant B's vendor admin)."""

    cast: Cast
    issued: dict[str, IssuedKey] = field(default_factory=dict)
    sides: dict[str, TenantSide] = field(default_factory=dict)

    def client(self, name: str | None) -> ApiClient:
        side = self.sides.get(name, self.cast.a) if name else self.cast.a
        return ApiClient(side.host, self.issued[name].token if name else None)

    def key(self, name: str):
        return self.issued[name].key


def issue(
    side: TenantSide, *, name: str, scopes=ALL_SCOPES, role=Role.VENDOR_ADMIN, partner=None
) -> IssuedKey:
    with side.context():
        return api_key_create(
            acting_membership=side.memberships["admin"],
            name=name,
            kind="partner" if partner is not None else "vendor",
            role=None if partner is not None else role,
            partner=partner,
            scopes=scopes,
        )


@pytest.fixture
def keys(cast) -> Keys:
    keys = Keys(cast)
    a = cast.a
    keys.issued["vendor"] = issue(a, name="ERP")
    keys.issued["manager"] = issue(a, name="CRM", role=Role.CHANNEL_MANAGER)
    keys.issued["finance"] = issue(a, name="Payments", role=Role.FINANCE)
    keys.issued["p1"] = issue(a, name="Northwind ERP", partner=a.partners["p1"])
    keys.issued["p2"] = issue(a, name="Contoso ERP", partner=a.partners["p2"])
    keys.issued["b"] = issue(cast.b, name="Globex ERP")
    keys.sides["b"] = cast.b
    return keys
