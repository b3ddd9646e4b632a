"""Who hears about something: the people look-ups that notifications use, written once.

Two questions cover every workflow: which vendor staff (by role, and for a partner's business
only those who may see that partner), and which people of a partner (all, or by role). The
partner scope of restricted managers comes from ``prm.scoping`` (the partners app fills it), so
the core imports no app.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from prm.accounts.models import Membership, User
from prm.scoping import partners_in_scope


def staff_members(
    roles: Iterable[str], *, partner_id: int | None = None, unrestricted_only: bool = False
) -> list[User]:
    """Active vendor staff with one of ``roles``.

    ``partner_id``: about this partner's business, so a manager restricted to assigned partners
    counts only when the partner is in their scope. ``unrestricted_only``: only staff who see
    every partner (e.g. the fallback when a partner has no account manager)."""
    memberships = Membership.objects.select_related("user").filter(role__in=list(roles), is_active=True)
    if unrestricted_only:
        memberships = memberships.filter(assigned_partners_only=False)
    people = []
    for membership in memberships:
        if (
            partner_id is not None
            and membership.assigned_partners_only
            and not partners_in_scope(membership).filter(pk=partner_id).exists()
        ):
            continue
        people.append(membership.user)
    return people


def partner_members(partner: int | QuerySet[Any], *, roles: Iterable[str] | None = None) -> list[User]:
    """Active people of a partner (its id), or of every partner in a queryset; only ``roles``
    when given (e.g. the partner admins)."""
    memberships = Membership.objects.select_related("user").filter(is_active=True)
    if isinstance(partner, QuerySet):
        memberships = memberships.filter(partner__in=partner)
    else:
        memberships = memberships.filter(partner_id=partner)
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    return [m.user for m in memberships]
