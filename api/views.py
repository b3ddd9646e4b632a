"""The base of every API endpoint: the key's acting membership, the resource it belongs to (its
scope) and the capability its role needs to see it; POSTs made idempotent."""

from __future__ import annotations

from functools import cached_property, partial
from typing import Any

from django.db.models import Model, QuerySet
from rest_framework import mixins, viewsets
from rest_framework.permissions import SAFE_METHODS

from api.idempotency import REPLAYED_HEADER, run_idempotent
from api.models import ApiKey
from partners.selectors import partners_for_membership
from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.roles import Perm


class ApiViewSet(viewsets.GenericViewSet):
    # The scope this endpoint needs ("<resource>:read" or ":write", see api/scopes.py); None
    # only for endpoints about the key itself.
    resource: str | None = None
    # What the key's role must hold to see the resource at all (the portal page's capability).
    perm: Perm | None = None
    # The model listed, for the schema generator (which has no key to scope a queryset with).
    model: type[Model]

    def dispatch(self, request, *args: Any, **kwargs: Any):
        handler = getattr(self, "post", None)
        if handler is not None:
            self.post = partial(run_idempotent, self, handler)
        return super().dispatch(request, *args, **kwargs)

    def finalize_response(self, request, response, *args: Any, **kwargs: Any):
        response = super().finalize_response(request, response, *args, **kwargs)
        key = request.auth
        if (
            isinstance(key, ApiKey)
            and request.method not in SAFE_METHODS
            and response.status_code < 400
            and not response.has_header(REPLAYED_HEADER)
        ):
            # Every write through a key, in the key's name, whatever the service itself records
            # (the services audit their transitions; this names the request that caused them).
            audit(
                actor=key.service_user,
                action="api.write",
                obj=key,
                after={"method": request.method, "path": request.path, "status": response.status_code},
            )
        return response

    @cached_property
    def membership(self) -> Membership:
        """The key's role (and partner) in the tenant, as services and selectors expect it."""
        return self.request.auth.acting_membership()

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return self.model._base_manager.none()
        return self.scoped_queryset()

    def scoped_queryset(self) -> QuerySet:
        """What the key may see, through the app's selector for its membership."""
        raise NotImplementedError

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False) and self.request.auth is not None:
            context["membership"] = self.membership
            context["partners"] = partners_for_membership(self.membership)
        return context


class ReadOnlyResource(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """A list (filtered, ordered, cursor-paginated) and a detail, scoped by the selector."""
