"""Back-office pages of API keys (vendor admins): list by prefix, create, rotate and revoke. A new
or rotated secret is shown once, in the answer to the POST that made it (never stored, never
redirected to, not cached)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from api import scopes
from api.forms import ApiKeyForm
from api.selectors import api_keys, get_api_key_or_404
from api.services import IssuedKey, api_key_create, api_key_revoke, api_key_rotate
from prm.access import portal_view
from prm.actions import run_action
from prm.http import PortalRequest
from prm.roles import Perm
from prm.scoping import partners_in_scope
from prm.views import paginate
from prm.workflow import DomainError


@portal_view(Perm.API_KEY_MANAGE)
def key_list(request: PortalRequest) -> HttpResponse:
    return render(request, "api/keys.html", {"page": paginate(request, api_keys())})


def _issued(request: PortalRequest, issued: IssuedKey, *, rotated: bool) -> HttpResponse:
    return render(
        request, "api/key_issued.html", {"key": issued.key, "token": issued.token, "rotated": rotated}
    )


@portal_view(Perm.API_KEY_MANAGE)
@require_http_methods(["GET", "POST"])
@never_cache
def key_create(request: PortalRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None, partners=partners_in_scope(request.membership).order_by("code"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = api_key_create(
                acting_membership=request.membership,
                name=data["name"],
                kind=data["kind"],
                role=data["role"] or None,
                partner=data["partner"],
                scopes=data["scopes"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return _issued(request, issued, rotated=False)
    chosen = set(form["scopes"].value() or [])
    rows = [
        {"resource": r, "label": label, "read": f"{r}:read" in chosen, "write": f"{r}:write" in chosen}
        for r, label in scopes.RESOURCES.items()
    ]
    return render(request, "api/key_new.html", {"form": form, "scope_rows": rows})


@portal_view(Perm.API_KEY_MANAGE)
@require_POST
@never_cache
def key_rotate(request: PortalRequest, pk: int) -> HttpResponse:
    key = get_api_key_or_404(pk)
    try:
        issued = api_key_rotate(key=key, acting_membership=request.membership)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("api_keys:list")
    return _issued(request, issued, rotated=True)


@portal_view(Perm.API_KEY_MANAGE)
@require_POST
def key_revoke(request: PortalRequest, pk: int) -> HttpResponse:
    key = get_api_key_or_404(pk)
    return run_action(
        request,
        lambda: api_key_revoke(key=key, acting_membership=request.membership),
        success=_("The key %(name)s is revoked: it stops working at its next request.") % {"name": key.name},
        redirect_to=reverse("api_keys:list"),
    )
