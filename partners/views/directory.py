"""The partner directory for vendor staff, the partner 360 page, profile and account managers."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from partners.forms import AssignManagerForm, ChangeRequestForm, ProfileForm, TierChangeForm
from partners.models import Partner
from partners.panels import partner_actions
from partners.report_pages import directory_queryset
from partners.resources import export_rows
from partners.selectors import (
    account_managers,
    agreement_signed,
    certifications_for_membership,
    channel_manager_memberships,
    contacts_for_membership,
    current_agreement_template,
    get_partner_for_membership_or_404,
    latest_scorecard,
    onboarding_progress,
    partner_directory,
    partner_people,
    pending_invitations,
    programs,
    recent_agreements,
    scorecard_chart,
    scorecard_history,
    tier_benefits,
    tier_names,
)
from partners.services.onboarding import (
    partner_manager_assign,
    partner_manager_unassign,
    partner_profile_change_request,
    partner_profile_update,
)
from prm.access import portal_view
from prm.actions import run_action
from prm.audit.selectors import partner_history
from prm.dashboard import partner_panels_for, pending_actions
from prm.http import PortalRequest
from prm.roles import Perm, membership_has
from prm.views import paginate
from prm.workflow import DomainError

HISTORY_ON_PAGE = 15  # recent audit events on a partner's 360 page


@portal_view(Perm.PARTNER_VIEW)
def partner_list(request: PortalRequest) -> HttpResponseBase:
    if request.membership.is_partner:
        return redirect("partners:mine")
    qs = directory_queryset(request.membership, request.GET)
    export = request.GET.get("export")
    if export in {"csv", "xlsx"}:
        return export_rows("partners", export, qs)
    context = {
        "page": paginate(request, qs),
        "types": Partner.Type.choices,
        "statuses": Partner.Status.choices,
        "programs": programs(),
        "tiers": tier_names(),
        "managers": channel_manager_memberships(),
        "filters": request.GET,
    }
    template = "partners/_table.html" if request.htmx else "partners/list.html"
    return render(request, template, context)


@portal_view(Perm.PARTNER_VIEW)
def contacts_export(request: PortalRequest) -> HttpResponseBase:
    """People of the partners the member may see, as CSV or XLSX (vendor staff)."""
    if request.membership.is_partner:
        raise Http404
    fmt = request.GET.get("format", "csv")
    qs = contacts_for_membership(request.membership)
    return export_rows("contacts", fmt if fmt in {"csv", "xlsx"} else "csv", qs)


@portal_view(Perm.PARTNER_VIEW)
def partner_mine(request: PortalRequest) -> HttpResponse:
    if not request.membership.is_partner:
        raise Http404
    return redirect("partners:detail", pk=request.membership.partner_id)


@portal_view(Perm.PARTNER_VIEW)
def partner_detail(request: PortalRequest, pk: int) -> HttpResponse:
    """The partner page. For vendor staff the partner 360: profile, people, agreement,
    onboarding, certifications, scorecard trend, the sections the other apps register (deals and
    leads, POS and inventory, claims, funds, rebates, payables), what needs action now and the
    partner's recent history. A partner's own people see their company page without those."""
    membership = request.membership
    partner = get_object_or_404(
        partner_directory(membership).select_related("program", "current_tier"), pk=pk
    )
    members = partner_people(partner)
    invitations = pending_invitations(partner)
    onboarding = onboarding_progress(partner)
    context = {
        "partner": partner,
        "members": members,
        "invitations": invitations,
        "benefits": tier_benefits(partner),
        "agreement_signed": agreement_signed(partner),
        "current_template": current_agreement_template(partner.program_id),
        "agreements": recent_agreements(partner),
        "onboarding": onboarding,
        "certifications": certifications_for_membership(membership).filter(partner=partner)[:50],
        "scorecard": latest_scorecard(partner),
        "chart": scorecard_chart(scorecard_history(partner)),
        "managers": account_managers(partner) if membership.is_staff_member else [],
        "payout": getattr(partner, "payout_details", None)
        if membership_has(membership, Perm.PAYOUT_DETAILS_VIEW)
        else None,
        "can_assign": membership_has(membership, Perm.ACCOUNT_MANAGER_ASSIGN) and membership.is_staff_member,
        "can_edit": (membership.is_partner and membership_has(membership, Perm.PARTNER_PROFILE_EDIT))
        or (membership.is_staff_member and membership_has(membership, Perm.PARTNER_MANAGE)),
        "assign_form": AssignManagerForm(managers=channel_manager_memberships()),
        **_lifecycle_context(membership, partner),
        **_partner_360_context(membership, partner, onboarding),
    }
    return render(request, "partners/detail.html", context)


def _partner_360_context(membership, partner: Partner, onboarding: dict) -> dict:
    """The vendor's view of the partner: the apps' sections, what needs action now, history."""
    if not membership.is_staff_member:
        return {"sections": [], "actions": [], "history": None}
    sections = partner_panels_for(membership, partner)
    return {
        "sections": sections,
        "actions": partner_actions(membership, partner, onboarding) + pending_actions(sections),
        "history": list(partner_history(partner.pk)[:HISTORY_ON_PAGE]),
        "can_audit": membership_has(membership, Perm.AUDIT_VIEW),
    }


def _lifecycle_context(membership, partner: Partner) -> dict:
    """The standing card of vendor admins: the status changes the transition table allows now."""
    if not (membership.is_staff_member and membership_has(membership, Perm.PARTNER_LIFECYCLE)):
        return {"can_lifecycle": False}
    allowed = Partner.TRANSITIONS[Partner.Status(partner.status)]
    return {
        "can_lifecycle": True,
        "can_suspend": Partner.Status.SUSPENDED in allowed,
        "can_terminate": Partner.Status.TERMINATED in allowed,
        "can_reactivate": partner.status in Partner.BLOCKED_STATUSES,
        "tier_form": TierChangeForm(),
    }


@portal_view(Perm.PARTNER_VIEW)
@require_http_methods(["GET", "POST"])
def partner_edit(request: PortalRequest, pk: int) -> HttpResponse:
    membership = request.membership
    partner = get_partner_for_membership_or_404(membership, pk)
    allowed = (membership.is_partner and membership_has(membership, Perm.PARTNER_PROFILE_EDIT)) or (
        membership.is_staff_member and membership_has(membership, Perm.PARTNER_MANAGE)
    )
    if not allowed:
        raise PermissionDenied
    # The form validates against a copy; the service writes (views never save partners).
    form = ProfileForm(
        request.POST or None,
        instance=Partner.objects.get(pk=partner.pk),
        vendor_managed_editable=membership.is_staff_member,
    )
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in ProfileForm.Meta.fields if f in form.cleaned_data}
        if "expertise" in form.cleaned_data:
            data["expertise"] = form.cleaned_data["expertise"]
        try:
            partner_profile_update(partner=partner, acting_membership=membership, data=data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Company profile saved."))
            return redirect("partners:detail", pk=partner.pk)
    context = {
        "form": form,
        "partner": partner,
        "change_form": ChangeRequestForm() if membership.is_partner else None,
    }
    return render(request, "partners/edit.html", context)


@portal_view(Perm.PARTNER_VIEW)
@require_POST
def partner_change_request(request: PortalRequest, pk: int) -> HttpResponse:
    """A partner admin asks the vendor to change its region or expertise (the service checks
    the role after the partner is found, so another tenant's or partner's id answers 404)."""
    partner = get_partner_for_membership_or_404(request.membership, pk)
    form = ChangeRequestForm(request.POST)
    return run_action(
        request,
        lambda: partner_profile_change_request(
            partner=partner, acting_membership=request.membership, message=form.cleaned_data["message"]
        ),
        form=form,
        invalid=_("Say what should change."),
        success=_("Your request was sent to your channel managers."),
        redirect_to=_detail_url(partner.pk),
        invalid_redirect_to=reverse("partners:edit", kwargs={"pk": partner.pk}),
    )


def _detail_url(pk: int) -> str:
    return reverse("partners:detail", kwargs={"pk": pk})


@portal_view(Perm.ACCOUNT_MANAGER_ASSIGN)
@require_POST
def partner_manager_add(request: PortalRequest, pk: int) -> HttpResponse:
    partner = get_partner_for_membership_or_404(request.membership, pk)
    form = AssignManagerForm(request.POST, managers=channel_manager_memberships())
    return run_action(
        request,
        lambda: partner_manager_assign(
            partner=partner, manager=form.cleaned_data["manager"], acting_membership=request.membership
        ),
        form=form,
        invalid=_("Choose a channel manager."),
        success=_("Account manager assigned."),
        redirect_to=_detail_url(partner.pk),
    )


@portal_view(Perm.ACCOUNT_MANAGER_ASSIGN)
@require_POST
def partner_manager_remove(request: PortalRequest, pk: int, user_id: int) -> HttpResponse:
    partner = get_partner_for_membership_or_404(request.membership, pk)
    membership = get_object_or_404(channel_manager_memberships(), user_id=user_id)
    return run_action(
        request,
        lambda: partner_manager_unassign(
            partner=partner, manager_user=membership.user, acting_membership=request.membership
        ),
        success=_("Account manager removed."),
        redirect_to=_detail_url(partner.pk),
    )
