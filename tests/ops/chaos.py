"""Chaos harness: real Celery worker processes, one of them SIGKILLed at a known moment of a job,
the task redelivered by the broker to another, and the end state compared with that of an
undisturbed run of the same input.

* ``WorkerPool`` (one per test process, the ``pool`` fixture of tests/ops/conftest.py): three solo
  workers with ``tests.ops.chaos_worker`` loaded (the pause point). A killed worker is replaced at
  once; the pool's start is waited for before the first test, and a kill waits until another
  worker is up (nothing is redelivered while no worker polls the broker), so no deadline includes
  a worker's start-up on a busy machine. They consume one queue of their own, and
  ``private_routes`` sends this process's tasks there: the Redis broker is shared by every test
  process of a run (``-n 2``) and their workers must not take each other's tasks.
* Redelivery is the broker's own: kombu's Redis transport keeps a delivered message in its
  unacked set until the task is acknowledged (``acks_late``), and a live worker puts messages
  older than the visibility timeout back in the queue (checked every second here). The timeout is
  a minute, so a paused worker's message never comes back while it lives; once the worker is
  killed, its message is dated back (``unacked_expired``) and the next check redelivers it.
* ``Chaos.undisturbed(start, state)``: the work started and run in this process inside a
  transaction that is rolled back afterwards; ``state`` reads what it left, before the rollback.
* ``Chaos.killed_and_redelivered(start, state, pause=...)``: the same work started for real; the
  worker that reaches ``pause`` (after its n-th call returns) waits there, is killed, and the
  surviving worker runs the redelivered task to the end; ``state`` reads what that left.

``start`` creates the work inside the current tenant and returns a ``Started`` (the task and its
arguments; the job, if it is one); ``state`` returns plain values, keyed by business keys (never
row ids, which differ between the two runs), for the test to compare.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.db import connection, transaction

from prm.celery import app
from prm.jobs.models import Job
from prm.jobs.registry import job_kind_for
from prm.ops.redis import client as broker_redis
from prm.tenancy.context import require_tenant

# The broker's visibility timeout in the workers: far longer than any test keeps a worker paused,
# so a message never comes back while its worker lives. A killed worker's message is handed back
# at once instead (``unacked_expired``); a live worker's restore, every second, redelivers it.
VISIBILITY_SECONDS = 60
# kombu's Redis transport keeps unacknowledged messages here (tag -> message; tag -> delivered at).
UNACKED, UNACKED_INDEX = "unacked", "unacked_index"
# Deadlines only bound a failing test (a passing one never waits them out): generous, for a
# machine busy with other test processes.
START_TIMEOUT = 120
PAUSE_TIMEOUT = 120
FINISH_TIMEOUT = 180

WORKER_COMMAND = (
    sys.executable,
    *("-m", "celery", "-A", "prm", "worker", "--pool=solo", "--loglevel=WARNING"),
    *("--without-gossip", "--without-mingle", "--without-heartbeat"),
    *("--include", "tests.ops.chaos_worker"),
)


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


# One queue per test process (pytest-xdist names them gw0, gw1...).
PRIVATE_QUEUE = f"chaos-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


@contextmanager
def private_routes() -> Iterator[None]:
    """Every task this process sends goes to the pool's queue meanwhile."""
    before = app.conf.task_routes
    app.conf.update(task_routes={"*": {"queue": PRIVATE_QUEUE}})
    try:
        yield
    finally:
        app.conf.update(task_routes=before)
        # Sending to the private queue declared it in this process's app; later tests list the
        # app's queues and must find only the configured ones.
        app.amqp.queues.pop(PRIVATE_QUEUE, None)


def _unacked_tag(task_id: str) -> str | None:
    """The broker's delivery tag of the unacknowledged message of task ``task_id``, if any."""
    for tag, raw in broker_redis().hgetall(UNACKED).items():
        message = json.loads(raw)[0]
        if message.get("headers", {}).get("id") == task_id:
            return tag.decode()
    return None


def unacked_expired(task_id: str) -> bool:
    """The killed worker's message is made as old as the visibility timeout: the next restore of a
    live worker (kombu's own, every second) puts it back in the queue, flagged redelivered, as it
    would ``VISIBILITY_SECONDS`` later. Only the clock is skipped, for this message only."""
    tag = _unacked_tag(task_id)
    if tag is None:
        return False
    broker_redis().zadd(UNACKED_INDEX, {tag: 0})
    return True


def unacked_dropped(task_id: str) -> None:
    """Forget the message of a worker killed after a failed test (nothing should run it later)."""
    tag = _unacked_tag(task_id)
    if tag is not None:
        broker_redis().pipeline().zrem(UNACKED_INDEX, tag).hdel(UNACKED, tag).execute()


def _test_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


class WorkerPool:
    # Three: while a killed worker's replacement starts, two are up, one to pause and one to take
    # the paused one's message back; no test waits for a start-up.
    SIZE = 3

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.media = directory / "media"
        self.processes: dict[int, subprocess.Popen] = {}
        for _ in range(self.SIZE):
            self.start()

    def start(self) -> None:
        # Like production's workers: the runtime role only, no owner URL.
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_OWNER_URL"}
        env.update(
            {
                "DATABASE_URL": _test_database_url(),
                "PRM_ENV": "test",
                "PRM_MEDIA_ROOT": str(self.media),
                "PRM_CHAOS_DIR": str(self.directory),
                "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS),
                "CELERY_UNACKED_RESTORE_INTERVAL": "1",
                # The webhook chaos test's receiver listens on 127.0.0.1.
                "PRM_WEBHOOKS_ALLOW_LOOPBACK": "1",
            }
        )
        process = subprocess.Popen([*WORKER_COMMAND, "-Q", PRIVATE_QUEUE], env=env)
        self.processes[process.pid] = process

    def _ready(self, pid: int) -> bool:
        process = self.processes[pid]
        assert process.poll() is None, f"chaos worker {pid} exited with {process.returncode}"
        return (self.directory / f"ready-{pid}").exists()

    def wait_ready(self) -> None:
        """Until every worker consumes its queue (a fresh one loads Django first: seconds on a
        busy machine): the pool's start, outside any test's deadlines."""
        wait_for(
            lambda: all(self._ready(pid) for pid in list(self.processes)),
            timeout=START_TIMEOUT,
            what="the chaos workers to start",
            every=0.1,
        )

    def wait_another_ready(self, pid: int) -> None:
        """Until a worker other than ``pid`` consumes its queue, to take ``pid``'s message back
        once it is killed (the pool has three, so one usually is while the last killed one's
        replacement starts)."""
        wait_for(
            lambda: any(self._ready(other) for other in list(self.processes) if other != pid),
            timeout=START_TIMEOUT,
            what="another chaos worker to start",
            every=0.1,
        )

    def kill(self, pid: int) -> None:
        """SIGKILL one of this pool's workers (nothing else) and start its replacement."""
        process = self.processes.pop(pid)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=20)
        self.start()

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()


@dataclass(frozen=True)
class Started:
    task: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    job: Job | None = None
    enqueued: bool = False  # the service sends the task itself on commit
    # Work of several tasks (webhook deliveries): how the undisturbed run runs all of it in this
    # process, and when the redelivered run is done (default: the job, or the task, finished).
    run_here: Callable[[], None] | None = None
    done: Callable[[], bool] | None = None

    @classmethod
    def of_job(cls, job: Job, *, enqueued: bool = True) -> Started:
        kind = job_kind_for(job.kind)
        assert kind is not None, job.kind
        return cls(task=kind.task, kwargs={"job_id": job.pk}, job=job, enqueued=enqueued)


class _RolledBack(Exception):
    pass


@dataclass
class Outcome:
    started: Started
    state: Any
    killed_pid: int


class Chaos:
    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self.directory = pool.directory

    def undisturbed(self, start: Callable[[], Started], state: Callable[[Started], Any]) -> Any:
        try:
            with transaction.atomic():
                started = start()
                if started.run_here is not None:
                    started.run_here()
                else:
                    app.tasks[started.task].apply(
                        kwargs={"tenant_id": require_tenant().pk, **started.kwargs}, throw=True
                    )
                raise _RolledBack(state(started))
        except _RolledBack as done:
            return done.args[0]

    def killed_and_redelivered(
        self,
        start: Callable[[], Started],
        state: Callable[[Started], Any],
        *,
        pause: str,
        after_calls: int = 1,
        overrides: dict[str, Any] | None = None,
        while_paused: Callable[[Started], None] | None = None,
    ) -> Outcome:
        self._arm(pause, after_calls, overrides or {})
        started = start()
        if not started.enqueued:
            app.tasks[started.task].delay(tenant_id=require_tenant().pk, **started.kwargs)
        pid = self._paused_worker()
        if while_paused is not None:
            while_paused(started)
        self.pool.wait_another_ready(pid)
        task_id = self.paused_task()["id"]
        self.pool.kill(pid)
        unacked_expired(task_id)  # (False: the broker had handed it back already)
        if started.done is not None:
            wait_for(started.done, timeout=FINISH_TIMEOUT, what=f"the redelivered {started.task}")
        elif started.job is not None:
            job = started.job
            wait_for(
                lambda: Job.objects.filter(pk=job.pk, status__in=Job.FINISHED).exists(),
                timeout=FINISH_TIMEOUT,
                what=f"the redelivered {job.kind} job",
            )
        else:
            wait_for(
                lambda: self._finished_elsewhere(started.task, pid),
                timeout=FINISH_TIMEOUT,
                what=f"the redelivered {started.task}",
            )
        return Outcome(started=started, state=state(started), killed_pid=pid)

    def disarm(self) -> None:
        """Remove the pause; a worker still waiting at it (a test that failed early) is killed."""
        (self.directory / "pause.json").unlink(missing_ok=True)
        marker = self.directory / "paused"
        if marker.exists():
            pid = int(marker.read_text() or 0)
            if pid in self.pool.processes:
                self.pool.kill(pid)
                if (self.directory / "paused-task.json").exists():
                    unacked_dropped(self.paused_task()["id"])
            marker.unlink()

    def _arm(self, pause: str, after_calls: int, overrides: dict[str, Any]) -> None:
        for name in ("paused", "paused-task.json", "finished"):
            (self.directory / name).unlink(missing_ok=True)
        spec = {"target": pause, "after_calls": after_calls, "set": overrides}
        (self.directory / "pause.json").write_text(json.dumps(spec))

    def paused_task(self) -> dict[str, Any]:
        """The task message the paused worker holds: its ``id``, ``task`` name and ``kwargs``."""
        return json.loads((self.directory / "paused-task.json").read_text())

    def _paused_worker(self) -> int:
        marker = self.directory / "paused"
        wait_for(
            lambda: marker.exists() and marker.read_text() != "",
            timeout=PAUSE_TIMEOUT,
            what="a worker to pause",
        )
        pid = int(marker.read_text())
        assert pid in self.pool.processes, "the paused process is not one of the pool's workers"
        return pid

    def _finished_runs(self) -> list[dict[str, Any]]:
        log = self.directory / "finished"
        if not log.exists():
            return []
        # Only whole lines: a worker may be appending one right now.
        complete = log.read_text().split("\n")[:-1]
        return [json.loads(line) for line in complete if line]

    def _finished_elsewhere(self, task: str, killed: int) -> bool:
        return any(
            r["task"] == task and r["state"] == "SUCCESS" and r["pid"] != killed
            for r in self._finished_runs()
        )

    def finished_by_other_worker(self, task_id: str, killed: int) -> bool:
        """The message ``task_id`` (the killed worker's) came back from the broker and finished in
        another worker."""
        return any(
            r["id"] == task_id and r["state"] == "SUCCESS" and r["pid"] != killed and r["redelivered"]
            for r in self._finished_runs()
        )
