"""Background work of the API: the idempotency records' retention."""

from __future__ import annotations

from api.idempotency import purge_expired
from prm.celery import tenant_task


@tenant_task(name="api.purge_idempotency_records")
def purge_idempotency_records() -> int:
    return purge_expired()
