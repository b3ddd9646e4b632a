"""Partner-facing registration pages: my registrations, the register form (look-up, autosave,
submit), the registration page with its next actions, files, extensions, won/lost."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from deals.forms import (
    AttachmentForm,
    CoSellAssignForm,
    CoSellEntryForm,
    CoSellRequestForm,
    ExtensionRequestForm,
    LineForm,
    LineFormSet,
    LostForm,
    RegistrationForm,
    WonForm,
)
from deals.list_reports import registration_list_queryset
from deals.models import DealRegistration, DealSettings
from deals.selectors import (
    PIPELINE_EXPORT_HEADERS,
    attachments_for,
    conflict_summary_for_partner,
    cosell_timelines,
    customers_for_membership,
    get_attachment_for_membership_or_404,
    get_registration_for_membership_or_404,
    get_visible_registration_for_membership_or_404,
    missing_for_submit,
    pipeline_export_rows,
    product_lines,
    registration_history,
)
from deals.services.attachments import attachment_add
from deals.services.cosell import OPEN_DEAL as COSELL_OPEN_DEAL
from deals.services.drafts import registration_create, registration_update_draft
from deals.services.extensions import extension_request
from deals.services.outcome import registration_mark_lost, registration_mark_won
from deals.services.submission import registration_add_lines, registration_submit
from partners.selectors import partners_for_membership
from prm.access import portal_view
from prm.actions import form_errors, run_action
from prm.exports import export_response
from prm.files import file_download
from prm.http import PortalRequest
from prm.lib.money import quantize_money
from prm.roles import Perm, membership_has
from prm.views import paginate
from prm.workflow import DomainError

S = DealRegistration.Status
HISTORY_ON_PAGE = 50  # audit events on a registration's page


def _require_register(request: PortalRequest) -> None:
    if not membership_has(request.membership, Perm.DEAL_REGISTER):
        raise PermissionDenied


def _lines_currency(request: PortalRequest, registration: DealRegistration | None) -> str:
    """The currency the line values are typed in: the one posted with them, else the registration's."""
    posted = (request.POST.get("currency") or "").strip().upper()
    if len(posted) == 3 and posted.isalpha():
        return posted
    return registration.currency if registration and registration.currency else request.tenant.base_currency


def _formset(request: PortalRequest, registration: DealRegistration | None):
    currency = _lines_currency(request, registration)
    if request.method == "POST":
        return LineFormSet(request.POST, prefix="lines", form_kwargs={"currency": currency})
    initial = (
        [
            {
                "product_line": x.product_line,
                "quantity": x.quantity,
                "value": quantize_money(x.value, currency),
            }
            for x in registration.lines.all()
        ]
        if registration
        else []
    )
    initial += [{"quantity": 1}] * (1 if initial else 2)
    return LineFormSet(initial=initial, prefix="lines", form_kwargs={"currency": currency})


def _lines_of(formset) -> list[dict] | None:
    lines = []
    for form in formset.forms:
        if form.is_valid():
            line = form.line()
            if line:
                lines.append(line)
    return lines


@portal_view(Perm.DEAL_VIEW)
@require_GET
def registration_list(request: PortalRequest) -> HttpResponseBase:
    """Partners: their registrations with status, protection left and next actions. Vendor staff:
    the pipeline with filters and export."""
    membership = request.membership
    qs = registration_list_queryset(membership, request.GET)
    export = request.GET.get("export")
    if export in {"csv", "xlsx"} and membership.is_staff_member:
        stamp = timezone.localdate().isoformat()
        return export_response(
            f"deal-pipeline-{stamp}.{export}", PIPELINE_EXPORT_HEADERS, pipeline_export_rows(qs)
        )
    context = {
        "page": paginate(request, qs),
        "filters": request.GET,
        "statuses": S.choices,
        "product_lines": product_lines(),
        "partners": partners_for_membership(membership).only("pk", "code", "name")
        if membership.is_staff_member
        else [],
        "can_register": membership_has(membership, Perm.DEAL_REGISTER),
        "today": timezone.localdate(),
    }
    template = "deals/_registration_table.html" if request.htmx else "deals/list.html"
    return render(request, template, context)


@portal_view(Perm.DEAL_REGISTER)
@require_http_methods(["GET", "POST"])
def registration_new(request: PortalRequest) -> HttpResponseBase:
    """A new registration: saved as a draft first (then the form autosaves), or submitted at once."""
    form = RegistrationForm(request.POST or None, initial={"currency": request.tenant.base_currency})
    formset = _formset(request, None)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            registration = registration_create(
                acting_membership=request.membership, data=form.cleaned_data, lines=_lines_of(formset) or []
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            if request.POST.get("action") == "submit":
                return _submit_and_redirect(request, registration)
            messages.success(request, _("Draft saved."))
            return redirect("deals:edit", pk=registration.pk)
    return render(
        request,
        "deals/form.html",
        {"form": form, "formset": formset, "registration": None, "deal_policy": _deal_policy()},
    )


def _deal_policy() -> DealSettings:
    """The guidelines and eligibility rules the partner reads above the form (read, never created)."""
    return DealSettings.objects.first() or DealSettings()


def _submit_and_redirect(request: PortalRequest, registration: DealRegistration) -> HttpResponse:
    return run_action(
        request,
        lambda: registration_submit(registration=registration, acting_membership=request.membership),
        success=_submitted,
        redirect_to=_detail_url(registration),
        error_redirect_to=reverse("deals:edit", kwargs={"pk": registration.pk}),
    )


def _submitted(registration: DealRegistration) -> tuple[int, str]:
    if registration.conflict_flag == DealRegistration.ConflictFlag.EXACT:
        return messages.WARNING, _(
            "Submitted. Another registration for this customer and product line came first: "
            "a reviewer will decide."
        )
    return messages.SUCCESS, _("Submitted for review.")


def _detail_url(registration: DealRegistration) -> str:
    return reverse("deals:detail", kwargs={"pk": registration.pk})


@portal_view(Perm.DEAL_VIEW)
@require_http_methods(["GET", "POST"])
def registration_edit(request: PortalRequest, pk: int) -> HttpResponseBase:
    registration = get_registration_for_membership_or_404(request.membership, pk)
    _require_register(request)
    if registration.status not in DealRegistration.EDITABLE:
        messages.info(request, _("This registration can no longer be edited."))
        return redirect("deals:detail", pk=registration.pk)
    form = RegistrationForm(request.POST or None, instance=None, initial=_initial(registration))
    formset = _formset(request, registration)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            registration_update_draft(
                registration=registration,
                acting_membership=request.membership,
                data=form.cleaned_data,
                lines=_lines_of(formset),
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            if request.POST.get("action") == "submit":
                return _submit_and_redirect(request, registration)
            messages.success(request, _("Draft saved."))
            return redirect("deals:edit", pk=registration.pk)
    return render(
        request,
        "deals/form.html",
        {
            "form": form,
            "formset": formset,
            "registration": registration,
            "missing": missing_for_submit(registration),
            "deal_policy": _deal_policy(),
        },
    )


def _initial(registration: DealRegistration) -> dict:
    return {name: getattr(registration, name) for name in RegistrationForm.Meta.fields}


@portal_view(Perm.DEAL_VIEW)
@require_POST
def registration_autosave(request: PortalRequest, pk: int) -> HttpResponse:
    """htmx: save the draft as the partner types; answers with a small status line."""
    registration = get_registration_for_membership_or_404(request.membership, pk)
    _require_register(request)
    form = RegistrationForm(request.POST)
    formset = LineFormSet(
        request.POST, prefix="lines", form_kwargs={"currency": _lines_currency(request, registration)}
    )
    form.is_valid()
    data = {k: v for k, v in form.cleaned_data.items() if k not in form.errors}
    try:
        registration_update_draft(
            registration=registration,
            acting_membership=request.membership,
            data=data,
            lines=_lines_of(formset) if formset.is_valid() else None,
        )
    except DomainError as exc:
        return render(request, "deals/_autosave.html", {"error": str(exc)})
    return render(
        request,
        "deals/_autosave.html",
        {
            "saved_at": timezone.localtime(),
            "errors": form.errors,
            "missing": missing_for_submit(registration),
        },
    )


@portal_view(Perm.DEAL_VIEW)
@require_GET
def customer_lookup(request: PortalRequest) -> HttpResponse:
    """htmx: this partner's existing end customers matching what was typed."""
    query = (request.GET.get("customer_name") or request.GET.get("q") or "").strip()
    customers = list(customers_for_membership(request.membership, query)[:8]) if len(query) >= 2 else []
    return render(request, "deals/_customer_suggestions.html", {"customers": customers, "query": query})


@portal_view(Perm.DEAL_VIEW)
@require_GET
def customer_fill(request: PortalRequest, pk: int) -> HttpResponse:
    """htmx: the customer fields of the form, filled from one of the partner's customers."""
    customer = get_object_or_404(customers_for_membership(request.membership), pk=pk)
    form = RegistrationForm(
        initial={
            "customer_name": customer.legal_name,
            "customer_domain": customer.domain,
            "country": customer.country,
            "address": customer.address,
            "contact_name": customer.contact_name,
            "contact_email": customer.contact_email,
            "contact_phone": customer.contact_phone,
        }
    )
    return render(request, "deals/_customer_fields.html", {"form": form, "oob": True})


@portal_view(Perm.DEAL_VIEW)
@require_GET
def registration_detail(request: PortalRequest, pk: int) -> HttpResponse:
    membership = request.membership
    registration = get_visible_registration_for_membership_or_404(membership, pk)
    if membership.is_partner and registration.partner_id != membership.partner_id:
        # A two-tier deal shared with the member's distributor: read only, what it needs to know.
        return render(
            request,
            "deals/shared_detail.html",
            {
                "r": registration,
                "lines": list(registration.lines.all()),
                "cosell_requests": cosell_timelines(registration, membership),
            },
        )
    is_owner = membership.is_partner and membership_has(membership, Perm.DEAL_REGISTER)
    settings = DealSettings.current()
    extensions = list(registration.extensions.select_related("requested_by", "decided_by"))
    attachments = list(attachments_for(registration))
    used = sum(1 for e in extensions if e.status != e.Status.REFUSED)
    # The registration's own history, for the vendor's staff (events may name other partners'
    # registrations in a conflict: the partner learns only that a conflict exists).
    history = (
        list(
            registration_history(
                registration,
                extension_ids=[e.pk for e in extensions],
                attachment_ids=[a.pk for a in attachments],
            )[:HISTORY_ON_PAGE]
        )
        if membership.is_staff_member
        else None
    )
    cosell_requests = cosell_timelines(registration, membership)
    reviewer = membership.is_staff_member and membership_has(membership, Perm.DEAL_REVIEW)
    # The vendor parties hand a request to a colleague: its reviewers, and its assignee (the
    # territory's owner) whatever their role.
    assignable = [
        c.pk
        for c in cosell_requests
        if membership.is_staff_member and (reviewer or c.assignee_id == membership.user_id)
    ]
    context = {
        "r": registration,
        "lines": list(registration.lines.all()),
        "attachments": attachments,
        "extensions": extensions,
        "history": history,
        "conflict": conflict_summary_for_partner(registration),
        "is_owner": is_owner,
        "is_reviewer": membership_has(membership, Perm.DEAL_REVIEW),
        "can_extend": is_owner and registration.status == S.APPROVED and used < settings.max_extensions,
        "can_close": registration.status == S.APPROVED
        and (is_owner or membership_has(membership, Perm.DEAL_REVIEW)),
        "missing": missing_for_submit(registration)
        if registration.status in DealRegistration.EDITABLE
        else [],
        "won_form": WonForm(
            currency=registration.currency,
            initial={
                "closed_value": quantize_money(registration.value, registration.currency),
                "closed_on": timezone.localdate(),
            },
        ),
        "lost_form": LostForm(),
        "extension_form": ExtensionRequestForm(),
        "attachment_form": AttachmentForm(),
        "line_form": LineForm(currency=registration.currency),
        "cosell_requests": cosell_requests,
        "cosell_request_form": CoSellRequestForm(),
        "cosell_entry_form": CoSellEntryForm(),
        "cosell_assign_form": CoSellAssignForm(partner_id=registration.partner_id) if assignable else None,
        "cosell_assignable": assignable,
        "can_request_cosell": is_owner and registration.status in COSELL_OPEN_DEAL,
    }
    return render(request, "deals/detail.html", context)


@portal_view(Perm.DEAL_VIEW)
@require_POST
def registration_submit_view(request: PortalRequest, pk: int) -> HttpResponse:
    registration = get_registration_for_membership_or_404(request.membership, pk)
    _require_register(request)
    return _submit_and_redirect(request, registration)


@portal_view(Perm.DEAL_VIEW)
@require_POST
def registration_add_line_view(request: PortalRequest, pk: int) -> HttpResponse:
    registration = get_registration_for_membership_or_404(request.membership, pk)
    _require_register(request)
    form = LineForm(request.POST, currency=registration.currency)
    incomplete = _("Choose a product line, a quantity and a value.")

    def add():
        line = form.line()
        if not line:
            raise DomainError(incomplete)
        return registration_add_lines(
            registration=registration, acting_membership=request.membership, lines=[line]
        )

    return run_action(
        request,
        add,
        form=form,
        invalid=lambda f: form_errors(f) or incomplete,
        success=_line_added,
        redirect_to=_detail_url(registration),
    )


def _line_added(conflicts) -> tuple[int, str]:
    if any(c.kind == c.Kind.EXACT for c in conflicts):
        return messages.WARNING, _(
            "Line added. It conflicts with an earlier registration; a reviewer will look at it."
        )
    return messages.SUCCESS, _("Line added.")


@portal_view(Perm.DEAL_VIEW)
@require_POST
def attachment_upload(request: PortalRequest, pk: int) -> HttpResponse:
    registration = get_registration_for_membership_or_404(request.membership, pk)
    _require_register(request)
    form = AttachmentForm(request.POST, request.FILES)
    return run_action(
        request,
        lambda: attachment_add(
            registration=registration, acting_membership=request.membership, upload=form.cleaned_data["file"]
        ),
        form=form,
        invalid=_("Choose a file to attach."),
        success=_("File attached."),
        redirect_to=_detail_url(registration),
    )


@portal_view(Perm.DEAL_VIEW)
@require_GET
def attachment_download(request: PortalRequest, pk: int, attachment_pk: int) -> HttpResponseBase:
    """Files are served only through this permission-checked view, never from a public URL."""
    attachment = get_attachment_for_membership_or_404(request.membership, pk, attachment_pk)
    return file_download(attachment.path, filename=attachment.filename, content_type=attachment.content_type)


@portal_view(Perm.DEAL_VIEW)
@require_POST
def extension_request_view(request: PortalRequest, pk: int) -> HttpResponse:
    registration = get_registration_for_membership_or_404(request.membership, pk)
    _require_register(request)
    form = ExtensionRequestForm(request.POST)
    return run_action(
        request,
        lambda: extension_request(
            registration=registration,
            acting_membership=request.membership,
            reason=form.cleaned_data["reason"],
        ),
        form=form,
        invalid=_("Say why you need more time."),
        success=_("Extension requested."),
        redirect_to=_detail_url(registration),
    )


def _require_may_close(request: PortalRequest) -> None:
    """Reporting won or lost: the registering partner or a reviewer."""
    if not (
        membership_has(request.membership, Perm.DEAL_REGISTER)
        or membership_has(request.membership, Perm.DEAL_REVIEW)
    ):
        raise PermissionDenied


@portal_view(Perm.DEAL_VIEW)
@require_POST
def registration_won(request: PortalRequest, pk: int) -> HttpResponse:
    registration = get_registration_for_membership_or_404(request.membership, pk)
    _require_may_close(request)
    form = WonForm(request.POST, currency=registration.currency)
    return run_action(
        request,
        lambda: registration_mark_won(
            registration=registration,
            acting_membership=request.membership,
            closed_value=form.cleaned_data["closed_value"],
            closed_on=form.cleaned_data["closed_on"],
        ),
        form=form,
        invalid=lambda f: form_errors(f) or _("Enter the closed value and date."),
        success=_("Congratulations: the deal is recorded as won."),
        redirect_to=_detail_url(registration),
    )


@portal_view(Perm.DEAL_VIEW)
@require_POST
def registration_lost(request: PortalRequest, pk: int) -> HttpResponse:
    registration = get_registration_for_membership_or_404(request.membership, pk)
    _require_may_close(request)
    form = LostForm(request.POST)
    return run_action(
        request,
        lambda: registration_mark_lost(
            registration=registration,
            acting_membership=request.membership,
            reason=form.cleaned_data["reason"],
        ),
        form=form,
        invalid=_("Say why the deal was lost."),
        success=_("The deal is recorded as lost."),
        level=messages.INFO,
        redirect_to=_detail_url(registration),
    )
