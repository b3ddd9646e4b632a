"""Partners and products through the API: a partner key sees its own partner only, another
tenant's key sees nothing of this tenant, filters narrow the lists."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def _codes(response) -> list[str]:
    assert response.status_code == 200
    return [row["code"] for row in response.json()["results"]]


def test_a_vendor_key_lists_every_partner_and_filters(cast, keys):
    client = keys.client("vendor")
    assert _codes(client.get("/api/v1/partners/")) == ["D100", "D200"]
    assert _codes(client.get("/api/v1/partners/?code=D200")) == ["D200"]
    assert _codes(client.get("/api/v1/partners/?status=suspended")) == []
    assert client.get("/api/v1/partners/?status=nonsense").status_code == 400


def test_a_partner_key_sees_its_own_partner_only(cast, keys):
    client = keys.client("p1")
    assert _codes(client.get("/api/v1/partners/")) == ["D100"]
    assert (
        client.get(f"/api/v1/partners/{cast.a.partners['p1'].pk}/").json()["name"] == "Northwind Distribution"
    )
    assert client.get(f"/api/v1/partners/{cast.a.partners['p2'].pk}/").status_code == 404


def test_another_tenants_key_sees_its_own_tenant_only(cast, keys):
    client = keys.client("b")
    assert _codes(client.get("/api/v1/partners/")) == ["R100"]
    assert client.get(f"/api/v1/partners/{cast.a.partners['p1'].pk}/").status_code == 404
    skus = [row["sku"] for row in client.get("/api/v1/products/").json()["results"]]
    assert skus == ["GX-1"]
    assert client.get(f"/api/v1/products/{cast.a.partners['product'].pk}/").status_code == 404


def test_products_show_prices_in_their_currency(cast, keys):
    product = keys.client("p2").get(f"/api/v1/products/{cast.a.partners['product'].pk}/").json()
    assert product["sku"] == "PMP-100"
    assert (product["list_price"], product["currency"]) == ("100.00", "USD")
