"""Finance pages: exchange rates (list, enter, convert) and payables (list with totals per
currency and export, detail with the way back to the source, cancel)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from prm.access import portal_view
from prm.exports import export_response
from prm.finance import selectors
from prm.finance.forms import (
    PAYABLE_STATUS_CHOICES,
    ConvertForm,
    FinanceSettingsForm,
    FxRateForm,
    PayableCancelForm,
)
from prm.finance.models import Payable
from prm.finance.rates import MissingRate, convert
from prm.finance.registry import payable_source_kinds
from prm.finance.report_pages import payable_list_queryset
from prm.finance.services import finance_settings_update, fx_rate_create, payable_cancel
from prm.http import PortalRequest
from prm.roles import Perm, membership_has
from prm.scoping import partners_in_scope
from prm.views import paginate
from prm.workflow import DomainError


@portal_view(Perm.FX_RATE_MANAGE)
@require_http_methods(["GET", "POST"])
def rates(request: PortalRequest) -> HttpResponse:
    form = FxRateForm(request.POST or None, initial={"quote_currency": request.tenant.base_currency})
    if request.method == "POST" and form.is_valid():
        try:
            rate = fx_rate_create(acting_membership=request.membership, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Rate saved: %(rate)s") % {"rate": rate})
            return redirect("finance:rates")
    return render(
        request,
        "finance/rates.html",
        {
            "form": form,
            "page": paginate(request, selectors.fx_rates(request.GET)),
            "filters": request.GET,
            "currencies": selectors.fx_currencies(),
            "can_import": membership_has(request.membership, Perm.DATA_IMPORT),
        },
    )


@portal_view(Perm.FX_RATE_MANAGE)
@require_GET
def rate_convert(request: PortalRequest) -> HttpResponse:
    """Check a conversion: the amount, and the rate, date and source it used."""
    form = ConvertForm(
        request.GET or None,
        initial={"to_currency": request.tenant.base_currency, "day": timezone.localdate()},
    )
    conversion, error = None, ""
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            conversion = convert(
                data["amount"],
                from_currency=data["from_currency"],
                to_currency=data["to_currency"],
                day=data["day"],
            )
        except MissingRate as exc:
            error = str(exc)
    return render(request, "finance/convert.html", {"form": form, "conversion": conversion, "error": error})


@portal_view(Perm.PAYABLE_VIEW)
@require_GET
def payables(request: PortalRequest) -> HttpResponseBase:
    membership = request.membership
    qs = payable_list_queryset(membership, request.GET)
    export = request.GET.get("export")
    if export in {"csv", "xlsx"} and membership.is_staff_member:
        return export_response(
            f"payables-{timezone.localdate().isoformat()}.{export}",
            selectors.PAYABLE_EXPORT_HEADERS,
            selectors.payable_export_rows(qs),
        )
    context = {
        "page": paginate(request, qs),
        "totals": selectors.payable_totals(qs),
        "filters": request.GET,
        "statuses": PAYABLE_STATUS_CHOICES,
        "sources": payable_source_kinds(),
        "partners": partners_in_scope(membership).only("pk", "code", "name")
        if membership.is_staff_member
        else [],
        "today": timezone.localdate(),
    }
    return render(request, "finance/payables.html", context)


@portal_view(Perm.PAYABLE_VIEW)
@require_GET
def payable_detail(request: PortalRequest, pk: int) -> HttpResponse:
    payable = selectors.get_payable_for_membership_or_404(request.membership, pk)
    can_cancel = (
        membership_has(request.membership, Perm.PAYABLE_MANAGE)
        and Payable.Status.CANCELLED in (Payable.TRANSITIONS[Payable.Status(payable.status)])
    )
    return render(
        request,
        "finance/payable_detail.html",
        {
            "p": payable,
            "history": list(selectors.payable_history(payable)) if request.membership.is_staff_member else [],
            "can_cancel": can_cancel,
            "cancel_form": PayableCancelForm(),
        },
    )


@portal_view(Perm.PAYABLE_MANAGE)
@require_POST
def payable_cancel_view(request: PortalRequest, pk: int) -> HttpResponse:
    payable = selectors.get_payable_for_membership_or_404(request.membership, pk)
    form = PayableCancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the payable is cancelled."))
        return redirect("finance:payable_detail", pk=payable.pk)
    try:
        payable_cancel(
            payable=payable, acting_membership=request.membership, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Payable %(ref)s cancelled.") % {"ref": payable.reference})
    return redirect("finance:payable_detail", pk=payable.pk)


@portal_view(Perm.FINANCE_SETTINGS)
@require_http_methods(["GET", "POST"])
def finance_settings_view(request: PortalRequest) -> HttpResponse:
    """The tenant's finance policies (vendor admin and finance)."""
    current = selectors.finance_settings()
    form = FinanceSettingsForm(request.POST or None, initial={"rate_date_policy": current.rate_date_policy})
    if request.method == "POST" and form.is_valid():
        try:
            finance_settings_update(
                acting_membership=request.membership, rate_date_policy=form.cleaned_data["rate_date_policy"]
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Finance settings saved."))
            return redirect("finance:settings")
    return render(request, "finance/settings.html", {"form": form})
