"""The one gate in front of every portal view: signed in, member of this tenant, role allowed."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from prm.accounts.selectors import memberships_across_tenants
from prm.roles import Perm, membership_has, role_has
from prm.tenancy.context import user_context


def portal_view(perm: Perm) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Decorate a tenant-portal view: anonymous -> login; no (active) membership here -> "no
    access" page; role without ``perm`` -> 403; a suspended partner's member asking for anything
    but reading -> 403 page saying so. Inside the view ``request.membership`` is set."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if getattr(request, "tenant", None) is None:
                raise Http404
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = getattr(request, "membership", None)
            if membership is None:
                return no_access(request)
            if not role_has(membership.role, perm):
                raise PermissionDenied
            if not membership_has(membership, perm):
                return partner_not_operating(request)
            return view(request, *args, **kwargs)

        wrapped.required_perm = perm  # type: ignore[attr-defined]
        return wrapped

    return decorator


def partner_not_operating(request: HttpRequest) -> HttpResponse:
    """The member's role allows the page, but their partner is suspended: history stays readable,
    nothing new can be done in the partner's name."""
    return render(request, "prm/partner_suspended.html", status=403)


def no_access(request: HttpRequest) -> HttpResponse:

    with user_context(request.user.pk):
        others = list(memberships_across_tenants(request.user))
    return render(request, "prm/no_access.html", {"other_memberships": others}, status=403)
