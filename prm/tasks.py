"""Platform-level periodic tasks: beat calls ``for_each_tenant`` which fans out per tenant."""

from __future__ import annotations

from django.utils import timezone

from prm.accounts.models import Invitation
from prm.celery import app, tenant_task
from prm.jobs.staging import sweep_staging_tables as sweep
from prm.tenancy.models import Tenant


@app.task(name="prm.tasks.for_each_tenant")
def for_each_tenant(task_name: str, **kwargs) -> int:
    """Enqueue ``task_name`` once per active tenant, passing the tenant explicitly."""
    task = app.tasks[task_name]
    tenant_ids = list(Tenant.objects.filter(is_active=True).values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        task.delay(tenant_id=tenant_id, **kwargs)
    return len(tenant_ids)


@tenant_task(name="prm.tasks.expire_invitations")
def expire_invitations() -> int:
    """Mark pending invitations past their expiry as expired (idempotent)."""
    return Invitation.objects.filter(status=Invitation.Status.PENDING, expires_at__lte=timezone.now()).update(
        status=Invitation.Status.EXPIRED
    )


@tenant_task(name="prm.tasks.sweep_staging_tables")
def sweep_staging_tables() -> int:
    """Drop the staging tables a killed worker left behind (finished jobs, or past the time limit)."""

    return len(sweep())
