"""Schemathesis against the API's own OpenAPI schema, in process (WSGI) with a vendor admin's key
and a partner's key holding every scope: for generated requests to every operation, no answer
is a 5xx, and every answer's status, content type and body match the schema (errors included:
problem details). Kept to a few examples per operation so that the run stays well under a minute."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from prm.tenancy.context import tenant_context
from tests.deals.helpers import register

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 4
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler, minus closing the connection after each request: the test's
    transaction (and its data) must outlive every call, as with Django's own test client."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_every_operation_answers_as_its_schema_says(cast, keys, wsgi_app):
    with tenant_context(cast.a.tenant):
        register(cast, "p1_user")  # something to list, read and act on
        register(cast, "p1_user", "Globex Ltd", domain="globex.com", submit=False)
    host = cast.a.host
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app, headers={"Host": host})
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures: list[str] = []
    for who in ("vendor", "p1"):
        headers = {"Host": host, "Authorization": f"Bearer {keys.issued[who].token}"}
        for operation in operations:

            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy())
            def run(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except Exception as exc:  # collect every operation's failure, not only the first
                failures.append(f"{who} {operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
