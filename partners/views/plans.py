"""Joint business plans: the list, the plan page (goals per quarter with progress, initiatives,
comments, sign-off), the forms, and the actions of both sides."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from partners.forms import (
    PlanCommentForm,
    PlanCreateForm,
    PlanEditForm,
    PlanInitiativeForm,
    PlanInitiativeStatusForm,
    ReasonForm,
    goal_field_name,
)
from partners.models import BusinessPlan
from partners.plan_progress import goals_report, plan_progress
from partners.report_pages import plan_list_queryset
from partners.selectors import (
    get_initiative_for_membership_or_404,
    get_plan_for_membership_or_404,
    partners_for_membership,
    plan_people,
    plans_for_membership,
)
from partners.services.plans import (
    may_edit_plan,
    plan_comment_add,
    plan_create,
    plan_initiative_add,
    plan_initiative_set_status,
    plan_propose,
    plan_reopen,
    plan_sign,
    plan_update,
    side_of,
)
from prm.access import portal_view
from prm.actions import run_action
from prm.http import PortalRequest
from prm.reports import report_download
from prm.roles import Perm, membership_has
from prm.views import paginate
from prm.workflow import DomainError


def _detail_url(pk: int) -> str:
    return reverse("partners:plan_detail", kwargs={"pk": pk})


@portal_view(Perm.PLAN_VIEW)
def plan_list(request: PortalRequest) -> HttpResponse:
    """Vendor staff: the plans of the partners in reach, by year and status; partner people: their
    own partner's plans."""
    membership = request.membership
    qs = plan_list_queryset(membership, request.GET)
    years = sorted(set(plans_for_membership(membership).values_list("year", flat=True)), reverse=True)
    context = {
        "page": paginate(request, qs),
        "filters": request.GET,
        "statuses": BusinessPlan.Status.choices,
        "years": years,
        "partners": partners_for_membership(membership).order_by("code")
        if membership.is_staff_member
        else None,
        "can_create": membership_has(membership, Perm.PLAN_EDIT),
    }
    return render(request, "partners/plans.html", context)


@portal_view(Perm.PLAN_EDIT)
@require_http_methods(["GET", "POST"])
def plan_new(request: PortalRequest) -> HttpResponse:
    membership = request.membership
    partners = None if membership.is_partner else partners_for_membership(membership).order_by("code")
    initial = {"year": timezone.localdate().year}
    if partners is not None and request.GET.get("partner", "").isdigit():
        initial["partner"] = int(request.GET["partner"])
    form = PlanCreateForm(request.POST or None, partners=partners, initial=initial)
    if request.method == "POST" and form.is_valid():
        partner = form.cleaned_data["partner"] if partners is not None else membership.partner
        assert partner is not None  # a partner role always has its partner
        try:
            plan = plan_create(
                partner=partner,
                year=form.cleaned_data["year"],
                acting_membership=membership,
                summary=form.cleaned_data["summary"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The plan is started: set its goals per quarter."))
            return redirect("partners:plan_edit", pk=plan.pk)
    return render(request, "partners/form_page.html", {"form": form, "title": _("New business plan")})


@portal_view(Perm.PLAN_VIEW)
def plan_detail(request: PortalRequest, pk: int) -> HttpResponseBase:
    membership = request.membership
    plan = get_plan_for_membership_or_404(membership, pk)
    goals = list(plan.goals.all())
    progress = plan_progress(plan, goals)
    download = report_download(
        request, {"goals": lambda: goals_report(progress)}, prefix=f"plan-{plan.partner.code}-{plan.year}"
    )
    if download is not None:
        return download
    can_edit = may_edit_plan(membership, plan.partner_id)
    side = side_of(membership)
    signed_mine = plan.vendor_signed_at if side == "vendor" else plan.partner_signed_at
    context = {
        "plan": plan,
        "progress": progress,
        "report": goals_report(progress),
        "initiatives": list(plan.initiatives.select_related("owner__user", "owner__partner")),
        "comments": list(plan.comments.select_related("author")),
        "can_edit": can_edit,
        "can_change_goals": can_edit and plan.status in BusinessPlan.EDITABLE,
        "can_sign": can_edit and plan.status == BusinessPlan.Status.PROPOSED and signed_mine is None,
        "side": side,
        "initiative_form": PlanInitiativeForm(owners=plan_people(plan)) if can_edit else None,
        "comment_form": PlanCommentForm() if can_edit else None,
        "reopen_form": ReasonForm() if can_edit else None,
        "today": timezone.localdate(),
    }
    return render(request, "partners/plan_detail.html", context)


@portal_view(Perm.PLAN_EDIT)
@require_http_methods(["GET", "POST"])
def plan_edit(request: PortalRequest, pk: int) -> HttpResponse:
    membership = request.membership
    plan = get_plan_for_membership_or_404(membership, pk)
    if not may_edit_plan(membership, plan.partner_id):
        return redirect(_detail_url(plan.pk))
    if plan.status not in BusinessPlan.EDITABLE:
        messages.error(request, _("The plan is signed by both sides: reopen it to change its goals."))
        return redirect(_detail_url(plan.pk))
    initial: dict[str, object] = {"summary": plan.summary}
    for goal in plan.goals.all():
        initial[goal_field_name(goal.quarter, goal.kpi)] = (
            goal.target.normalize() if goal.currency else int(goal.target)
        )
    form = PlanEditForm(request.POST or None, currency=plan.currency, initial=initial)
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, form.error_text())
        else:
            try:
                changed = plan_update(
                    plan=plan,
                    acting_membership=membership,
                    summary=form.cleaned_data["summary"],
                    targets=form.targets(),
                )
            except DomainError as exc:
                messages.error(request, str(exc))
            else:
                if changed and plan.signature_count:
                    messages.warning(
                        request,
                        _(
                            "The plan is saved. It changed after it was signed: the signatures are cleared and both sides sign again."
                        ),
                    )
                elif changed:
                    messages.success(request, _("The plan is saved."))
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect(_detail_url(plan.pk))
    return render(request, "partners/plan_edit.html", {"plan": plan, "form": form})


def _plan_action(request: PortalRequest, pk: int, service, success: str) -> HttpResponse:
    plan = get_plan_for_membership_or_404(request.membership, pk)
    return run_action(
        request,
        lambda: service(plan=plan, acting_membership=request.membership),
        success=success,
        redirect_to=_detail_url(plan.pk),
    )


@portal_view(Perm.PLAN_EDIT)
@require_POST
def plan_propose_view(request: PortalRequest, pk: int) -> HttpResponse:
    return _plan_action(request, pk, plan_propose, _("The plan is proposed: both sides can sign it now."))


@portal_view(Perm.PLAN_EDIT)
@require_POST
def plan_sign_view(request: PortalRequest, pk: int) -> HttpResponse:
    def said(plan: BusinessPlan) -> str:
        if plan.status == BusinessPlan.Status.SIGNED:
            return _("Signed. The plan is signed by both sides and in force.")
        return _("Signed for your side. The plan waits for the other side's signature.")

    plan = get_plan_for_membership_or_404(request.membership, pk)
    return run_action(
        request,
        lambda: plan_sign(plan=plan, acting_membership=request.membership),
        success=said,
        redirect_to=_detail_url(plan.pk),
    )


@portal_view(Perm.PLAN_EDIT)
@require_POST
def plan_reopen_view(request: PortalRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_membership_or_404(request.membership, pk)
    form = ReasonForm(request.POST)
    return run_action(
        request,
        lambda: plan_reopen(
            plan=plan, acting_membership=request.membership, reason=form.cleaned_data["reason"]
        ),
        form=form,
        invalid=_("Say why the plan is reopened."),
        success=_("The plan is a draft again; the signatures are cleared."),
        redirect_to=_detail_url(plan.pk),
    )


@portal_view(Perm.PLAN_EDIT)
@require_POST
def plan_initiative_add_view(request: PortalRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_membership_or_404(request.membership, pk)
    form = PlanInitiativeForm(request.POST, owners=plan_people(plan))
    return run_action(
        request,
        lambda: plan_initiative_add(
            plan=plan,
            acting_membership=request.membership,
            title=form.cleaned_data["title"],
            owner=form.cleaned_data["owner"],
            due_date=form.cleaned_data["due_date"],
        ),
        form=form,
        success=_("The initiative is added."),
        redirect_to=_detail_url(plan.pk),
    )


@portal_view(Perm.PLAN_EDIT)
@require_POST
def plan_initiative_status_view(request: PortalRequest, pk: int) -> HttpResponse:
    initiative = get_initiative_for_membership_or_404(request.membership, pk)
    form = PlanInitiativeStatusForm(request.POST)
    return run_action(
        request,
        lambda: plan_initiative_set_status(
            initiative=initiative, acting_membership=request.membership, status=form.cleaned_data["status"]
        ),
        form=form,
        invalid=_("Choose open or done."),
        success=_("The initiative is updated."),
        redirect_to=_detail_url(initiative.plan_id),
    )


@portal_view(Perm.PLAN_EDIT)
@require_POST
def plan_comment_view(request: PortalRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_membership_or_404(request.membership, pk)
    form = PlanCommentForm(request.POST)
    return run_action(
        request,
        lambda: plan_comment_add(
            plan=plan, acting_membership=request.membership, text=form.cleaned_data["text"]
        ),
        form=form,
        invalid=_("Write a comment."),
        success=_("The comment is added."),
        redirect_to=_detail_url(plan.pk),
    )
