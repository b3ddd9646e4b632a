"""Loaded into the chaos tests' worker processes only (``celery worker --include``): a pause point
the test arms while the workers run, so that a worker can be killed at a known moment of a job
(after part of its work is written) with small data, instead of racing a large file.

The test writes ``pause.json`` into ``PRM_CHAOS_DIR``:

    {"target": "package.module:function", "after_calls": 1, "set": {"package.module:NAME": 2}}

Before each task, the worker wraps ``function`` in its module (callers look it up there when
they call it); after its ``after_calls``-th call returns, the first worker to get there creates
``paused`` (with its pid; ``paused-task.json`` names the task message it holds) and sleeps until
the test kills it. Any later run (the redelivered
one) finds ``paused`` there and runs through. ``set`` overrides module constants (a smaller chunk
size) for every run. After each task, every run writes a line to ``finished`` (task name and id,
state, pid, whether the broker redelivered it): how the test sees a task that is not a job come back and finish. Once a worker consumes
its queue it writes ``ready-<pid>``: the test starts work only when the whole pool is up."""

from __future__ import annotations

import importlib
import json
import os
import time
from pathlib import Path
from typing import Any

from celery.signals import task_postrun, task_prerun, worker_ready

CHAOS_DIR = os.environ.get("PRM_CHAOS_DIR", "")
_restore: list[tuple[Any, str, Any]] = []
_running: dict[str, Any] = {}  # the task message this worker runs now

if CHAOS_DIR:
    # WeasyPrint takes seconds to import on first use: paid at start-up here, so that a run
    # reaches its pause point well within the broker's (shortened) visibility timeout.
    import weasyprint  # noqa: F401


def _resolve(dotted: str) -> tuple[Any, str]:
    module, _sep, name = dotted.partition(":")
    return importlib.import_module(module), name


def _claim_pause() -> bool:
    """True for the first run to reach the pause point (the marker did not exist yet)."""
    try:
        fd = os.open(Path(CHAOS_DIR) / "paused", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    # The task file is complete (written aside, then renamed) before the pid is: the test waits
    # for the pid and then reads the file, and must never find it half-written.
    task_file = Path(CHAOS_DIR) / "paused-task.json"
    aside = task_file.with_suffix(".part")
    aside.write_text(json.dumps(_running, default=str))
    os.replace(aside, task_file)
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    return True


def _pausing(original: Any, after_calls: int) -> Any:
    calls = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        result = original(*args, **kwargs)
        calls += 1
        if calls == after_calls and _claim_pause():
            while True:  # until SIGKILL: an open transaction stays open, a file half-written
                time.sleep(60)
        return result

    return wrapper


def _replace(owner: Any, name: str, value: Any) -> None:
    _restore.append((owner, name, getattr(owner, name)))
    setattr(owner, name, value)


@worker_ready.connect(weak=False, dispatch_uid="chaos_ready")
def _ready(**_kwargs: Any) -> None:
    if CHAOS_DIR:
        (Path(CHAOS_DIR) / f"ready-{os.getpid()}").touch()


@task_prerun.connect(weak=False, dispatch_uid="chaos_arm")
def _arm(task_id: str = "", task: Any = None, kwargs: dict | None = None, **_kwargs: Any) -> None:
    _running.clear()
    _running.update({"id": task_id, "task": getattr(task, "name", ""), "kwargs": kwargs or {}})
    spec_file = Path(CHAOS_DIR) / "pause.json"
    if not CHAOS_DIR or not spec_file.exists():
        return
    spec = json.loads(spec_file.read_text())
    for dotted, value in spec.get("set", {}).items():
        _replace(*_resolve(dotted), value)
    owner, name = _resolve(spec["target"])
    _replace(owner, name, _pausing(getattr(owner, name), spec.get("after_calls", 1)))


@task_postrun.connect(weak=False, dispatch_uid="chaos_disarm")
def _disarm(task_id: str = "", task: Any = None, state: str | None = None, **_kwargs: Any) -> None:
    while _restore:
        owner, name, value = _restore.pop()
        setattr(owner, name, value)
    if CHAOS_DIR:
        delivery_info = getattr(getattr(task, "request", None), "delivery_info", None) or {}
        line = json.dumps(
            {
                "task": getattr(task, "name", ""),
                "id": task_id,
                "state": state,
                "pid": os.getpid(),
                "redelivered": bool(delivery_info.get("redelivered")),
            }
        )
        with open(Path(CHAOS_DIR) / "finished", "a") as out:
            out.write(line + "\n")
