"""Structured logs: one JSON object per line with request id, tenant, user and job id; the request
id in a response header and on the 500 page."""

from __future__ import annotations

import logging
from io import BytesIO

import pytest
from django.test import Client

from prm.imports import reference_import_start
from tests.ops.logcapture import captured_logs

pytestmark = pytest.mark.django_db


def test_every_response_carries_a_request_id_and_a_foreign_one_is_ignored_by_default(cast, settings):
    first = Client(HTTP_HOST="acme.localhost").get("/accounts/login/")
    second = Client(HTTP_HOST="acme.localhost").get("/accounts/login/")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]
    forged = Client(HTTP_HOST="acme.localhost", HTTP_X_REQUEST_ID="from-the-client-123")
    assert forged.get("/accounts/login/")["X-Request-ID"] != "from-the-client-123"
    settings.PRM_TRUST_REQUEST_ID = True  # the proxy in front makes them
    assert forged.get("/accounts/login/")["X-Request-ID"] == "from-the-client-123"
    bad = Client(HTTP_HOST="acme.localhost", HTTP_X_REQUEST_ID="<script>")
    assert bad.get("/accounts/login/")["X-Request-ID"] != "<script>"


def test_log_lines_of_a_request_name_the_request_tenant_and_user(cast):
    client = cast.a.client("admin")
    with captured_logs() as logs:
        response = client.get("/jobs/")
        logging.getLogger("probe").info("inside")  # outside the request: no request id
        missing = client.get("/jobs/999999/")
    assert response.status_code == 200 and missing.status_code == 404
    lines = logs.lines()
    assert all(
        {"request_id", "tenant", "user", "job_id", "level", "timestamp"} <= set(line) for line in lines
    )
    not_found = next(line for line in lines if line["event"].startswith("Not Found: /jobs/999999/"))
    assert not_found["request_id"] == missing["X-Request-ID"]
    assert not_found["tenant"] == "acme"
    assert not_found["user"] == cast.a.users["admin"].pk
    probe = next(line for line in lines if line["event"] == "inside")
    assert probe["request_id"] is None


def test_log_lines_of_a_job_name_the_job_tenant_and_the_user_who_started_it(
    cast, django_capture_on_commit_callbacks
):
    upload = BytesIO(b"code,name,type,country\nL100,Logged Partner,reseller,FR\n")
    upload.name = "partners.csv"
    with captured_logs() as logs, cast.a.context(), django_capture_on_commit_callbacks(execute=True):
        job = reference_import_start(
            kind="partners", upload=upload, acting_membership=cast.a.memberships["admin"]
        )
    done = next(line for line in logs.lines() if line["event"] == "job succeeded")
    assert done["job_id"] == job.pk
    assert done["tenant"] == "acme"
    assert done["user"] == cast.a.users["admin"].pk
    assert done["kind"] == "import:partners"


def test_the_500_page_shows_the_request_id_that_the_log_line_carries(cast, settings):
    settings.ROOT_URLCONF = "tests.ops.urls_boom"
    client = Client(HTTP_HOST="acme.localhost", raise_request_exception=False)
    with captured_logs() as logs:
        response = client.get("/boom/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert request_id.encode() in response.content
    error = next(line for line in logs.lines() if line["event"].startswith("Internal Server Error: /boom/"))
    assert error["request_id"] == request_id
    assert error["tenant"] == "acme"
    assert error["exception"][0]["exc_type"] == "RuntimeError"
    assert "locals" not in error["exception"][0]["frames"][0]


def test_a_task_logs_neither_its_arguments_nor_its_return_value(cast):
    from prm.celery import tenant_task

    @tenant_task(name="tests.ops.secret_task")
    def secret_task(*, payload: str) -> str:
        return "RETURNED-SECRET-" + payload

    try:
        with captured_logs() as logs:
            assert (
                secret_task.delay(tenant_id=cast.a.tenant.pk, payload="ARG-SECRET")
                .get()
                .startswith("RETURNED")
            )
    finally:
        from prm.celery import app

        app.tasks.unregister("tests.ops.secret_task")
    assert "succeeded" in logs.text
    assert "SECRET" not in logs.text
    done = next(line for line in logs.lines() if "succeeded" in line["event"])
    assert done["tenant"] is None or done["tenant"] == "acme"


def test_production_writes_every_log_line_as_one_json_object():
    """The default format of a production process (PRM_ENV=production, no PRM_LOG_FORMAT)."""
    import json

    from tests.prm.test_production_settings import manage, production_env

    code = "import logging; logging.getLogger('probe').warning('hello %s', 'operator')"
    result = manage("shell", "-c", code, **production_env())
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]  # JSON, or it raises
    (probe,) = [line for line in lines if line.get("logger") == "probe"]
    assert probe["event"] == "hello operator" and probe["level"] == "warning"
    assert {"request_id", "tenant", "user", "job_id", "timestamp"} <= set(probe)
