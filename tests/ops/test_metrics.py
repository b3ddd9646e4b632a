"""Metrics for operators: requests by view, jobs by kind and outcome, rows ingested, queue depth."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from prm.jobs.services import job_create, job_fail, job_start, job_succeed
from prm.ops.redis import client

pytestmark = pytest.mark.django_db

TOKEN = "m" * 40


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _scrape(platform_client, operator) -> dict:
    response = platform_client(operator).get("/ops/metrics/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return _samples(response.content.decode())


def test_metrics_are_for_operators_and_the_ops_token_only(cast, operator, platform_client, settings):
    settings.PRM_OPS_TOKEN = TOKEN
    assert platform_client().get("/ops/metrics/").status_code == 302
    assert platform_client(cast.a.users["admin"]).get("/ops/metrics/").status_code == 403
    assert platform_client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}").get("/ops/metrics/").status_code == 200
    assert cast.a.client("admin").get("/ops/metrics/").status_code == 404


def test_requests_are_counted_and_timed_by_view_name(cast, operator, platform_client):
    key = ("prm_http_requests_total", (("method", "GET"), ("status", "200"), ("view", "jobs")))
    before = _scrape(platform_client, operator).get(key, 0)
    client = cast.a.client("admin")
    assert client.get("/jobs/").status_code == 200
    assert client.get("/jobs/").status_code == 200
    after = _scrape(platform_client, operator)
    assert after[key] == before + 2
    assert after[("prm_http_request_duration_seconds_count", (("method", "GET"), ("view", "jobs")))] >= 2


def test_jobs_are_counted_by_kind_and_outcome_with_durations_and_rows(cast, operator, platform_client):
    def labels(outcome):
        return (("kind", "pos:pos"), ("outcome", outcome))

    before = _scrape(platform_client, operator)
    with cast.a.context():
        for outcome in ("succeeded", "succeeded", "failed"):
            job = job_create(kind="pos:pos", acting_user=None)
            job_start(job)
            if outcome == "succeeded":
                job_succeed(job, {"rows_loaded": 120})
            else:
                job_fail(job, "bad file")
    after = _scrape(platform_client, operator)
    assert (
        after[("prm_jobs_total", labels("succeeded"))]
        == before.get(("prm_jobs_total", labels("succeeded")), 0) + 2
    )
    assert (
        after[("prm_jobs_total", labels("failed"))] == before.get(("prm_jobs_total", labels("failed")), 0) + 1
    )
    count = ("prm_job_duration_seconds_count", labels("succeeded"))
    assert after[count] == before.get(count, 0) + 2
    bucket = (
        "prm_job_duration_seconds_bucket",
        (*labels("succeeded")[:1], ("le", "1.0"), labels("succeeded")[1]),
    )
    assert after[bucket] >= 2
    rows = ("prm_rows_ingested_total", (("kind", "pos:pos"),))
    assert after[rows] == before.get(rows, 0) + 240


def test_queue_depth_is_read_from_the_broker(cast, operator, platform_client):
    redis = client()
    before = _scrape(platform_client, operator)[("prm_queue_messages", (("queue", "ingest"),))]
    redis.lpush("ingest", b"{}", b"{}")
    redis.lpush("ingest\x06\x163", b"{}")
    try:
        after = _scrape(platform_client, operator)
        assert after[("prm_queue_messages", (("queue", "ingest"),))] == before + 3
    finally:
        redis.lrem("ingest", 2, b"{}")
        redis.lrem("ingest\x06\x163", 1, b"{}")
