"""Who may call an endpoint: a live key whose scopes cover the resource (read for safe methods,
write otherwise) and whose role may see it at all (the capability the portal's page requires).
What a write may change is the service's own check, against the same role."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from api import scopes
from api.models import ApiKey
from prm.roles import membership_has


class KeyScopeAndRole(BasePermission):
    message: str | None = None

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return False
        resource = getattr(view, "resource", None)
        if resource is None:  # endpoints of the key itself (its jobs)
            return True
        mode = scopes.READ if request.method in SAFE_METHODS else scopes.WRITE
        if not scopes.allows(key.scopes, resource, mode):
            self.message = _("This key has no %(scope)s scope.") % {"scope": scopes.scope(resource, mode)}
            return False
        perm = getattr(view, "perm", None)
        if perm is not None and not membership_has(view.membership, perm):
            self.message = _("The role this key acts with may not use %(resource)s.") % {"resource": resource}
            return False
        return True
