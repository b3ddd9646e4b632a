"""Back-office pages of webhooks (vendor admins): endpoints, their secrets, the delivery log and
replays. A signing secret is shown once, in the answer to the request that made it, and never
stored anywhere the browser or the session keeps."""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from prm.access import portal_view
from prm.actions import run_action
from prm.events import EVENT_TYPES
from prm.http import PortalRequest
from prm.roles import Perm
from prm.views import paginate
from prm.webhooks import selectors
from prm.webhooks.forms import DELIVERY_STATUS_CHOICES, EndpointDeleteForm, EndpointDisableForm, EndpointForm
from prm.webhooks.models import WebhookDelivery, WebhookEndpoint
from prm.webhooks.services import (
    delivery_replay,
    endpoint_create,
    endpoint_delete,
    endpoint_disable,
    endpoint_enable,
    endpoint_rotate_secret,
    endpoint_update,
    endpoint_url,
)
from prm.workflow import DomainError


@portal_view(Perm.WEBHOOK_MANAGE)
@require_GET
def endpoints(request: PortalRequest) -> HttpResponse:
    return render(
        request,
        "webhooks/endpoints.html",
        {
            "endpoints": selectors.endpoints_for_membership(request.membership),
            "event_count": len(EVENT_TYPES),
        },
    )


def _secret_page(
    request: PortalRequest, endpoint: WebhookEndpoint, secret: str, *, rotated: bool
) -> HttpResponse:
    response = render(
        request, "webhooks/secret.html", {"endpoint": endpoint, "secret": secret, "rotated": rotated}
    )
    response["Cache-Control"] = "no-store"
    return response


@portal_view(Perm.WEBHOOK_MANAGE)
@require_http_methods(["GET", "POST"])
@never_cache
def endpoint_new(request: PortalRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = endpoint_create(acting_membership=request.membership, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return _secret_page(request, endpoint, secret, rotated=False)
    return render(request, "webhooks/endpoint_form.html", {"form": form, "endpoint": None})


@portal_view(Perm.WEBHOOK_MANAGE)
@require_GET
def endpoint_detail(request: PortalRequest, pk: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_membership_or_404(request.membership, pk)
    status = request.GET.get("status", "")
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {
            "endpoint": endpoint,
            "page": paginate(request, selectors.deliveries_of(endpoint, status=status)),
            "statuses": DELIVERY_STATUS_CHOICES,
            "filters": request.GET,
            "disable_form": EndpointDisableForm(),
            "delete_form": EndpointDeleteForm(),
        },
    )


@portal_view(Perm.WEBHOOK_MANAGE)
@require_http_methods(["GET", "POST"])
def endpoint_edit(request: PortalRequest, pk: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_membership_or_404(request.membership, pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint_update(endpoint=endpoint, acting_membership=request.membership, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(endpoint_url(endpoint))
    return render(request, "webhooks/endpoint_form.html", {"form": form, "endpoint": endpoint})


@portal_view(Perm.WEBHOOK_MANAGE)
@require_POST
def endpoint_rotate(request: PortalRequest, pk: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_membership_or_404(request.membership, pk)
    secret = endpoint_rotate_secret(endpoint=endpoint, acting_membership=request.membership)
    return _secret_page(request, endpoint, secret, rotated=True)


@portal_view(Perm.WEBHOOK_MANAGE)
@require_POST
def endpoint_disable_view(request: PortalRequest, pk: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_membership_or_404(request.membership, pk)
    form = EndpointDisableForm(request.POST)
    return run_action(
        request,
        lambda: endpoint_disable(
            endpoint=endpoint, acting_membership=request.membership, reason=form.cleaned_data["reason"]
        ),
        form=form,
        success=_("The endpoint is disabled: nothing is sent to it until it is enabled again."),
        redirect_to=endpoint_url(endpoint),
    )


@portal_view(Perm.WEBHOOK_MANAGE)
@require_POST
def endpoint_enable_view(request: PortalRequest, pk: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_membership_or_404(request.membership, pk)
    return run_action(
        request,
        lambda: endpoint_enable(endpoint=endpoint, acting_membership=request.membership),
        success=_("The endpoint is enabled. Replay the deliveries it missed from the log below."),
        redirect_to=endpoint_url(endpoint),
    )


@portal_view(Perm.WEBHOOK_MANAGE)
@require_POST
def endpoint_delete_view(request: PortalRequest, pk: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_membership_or_404(request.membership, pk)
    return run_action(
        request,
        lambda: endpoint_delete(endpoint=endpoint, acting_membership=request.membership),
        form=EndpointDeleteForm(request.POST),
        invalid=_("Confirm that the delivery log is deleted with the endpoint."),
        success=_("The endpoint was deleted."),
        redirect_to=reverse("webhooks:endpoints"),
        error_redirect_to=endpoint_url(endpoint),
    )


@portal_view(Perm.WEBHOOK_MANAGE)
@require_GET
def delivery_detail(request: PortalRequest, pk: int) -> HttpResponse:
    delivery = selectors.get_delivery_for_membership_or_404(request.membership, pk)
    return render(
        request,
        "webhooks/delivery_detail.html",
        {
            "delivery": delivery,
            "payload": json.dumps(json.loads(delivery.event.body), indent=2, ensure_ascii=False),
            "attempts": selectors.attempts_of(delivery),
            "can_replay": delivery.status != WebhookDelivery.Status.PENDING and delivery.endpoint.is_enabled,
        },
    )


@portal_view(Perm.WEBHOOK_MANAGE)
@require_POST
def delivery_replay_view(request: PortalRequest, pk: int) -> HttpResponse:
    delivery = selectors.get_delivery_for_membership_or_404(request.membership, pk)
    return run_action(
        request,
        lambda: delivery_replay(delivery=delivery, acting_membership=request.membership),
        success=_("The delivery is being sent again (same webhook-id)."),
        redirect_to=reverse("webhooks:delivery_detail", kwargs={"pk": delivery.pk}),
    )
