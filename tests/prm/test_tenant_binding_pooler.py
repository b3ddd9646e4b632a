"""The tenant binding is transaction-scoped: it holds behind a transaction-pooling PgBouncer.

PgBouncer runs with one server connection, so the two tenants' transactions take turns on the
same PostgreSQL session. A session-level setting would be seen by the other client's next
statement; a transaction-local one cannot be.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from unittest import mock

import pytest
from django.db import OperationalError, connection

from prm.tenancy.context import current_tenant, tenant_context, user_context
from tests.pgbouncer import Bouncer, running_pgbouncer, through

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 25


@pytest.fixture
def bouncer() -> Bouncer:
    with running_pgbouncer([connection.settings_dict["USER"]]) as running:
        yield running


def _in_threads(bouncer: Bouncer, *workers: Callable[[], None]) -> None:
    errors: list[BaseException] = []

    def run(work: Callable[[], None]) -> None:
        try:
            with through(bouncer):
                work()
        except BaseException as exc:  # reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def _visible(table: str, column: str) -> set[int]:
    # Raw SQL without a tenant filter: row-level security is the only thing that scopes it.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT {column} FROM {table}")
        return {row[0] for row in cursor.fetchall()}


def test_interleaved_tenants_on_one_pooled_server_connection_see_only_their_rows(cast, bouncer):
    barrier = threading.Barrier(2, timeout=60)
    seen: dict[str, list[set[int]]] = {"a": [], "b": []}
    unscoped: dict[str, set[int]] = {}

    def worker(key: str, tenant) -> Callable[[], None]:
        def work() -> None:
            with tenant_context(tenant):
                barrier.wait()  # both contexts are entered before either queries
                for _ in range(ROUNDS):
                    seen[key].append(_visible("partners_partner", "tenant_id"))
                    barrier.wait()
            barrier.wait()  # both contexts are left before either queries again
            unscoped[key] = _visible("partners_partner", "tenant_id")

        return work

    _in_threads(bouncer, worker("a", cast.a.tenant), worker("b", cast.b.tenant))
    assert seen["a"] == [{cast.a.tenant.pk}] * ROUNDS
    assert seen["b"] == [{cast.b.tenant.pk}] * ROUNDS
    assert unscoped == {"a": set(), "b": set()}


def test_the_user_binding_of_the_memberships_policy_holds_through_the_pooler(cast, bouncer):
    barrier = threading.Barrier(2, timeout=60)
    seen: dict[str, list[set[int]]] = {"a": [], "b": []}
    users = {"a": cast.a.users["admin"].pk, "b": cast.b.users["admin"].pk}

    def worker(key: str) -> Callable[[], None]:
        def work() -> None:
            with user_context(users[key]):
                barrier.wait()
                for _ in range(ROUNDS):
                    seen[key].append(_visible("prm_membership", "user_id"))
                    barrier.wait()

        return work

    _in_threads(bouncer, worker("a"), worker("b"))
    assert seen["a"] == [{users["a"]}] * ROUNDS
    assert seen["b"] == [{users["b"]}] * ROUNDS


def test_interleaved_requests_of_two_tenants_through_the_pooler_never_cross(cast, bouncer):
    names = {"a": ["Northwind Distribution", "Contoso Supply"], "b": ["Initech"]}
    pages: dict[str, list[str]] = {"a": [], "b": []}

    def worker(key: str) -> Callable[[], None]:
        side = cast.a if key == "a" else cast.b

        def work() -> None:
            client = side.client("admin")
            for _ in range(10):
                response = client.get("/partners/")
                assert response.status_code == 200
                pages[key].append(response.content.decode())

        return work

    _in_threads(bouncer, worker("a"), worker("b"))
    for key, other in (("a", "b"), ("b", "a")):
        assert len(pages[key]) == 10
        for page in pages[key]:
            assert all(name in page for name in names[key])
            assert not any(name in page for name in names[other])


def test_a_database_failure_inside_a_context_leaves_no_tenant_behind(cast):
    def refuse(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    with (
        mock.patch.object(connection, "cursor", side_effect=refuse),
        pytest.raises(OperationalError),
        tenant_context(cast.a.tenant),
    ):
        connection.cursor()
    assert current_tenant() is None


def test_entering_a_context_runs_no_query_so_it_cannot_fail_half_way(cast):
    with (
        mock.patch.object(connection, "cursor", side_effect=AssertionError("queried")),
        tenant_context(cast.a.tenant),
    ):
        assert current_tenant() == cast.a.tenant
    assert current_tenant() is None


def test_bound_statements_in_autocommit_report_their_own_results_and_errors(cast):
    from django.db import DatabaseError
    from psycopg import pq

    with tenant_context(cast.a.tenant), connection.cursor() as cursor:
        cursor.execute("UPDATE partners_partner SET region = %s WHERE code LIKE %s", ["north", "D%"])
        assert cursor.rowcount == 2
        with pytest.raises(DatabaseError, match="division by zero"):
            cursor.execute("SELECT 1 / 0")
        cursor.execute("SELECT code, region FROM partners_partner ORDER BY code")
        assert cursor.fetchall() == [("D100", "north"), ("D200", "north")]
        assert connection.connection.info.transaction_status == pq.TransactionStatus.IDLE
