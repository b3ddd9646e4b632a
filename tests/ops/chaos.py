"""A real Celery worker process the chaos tests can kill (SIGKILL) and replace."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection

# The killed worker's message comes back to the next worker after this many seconds.
VISIBILITY_SECONDS = 6


def _test_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


WORKER_COMMAND = (
    sys.executable,
    *("-m", "celery", "-A", "prm", "worker", "--pool=solo", "--loglevel=WARNING"),
    *("--without-gossip", "--without-mingle", "--without-heartbeat"),
)


class Workers:
    def __init__(self) -> None:
        self.processes: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        # Like production's workers: the runtime role only, no owner URL.
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_OWNER_URL"}
        env.update(
            {
                "DATABASE_URL": _test_database_url(),
                "PRM_ENV": "test",
                "PRM_MEDIA_ROOT": str(settings.MEDIA_ROOT),
                "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS),
                "CELERY_UNACKED_RESTORE_INTERVAL": "1",
            }
        )
        process = subprocess.Popen(
            [
                *WORKER_COMMAND,
                "-Q",
                ",".join((settings.CELERY_TASK_DEFAULT_QUEUE, *settings.WORKLOAD_QUEUES)),
            ],
            env=env,
        )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=20)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")
