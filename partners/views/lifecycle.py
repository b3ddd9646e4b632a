"""A partner's standing by hand, from its 360 page: suspend, terminate, reactivate, change tier."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partners.forms import ReasonForm, TierChangeForm
from partners.selectors import get_partner_for_membership_or_404
from partners.services.lifecycle import (
    partner_change_tier,
    partner_reactivate,
    partner_suspend,
    partner_terminate,
)
from prm.access import portal_view
from prm.http import PortalRequest
from prm.roles import Perm
from prm.workflow import DomainError


def _status_change(request: PortalRequest, pk: int, service: Callable, done: str) -> HttpResponse:
    partner = get_partner_for_membership_or_404(request.membership, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
        return redirect("partners:detail", pk=partner.pk)
    try:
        service(partner=partner, acting_membership=request.membership, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("partners:detail", pk=partner.pk)


@portal_view(Perm.PARTNER_LIFECYCLE)
@require_POST
def partner_suspend_view(request: PortalRequest, pk: int) -> HttpResponse:
    return _status_change(request, pk, partner_suspend, _("The partner is suspended."))


@portal_view(Perm.PARTNER_LIFECYCLE)
@require_POST
def partner_terminate_view(request: PortalRequest, pk: int) -> HttpResponse:
    return _status_change(request, pk, partner_terminate, _("The partnership is terminated."))


@portal_view(Perm.PARTNER_LIFECYCLE)
@require_POST
def partner_reactivate_view(request: PortalRequest, pk: int) -> HttpResponse:
    return _status_change(request, pk, partner_reactivate, _("The partner is active again."))


@portal_view(Perm.PARTNER_LIFECYCLE)
@require_POST
def partner_tier_change_view(request: PortalRequest, pk: int) -> HttpResponse:
    partner = get_partner_for_membership_or_404(request.membership, pk)
    form = TierChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a tier and give a reason."))
        return redirect("partners:detail", pk=partner.pk)
    try:
        partner_change_tier(
            partner=partner,
            tier=form.cleaned_data["tier"],
            acting_membership=request.membership,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The tier is changed."))
    return redirect("partners:detail", pk=partner.pk)
