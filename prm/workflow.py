"""Shared pieces of every workflow service: domain errors, the transition check, permission
checks, and the decision step (lock, check, record who decided, save, audit, notify)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from prm.audit.services import audit
from prm.notifications.services import notify
from prm.roles import Perm, membership_has

if TYPE_CHECKING:
    from prm.accounts.models import Membership


class DomainError(Exception):
    """A business rule refused the action; views show the message, never a 500."""


class InvalidTransition(DomainError):
    pass


def check_transition(
    transitions: Mapping[Any, Collection[Any]], current: str, target: str, *, what: str
) -> None:
    if target not in transitions.get(current, ()):
        raise InvalidTransition(
            _("%(what)s cannot move from %(current)s to %(target)s.")
            % {
                "what": what,
                "current": status_label(transitions, current),
                "target": status_label(transitions, target),
            }
        )


def status_label(transitions: Mapping[Any, Collection[Any]], value: Any) -> str:
    """The translated label of a status (the transition table's keys are TextChoices members),
    so that a refusal names "Approved", not "approved"."""
    for key in transitions:
        choices = type(key)
        if hasattr(choices, "choices"):
            try:
                return str(choices(value).label)
            except ValueError:
                break
    return str(value)


def require(allowed: bool, message: str | None = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("You do not have permission to do this."))


def require_staff(membership: Membership, perm: Perm) -> None:
    """Vendor staff holding ``perm``: partner roles never pass, whatever the role matrix says."""
    require(membership.is_staff_member and membership_has(membership, perm))


# --- deciding: one step of every review workflow -----------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """A notification that goes with a decision: in-app rows with the decision's transaction,
    e-mail once it commits (``prm.notifications.services.notify``)."""

    recipients: Iterable[Any]
    verb: str
    message: str
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
