"""Shared pieces of every workflow service: domain errors, the transition check and the permission
check. The decision step built on them is ``prm.decisions`` (this module stays import-light: models
import it through ``prm.lib.money``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


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
