"""Every error of the API is RFC 9457 problem details (application/problem+json): 400 with a
pointer per invalid field, 401, 403, 404, 405, 409, 422, 429 with Retry-After, 500 with a reference
and nothing of the exception."""

from __future__ import annotations

import pytest

from api.v1.catalog import ProductViewSet
from deals.models import DealRegistration
from tests.api.conftest import ApiClient, issue
from tests.deals.helpers import register

pytestmark = pytest.mark.django_db


def _problem(response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"urn:prm:problem:{kind}"
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert body["instance"] == response.request["PATH_INFO"]
    return body


def test_invalid_input_names_each_field_with_a_pointer(keys):
    response = keys.client("p1").post_json(
        "/api/v1/deals/", {"country": "USA", "lines": [{"product_line": "pumps", "value": "ten"}]}
    )
    body = _problem(response, 400, "validation")
    pointers = {e["pointer"]: e["detail"] for e in body["errors"]}
    assert set(pointers) == {"#/customer_name", "#/country", "#/lines/0/value"}
    assert body["detail"].startswith("customer_name: ")


def test_a_body_that_is_not_json_is_400(keys):
    response = keys.client("p1").post("/api/v1/deals/", "{not json", content_type="application/json")
    _problem(response, 400, "malformed")


def test_an_unsupported_media_type_is_415(keys):
    response = keys.client("p1").post(
        "/api/v1/deals/", "a=b", content_type="application/x-www-form-urlencoded"
    )
    _problem(response, 415, "unsupported-media-type")


def test_no_key_is_401_with_the_scheme(keys):
    response = keys.client(None).get("/api/v1/deals/")
    _problem(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_missing_scope_and_a_role_without_the_capability_are_403(cast, keys):
    narrow = issue(cast.a, name="Only products", scopes=["products:read"])
    _problem(ApiClient(cast.a.host, narrow.token).get("/api/v1/deals/"), 403, "forbidden")
    # The marketing manager role may not see deal registrations, whatever the scopes say.
    marketing = issue(cast.a, name="Marketing", role="marketing_manager")
    body = _problem(ApiClient(cast.a.host, marketing.token).get("/api/v1/deals/"), 403, "forbidden")
    assert "role" in body["detail"]


def test_a_service_refusing_the_role_is_403_and_writes_nothing(cast, keys):
    """A vendor key cannot register deals (partner roles register): the service says no."""
    response = keys.client("vendor").post_json(
        "/api/v1/deals/",
        {"customer_name": "X", "country": "US", "lines": [{"product_line": "pumps", "value": "1"}]},
    )
    _problem(response, 403, "forbidden")
    with cast.a.context():
        assert not DealRegistration.objects.exists()


def test_unknown_object_and_unknown_address_are_404(keys):
    _problem(keys.client("vendor").get("/api/v1/deals/999999/"), 404, "not-found")
    _problem(keys.client("vendor").get("/api/v1/nothing-here/"), 404, "not-found")
    _problem(keys.client("vendor").get("/api/v1/deals/?cursor=garbage"), 404, "not-found")


def test_a_method_the_endpoint_does_not_take_is_405(keys):
    _problem(keys.client("vendor").delete("/api/v1/partners/"), 405, "method-not-allowed")


def test_a_move_the_transition_table_refuses_is_409(cast, keys):
    with cast.a.context():
        draft = register(cast, "p1_user", submit=False)
    body = _problem(
        keys.client("vendor").post_json(f"/api/v1/deals/{draft.pk}/approve/"), 409, "invalid-transition"
    )
    assert "Draft" in body["detail"]


def test_a_business_rule_refusal_is_422(cast, keys):
    with cast.a.context():
        draft = register(cast, "p1_user", submit=False)
    body = _problem(
        keys.client("p1").post_json(f"/api/v1/deals/{draft.pk}/lost/", {"reason": "  "}), 400, "validation"
    )
    assert body["errors"][0]["pointer"] == "#/reason"
    with cast.a.context():
        submitted = register(cast, "p1_user")
    response = keys.client("vendor").post_json(
        f"/api/v1/deals/{submitted.pk}/approve/", {"protection_days": 30, "discount_pct": "5"}
    )
    assert response.status_code == 200
    refused = keys.client("p1").post_json(
        f"/api/v1/deals/{submitted.pk}/won/", {"closed_value": "10.00", "closed_on": "2999-01-01"}
    )
    _problem(refused, 422, "refused")


def test_the_rate_limit_is_per_key_and_says_when_to_retry(keys, settings):
    settings.PRM_API_RATE_LIMIT = "2/min"
    client = keys.client("vendor")
    assert client.get("/api/v1/products/").status_code == 200
    assert client.get("/api/v1/products/").status_code == 200
    response = client.get("/api/v1/products/")
    _problem(response, 429, "rate-limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert keys.client("manager").get("/api/v1/products/").status_code == 200  # another key's own count


def test_an_unexpected_error_is_500_with_a_reference_and_no_internals(keys, monkeypatch, caplog):
    def explode(self):
        raise RuntimeError("secret internals: SELECT * FROM somewhere")

    monkeypatch.setattr(ProductViewSet, "scoped_queryset", explode)
    body = _problem(keys.client("vendor").get("/api/v1/products/"), 500, "server-error")
    assert "reference" in body["detail"] and "secret internals" not in body["detail"]
    reference = body["detail"].split("reference ")[1][:8]
    assert any(reference in record.getMessage() for record in caplog.records)
