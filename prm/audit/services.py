"""Writing audit events: called by services inside their transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import models

from prm.audit.models import AuditEvent
from prm.tenancy.context import require_tenant

# The client IP of the current request, set by the request middleware, read when auditing.
current_ip: ContextVar[str | None] = ContextVar("prm_current_ip", default=None)
# The user on whose behalf background work runs (who started the job), set by TenantTask: events
# that the work records without an actor of their own are theirs.
acting_for: ContextVar[Any] = ContextVar("prm_acting_for", default=None)


def audit(
    *,
    actor,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record that ``actor`` did ``action`` to ``obj``. Call inside the service's transaction.
    Without an actor, a background job's events name the user who started the job."""
    if actor is None:
        actor = acting_for.get()
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        partner_id=partner_id_of(obj),
        before=before,
        after=after,
        ip_address=current_ip.get(),
    )


def audit_each(
    *,
    actor,
    action: str,
    object_type: str,
    rows: Iterable[tuple[Any, str, dict[str, Any] | None, dict[str, Any] | None]],
    partner_of: Mapping[Any, int | None] | None = None,
) -> int:
    """Record ``action`` once per object moved by a set-based service, in one statement (a payout
    batch moves thousands): ``rows`` are (object id, object repr, before, after); ``partner_of``
    names each object's partner (by object id) for the partner's history. Returns the count."""
    if actor is None:
        actor = acting_for.get()
    tenant = require_tenant()
    ip = current_ip.get()
    events = [
        AuditEvent(
            tenant=tenant,
            actor=actor if actor is not None and actor.is_authenticated else None,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            object_repr=str(object_repr)[:200],
            partner_id=(partner_of or {}).get(object_id),
            before=before,
            after=after,
            ip_address=ip,
        )
        for object_id, object_repr, before, after in rows
    ]
    AuditEvent.objects.bulk_create(events, batch_size=5000)
    return len(events)


def partner_id_of(obj: models.Model) -> int | None:
    """The partner whose business ``obj`` is: the partner itself, else the object's
    ``audit_partner_id`` (a model whose partner sits one relation away says so), else its
    ``partner_id``. None for the vendor's own objects (programs, settings, the tenant)."""
    if obj._meta.label == settings.PRM_PARTNER_MODEL:
        return obj.pk
    value = getattr(obj, "audit_partner_id", None)
    if value is None:
        value = getattr(obj, "partner_id", None)
    return value if isinstance(value, int) else None


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The named fields of ``obj`` as JSON-friendly values, for before/after records."""
    data: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        data[name] = value.pk if isinstance(value, models.Model) else value
    return data
