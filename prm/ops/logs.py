"""Structured logs (structlog): one JSON object per line in production, readable lines in
development, with the same keys everywhere.

Every line carries ``request_id``, ``tenant``, ``user`` and ``job_id`` (null when there is none):
the web request binds its id (prm.ops.middleware), the tenant and the signed-in user come from the
tenant context (prm.tenancy.context), and a task that runs a job binds the job and the user who
started it (prm.jobs.services.acting_for_job). Django's, Celery's and every library's stdlib
logging goes through the same processors (``ProcessorFormatter``), so nothing escapes the format.

Values under keys that name secrets (passwords, tokens, keys, bank and payout details) are
replaced before rendering; messages never carry them in the first place (tests/prm/test_log_scan.py
scans a journey's output for them).

This module imports nothing of Django's models: settings use it for LOGGING.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import structlog

from prm.tenancy.context import current_tenant, current_user_id

CONTEXT_KEYS = ("request_id", "tenant", "user", "job_id")
SECRET_KEY_NAMES = re.compile(
    r"pass(word|wd)?|secret|token|api[_-]?key|authorization|cookie|session|csrf|totp|otp|"
    r"iban|bic|swift|account[_-]?(number|no)|routing|bank|payout[_-]?details",
    re.IGNORECASE,
)
REDACTED = "[redacted]"


@contextmanager
def bound(**values: Any) -> Iterator[None]:
    """Add ``values`` to every log line written inside (request id, job id, ...)."""
    tokens = structlog.contextvars.bind_contextvars(**values)
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**tokens)


def add_context(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    tenant = current_tenant()
    event.setdefault("tenant", tenant.slug if tenant is not None else None)
    if event.get("user") is None:
        event["user"] = current_user_id()
    for name in CONTEXT_KEYS:
        event.setdefault(name, None)
    return event


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for name in list(event):
        if name != "event" and SECRET_KEY_NAMES.search(name) and event[name] not in (None, ""):
            event[name] = REDACTED
    return event


def from_request_object(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """``django.request`` passes the request itself as extra, and logs 4xx/5xx answers after the
    middleware has returned: take the request id, tenant and user from it, and drop the object
    (its repr may show the query string)."""
    request = event.pop("request", None)
    event.pop("server_time", None)
    event.pop("message", None)  # the same text as "event"
    if str(event.get("logger", "")).startswith("celery"):
        # Celery's trace passes the task's arguments and return value as extras.
        event.pop("data", None)
    if request is not None and not isinstance(request, str):
        event.setdefault("request_id", getattr(request, "request_id", None))
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            event.setdefault("tenant", tenant.slug)
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            event.setdefault("user", user.pk)
    return event


SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    from_request_object,
    add_context,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    redact,
]


def make_formatter(json: bool = True) -> structlog.stdlib.ProcessorFormatter:
    """The formatter of the ``console`` handler (LOGGING in settings)."""
    # Tracebacks without local variables: they hold passwords, tokens and bank details.
    renderer: Any = (
        structlog.processors.JSONRenderer(sort_keys=True)
        if json
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    final = (
        [
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
            )
        ]
        if json
        else []
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final, renderer],
    )


def configure() -> None:
    """structlog's own loggers hand their events to stdlib logging (one output path)."""
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


# Beat sends the heartbeat every 30 s and it pings every queue: a dozen INFO lines from Celery
# each time, which would bury everything else in a console (and fill the production log).
ROUTINE_TASKS = frozenset({"prm.ops.heartbeat", "prm.ops.queue_heartbeat"})


def _task_named(record: logging.LogRecord) -> str | None:
    data = getattr(record, "data", None)  # Celery's "received" and "succeeded" lines
    if isinstance(data, dict):
        return data.get("name")
    if record.name == "celery.beat" and isinstance(record.args, tuple) and len(record.args) == 2:
        return str(record.args[1])  # "Scheduler: Sending due task <entry> (<task>)"
    return None


class RoutineTaskFilter(logging.Filter):
    """Celery's INFO lines about the routine heartbeat tasks are DEBUG lines: shown only when the
    log level is DEBUG. A stale heartbeat is a warning of its own (prm.ops.heartbeat)."""

    def __init__(self, level: str | int = logging.INFO) -> None:
        super().__init__()
        self.level = logging.getLevelNamesMapping()[level] if isinstance(level, str) else level

    def filter(self, record: logging.LogRecord) -> bool:
        # <= INFO: another handler's filter may have lowered the shared record already.
        if record.levelno <= logging.INFO and _task_named(record) in ROUTINE_TASKS:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return self.level <= logging.DEBUG
        return True


def logging_config(*, json: bool, level: str) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": "prm.ops.logs.make_formatter", "json": json}},
        "filters": {"routine_tasks": {"()": "prm.ops.logs.RoutineTaskFilter", "level": level}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "structured",
                "filters": ["routine_tasks"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # SQL with its parameters (payout details, tokens) never reaches the log.
            "django.db.backends": {"level": "INFO"},
            # Celery's own handlers would print the task's return value and skip our format.
            "celery": {"level": level},
        },
    }


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)
