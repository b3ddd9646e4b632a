"""Celery wiring. Every task that touches tenant data is a ``TenantTask``: it takes the tenant id
as the keyword argument ``tenant_id``, refuses to run without it, and runs inside the tenant
context (which the database backend binds to every transaction). A task that runs a job
(``job_id=...``) acts for the user who started it: audit events without an actor name them."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from celery import Celery, Task
from celery.app import trace

from prm.ops import logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")

app = Celery("prm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Celery logs a task's return value on success; job summaries do not belong in the log.
trace.LOG_SUCCESS = "Task %(name)s[%(id)s] succeeded in %(runtime)ss"


class TenantRequired(ValueError):
    """A tenant-scoped task was called without a tenant id."""


class TenantTask(Task):
    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    # ``tenant_id`` is consumed by __call__, not by the task function: skip celery's signature check.
    typing = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Imported here: this module is loaded by prm/__init__ before Django has set up the apps.
        from prm.jobs.services import acting_for_job
        from prm.tenancy.context import tenant_context
        from prm.tenancy.models import Tenant

        tenant_id = kwargs.pop("tenant_id", None)
        if not tenant_id:
            raise TenantRequired(f"Task {self.name} needs tenant_id=...; refusing to run without a tenant.")
        tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
        if tenant is None:
            raise TenantRequired(f"Task {self.name}: tenant {tenant_id} does not exist or is inactive.")
        with (
            logs.bound(task=self.name, task_id=self.request.id),
            tenant_context(tenant),
            acting_for_job(kwargs.get("job_id")),
        ):
            return super().__call__(*args, **kwargs)

    def signature_from_request(self, request=None, args=None, kwargs=None, queue=None, **extra_options):
        """A retry (``autoretry_for``, ``self.retry``) is built from the request, whose kwargs lost
        ``tenant_id`` to ``__call__``: put the running task's tenant back, or the retry is refused."""
        # Imported here like in __call__: this module loads with the settings, before the apps.
        from prm.tenancy.context import current_tenant

        request = self.request if request is None else request
        kwargs = dict(request.kwargs if kwargs is None else kwargs or {})
        tenant = current_tenant()
        if "tenant_id" not in kwargs and tenant is not None:
            kwargs["tenant_id"] = tenant.pk
        return super().signature_from_request(request, args, kwargs, queue=queue, **extra_options)


def tenant_task(**options: Any) -> Callable[[Callable[..., Any]], Task]:
    """Declare a tenant-scoped task: ``@tenant_task(name=...)``; call with ``.delay(tenant_id=..., ...)``."""
    return app.task(base=TenantTask, **options)
