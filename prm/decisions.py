"""The decision step of every review workflow, written once: lock the row and check the move,
record the new status with who decided and when, save only those fields, audit, notify."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from prm.audit.services import audit
from prm.notifications.services import Message, notify
from prm.workflow import check_transition


@dataclass(frozen=True)
class Notice:
    """A notification that goes with a decision: in-app rows with the decision's transaction,
    e-mail once it commits (``prm.notifications.services.notify``)."""

    recipients: Iterable[Any]
    verb: str
    message: Message  # best a function: written in each recipient's language (notify)
    url: str = ""


def lock_for_transition[M: models.Model](
    rows: type[M] | QuerySet[M],
    pk: Any,
    *,
    transitions: Mapping[Any, Collection[Any]],
    target: str,
    what: str,
    status_field: str = "status",
) -> M:
    """Re-read the row under a row lock (its own table only, whatever ``rows`` joins) and check
    that its status may move to ``target``. Call inside ``transaction.atomic()``."""
    queryset = rows if isinstance(rows, QuerySet) else rows._default_manager.all()
    locked = queryset.select_for_update(of=("self",)).get(pk=pk)
    check_transition(transitions, getattr(locked, status_field), target, what=what)
    return locked


def decide[M: models.Model](
    locked: M,
    target: str,
    *,
    transitions: Mapping[Any, Collection[Any]],
    what: str,
    actor: Any,
    action: str,
    changes: Mapping[str, Any] | None = None,
    status_field: str = "status",
    decided_by: str | None = "decided_by",
    decided_at: str | None = "decided_at",
    detail: Mapping[str, Any] | None = None,
    detail_before: Mapping[str, Any] | None = None,
    audit_obj: models.Model | None = None,
    notices: Iterable[Notice] = (),
) -> M:
    """Record a decision on a row the caller locked (``lock_for_transition``): check the move,
    set the status, who decided and when (``decided_by`` / ``decided_at`` name those fields; None
    when the model has none) and ``changes``; save only those fields; write the audit event
    (before: the old status and ``detail_before``; after: the new one and ``detail``; on ``audit_obj`` when the decision
    belongs to another row's history, e.g. a lead's offer); send ``notices``."""
    previous = getattr(locked, status_field)
    check_transition(transitions, previous, target, what=what)
    values: dict[str, Any] = {status_field: target}
    if decided_by:
        values[decided_by] = actor
    if decided_at:
        values[decided_at] = timezone.now()
    values.update(changes or {})
    for name, value in values.items():
        setattr(locked, name, value)
    fields = list(values)
    if any(f.name == "updated_at" for f in locked._meta.concrete_fields) and "updated_at" not in fields:
        fields.append("updated_at")
    locked.save(update_fields=fields)
    audit(
        actor=actor,
        action=action,
        obj=audit_obj if audit_obj is not None else locked,
        before={status_field: str(previous), **(detail_before or {})},
        after={status_field: str(target), **(detail or {})},
    )
    for notice in notices:
        notify(recipients=notice.recipients, verb=notice.verb, message=notice.message, url=notice.url)
    return locked
