"""Metrics for Prometheus, served to operators at ``/ops/metrics`` on the platform host.

* Requests (``prm_http_requests_total``, ``prm_http_request_duration_seconds``) by view name,
  method and status: recorded in each web process with prometheus_client. Under gunicorn with
  several workers set ``PROMETHEUS_MULTIPROC_DIR`` (docs/operations.md) so a scrape sums them.
* Jobs (``prm_jobs_total``, ``prm_job_duration_seconds``) by kind and outcome, Celery tasks
  (``prm_tasks_total``, ``prm_task_duration_seconds``) by name and outcome, and rows ingested
  (``prm_rows_ingested_total``) by job kind: the worker processes that run them may be on other
  machines, so they count in Redis and the scrape reads the counts back.
* Queue depth (``prm_queue_messages``) per Celery queue and messages taken but not yet
  acknowledged (``prm_queue_unacked_messages``): read from the broker at scrape time.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from prm.ops.heartbeat import all_queues
from prm.ops.redis import client, key

logger = logging.getLogger(__name__)

# Seconds; jobs run from a second (a small claim) to an hour (the task time limit).
JOB_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0, 3600.0)
REQUEST_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
SEP = "\t"

REQUESTS = Counter(
    "prm_http_requests", "HTTP requests by view, method and status", ["view", "method", "status"]
)
REQUEST_SECONDS = Histogram(
    "prm_http_request_duration_seconds",
    "Time to answer an HTTP request, by view and method",
    ["view", "method"],
    buckets=REQUEST_BUCKETS,
)

# kombu's Redis transport keeps a queue's messages of priority p > 0 in "<queue>\x06\x16<p>".
PRIORITY_SUFFIXES = ("", *(f"\x06\x16{p}" for p in (3, 6, 9)))


def observe_request(*, view: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(view=view, method=method, status=str(status)).inc()
    REQUEST_SECONDS.labels(view=view, method=method).observe(seconds)


# --- shared counters (Redis) -----------------------------------------------------------------------


def _observe_shared(family: str, labels: tuple[str, ...], seconds: float | None) -> None:
    field = SEP.join(labels)
    pipe = client().pipeline(transaction=False)
    pipe.hincrby(key(family, "count"), field, 1)
    if seconds is not None:
        pipe.hincrbyfloat(key(family, "seconds"), field, seconds)
        for bound in JOB_BUCKETS:
            if seconds <= bound:
                pipe.hincrby(key(family, "bucket"), SEP.join((*labels, repr(bound))), 1)
    pipe.execute()


def observe_job(*, kind: str, outcome: str, seconds: float | None, rows: int = 0) -> None:
    """A job finished (``outcome``: succeeded, failed, stuck). Never raises: metrics must not
    fail the work they count."""
    try:
        _observe_shared("jobs", (kind, outcome), seconds)
        if rows:
            client().hincrby(key("rows", "count"), kind, rows)
    except Exception:
        logger.warning("could not record job metrics", exc_info=True)


def observe_task(*, task: str, outcome: str, seconds: float | None) -> None:
    try:
        _observe_shared("tasks", (task, outcome), seconds)
    except Exception:
        logger.warning("could not record task metrics", exc_info=True)


def rows_of(result: Any) -> int:
    """Rows a finished job brought in: loaded POS or inventory lines, created or updated records."""
    if not isinstance(result, dict):
        return 0
    if "rows_loaded" in result:
        return int(result.get("rows_loaded") or 0)
    return int(result.get("created") or 0) + int(result.get("updated") or 0)


def queue_depths() -> dict[str, int]:
    """Messages waiting per Celery queue (all priorities)."""
    pipe = client().pipeline(transaction=False)
    queues = all_queues()
    for queue in queues:
        for suffix in PRIORITY_SUFFIXES:
            pipe.llen(queue + suffix)
    lengths = pipe.execute()
    per = len(PRIORITY_SUFFIXES)
    return {queue: sum(lengths[i * per : (i + 1) * per]) for i, queue in enumerate(queues)}


def _decode(mapping: dict) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in mapping.items()}


class SharedCollector(Collector):
    """Reads the counters the workers keep in Redis, and the broker's queue lengths."""

    def collect(self) -> Iterator[Any]:
        redis = client()
        yield from self._histogram(redis, "jobs", "prm_job", "Background jobs", ("kind", "outcome"))
        yield from self._histogram(redis, "tasks", "prm_task", "Celery tasks", ("task", "outcome"))
        rows = CounterMetricFamily("prm_rows_ingested", "Rows loaded by background jobs", labels=["kind"])
        for kind, value in sorted(_decode(redis.hgetall(key("rows", "count"))).items()):
            rows.add_metric([kind], float(value))
        yield rows
        depth = GaugeMetricFamily(
            "prm_queue_messages", "Messages waiting in a Celery queue", labels=["queue"]
        )
        for queue, length in queue_depths().items():
            depth.add_metric([queue], float(length))
        yield depth
        yield GaugeMetricFamily(
            "prm_queue_unacked_messages",
            "Messages a worker has taken but not acknowledged (redelivered if it dies)",
            value=float(redis.hlen("unacked")),
        )

    def _histogram(self, redis, family: str, name: str, what: str, labels: tuple[str, ...]):
        counts = _decode(redis.hgetall(key(family, "count")))
        seconds = _decode(redis.hgetall(key(family, "seconds")))
        buckets = _decode(redis.hgetall(key(family, "bucket")))
        total = CounterMetricFamily(f"{name}s", f"{what} by {' and '.join(labels)}", labels=list(labels))
        histogram = HistogramMetricFamily(
            f"{name}_duration_seconds", f"Run time of {what.lower()}", labels=list(labels)
        )
        for field, count in sorted(counts.items()):
            values = field.split(SEP)
            total.add_metric(values, float(count))
            if field not in seconds:
                continue
            cumulative = [
                (repr(bound), float(buckets.get(SEP.join((*values, repr(bound))), 0)))
                for bound in JOB_BUCKETS
            ]
            histogram.add_metric(
                values, [*cumulative, ("+Inf", float(count))], sum_value=float(seconds[field])
            )
        yield total
        yield histogram


def render() -> bytes:
    """The exposition text of this process (or of all web processes in multiprocess mode) and of
    the shared counters."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        local = CollectorRegistry()
        MultiProcessCollector(local)
    else:
        local = REGISTRY
    shared = CollectorRegistry(auto_describe=False)
    shared.register(SharedCollector())
    return generate_latest(local) + generate_latest(shared)


class Timer:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.started
