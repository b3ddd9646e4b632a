"""Leads (vendor queue, offers to partners, accept/decline), routing rules with a preview, and the
vendor's direct opportunities."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from deals.forms import DirectOpportunityForm, LeadAcceptForm, LeadDeclineForm, LeadForm, RoutingRuleForm
from deals.list_reports import lead_list_queryset
from deals.models import DirectOpportunity, Lead
from deals.selectors import (
    direct_opportunities,
    get_direct_opportunity_or_404,
    get_lead_for_membership_or_404,
    get_routing_rule_or_404,
    lead_assignments_for,
    lead_passed_on,
    routing_rules,
)
from deals.services.leads import (
    lead_accept,
    lead_close,
    lead_create,
    lead_decline,
    lead_route,
    leads_route_queue,
    routing_preview,
    routing_rule_delete,
    routing_rule_save,
)
from deals.services.opportunities import direct_opportunity_create, direct_opportunity_set_status
from prm.access import portal_view
from prm.accounts.models import User
from prm.actions import run_action
from prm.http import PortalRequest
from prm.roles import Perm, membership_has
from prm.views import paginate
from prm.workflow import DomainError


def _lead_url(lead: Lead) -> str:
    return reverse("deals:lead_detail", kwargs={"pk": lead.pk})


def _colleagues(request: PortalRequest):
    return User.objects.filter(
        memberships__partner_id=request.membership.partner_id, memberships__is_active=True
    ).order_by("email")


@portal_view(Perm.LEAD_VIEW)
@require_GET
def lead_list(request: PortalRequest) -> HttpResponse:
    qs = lead_list_queryset(request.membership, request.GET)
    return render(
        request,
        "deals/leads.html",
        {
            "page": paginate(request, qs),
            "statuses": Lead.Status.choices,
            "filters": request.GET,
            "can_manage": membership_has(request.membership, Perm.LEAD_MANAGE),
        },
    )


@portal_view(Perm.LEAD_MANAGE)
@require_http_methods(["GET", "POST"])
def lead_new(request: PortalRequest) -> HttpResponse:
    form = LeadForm(request.POST or None, initial={"currency": request.tenant.base_currency})
    if request.method == "POST" and form.is_valid():
        try:
            lead = lead_create(
                acting_membership=request.membership,
                data=form.cleaned_data,
                route=request.POST.get("action") != "queue",
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Lead saved: %(status)s.") % {"status": lead.get_status_display()})
            return redirect("deals:lead_detail", pk=lead.pk)
    return render(request, "deals/lead_form.html", {"form": form})


@portal_view(Perm.LEAD_MANAGE)
@require_POST
def leads_route_queue_view(request: PortalRequest) -> HttpResponse:
    return run_action(
        request,
        lambda: leads_route_queue(acting_membership=request.membership),
        success=lambda offered: _("%(n)d leads offered to partners.") % {"n": offered},
        redirect_to="deals:leads",
    )


@portal_view(Perm.LEAD_VIEW)
@require_GET
def lead_detail(request: PortalRequest, pk: int) -> HttpResponse:
    membership = request.membership
    lead = get_lead_for_membership_or_404(membership, pk)
    if lead_passed_on(lead, membership):
        # The lead moved on: the partner keeps its own offer record, nothing of the lead since.
        return render(
            request,
            "deals/lead_passed_on.html",
            {
                "lead_id": lead.pk,
                "company": lead.company,
                "assignments": lead_assignments_for(lead, membership),
            },
        )
    is_offered_to_me = (
        membership.is_partner
        and lead.status == Lead.Status.OFFERED
        and lead.partner_id == membership.partner_id
    )
    can_manage = membership_has(membership, Perm.LEAD_MANAGE)
    context = {
        "lead": lead,
        "assignments": lead_assignments_for(lead, membership),
        "can_manage": can_manage,
        "can_respond": is_offered_to_me and membership_has(membership, Perm.LEAD_RESPOND),
        "accept_form": LeadAcceptForm(colleagues=_colleagues(request), initial={"owner": membership.user})
        if is_offered_to_me
        else None,
        "decline_form": LeadDeclineForm(),
        "preview": routing_preview(lead)
        if can_manage and lead.status in (Lead.Status.NEW, Lead.Status.RETURNED, Lead.Status.OFFERED)
        else None,
        "registration": lead.registrations.filter(partner_id=membership.partner_id).first()
        if membership.is_partner
        else lead.registrations.first(),
    }
    return render(request, "deals/lead_detail.html", context)


@portal_view(Perm.LEAD_MANAGE)
@require_POST
def lead_route_view(request: PortalRequest, pk: int) -> HttpResponse:
    lead = get_lead_for_membership_or_404(request.membership, pk)
    return run_action(
        request,
        lambda: lead_route(lead=lead, acting_membership=request.membership),
        success=lambda routed: routed.routing_note or routed.get_status_display(),
        redirect_to=_lead_url(lead),
    )


@portal_view(Perm.LEAD_MANAGE)
@require_POST
def lead_close_view(request: PortalRequest, pk: int) -> HttpResponse:
    lead = get_lead_for_membership_or_404(request.membership, pk)
    return run_action(
        request,
        lambda: lead_close(lead=lead, acting_membership=request.membership),
        redirect_to=_lead_url(lead),
    )


@portal_view(Perm.LEAD_VIEW)
@require_POST
def lead_accept_view(request: PortalRequest, pk: int) -> HttpResponse:
    lead = get_lead_for_membership_or_404(request.membership, pk)
    if not membership_has(request.membership, Perm.LEAD_RESPOND):
        raise PermissionDenied
    form = LeadAcceptForm(request.POST, colleagues=_colleagues(request))
    owner = form.cleaned_data["owner"] if form.is_valid() else None
    return run_action(
        request,
        lambda: lead_accept(lead=lead, acting_membership=request.membership, owner=owner),
        success=_("Lead accepted: complete the draft registration and submit it."),
        redirect_to=lambda registration: reverse("deals:edit", kwargs={"pk": registration.pk}),
        error_redirect_to=_lead_url(lead),
    )


@portal_view(Perm.LEAD_VIEW)
@require_POST
def lead_decline_view(request: PortalRequest, pk: int) -> HttpResponse:
    lead = get_lead_for_membership_or_404(request.membership, pk)
    if not membership_has(request.membership, Perm.LEAD_RESPOND):
        raise PermissionDenied
    form = LeadDeclineForm(request.POST)
    return run_action(
        request,
        lambda: lead_decline(
            lead=lead, acting_membership=request.membership, reason=form.cleaned_data["reason"]
        ),
        form=form,
        invalid=_("Say why you decline the lead."),
        success=_("Lead declined."),
        level=messages.INFO,
        redirect_to="deals:leads",
        error_redirect_to=_lead_url(lead),
    )


@portal_view(Perm.LEAD_MANAGE)
@require_http_methods(["GET", "POST"])
def routing_rule_list(request: PortalRequest) -> HttpResponse:
    form = RoutingRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        routing_rule_save(acting_membership=request.membership, rule=form.save(commit=False))
        messages.success(request, _("Routing rule added."))
        return redirect("deals:routing_rules")
    return render(request, "deals/routing_rules.html", {"rules": list(routing_rules()), "form": form})


@portal_view(Perm.LEAD_MANAGE)
@require_http_methods(["GET", "POST"])
def routing_rule_edit(request: PortalRequest, pk: int) -> HttpResponse:
    rule = get_routing_rule_or_404(pk)
    form = RoutingRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        routing_rule_save(acting_membership=request.membership, rule=form.save(commit=False))
        messages.success(request, _("Routing rule saved."))
        return redirect("deals:routing_rules")
    return render(request, "deals/routing_rule_edit.html", {"rule": rule, "form": form})


@portal_view(Perm.LEAD_MANAGE)
@require_POST
def routing_rule_delete_view(request: PortalRequest, pk: int) -> HttpResponse:
    rule = get_routing_rule_or_404(pk)
    return run_action(
        request,
        lambda: routing_rule_delete(acting_membership=request.membership, rule=rule),
        success=_("Routing rule deleted."),
        redirect_to="deals:routing_rules",
    )


@portal_view(Perm.OPPORTUNITY_MANAGE)
@require_http_methods(["GET", "POST"])
def opportunity_list(request: PortalRequest) -> HttpResponse:
    form = DirectOpportunityForm(request.POST or None, initial={"currency": request.tenant.base_currency})
    if request.method == "POST" and form.is_valid():
        try:
            direct_opportunity_create(acting_membership=request.membership, data=form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Direct opportunity recorded."))
            return redirect("deals:opportunities")
    return render(
        request,
        "deals/opportunities.html",
        {
            "page": paginate(request, direct_opportunities(request.GET)),
            "form": form,
            "filters": request.GET,
            "statuses": DirectOpportunity.Status.choices,
        },
    )


@portal_view(Perm.OPPORTUNITY_MANAGE)
@require_POST
def opportunity_status(request: PortalRequest, pk: int) -> HttpResponse:
    opportunity = get_direct_opportunity_or_404(pk)
    return run_action(
        request,
        lambda: direct_opportunity_set_status(
            opportunity=opportunity,
            acting_membership=request.membership,
            status=request.POST.get("status", ""),
        ),
        redirect_to="deals:opportunities",
    )
