"""Co-selling actions on a registration's page: ask for help (partner), assign a colleague
(vendor), add notes, next steps and tasks, tick a task off, close the request."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deals.forms import CoSellAssignForm, CoSellEntryForm, CoSellRequestForm
from deals.selectors import (
    get_cosell_entry_for_membership_or_404,
    get_cosell_request_for_membership_or_404,
    get_registration_for_membership_or_404,
)
from deals.services.cosell import (
    cosell_add_entry,
    cosell_assign,
    cosell_close,
    cosell_request,
    cosell_task_done,
)
from prm.access import portal_view
from prm.actions import form_errors, run_action
from prm.http import PortalRequest
from prm.roles import Perm


def _detail(registration_id: int) -> str:
    return reverse("deals:detail", kwargs={"pk": registration_id}) + "#cosell"


@portal_view(Perm.DEAL_VIEW)  # DEAL_REGISTER is checked by the service, after the scoped fetch (404 first)
@require_POST
def cosell_request_view(request: PortalRequest, pk: int) -> HttpResponse:
    registration = get_registration_for_membership_or_404(request.membership, pk)
    form = CoSellRequestForm(request.POST)
    return run_action(
        request,
        lambda: cosell_request(
            registration=registration,
            acting_membership=request.membership,
            kind=form.cleaned_data["kind"],
            message=form.cleaned_data["message"],
        ),
        form=form,
        invalid=lambda f: form_errors(f) or _("Say what you need help with."),
        success=_("Help requested: the vendor's territory owner will work this deal with you."),
        redirect_to=_detail(registration.pk),
    )


@portal_view(Perm.DEAL_VIEW)
@require_POST
def cosell_entry_view(request: PortalRequest, pk: int) -> HttpResponse:
    cosell = get_cosell_request_for_membership_or_404(request.membership, pk)
    form = CoSellEntryForm(request.POST)
    return run_action(
        request,
        lambda: cosell_add_entry(
            request=cosell,
            acting_membership=request.membership,
            kind=form.cleaned_data["kind"],
            text=form.cleaned_data["text"],
            due_on=form.cleaned_data["due_on"],
        ),
        form=form,
        invalid=lambda f: form_errors(f) or _("Write the note, next step or task."),
        success=_("Added to the timeline."),
        redirect_to=_detail(cosell.registration_id),
    )


@portal_view(Perm.DEAL_VIEW)  # the service requires a vendor party, after the scoped fetch (404 first)
@require_POST
def cosell_assign_view(request: PortalRequest, pk: int) -> HttpResponse:
    cosell = get_cosell_request_for_membership_or_404(request.membership, pk)
    form = CoSellAssignForm(request.POST, partner_id=cosell.registration.partner_id)
    return run_action(
        request,
        lambda: cosell_assign(
            request=cosell, acting_membership=request.membership, assignee=form.cleaned_data["assignee"]
        ),
        form=form,
        invalid=_("Choose a colleague."),
        success=_("Assigned."),
        redirect_to=_detail(cosell.registration_id),
    )


@portal_view(Perm.DEAL_VIEW)
@require_POST
def cosell_close_view(request: PortalRequest, pk: int) -> HttpResponse:
    cosell = get_cosell_request_for_membership_or_404(request.membership, pk)
    return run_action(
        request,
        lambda: cosell_close(request=cosell, acting_membership=request.membership),
        success=_("The co-sell request is closed."),
        redirect_to=_detail(cosell.registration_id),
    )


@portal_view(Perm.DEAL_VIEW)
@require_POST
def cosell_task_done_view(request: PortalRequest, pk: int) -> HttpResponse:
    entry = get_cosell_entry_for_membership_or_404(request.membership, pk)
    return run_action(
        request,
        lambda: cosell_task_done(entry=entry, acting_membership=request.membership),
        success=_("Task done."),
        redirect_to=_detail(entry.request.registration_id),
    )
