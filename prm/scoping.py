"""Which partners a member may see, for the core's own partner-owned rows (payables).

The answer belongs to the partners app (partner roles: their partner; managers restricted to
assignments: their assigned partners). The core cannot import it, so the partners app registers
its selector here from its ``AppConfig.ready()``; without one the core fails closed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

if TYPE_CHECKING:
    from prm.accounts.models import Membership

PartnerScope = Callable[["Membership"], QuerySet]
_scope: dict[str, PartnerScope] = {}


def register_partner_scope(scope: PartnerScope) -> None:
    _scope["partners"] = scope


def partners_in_scope(membership: Membership) -> QuerySet:
    """The partners ``membership`` may see (a queryset, for ``partner__in=``)."""
    scope = _scope.get("partners")
    if scope is None:
        raise ImproperlyConfigured("No partner scope is registered (the partners app registers it).")
    return scope(membership)
