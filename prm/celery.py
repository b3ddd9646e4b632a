"""Celery wiring. Every task that touches tenant data is a ``TenantTask``: it takes the tenant id
as the keyword argument ``tenant_id``, refuses to run without it, and runs inside the tenant
context (which the database backend binds to every transaction). A task that runs a job
(``job_id=...``) acts for the user who started it: audit events without an actor name them."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")

app = Celery("prm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
        with tenant_context(tenant), acting_for_job(kwargs.get("job_id")):
            return super().__call__(*args, **kwargs)


def tenant_task(**options: Any) -> Callable[[Callable[..., Any]], Task]:
    """Declare a tenant-scoped task: ``@tenant_task(name=...)``; call with ``.delay(tenant_id=..., ...)``."""
    return app.task(base=TenantTask, **options)
