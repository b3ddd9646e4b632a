from __future__ import annotations

from django.http import HttpRequest

from prm.navigation import navigation_areas, navigation_for
from prm.notifications.selectors import unread_count
from prm.roles import Perm, membership_has


def portal(request: HttpRequest) -> dict:
    """What the base layout needs: tenant branding, the member's role, navigation, unread count."""
    tenant = getattr(request, "tenant", None)
    membership = getattr(request, "membership", None)
    context: dict = {"tenant": tenant, "membership": membership, "nav": []}
    if tenant is None or membership is None:
        return context

    context["nav"] = navigation_for(membership, request.path)
    context["nav_top"] = [item for item in context["nav"] if not item["area"]]
    context["nav_areas"] = navigation_areas(context["nav"])
    context["unread_notifications"] = unread_count(request.user)
    context["can"] = {perm.name.lower(): membership_has(membership, perm) for perm in Perm}
    return context
