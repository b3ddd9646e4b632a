"""The heartbeats every 30 s stay out of an INFO console (Celery's lines about them are DEBUG
lines); a worker pool that stops answering is a warning, once, and its return is said once."""

from __future__ import annotations

import io
import logging
import logging.config
import time
from collections.abc import Iterator
from contextlib import contextmanager

import celery.beat
import pytest
from celery.app import trace

from prm.ops import heartbeat
from prm.ops.logs import logging_config, make_formatter
from prm.ops.redis import client, key
from prm.ops.tasks import heartbeat as heartbeat_task
from tests.ops.logcapture import Captured, captured_logs


@contextmanager
def console(level: str) -> Iterator[Captured]:
    """The console handler as ``logging_config`` describes it (its filter built from the config),
    writing JSON lines to a buffer; Celery's loggers let everything through to it meanwhile."""
    config = logging_config(json=True, level=level)
    handler_config = config["handlers"]["console"]
    configurator = logging.config.DictConfigurator(config)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(make_formatter(json=True))
    for name in handler_config["filters"]:
        handler.addFilter(configurator.configure_filter(dict(config["filters"][name])))
    loggers = [logging.getLogger(), logging.getLogger("celery")]
    levels = [one.level for one in loggers]
    for one in loggers:
        one.setLevel(logging.DEBUG)
    loggers[0].addHandler(handler)
    try:
        yield Captured(stream)
    finally:
        loggers[0].removeHandler(handler)
        for one, before in zip(loggers, levels, strict=True):
            one.setLevel(before)


def _celery_lines_about(task: str) -> None:
    """What a worker and beat write about one run of ``task``, through Celery's own code."""
    context = {"id": "abc", "name": task, "args": "()", "kwargs": "{}", "eta": None, "runtime": 0.01}
    logging.getLogger("celery.worker.strategy").info(trace.LOG_RECEIVED, context, extra={"data": context})
    trace.info(trace.LOG_SUCCESS, context)
    celery.beat.info("Scheduler: Sending due task %s (%s)", f"entry-{task}", task)


def test_routine_heartbeat_lines_are_debug_lines_and_other_tasks_stay_info():
    for level in ("INFO", "DEBUG"):
        with console(level) as out:
            for task in ("prm.ops.heartbeat", "prm.ops.queue_heartbeat", "claims.validate_claim"):
                _celery_lines_about(task)
        lines = out.lines()
        work = [line for line in lines if "claims.validate_claim" in line["event"]]
        routine = [line for line in lines if "prm.ops." in line["event"]]
        assert len(work) == 3 and {line["level"] for line in work} == {"info"}
        if level == "INFO":
            assert routine == []
        else:
            assert len(routine) == 6 and {line["level"] for line in routine} == {"debug"}


QUEUES = ("worker:ingest", "worker:exports")


@pytest.fixture(autouse=True)
def _no_stale_state():
    """What earlier checks remembered (Redis outlives a test): no watch yet, nothing stale."""
    processes = ("beat", *(f"worker:{queue}" for queue in heartbeat.all_queues()))
    client().delete(key("heartbeat-watch-since"), *(key("heartbeat-stale", p) for p in processes))


def _forget(*processes: str) -> None:
    client().delete(*(key("heartbeat", p) for p in processes))


def _said(logs: Captured) -> list[tuple[str, str]]:
    return [(line["level"], line["event"]) for line in logs.lines() if line.get("heartbeat")]


def test_a_pool_that_stops_answering_is_warned_about_once_and_its_return_said_once():
    _forget(*QUEUES)
    now = time.time()
    limit = heartbeat.max_age()
    for process in QUEUES:
        heartbeat.record(process, now=now - 10)
    with captured_logs() as quiet:
        assert heartbeat.report_changes(QUEUES, now=now) == {"worker:ingest": False, "worker:exports": False}
    later = now + limit + 60
    heartbeat.record("worker:exports", now=later - 20)  # exports answers, ingest does not
    with captured_logs() as stale:
        heartbeat.report_changes(QUEUES, now=later)
        heartbeat.report_changes(QUEUES, now=later + 30)  # still stale: nothing new
    heartbeat.record("worker:ingest", now=later + 40)
    with captured_logs() as back:
        heartbeat.report_changes(QUEUES, now=later + 45)
        heartbeat.report_changes(QUEUES, now=later + 75)
    assert _said(quiet) == []
    ((level, event),) = _said(stale)
    assert level == "warning" and event.startswith(f"worker:ingest: last heartbeat {int(limit) + 70} s ago")
    assert _said(back) == [("info", "worker:ingest: heartbeat back")]


def test_a_queue_never_heard_from_is_stale_only_after_the_allowed_age():
    _forget("worker:email")
    now = time.time()
    with captured_logs() as starting:
        assert heartbeat.report_changes(("worker:email",), now=now) == {"worker:email": False}
    with captured_logs() as later:
        assert heartbeat.report_changes(("worker:email",), now=now + heartbeat.max_age() + 1) == {
            "worker:email": True
        }
    assert _said(starting) == []
    ((level, event),) = _said(later)
    assert level == "warning" and event.startswith("worker:email: no heartbeat yet")


def test_the_heartbeat_task_warns_about_a_stale_pool_and_pings_it_again(fresh_heartbeats):
    heartbeat.record("worker:calculation", now=time.time() - heartbeat.max_age() - 30)
    with captured_logs() as logs:
        heartbeat_task.apply()
    ((level, event),) = _said(logs)
    assert level == "warning" and event.startswith("worker:calculation: last heartbeat")
    assert heartbeat.age("worker:calculation") < 5  # the ping ran (eagerly, here)
