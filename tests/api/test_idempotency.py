"""POST with an Idempotency-Key runs once per (tenant, API key, Idempotency-Key): a retry gets the
stored status and body, another request under the same key is refused with 422, a server error is
not stored, and two concurrent duplicates run once (real transactions, real threads)."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

import api.v1.deals
from api.idempotency import purge_expired
from api.models import IdempotencyRecord
from deals.models import DealRegistration
from prm.audit.models import AuditEvent
from prm.tenancy.context import tenant_context
from tests.api.conftest import ApiClient
from tests.deals.helpers import register

DEAL = {"customer_name": "Initrode", "country": "US", "lines": [{"product_line": "pumps", "value": "100.00"}]}


def _create(client, key: str, data=DEAL):
    return client.post_json("/api/v1/deals/", data, HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_a_retry_gets_the_stored_answer_and_creates_nothing(cast, keys):
    client = keys.client("p1")
    first = _create(client, "order-42")
    again = _create(client, "order-42")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    with cast.a.context():
        assert DealRegistration.objects.count() == 1
        assert AuditEvent.objects.filter(action="deal.create").count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused(cast, keys):
    client = keys.client("p1")
    assert _create(client, "order-42").status_code == 201
    refused = _create(client, "order-42", {**DEAL, "customer_name": "Someone else"})
    assert refused.status_code == 422
    assert refused.json()["type"] == "urn:prm:problem:idempotency-key-reused"
    with cast.a.context():
        assert list(DealRegistration.objects.values_list("customer_name", flat=True)) == ["Initrode"]


@pytest.mark.django_db
def test_the_same_key_value_of_two_api_keys_is_two_requests(cast, keys):
    assert _create(keys.client("p1"), "shared").status_code == 201
    assert _create(keys.client("p2"), "shared").status_code == 201
    with cast.a.context():
        assert DealRegistration.objects.count() == 2


@pytest.mark.django_db
def test_a_refusal_is_stored_and_replayed_without_running_again(cast, keys):
    with cast.a.context():
        draft = register(cast, "p1_user", submit=False)
        DealRegistration.objects.filter(pk=draft.pk).update(customer_name="")
    client = keys.client("p1")
    url = f"/api/v1/deals/{draft.pk}/submit/"
    first = client.post_json(url, {}, HTTP_IDEMPOTENCY_KEY="submit-1")
    assert first.status_code == 422
    with cast.a.context():
        DealRegistration.objects.filter(pk=draft.pk).update(customer_name="Fixed Ltd")
    again = client.post_json(url, {}, HTTP_IDEMPOTENCY_KEY="submit-1")
    assert again.status_code == 422 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    with cast.a.context():
        assert DealRegistration.objects.get(pk=draft.pk).status == DealRegistration.Status.DRAFT
    assert client.post_json(url, {}, HTTP_IDEMPOTENCY_KEY="submit-2").status_code == 200


@pytest.mark.django_db
def test_a_server_error_is_not_stored_so_the_retry_runs(cast, keys, monkeypatch):
    real = api.v1.deals.registration_create
    calls = []

    def fail_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database hiccup")
        return real(**kwargs)

    monkeypatch.setattr(api.v1.deals, "registration_create", fail_once)
    client = keys.client("p1")
    assert _create(client, "order-7").status_code == 500
    retry = _create(client, "order-7")
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry
    with cast.a.context():
        assert DealRegistration.objects.count() == 1
        assert IdempotencyRecord.objects.get(key="order-7").status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["x" * 256, "naïve"])
def test_an_unusable_idempotency_key_is_400(keys, value):
    response = _create(keys.client("p1"), value)
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "#/Idempotency-Key"


@pytest.mark.django_db
def test_records_older_than_the_retention_are_purged(cast, keys):
    _create(keys.client("p1"), "old")
    _create(keys.client("p1"), "new")
    with cast.a.context():
        IdempotencyRecord.objects.filter(key="old").update(
            created_at=timezone.now() - datetime.timedelta(hours=25)
        )
        assert purge_expired() == 1
        assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_duplicates_run_once(cast, keys, monkeypatch):
    """The first request holds its record's insert open until the second is seen waiting on the
    unique index (pg_stat_activity); then it commits, and the second answers with its response."""
    real = api.v1.deals.registration_create
    entered = threading.Event()
    saw_waiter: list[bool] = []
    runs: list[int] = []

    def held_open(**kwargs):
        runs.append(1)
        entered.set()
        saw_waiter.append(_another_session_waits_on_a_lock())
        return real(**kwargs)

    monkeypatch.setattr(api.v1.deals, "registration_create", held_open)
    responses: dict[str, object] = {}
    errors: list[BaseException] = []

    def post(name: str) -> None:
        try:
            responses[name] = _create(ApiClient(cast.a.host, keys.issued["p1"].token), "race-1")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=post, args=("first",))
    first.start()
    assert entered.wait(timeout=30)
    second = threading.Thread(target=post, args=("second",))
    second.start()
    first.join(timeout=60)
    second.join(timeout=60)
    assert errors == []
    assert runs == [1] and saw_waiter == [True]
    a, b = responses["first"], responses["second"]
    assert a.status_code == b.status_code == 201  # type: ignore[attr-defined]
    assert a.json() == b.json()  # type: ignore[attr-defined]
    assert b["Idempotent-Replayed"] == "true"  # type: ignore[index]
    with tenant_context(cast.a.tenant):
        assert DealRegistration.objects.count() == 1


def _another_session_waits_on_a_lock(timeout: float = 20.0) -> bool:
    """Poll until another backend of this database waits on a lock (the duplicate's insert)."""
    deadline = timezone.now() + datetime.timedelta(seconds=timeout)
    with connection.cursor() as cursor:
        while timezone.now() < deadline:
            # Inside a transaction pg_stat_activity is a snapshot taken at first access: drop it.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            cursor.execute("SELECT pg_sleep(0.05)")
    return False
