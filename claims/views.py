"""Portal pages of ship-and-debit: agreements (back office and partner view), claims (submit by
file or lines, progress, verdicts, override, approve, response file)."""

from __future__ import annotations

from itertools import zip_longest
from typing import cast

from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from claims import selectors
from claims.codes import BY_CODE, CODES, explain
from claims.forms import (
    AgreementForm,
    AgreementLineFormSet,
    CancelForm,
    ClaimFileForm,
    ClaimHeaderForm,
    ClaimLineFormSet,
    ClaimSettingsForm,
    LineFilterForm,
    OverrideForm,
    line_initial,
)
from claims.list_reports import claim_list_filters, claim_list_queryset
from claims.models import Claim, ClaimLine, PricingAgreement
from claims.reports import CLAIM_REPORTS, rejection_chart
from claims.services.agreements import (
    AgreementTerms,
    LineTerms,
    agreement_amend,
    agreement_cancel,
    agreement_create,
)
from claims.services.claims import claim_approve, claim_line_override, claim_submit
from claims.services.settings import claim_settings_update
from partners.models import Partner
from partners.selectors import partners_for_membership, signed_agreement_required
from prm.access import portal_view
from prm.actions import run_action
from prm.exports import export_response
from prm.finance.selectors import payables_for_membership
from prm.http import PortalRequest
from prm.reports import report_download
from prm.roles import Perm, membership_has
from prm.views import paginate
from prm.workflow import DomainError

# --- Agreements ------------------------------------------------------------------------------------------


@portal_view(Perm.SPA_VIEW)
def agreement_list(request: PortalRequest) -> HttpResponse:
    qs = selectors.agreements_for_membership(request.membership)
    status = request.GET.get("status", "")
    if status in PricingAgreement.Status.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "claims/agreements.html",
        {
            "page": paginate(request, qs),
            "status": status,
            "statuses": PricingAgreement.Status.choices,
            "can_manage": membership_has(request.membership, Perm.SPA_MANAGE),
        },
    )


@portal_view(Perm.SPA_VIEW)
def agreement_detail(request: PortalRequest, pk: int) -> HttpResponse:
    agreement = selectors.get_agreement_for_membership_or_404(request.membership, pk)
    return render(
        request,
        "claims/agreement_detail.html",
        {
            "agreement": agreement,
            "lines": selectors.agreement_lines(agreement),
            "versions": agreement.versions.select_related("created_by"),
            "can_manage": membership_has(request.membership, Perm.SPA_MANAGE),
            "cancel_form": CancelForm(),
        },
    )


def _terms(form: AgreementForm, lines) -> AgreementTerms | None:
    if not (form.is_valid() and lines.is_valid()):
        return None
    rows = [f.cleaned_data for f in lines.forms if f.cleaned_data.get("product") is not None]
    return AgreementTerms(
        end_customer=form.cleaned_data["end_customer"],
        start_date=form.cleaned_data["start_date"],
        end_date=form.cleaned_data["end_date"],
        lines=[
            LineTerms(
                product=row["product"],
                book_cost=row["book_cost"],
                approved_cost=row["approved_cost"],
                authorized_quantity=row["authorized_quantity"],
                max_resale_price=row.get("max_resale_price"),
            )
            for row in rows
        ],
    )


def _registration_id(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def _deal_reference(request: PortalRequest, form: AgreementForm) -> str | None:
    """The reference of the registration the form was pre-filled from ("" for none), checked
    again: still approved, visible to the member, same distributor. None: refused (form error)."""
    registration_id = form.cleaned_data.get("registration")
    if not registration_id:
        return ""
    prefill = selectors.agreement_prefill(request.membership, registration_id)
    if prefill is None:
        form.add_error(None, _("The deal registration is no longer approved or not yours to use."))
        return None
    if form.cleaned_data["partner"].pk != prefill.partner.pk:
        form.add_error(
            "partner",
            _("An agreement started from %(ref)s is for its distributor, %(partner)s.")
            % {"ref": prefill.registration.reference, "partner": prefill.partner.code},
        )
        return None
    return prefill.registration.reference


@portal_view(Perm.SPA_MANAGE)
@require_http_methods(["GET", "POST"])
def agreement_new(request: PortalRequest) -> HttpResponse:
    """A new agreement, optionally pre-filled from an approved deal registration of the
    distributor and end customer (``?registration=<id>``)."""
    partners = partners_for_membership(request.membership)
    prefill = None
    if request.method == "POST":
        form = AgreementForm(request.POST, partners_qs=partners)
        lines = AgreementLineFormSet(request.POST, prefix="lines")
        terms = _terms(form, lines)
        reference = _deal_reference(request, form) if terms is not None else None
        if terms is not None and reference is not None:
            try:
                agreement = agreement_create(
                    number=form.cleaned_data["number"],
                    partner=form.cleaned_data["partner"],
                    terms=terms,
                    acting_membership=request.membership,
                    deal_reference=reference,
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Agreement %(n)s created.") % {"n": agreement.number})
                return redirect("claims:agreement_detail", pk=agreement.pk)
    else:
        registration_id = _registration_id(request.GET.get("registration"))
        prefill = (
            selectors.agreement_prefill(request.membership, registration_id) if registration_id else None
        )
        form = AgreementForm(initial=prefill.initial if prefill else None, partners_qs=partners)
        lines = AgreementLineFormSet(prefix="lines", initial=prefill.lines if prefill else None)
    hints = prefill.hints if prefill else []
    return render(
        request,
        "claims/agreement_form.html",
        {
            "form": form,
            "lines": lines,
            "rows": list(zip_longest(lines.forms, hints[: len(lines.forms)], fillvalue="")),
            "agreement": None,
            "prefill": prefill,
            "prefill_missing": bool(request.GET.get("registration")) and prefill is None,
            "registrations": selectors.deal_prefills_for_membership(request.membership),
        },
    )


@portal_view(Perm.SPA_MANAGE)
@require_http_methods(["GET", "POST"])
def agreement_amend_view(request: PortalRequest, pk: int) -> HttpResponse:
    agreement = selectors.get_agreement_for_membership_or_404(request.membership, pk)
    partners = partners_for_membership(request.membership)
    if request.method == "POST":
        form = AgreementForm(request.POST, partners_qs=partners, amend=True)
        lines = AgreementLineFormSet(request.POST, prefix="lines")
        terms = _terms(form, lines)
        if terms is not None:
            try:
                agreement_amend(
                    agreement=agreement,
                    terms=terms,
                    acting_membership=request.membership,
                    note=request.POST.get("note", "")[:1000],
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Agreement %(n)s amended.") % {"n": agreement.number})
                return redirect("claims:agreement_detail", pk=agreement.pk)
    else:
        form = AgreementForm(
            initial={
                "end_customer": agreement.end_customer,
                "start_date": agreement.start_date,
                "end_date": agreement.end_date,
            },
            partners_qs=partners,
            amend=True,
        )
        lines = AgreementLineFormSet(
            prefix="lines",
            initial=[
                {
                    "sku": line.product.sku,
                    "book_cost": line.book_cost,
                    "approved_cost": line.approved_cost,
                    "authorized_quantity": line.authorized_quantity,
                    "max_resale_price": line.max_resale_price,
                }
                for line in selectors.agreement_lines(agreement)
            ],
        )
    return render(
        request,
        "claims/agreement_form.html",
        {"form": form, "lines": lines, "rows": [(f, "") for f in lines.forms], "agreement": agreement},
    )


@portal_view(Perm.SPA_MANAGE)
@require_POST
def agreement_cancel_view(request: PortalRequest, pk: int) -> HttpResponse:
    agreement = selectors.get_agreement_for_membership_or_404(request.membership, pk)
    form = CancelForm(request.POST)
    return run_action(
        request,
        lambda: agreement_cancel(
            agreement=agreement, acting_membership=request.membership, reason=form.cleaned_data["reason"]
        ),
        form=form,
        invalid=_("Say why the agreement is cancelled."),
        success=_("Agreement %(n)s cancelled.") % {"n": agreement.number},
        redirect_to=reverse("claims:agreement_detail", kwargs={"pk": agreement.pk}),
    )


# --- Claims ----------------------------------------------------------------------------------------------


@portal_view(Perm.CLAIM_VIEW)
def claim_list(request: PortalRequest) -> HttpResponse:
    qs = claim_list_queryset(request.membership, request.GET)
    filters = claim_list_filters(request.GET)
    return render(
        request,
        "claims/list.html",
        {
            "page": paginate(request, qs),
            "status": filters["status"],
            "partner": filters["partner"],
            "statuses": Claim.Status.choices,
            "can_submit": membership_has(request.membership, Perm.CLAIM_SUBMIT),
        },
    )


@portal_view(Perm.CLAIM_SUBMIT)
@signed_agreement_required
@require_http_methods(["GET", "POST"])
def claim_new(request: PortalRequest) -> HttpResponse:
    form = ClaimFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            claim = claim_submit(
                partner=cast(Partner, request.membership.partner),
                number=data["number"],
                claim_date=data["claim_date"],
                file=data["file"],
                original_name=data["file"].name,
                acting_membership=request.membership,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("claims:detail", pk=claim.pk)
    return render(request, "claims/new.html", {"form": form})


@portal_view(Perm.CLAIM_SUBMIT)
@signed_agreement_required
@require_http_methods(["GET", "POST"])
def claim_enter(request: PortalRequest) -> HttpResponse:
    """Enter lines in the portal; ``?resubmit=<id>&resubmit=<id>`` starts from rejected lines."""
    header = ClaimHeaderForm(request.POST or None)
    if request.method == "POST":
        lines = ClaimLineFormSet(request.POST, prefix="lines")
        if header.is_valid() and lines.is_valid():
            try:
                claim = claim_submit(
                    partner=cast(Partner, request.membership.partner),
                    number=header.cleaned_data["number"],
                    claim_date=header.cleaned_data["claim_date"],
                    lines=[form.line() for form in lines.forms],
                    acting_membership=request.membership,
                )
            except DomainError as exc:
                header.add_error(None, str(exc))
            else:
                return redirect("claims:detail", pk=claim.pk)
    else:
        ids = [int(v) for v in request.GET.getlist("resubmit") if v.isdigit()]
        originals = selectors.rejected_lines_for_resubmission(request.membership, ids)
        initial = [line_initial(line) for line in originals]
        lines = ClaimLineFormSet(prefix="lines", initial=initial)
    return render(request, "claims/enter.html", {"header": header, "lines": lines})


@portal_view(Perm.CLAIM_VIEW)
def claim_detail(request: PortalRequest, pk: int) -> HttpResponse:
    claim = selectors.get_claim_for_membership_or_404(request.membership, pk)
    flt = LineFilterForm(request.GET or None)
    lines = selectors.claim_lines(claim)
    code = status = ""
    if flt.is_valid():
        code = flt.cleaned_data["code"].strip().upper()
        status = flt.cleaned_data["status"]
        if code:
            lines = lines.filter(codes__contains=[code])
        if status:
            lines = lines.filter(status=status)
    page = paginate(request, lines)
    can_review = (
        membership_has(request.membership, Perm.CLAIM_REVIEW) and claim.status == Claim.Status.IN_REVIEW
    )
    return render(
        request,
        "claims/detail.html",
        {
            "claim": claim,
            "page": page,
            "codes": CODES,
            "code": code,
            "status": status,
            "line_statuses": ClaimLine.Status.choices,
            "explanations": {c.code: str(c.explanation) for c in CODES},
            "can_review": can_review,
            "can_resubmit": membership_has(request.membership, Perm.CLAIM_SUBMIT),
            "override_form": OverrideForm(),
            "payable_visible": claim.payable_id is not None
            and payables_for_membership(request.membership).filter(pk=claim.payable_id).exists(),
        },
    )


@portal_view(Perm.CLAIM_REVIEW)
@require_POST
def claim_line_override_view(request: PortalRequest, pk: int) -> HttpResponse:
    line = selectors.get_claim_line_for_membership_or_404(request.membership, pk)
    form = OverrideForm(request.POST)
    return run_action(
        request,
        lambda: claim_line_override(
            line=line,
            acting_membership=request.membership,
            accept=form.cleaned_data["verdict"] == "accept",
            accepted_quantity=form.cleaned_data.get("accepted_quantity"),
            reason=form.cleaned_data["reason"],
        ),
        form=form,
        invalid=_("Choose a verdict and give a reason."),
        error_message=lambda exc: _("Line %(n)d: %(e)s") % {"n": line.line, "e": exc},
        success=_("Line %(n)d overridden.") % {"n": line.line},
        redirect_to=reverse("claims:detail", kwargs={"pk": line.claim_id}),
    )


@portal_view(Perm.CLAIM_REVIEW)
@require_POST
def claim_approve_view(request: PortalRequest, pk: int) -> HttpResponse:
    claim = selectors.get_claim_for_membership_or_404(request.membership, pk)
    return run_action(
        request,
        lambda: claim_approve(claim=claim, acting_membership=request.membership),
        success=_("Claim %(n)s approved.") % {"n": claim.number},
        redirect_to=reverse("claims:detail", kwargs={"pk": claim.pk}),
    )


RESPONSE_HEADERS = [
    "claim_number",
    "line",
    "agreement_number",
    "invoice_number",
    "invoice_line",
    "sku",
    "status",
    "accepted_quantity",
    "amount",
    "currency",
    "code",
    "x12_901",
    "explanation",
]


@portal_view(Perm.CLAIM_VIEW)
def claim_response(request: PortalRequest, pk: int) -> HttpResponseBase:
    """The verdicts as a file: one row per line and code (a line without codes: one row), each
    of our codes with its X12 element 901 code, for an EDI 849 response."""
    claim = selectors.get_claim_for_membership_or_404(request.membership, pk)
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"

    def rows():
        for line in selectors.lines_in_order(claim).iterator(chunk_size=5000):
            base = [
                claim.number,
                line.line,
                line.agreement_number,
                line.invoice_number,
                line.invoice_line,
                line.sku,
                line.status,
                line.accepted_quantity,
                line.amount,
                claim.currency,
            ]
            if not line.codes:
                yield [*base, "", "", ""]
            for code in line.codes:
                known = BY_CODE.get(code)
                yield [*base, code, known.x12 if known else "", explain(code)]

    return export_response(f"claim-{claim.pk}-response.{fmt}", RESPONSE_HEADERS, rows())


# --- Settings -------------------------------------------------------------------------------------------


@portal_view(Perm.CLAIM_SETTINGS)
@require_http_methods(["GET", "POST"])
def claim_settings_view(request: PortalRequest) -> HttpResponse:
    """The claim window and the payment term of approved claims (vendor admin)."""
    form = ClaimSettingsForm(request.POST or None, instance=selectors.claim_settings())
    if request.method == "POST" and form.is_valid():
        try:
            claim_settings_update(
                acting_membership=request.membership,
                claim_window_days=form.cleaned_data["claim_window_days"],
                payment_term_days=form.cleaned_data["payment_term_days"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Claim settings saved."))
            return redirect("claims:settings")
    return render(request, "claims/settings.html", {"form": form})


# --- Reports ---------------------------------------------------------------------------------------------


@portal_view(Perm.CLAIM_REPORTS)
def reports(request: PortalRequest) -> HttpResponseBase:

    tables = CLAIM_REPORTS.tables(request.membership, request.GET)
    download = report_download(request, tables, prefix="claims")
    if download is not None:
        return download
    built = {key: build() for key, build in tables.items()}
    return render(
        request,
        "claims/reports.html",
        {"reports": list(built.values()), "chart": rejection_chart(built["rejections"])},
    )
