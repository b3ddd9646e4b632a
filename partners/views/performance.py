"""Onboarding progress, payout details, scorecards and tier proposals."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from partners.forms import NoteForm, PayoutForm
from partners.models import LOWER_IS_BETTER, Kpi, PayoutDetails, TierProposal
from partners.selectors import (
    get_partner_for_membership_or_404,
    get_tier_proposal_for_membership_or_404,
    latest_scorecard,
    onboarding_progress,
    scorecard_chart,
    scorecard_history,
    tier_proposals_for_membership,
)
from partners.services.onboarding import payout_details_update, payout_details_verify
from partners.services.scorecards import (
    scorecard_recalculate_start,
    tier_gap,
    tier_proposal_approve,
    tier_proposal_reject,
)
from prm.access import portal_view
from prm.actions import run_action
from prm.http import PortalRequest
from prm.roles import Perm, membership_has
from prm.views import paginate
from prm.workflow import DomainError


@portal_view(Perm.PARTNER_VIEW)
def onboarding(request: PortalRequest, pk: int) -> HttpResponse:
    partner = get_partner_for_membership_or_404(request.membership, pk)
    # As the data stands now, without writing: the recorded checklist follows the events that
    # change it and the hourly refresh task.
    progress = onboarding_progress(partner, live=True)
    return render(request, "partners/onboarding.html", {"partner": partner, "onboarding": progress})


@portal_view(Perm.PAYOUT_DETAILS_VIEW)
@require_http_methods(["GET", "POST"])
def payout(request: PortalRequest, pk: int) -> HttpResponse:
    membership = request.membership
    partner = get_partner_for_membership_or_404(membership, pk)
    can_edit = membership_has(membership, Perm.PAYOUT_DETAILS_EDIT) and membership.partner_id == partner.pk
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    details = PayoutDetails.objects.filter(partner=partner).first()
    form = PayoutForm(request.POST or None) if can_edit else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            payout_details_update(partner=partner, acting_membership=membership, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Payout details saved. Finance has been notified."))
            return redirect("partners:payout", pk=partner.pk)
    return render(
        request,
        "partners/payout.html",
        {
            "partner": partner,
            "masked": details.masked() if details else None,
            "details": details,
            "form": form,
            "can_verify": details is not None
            and not details.is_verified
            and membership_has(membership, Perm.PAYOUT_DETAILS_VERIFY),
        },
    )


@portal_view(Perm.PAYOUT_DETAILS_VIEW)  # the service checks the capability after the 404 for others' partners
@require_POST
def payout_verify(request: PortalRequest, pk: int) -> HttpResponse:
    partner = get_partner_for_membership_or_404(request.membership, pk)
    return run_action(
        request,
        lambda: payout_details_verify(partner=partner, acting_membership=request.membership),
        success=_("Payout details verified: payouts can go to this account."),
        redirect_to=reverse("partners:payout", kwargs={"pk": partner.pk}),
    )


def _kpi_rows(partner, scorecard) -> list[dict]:
    if scorecard is None:
        return []
    rules = {}
    if partner.current_tier_id:
        rules = {r.kpi: r for r in partner.current_tier.requirements.all()}
    rows = []
    for kpi in Kpi:
        value = Decimal(scorecard.values.get(kpi.value, "0"))
        previous = Decimal(scorecard.previous.get(kpi.value, "0"))
        rule = rules.get(kpi.value)
        rows.append(
            {
                "kpi": kpi.value,
                "label": kpi.label,
                "value": value,
                "previous": previous,
                "trend": value - previous,
                "rule": rule,
                "at_most": kpi.value in LOWER_IS_BETTER,
                "met": rule.is_met(value) if rule else None,
            }
        )
    return rows


@portal_view(Perm.PARTNER_VIEW)
def scorecard(request: PortalRequest, pk: int) -> HttpResponse:
    partner = get_partner_for_membership_or_404(request.membership, pk)
    card = latest_scorecard(partner)
    return render(
        request,
        "partners/scorecard.html",
        {
            "partner": partner,
            "scorecard": card,
            "rows": _kpi_rows(partner, card),
            "gap": tier_gap(partner, card),
            "chart": scorecard_chart(scorecard_history(partner)),
            "can_recalculate": request.membership.is_staff_member,
            "proposals": tier_proposals_for_membership(request.membership).filter(partner=partner)[:5]
            if request.membership.is_staff_member
            else [],
        },
    )


@portal_view(Perm.PARTNER_MANAGE)
@require_POST
def scorecard_recalculate(request: PortalRequest, pk: int) -> HttpResponse:
    partner = get_partner_for_membership_or_404(request.membership, pk)
    job = scorecard_recalculate_start(acting_membership=request.membership, partner=partner)
    return redirect("job_detail", pk=job.pk)


@portal_view(Perm.PARTNER_MANAGE)
@require_POST
def scorecards_recalculate_all(request: PortalRequest) -> HttpResponse:
    job = scorecard_recalculate_start(acting_membership=request.membership)
    return redirect("job_detail", pk=job.pk)


@portal_view(Perm.TIER_PROPOSAL_DECIDE)
def proposal_list(request: PortalRequest) -> HttpResponse:
    status = request.GET.get("status", TierProposal.Status.PENDING)
    qs = tier_proposals_for_membership(request.membership)
    if status in TierProposal.Status.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "partners/proposals.html",
        {
            "page": paginate(request, qs),
            "status": status,
            "statuses": TierProposal.Status.choices,
        },
    )


@portal_view(Perm.TIER_PROPOSAL_DECIDE)
@require_POST
def proposal_approve(request: PortalRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "approve")


@portal_view(Perm.TIER_PROPOSAL_DECIDE)
@require_POST
def proposal_reject(request: PortalRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "reject")


def _decide(request: PortalRequest, pk: int, decision: str) -> HttpResponse:
    proposal = get_tier_proposal_for_membership_or_404(request.membership, pk)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    service = tier_proposal_approve if decision == "approve" else tier_proposal_reject
    return run_action(
        request,
        lambda: service(proposal=proposal, acting_membership=request.membership, note=note),
        success=_("Decision recorded."),
        redirect_to="partners:proposals",
    )
