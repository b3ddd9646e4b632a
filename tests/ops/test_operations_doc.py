"""docs/operations.md is what an operator follows at 3 a.m.: it covers backup and restore, key
rotation, scaling per queue and alerting, and everything it names exists (every queue, management
command, metric, readiness check and setting), so a renamed one breaks this test, not the runbook."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands
from prometheus_client.parser import text_string_to_metric_families

from prm.ops.health import readiness

DOC = (Path(settings.BASE_DIR) / "docs" / "operations.md").read_text()


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", DOC, flags=re.M | re.S)
    assert match, f"docs/operations.md has no section {title!r}"
    return match.group(1)


def test_the_runbook_covers_backup_restore_keys_scaling_and_alerts():
    backup = _section("Backup and restore")
    for needle in (
        "pg_dump",
        "pg_restore",
        "PRM_MEDIA_ROOT",
        "manage.py migrate",
        "PRM_FIELD_ENCRYPTION_KEY",
    ):
        assert needle in backup, needle
    keys = _section("Rotating keys")
    assert "rotate_field_encryption" in keys and "DJANGO_SECRET_KEY" in keys
    assert "| queue |" in _section("Scaling workers per queue")
    alerts = _section("What to monitor and alert on")
    assert "| signal | warn | page someone |" in alerts


def test_every_queue_has_a_row_in_the_scaling_table():
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", _section("Scaling workers per queue"), flags=re.M))
    assert rows == {queue.name for queue in settings.CELERY_TASK_QUEUES}


def test_every_management_command_the_runbook_names_exists():
    named = set(re.findall(r"manage\.py ([a-z_]+)", DOC))
    assert named >= {"migrate", "purge_tenants", "rotate_field_encryption"}
    assert named - set(get_commands()) == set()


def test_every_setting_the_runbook_names_exists():
    """A ``PRM_*`` name is a setting, or an environment variable the settings read."""
    read = (Path(settings.BASE_DIR) / "prm" / "settings.py").read_text()
    named = set(re.findall(r"\b(PRM_[A-Z_]+[A-Z])\b", DOC))
    assert named
    assert {name for name in named if not hasattr(settings, name) and f'"{name}"' not in read} == set()


@pytest.mark.django_db
def test_every_metric_and_readiness_check_the_runbook_names_exists(
    cast, operator, platform_client, fresh_heartbeats
):
    response = platform_client(operator).get("/ops/metrics/")
    assert response.status_code == 200
    families = {family.name for family in text_string_to_metric_families(response.content.decode())}
    text = _section("Metrics") + _section("What to monitor and alert on")
    named = set(re.findall(r"\b(prm_[a-z_]+)", text))
    assert named
    assert {name for name in named if name.removesuffix("_total") not in families} == set()

    checks = set(readiness()["checks"])
    for name in re.findall(r"`((?:heartbeat|disk):[a-z_:<>]+)`", DOC):
        if name.endswith("<queue>"):
            assert all(f"heartbeat:worker:{q.name}" in checks for q in settings.CELERY_TASK_QUEUES)
        else:
            assert name in checks, name
