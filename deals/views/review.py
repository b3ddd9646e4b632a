"""Vendor-side registration pages: review queue, side-by-side review with conflicts, decisions,
extension decisions, the pipeline dashboard, the deal reports and the deal settings."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from deals import report_pages, reports
from deals.forms import (
    ApproveForm,
    DealSettingsForm,
    ExtensionDecisionForm,
    InfoRequestForm,
    RejectForm,
)
from deals.list_reports import dashboard_figures, review_queue_queryset, review_scope
from deals.models import DealExtension, DealRegistration, DealSettings
from deals.policy import protection_days_for, registration_discount_for
from deals.selectors import (
    conflicted_by_for_review,
    conflicts_for_review,
    extensions_for_membership,
    get_extension_for_membership_or_404,
    get_registration_for_membership_or_404,
    pipeline_chart,
    product_lines,
)
from deals.services.extensions import extension_approve, extension_refuse
from deals.services.opportunities import deal_settings_update
from deals.services.review import (
    registration_approve,
    registration_reject,
    registration_request_info,
    registration_start_review,
)
from partners.models import Territory
from partners.selectors import partners_for_membership
from prm.access import portal_view
from prm.actions import run_action
from prm.http import PortalRequest
from prm.reports import report_download
from prm.roles import Perm
from prm.views import paginate
from prm.workflow import DomainError


@portal_view(Perm.DEAL_REVIEW)
@require_GET
def review_queue_view(request: PortalRequest) -> HttpResponse:
    scope = review_scope(request.GET)
    qs = review_queue_queryset(request.membership, request.GET)
    pending_extensions = extensions_for_membership(request.membership).filter(
        status=DealExtension.Status.PENDING
    )
    return render(
        request,
        "deals/review_queue.html",
        {
            "page": paginate(request, qs),
            "scope": scope,
            "has_territories": Territory.objects.exists(),
            "now": timezone.now(),
            "extensions": list(pending_extensions[:50]),
            "decision_form": ExtensionDecisionForm(),
        },
    )


@portal_view(Perm.DEAL_REVIEW)
@require_GET
def review(request: PortalRequest, pk: int) -> HttpResponse:
    """Both sides of every match next to each other, with the rule and score, and the decisions."""
    registration = get_registration_for_membership_or_404(request.membership, pk)
    conflicts = conflicts_for_review(registration, request.membership)
    return render(
        request,
        "deals/review.html",
        {
            "r": registration,
            "lines": list(registration.lines.all()),
            "conflicts": conflicts,
            "conflicted_by": conflicted_by_for_review(registration, request.membership),
            "approve_form": ApproveForm(
                initial={
                    "protection_days": protection_days_for(registration.partner),
                    "discount_pct": registration_discount_for(registration.partner),
                }
            ),
            "reject_form": RejectForm(),
            "info_form": InfoRequestForm(),
            "extensions": list(registration.extensions.select_related("requested_by")),
            "decision_form": ExtensionDecisionForm(),
            "now": timezone.now(),
        },
    )


def _decide(request: PortalRequest, pk: int, form_class, action) -> HttpResponse:
    registration = get_registration_for_membership_or_404(request.membership, pk)
    form = form_class(request.POST)
    return run_action(
        request,
        lambda: action(registration=registration, acting_membership=request.membership, **form.cleaned_data),
        form=form,
        invalid=lambda f: (
            _("Please complete the form: %(errors)s")
            % {"errors": "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in f.errors.items())}
        ),
        success=lambda decided: (
            _("%(ref)s: %(status)s.") % {"ref": decided.reference, "status": decided.get_status_display()}
        ),
        redirect_to="deals:review_queue",
        error_redirect_to=reverse("deals:review", kwargs={"pk": registration.pk}),
    )


@portal_view(Perm.DEAL_REVIEW)
@require_POST
def start_review(request: PortalRequest, pk: int) -> HttpResponse:
    registration = get_registration_for_membership_or_404(request.membership, pk)
    return run_action(
        request,
        lambda: registration_start_review(registration=registration, acting_membership=request.membership),
        redirect_to=reverse("deals:review", kwargs={"pk": registration.pk}),
    )


@portal_view(Perm.DEAL_REVIEW)
@require_POST
def approve(request: PortalRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, ApproveForm, registration_approve)


@portal_view(Perm.DEAL_REVIEW)
@require_POST
def reject(request: PortalRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, RejectForm, registration_reject)


@portal_view(Perm.DEAL_REVIEW)
@require_POST
def request_info(request: PortalRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, InfoRequestForm, registration_request_info)


@portal_view(Perm.DEAL_REVIEW)
@require_POST
def extension_decide(request: PortalRequest, pk: int) -> HttpResponse:
    extension = get_extension_for_membership_or_404(request.membership, pk)
    form = ExtensionDecisionForm(request.POST)

    def decide():
        service = extension_approve if form.cleaned_data["decision"] == "approve" else extension_refuse
        return service(
            extension=extension, acting_membership=request.membership, note=form.cleaned_data["note"]
        )

    return run_action(
        request,
        decide,
        form=form,
        invalid=_("Choose approve or refuse."),
        success=_("Extension decided."),
        redirect_to="deals:review_queue",
    )


@portal_view(Perm.DEAL_REVIEW)
@require_GET
def dashboard(request: PortalRequest) -> HttpResponse:
    figures = dashboard_figures(request.membership, request.GET)
    chart = pipeline_chart(
        figures,
        {
            "count": str(_("Registrations")),
            "value": str(_("Value (%(currency)s)") % {"currency": figures["currency"]}),
            "open": str(_("Open registrations")),
        },
    )
    return render(
        request,
        "deals/dashboard.html",
        {
            "figures": figures,
            "chart": chart,
            "filters": request.GET,
            "statuses": DealRegistration.Status.choices,
            "product_lines": product_lines(),
            "partners": partners_for_membership(request.membership).only("pk", "code", "name"),
            "currency": request.tenant.base_currency,
        },
    )


@portal_view(Perm.DEAL_REVIEW)
@require_GET
def reports_view(request: PortalRequest) -> HttpResponseBase:
    """Registrations, approvals and wins by month; lead acceptance and conversion per partner and
    source; each table as CSV or XLSX (``?export=<report>&format=csv|xlsx``)."""
    page = report_pages.deal_reports_page(request.membership, request.GET)
    tables = report_pages.page_tables(request.membership, page)
    download = report_download(request, tables, prefix="deals")
    if download is not None:
        return download
    built = {name: build() for name, build in tables.items()}
    form, start, end = page.form, page.flt.start, page.flt.end
    return render(
        request,
        "deals/reports.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "reports": list(built.values()),
            "chart": reports.monthly_chart(built["monthly"]),
        },
    )


@portal_view(Perm.DEAL_SETTINGS)
@require_http_methods(["GET", "POST"])
def settings_view(request: PortalRequest) -> HttpResponse:
    current = DealSettings.current()
    form = DealSettingsForm(request.POST or None, instance=current, currency=request.tenant.base_currency)
    if request.method == "POST" and form.is_valid():
        try:
            deal_settings_update(acting_membership=request.membership, data=form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Deal settings saved."))
            return redirect("deals:settings")
    return render(request, "deals/settings.html", {"form": form})
