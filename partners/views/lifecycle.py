"""A partner's standing by hand, from its 360 page: suspend, terminate, reactivate, change tier."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpResponse
from django.urls import reverse
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
from prm.actions import run_action
from prm.http import PortalRequest
from prm.roles import Perm


def _status_change(request: PortalRequest, pk: int, service: Callable, done: str) -> HttpResponse:
    partner = get_partner_for_membership_or_404(request.membership, pk)
    form = ReasonForm(request.POST)
    return run_action(
        request,
        lambda: service(
            partner=partner, acting_membership=request.membership, reason=form.cleaned_data["reason"]
        ),
        form=form,
        invalid=_("Give a reason."),
        success=done,
        redirect_to=_detail_url(partner.pk),
    )


def _detail_url(pk: int) -> str:
    return reverse("partners:detail", kwargs={"pk": pk})


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
    return run_action(
        request,
        lambda: partner_change_tier(
            partner=partner,
            tier=form.cleaned_data["tier"],
            acting_membership=request.membership,
            reason=form.cleaned_data["reason"],
        ),
        form=form,
        invalid=_("Choose a tier and give a reason."),
        success=_("The tier is changed."),
        redirect_to=_detail_url(partner.pk),
    )
