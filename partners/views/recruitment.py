"""Recruitment: the public application form, the applicant's amend link, and the review queue."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from partners.forms import ApplicationForm, ApproveForm, InfoRequestForm, ReasonForm
from partners.models import PartnerApplication
from partners.selectors import (
    applications_for_review,
    get_application_by_amend_token_or_404,
    get_application_or_404,
)
from partners.services.applications import (
    RateLimited,
    application_amend,
    application_approve,
    application_rate_check,
    application_reject,
    application_request_info,
    application_submit,
)
from partners.views.common import client_ip
from prm.access import portal_view
from prm.actions import run_action
from prm.http import AnyRequest, PortalRequest
from prm.roles import Perm
from prm.views import paginate
from prm.workflow import DomainError


def _tenant_or_404(request: AnyRequest) -> None:
    if request.tenant is None:
        raise Http404


@require_http_methods(["GET", "POST"])
def apply(request: AnyRequest) -> HttpResponse:
    """Public (no sign-in): a company applies to join the partner program."""
    _tenant_or_404(request)
    form = ApplicationForm(request.POST or None)
    if request.method == "POST":
        try:
            application_rate_check(client_ip(request))
        except RateLimited as exc:
            form.is_valid()
            form.add_error(None, str(exc))
            return render(request, "partners/apply.html", {"form": form}, status=429)
        if form.is_bot:
            # Pretend success: a bot learns nothing; nothing is stored.
            return redirect("partners:apply_thanks")
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("fax_number", None)
            try:
                application_submit(data=data, ip=client_ip(request))
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("partners:apply_thanks")
    return render(request, "partners/apply.html", {"form": form})


def apply_thanks(request: AnyRequest) -> HttpResponse:
    _tenant_or_404(request)
    return render(request, "partners/apply_thanks.html")


@require_http_methods(["GET", "POST"])
def apply_amend(request: AnyRequest, token: str) -> HttpResponse:
    """Public single-use link: the applicant amends the application after an information request."""
    _tenant_or_404(request)
    application = get_application_by_amend_token_or_404(token)
    initial = {f: getattr(application, f) for f in ApplicationForm.base_fields if f != "fax_number"}
    form = ApplicationForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_bot:
            return redirect("partners:apply_thanks")
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("fax_number", None)
            try:
                application_amend(token=token, data=data)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("partners:apply_thanks")
    return render(request, "partners/apply.html", {"form": form, "application": application, "amend": True})


@portal_view(Perm.APPLICATION_REVIEW)
def application_list(request: PortalRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    qs = applications_for_review()
    if status == "open":
        qs = qs.filter(
            status__in=[PartnerApplication.Status.SUBMITTED, PartnerApplication.Status.INFO_REQUESTED]
        )
    elif status in PartnerApplication.Status.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "partners/applications.html",
        {"page": paginate(request, qs), "status": status, "statuses": PartnerApplication.Status.choices},
    )


@portal_view(Perm.APPLICATION_REVIEW)
def application_detail(request: PortalRequest, pk: int) -> HttpResponse:
    application = get_application_or_404(pk)
    duplicates = applications_for_review().filter(domain=application.domain).exclude(pk=application.pk)
    return render(
        request,
        "partners/application_detail.html",
        {
            "application": application,
            "duplicates": duplicates,
            "approve_form": ApproveForm(initial={"program": application.program_id}),
            "reject_form": ReasonForm(),
            "info_form": InfoRequestForm(),
        },
    )


@portal_view(Perm.APPLICATION_REVIEW)
@require_POST
def application_approve_view(request: PortalRequest, pk: int) -> HttpResponse:
    application = get_application_or_404(pk)
    form = ApproveForm(request.POST)
    return run_action(
        request,
        lambda: application_approve(
            application=application,
            acting_membership=request.membership,
            program=form.cleaned_data["program"],
            code=form.cleaned_data["code"],
        ),
        form=form,
        invalid=_("Check the program and the partner code."),
        success=lambda partner: (
            _("%(partner)s was created and its contact invited.") % {"partner": partner.name}
        ),
        redirect_to=lambda partner: reverse("partners:detail", kwargs={"pk": partner.pk}),
        error_redirect_to=_detail_url(pk),
    )


def _detail_url(pk: int) -> str:
    return reverse("partners:application_detail", kwargs={"pk": pk})


@portal_view(Perm.APPLICATION_REVIEW)
@require_POST
def application_reject_view(request: PortalRequest, pk: int) -> HttpResponse:
    application = get_application_or_404(pk)
    form = ReasonForm(request.POST)
    return run_action(
        request,
        lambda: application_reject(
            application=application, acting_membership=request.membership, reason=form.cleaned_data["reason"]
        ),
        form=form,
        invalid=_("Give the reason for the rejection."),
        success=_("The application was rejected and the applicant told why."),
        redirect_to=_detail_url(pk),
    )


@portal_view(Perm.APPLICATION_REVIEW)
@require_POST
def application_request_info_view(request: PortalRequest, pk: int) -> HttpResponse:
    application = get_application_or_404(pk)
    form = InfoRequestForm(request.POST)
    return run_action(
        request,
        lambda: application_request_info(
            application=application,
            acting_membership=request.membership,
            message=form.cleaned_data["message"],
        ),
        form=form,
        invalid=_("Say what information is missing."),
        success=_("The applicant received a link to amend the application."),
        redirect_to=_detail_url(pk),
    )
