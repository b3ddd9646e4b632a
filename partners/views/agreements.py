"""Programs, tiers and agreement templates (vendor side); signing the agreement (partner side)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partners.forms import AgreementTemplateForm, ProgramForm, SignForm, TierForm
from partners.models import Agreement, Kpi
from partners.pdf import MERGE_FIELD, merged_body_html
from partners.selectors import (
    agreement_signed,
    agreement_templates,
    current_agreement_template,
    get_agreement_for_membership_or_404,
    get_program_or_404,
    get_tier_or_404,
    programs,
)
from partners.services.agreements import (
    agreement_prepare,
    agreement_sign,
    agreement_template_create,
    agreement_template_publish,
)
from partners.services.programs import program_create, tier_update
from partners.views.common import client_ip, user_agent
from prm.access import portal_view
from prm.actions import run_action
from prm.files import file_download
from prm.http import PortalRequest
from prm.roles import Perm, membership_has
from prm.workflow import DomainError

# --- Programs and tiers -------------------------------------------------------------------------


@portal_view(Perm.PROGRAM_MANAGE)
@require_http_methods(["GET", "POST"])
def program_list(request: PortalRequest) -> HttpResponse:
    form = ProgramForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            program = program_create(acting_membership=request.membership, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Program created with the standard tiers and checklist."))
            return redirect("partners:program_detail", pk=program.pk)
    return render(request, "partners/programs.html", {"programs": programs(), "form": form})


@portal_view(Perm.PROGRAM_MANAGE)
def program_detail(request: PortalRequest, pk: int) -> HttpResponse:
    program = get_program_or_404(pk)
    return render(
        request,
        "partners/program_detail.html",
        {
            "program": program,
            "templates": agreement_templates().filter(program=program),
            "steps": program.onboarding_steps.all(),
            "current_template": current_agreement_template(program.pk),
        },
    )


@portal_view(Perm.PROGRAM_MANAGE)
@require_http_methods(["GET", "POST"])
def tier_edit(request: PortalRequest, pk: int) -> HttpResponse:
    tier = get_tier_or_404(pk)
    rules = {r.kpi: r.threshold for r in tier.requirements.all()}
    initial = {
        "registration_discount_pct": tier.registration_discount_pct,
        "mdf_eligible": tier.mdf_eligible,
        "rebate_eligible": tier.rebate_eligible,
        "lead_priority": tier.lead_priority,
        **{f"rule_{k}": v for k, v in rules.items()},
    }
    form = TierForm(request.POST or None, initial=initial, currency=request.tenant.base_currency)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new_rules: dict[str, Decimal | None] = {kpi.value: data.get(f"rule_{kpi.value}") for kpi in Kpi}
        try:
            tier_update(
                tier=tier,
                acting_membership=request.membership,
                rules=new_rules,
                registration_discount_pct=data["registration_discount_pct"],
                mdf_eligible=data["mdf_eligible"],
                rebate_eligible=data["rebate_eligible"],
                lead_priority=data["lead_priority"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Tier saved."))
            return redirect("partners:program_detail", pk=tier.program_id)
    return render(request, "partners/tier_edit.html", {"tier": tier, "form": form})


@portal_view(Perm.PROGRAM_MANAGE)
@require_http_methods(["GET", "POST"])
def template_new(request: PortalRequest, pk: int) -> HttpResponse:
    program = get_program_or_404(pk)
    current = current_agreement_template(program.pk)
    initial = {"title": current.title, "body": current.body} if current else {}
    form = AgreementTemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            template = agreement_template_create(
                program=program, acting_membership=request.membership, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error("body", str(exc))
        else:
            messages.success(request, _("Draft version %(v)s saved.") % {"v": template.version})
            return redirect("partners:template_detail", pk=template.pk)
    return render(request, "partners/template_form.html", {"program": program, "form": form})


@portal_view(Perm.PROGRAM_MANAGE)
def template_detail(request: PortalRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(agreement_templates(), pk=pk)
    sample = {name: f"[{name}]" for name in MERGE_FIELD.findall(template.body)}
    return render(
        request,
        "partners/template_detail.html",
        {"template": template, "preview": merged_body_html(template.body, sample)},
    )


@portal_view(Perm.PROGRAM_MANAGE)
@require_POST
def template_publish(request: PortalRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(agreement_templates(), pk=pk)
    return run_action(
        request,
        lambda: agreement_template_publish(template=template, acting_membership=request.membership),
        success=_("Version %(v)s is now the current agreement.") % {"v": template.version},
        redirect_to=reverse("partners:template_detail", kwargs={"pk": template.pk}),
    )


# --- Signing ------------------------------------------------------------------------------------


@portal_view(Perm.PARTNER_VIEW)
@require_GET
def agreement_current(request: PortalRequest) -> HttpResponse:
    """The partner's current agreement: read the PDF, then (partner admin) sign it. Reading the
    page writes nothing: the partner's copy is made by ``agreement_open`` (POST) the first time."""
    membership = request.membership
    partner = membership.partner
    if not membership.is_partner or partner is None:
        raise Http404
    template = current_agreement_template(partner.program_id)
    agreement = (
        Agreement.objects.filter(partner=partner, template=template).first() if template is not None else None
    )
    can_sign = membership_has(membership, Perm.AGREEMENT_SIGN)
    form = None
    if agreement is not None and agreement.status == Agreement.Status.PENDING and can_sign:
        form = SignForm(
            initial={"document_sha256": agreement.document_sha256, "signer_name": membership.user.full_name}
        )
    history = Agreement.objects.filter(partner=partner).select_related("template").order_by("-created_at")
    return render(
        request,
        "partners/agreement.html",
        {
            "partner": partner,
            "template": template,
            "agreement": agreement,
            "form": form,
            "can_sign": can_sign,
            "signed": agreement_signed(partner),
            "history": history,
        },
    )


@portal_view(Perm.PARTNER_VIEW)
@require_POST
def agreement_open(request: PortalRequest) -> HttpResponseBase:
    """Make the partner's copy of the current agreement (the exact PDF to read and sign)."""
    membership = request.membership
    partner = membership.partner
    if not membership.is_partner or partner is None:
        raise Http404
    return run_action(
        request,
        lambda: agreement_prepare(partner=partner, acting_membership=membership),
        redirect_to=reverse("partners:agreement_current"),
    )


@portal_view(Perm.PARTNER_VIEW)
@require_POST
def agreement_sign_view(request: PortalRequest, pk: int) -> HttpResponseBase:
    # Look the agreement up first: someone else's agreement answers 404 whatever the role.
    agreement = get_agreement_for_membership_or_404(request.membership, pk)
    if not membership_has(request.membership, Perm.AGREEMENT_SIGN):
        raise PermissionDenied
    form = SignForm(request.POST)
    return run_action(
        request,
        lambda: agreement_sign(
            agreement=agreement,
            acting_membership=request.membership,
            signer_name=form.cleaned_data["signer_name"],
            consent=form.cleaned_data["consent"],
            document_sha256=form.cleaned_data["document_sha256"],
            ip=client_ip(request),
            user_agent=user_agent(request),
        ),
        form=form,
        invalid=_("Type your full name and confirm your consent to sign."),
        success=_("Thank you: the agreement is signed. You can download the signed copy."),
        redirect_to="partners:agreement_current",
    )


@portal_view(Perm.PARTNER_VIEW)
def agreement_document(request: PortalRequest, pk: int) -> HttpResponseBase:
    agreement = get_agreement_for_membership_or_404(request.membership, pk)
    name = f"{agreement.partner.code}-agreement-v{agreement.template.version}.pdf"
    return file_download(agreement.document_path, filename=name, content_type="application/pdf")


@portal_view(Perm.PARTNER_VIEW)
def agreement_signed_pdf(request: PortalRequest, pk: int) -> HttpResponseBase:
    agreement = get_agreement_for_membership_or_404(request.membership, pk)
    if agreement.status != Agreement.Status.SIGNED:
        raise Http404
    name = f"{agreement.partner.code}-agreement-v{agreement.template.version}-signed.pdf"
    return file_download(agreement.signed_pdf_path, filename=name, content_type="application/pdf")
