"""Payout batch pages: the list, building a batch from filters, the review (payments per partner
with what nets into them, held partners with the reason), approve, export, mark paid (by hand or
from the bank's file) and cancel. Views parse input and call the services in ``batches``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from prm.access import portal_view
from prm.audit.services import audit
from prm.exports import XLSX_CONTENT_TYPE, copy_csv_response, export_response
from prm.files import file_download
from prm.finance import batch_selectors as selectors
from prm.finance import payout_export
from prm.finance.batches import (
    BatchFilters,
    PaymentConfirmation,
    payout_batch_approve,
    payout_batch_cancel,
    payout_batch_create,
    payout_batch_export,
    payout_batch_mark_paid,
    payout_batch_mark_paid_from_file,
)
from prm.finance.forms import BankFileForm, BatchCancelForm, BatchCreateForm, MarkPaidForm
from prm.finance.models import PayoutBatch
from prm.finance.payout_details import payout_details_statuses
from prm.finance.report_pages import finance_page, page_tables
from prm.finance.reports import STATE_LABELS, accrual_report, aging_report, reconciliation_report
from prm.finance.selectors import finance_settings
from prm.finance.tasks import payout_export_xlsx
from prm.http import PortalRequest
from prm.jobs.selectors import get_job_for_membership_or_404
from prm.jobs.services import job_create, job_enqueue
from prm.reports import report_download
from prm.roles import Perm, membership_has
from prm.scoping import partners_in_scope
from prm.views import paginate
from prm.workflow import DomainError

B = PayoutBatch.Status


@portal_view(Perm.PAYOUT_BATCH_VIEW)
@require_GET
def batches(request: PortalRequest) -> HttpResponse:
    qs = selectors.batches_for_membership(request.membership)
    status = request.GET.get("status", "")
    if status in B.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "finance/batches.html",
        {
            "page": paginate(request, qs),
            "statuses": B.choices,
            "filters": request.GET,
            "can_create": membership_has(request.membership, Perm.PAYOUT_BATCH_MANAGE),
        },
    )


@portal_view(Perm.PAYOUT_BATCH_MANAGE)
@require_http_methods(["GET", "POST"])
def batch_create(request: PortalRequest) -> HttpResponse:
    partners = partners_in_scope(request.membership).only("pk", "code", "name").order_by("code")
    form = BatchCreateForm(
        request.POST or None, partners=partners, initial={"currency": request.tenant.base_currency}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        filters = BatchFilters(
            source_types=tuple(data["source_types"]),
            partner_ids=tuple(int(pk) for pk in data["partners"]),
            currency=data["payable_currency"] or "",
            due_before=data["due_before"],
        )
        try:
            batch = payout_batch_create(
                acting_membership=request.membership,
                currency=data["currency"],
                filters=filters,
                note=data["note"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Batch %(ref)s built: review it below.") % {"ref": batch.reference})
            return redirect("finance:batch_detail", pk=batch.pk)
    return render(
        request,
        "finance/batch_create.html",
        {
            "form": form,
            "policy": finance_settings().get_rate_date_policy_display(),
            "can_settings": membership_has(request.membership, Perm.FINANCE_SETTINGS),
        },
    )


def _actions(membership, batch: PayoutBatch) -> dict[str, bool]:
    manage = membership_has(membership, Perm.PAYOUT_BATCH_MANAGE)
    next_statuses = PayoutBatch.TRANSITIONS[B(batch.status)]
    return {
        "can_approve": membership_has(membership, Perm.PAYOUT_BATCH_APPROVE)
        and B.APPROVED in next_statuses
        and batch.created_by_id != membership.user_id,
        "maker": batch.created_by_id == membership.user_id and batch.status == B.DRAFT,
        "can_export": manage and batch.status == B.APPROVED,
        "can_download": batch.status in (B.EXPORTED, B.PAID),
        "can_full": membership_has(membership, Perm.PAYOUT_BANK_FULL),
        "can_mark_paid": manage and batch.status == B.EXPORTED,
        "can_cancel": manage and B.CANCELLED in next_statuses,
    }


@portal_view(Perm.PAYOUT_BATCH_VIEW)
@require_GET
def batch_detail(request: PortalRequest, pk: int) -> HttpResponse:
    batch = selectors.get_batch_for_membership_or_404(request.membership, pk)
    page = paginate(request, selectors.batch_payments(batch))
    payments = list(page)
    breakdown = selectors.payment_currency_breakdown(batch, [p.pk for p in payments])
    details = payout_details_statuses(p.partner_id for p in payments)
    rows = [
        {"p": p, "currencies": breakdown.get(p.pk, []), "details": details[p.partner_id]} for p in payments
    ]
    return render(
        request,
        "finance/batch_detail.html",
        {
            "batch": batch,
            "page": page,
            "rows": rows,
            "totals": selectors.batch_totals(batch),
            "history": selectors.batch_history(batch)[:50],
            "cancel_form": BatchCancelForm(),
            "bank_form": BankFileForm(),
            **_actions(request.membership, batch),
        },
    )


@portal_view(Perm.PAYOUT_BATCH_VIEW)
@require_GET
def batch_payment(request: PortalRequest, pk: int, payment_pk: int) -> HttpResponse:
    batch = selectors.get_batch_for_membership_or_404(request.membership, pk)
    payment = get_object_or_404(batch.payments.select_related("partner"), pk=payment_pk)
    return render(
        request,
        "finance/batch_payment.html",
        {
            "batch": batch,
            "payment": payment,
            "page": paginate(request, selectors.payment_lines(payment)),
            "paid_form": MarkPaidForm(initial={"partner": payment.partner_id}),
            **_actions(request.membership, batch),
        },
    )


def _run(request: PortalRequest, action, success: str, **kwargs) -> None:
    try:
        action(acting_membership=request.membership, **kwargs)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)


@portal_view(Perm.PAYOUT_BATCH_VIEW)  # the service checks the capability: another tenant's batch is a 404
@require_POST
def batch_approve(request: PortalRequest, pk: int) -> HttpResponse:
    batch = selectors.get_batch_for_membership_or_404(request.membership, pk)
    _run(request, payout_batch_approve, _("Batch %(ref)s approved.") % {"ref": batch.reference}, batch=batch)
    return redirect("finance:batch_detail", pk=batch.pk)


@portal_view(Perm.PAYOUT_BATCH_VIEW)  # the service checks the capability: another tenant's batch is a 404
@require_POST
def batch_export(request: PortalRequest, pk: int) -> HttpResponse:
    batch = selectors.get_batch_for_membership_or_404(request.membership, pk)
    _run(
        request,
        payout_batch_export,
        _("Batch %(ref)s exported: download the payment file below.") % {"ref": batch.reference},
        batch=batch,
    )
    return redirect("finance:batch_detail", pk=batch.pk)


@portal_view(Perm.PAYOUT_BATCH_VIEW)  # the service checks the capability: another tenant's batch is a 404
@require_POST
def batch_cancel(request: PortalRequest, pk: int) -> HttpResponse:
    batch = selectors.get_batch_for_membership_or_404(request.membership, pk)
    form = BatchCancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the batch is cancelled."))
    else:
        _run(
            request,
            payout_batch_cancel,
            _("Batch %(ref)s cancelled: its payables are open again.") % {"ref": batch.reference},
            batch=batch,
            reason=form.cleaned_data["reason"],
        )
    return redirect("finance:batch_detail", pk=batch.pk)


@portal_view(Perm.PAYOUT_BATCH_VIEW)  # the service checks the capability: another tenant's batch is a 404
@require_POST
def batch_mark_paid(request: PortalRequest, pk: int) -> HttpResponse:
    batch = selectors.get_batch_for_membership_or_404(request.membership, pk)
    form = MarkPaidForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(
            f"{form.fields[f].label}: {' '.join(str(m) for m in e)}" for f, e in form.errors.items()
        )
        messages.error(request, _("The payment was not marked paid: %(errors)s") % {"errors": errors})
        return redirect("finance:batch_detail", pk=batch.pk)
    data = form.cleaned_data
    confirmation = PaymentConfirmation(
        partner_id=data["partner"], reference=data["reference"], paid_on=data["paid_on"]
    )
    _run(
        request,
        payout_batch_mark_paid,
        _("Payment marked paid."),
        batch=batch,
        confirmations=[confirmation],
    )
    return redirect("finance:batch_detail", pk=batch.pk)


@portal_view(Perm.PAYOUT_BATCH_VIEW)  # the service checks the capability: another tenant's batch is a 404
@require_POST
def batch_bank_file(request: PortalRequest, pk: int) -> HttpResponse:
    batch = selectors.get_batch_for_membership_or_404(request.membership, pk)
    form = BankFileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the bank's confirmation file."))
    else:
        _run(
            request,
            payout_batch_mark_paid_from_file,
            _("The bank file's payments are marked paid."),
            batch=batch,
            upload=form.cleaned_data["file"],
        )
    return redirect("finance:batch_detail", pk=batch.pk)


def session_used_mfa(request: PortalRequest) -> bool:
    """Whether this session was signed in with a second factor (allauth records the methods)."""
    records = request.session.get("account_authentication_methods") or []
    return any(record.get("method") == "mfa" for record in records)


def _bank_full(request: PortalRequest, batch: PayoutBatch) -> bool:
    """Full bank details asked for: only finance with the capability, in an MFA session."""
    if request.GET.get("bank") != "full":
        return False
    if not (membership_has(request.membership, Perm.PAYOUT_BANK_FULL) and session_used_mfa(request)):
        raise PermissionDenied(_("Full bank details need the finance role and a sign-in with two factors."))
    return True


@portal_view(Perm.PAYOUT_BATCH_VIEW)
@require_GET
def batch_download(request: PortalRequest, pk: int) -> HttpResponseBase:
    """The payout file (CSV streams; a large XLSX is written by a background job)."""
    batch = selectors.get_batch_for_membership_or_404(request.membership, pk)
    fmt = request.GET.get("format", "csv")
    if fmt not in {"csv", "xlsx"}:
        raise Http404
    if batch.status not in (B.EXPORTED, B.PAID):
        messages.error(request, _("Export the approved batch first."))
        return redirect("finance:batch_detail", pk=batch.pk)
    full = _bank_full(request, batch)
    audit(
        actor=request.user,
        action="payout_batch.download",
        obj=batch,
        after={"format": fmt, "bank_details": "full" if full else "masked"},
    )
    details = payout_export.bank_details(batch, full=full)
    name = payout_export.filename(batch, fmt, full=full)
    if fmt == "csv":
        sql, params = payout_export.lines_sql(batch, details)
        return copy_csv_response(name, sql, params, headers=payout_export.HEADERS)
    if batch.lines.filter(live=True).count() <= payout_export.XLSX_INLINE_MAX_LINES:
        return export_response(name, payout_export.HEADERS, payout_export.line_rows(batch, details))
    job = job_create(
        kind="export:payout_batch", acting_user=request.user, params={"batch": batch.pk, "full": full}
    )
    job_enqueue(job, payout_export_xlsx)
    messages.info(request, _("The workbook is being written; download it here when it is ready."))
    return redirect("job_detail", pk=job.pk)


@portal_view(Perm.PAYOUT_BATCH_VIEW)
@require_GET
def batch_export_file(request: PortalRequest, pk: int, job_pk: int) -> HttpResponseBase:
    """A workbook a background export wrote (full bank details: checked again, audited)."""
    batch = selectors.get_batch_for_membership_or_404(request.membership, pk)
    job = get_job_for_membership_or_404(request.membership, job_pk)
    if job.kind != "export:payout_batch" or job.params.get("batch") != batch.pk or not job.result.get("file"):
        raise Http404
    if job.params.get("full"):
        if not (membership_has(request.membership, Perm.PAYOUT_BANK_FULL) and session_used_mfa(request)):
            raise PermissionDenied
        audit(
            actor=request.user,
            action="payout_batch.download",
            obj=batch,
            after={"format": "xlsx", "bank_details": "full", "job": job.pk},
        )
    return file_download(job.result["file"], filename=job.result["filename"], content_type=XLSX_CONTENT_TYPE)


@portal_view(Perm.REMITTANCE_VIEW)
@require_GET
def remittances(request: PortalRequest) -> HttpResponse:
    qs = selectors.remittances_for_membership(request.membership).order_by("-paid_on", "-pk")
    return render(request, "finance/remittances.html", {"page": paginate(request, qs)})


@portal_view(Perm.REMITTANCE_VIEW)
@require_GET
def remittance_download(request: PortalRequest, pk: int) -> HttpResponseBase:
    payment = selectors.get_remittance_for_membership_or_404(request.membership, pk)
    if not payment.statement_path:
        messages.info(request, _("The statement is being prepared; you will be notified when it is ready."))
        return redirect("finance:remittances")
    name = f"remittance-{payment.batch.reference}-{payment.partner.code}.pdf"
    return file_download(payment.statement_path, filename=name, content_type="application/pdf")


@portal_view(Perm.FINANCE_REPORTS)
@require_GET
def reports(request: PortalRequest) -> HttpResponseBase:
    """Accrued vs approved vs paid by quarter, source and partner (chart + tables), and aging;
    each table as CSV or XLSX (``?export=quarters|sources|partners|aging&format=csv|xlsx``)."""

    page = finance_page(request.membership, request.GET)
    download = report_download(request, page_tables(page), prefix="finance")
    if download is not None:
        return download
    qs, target = page.payables, page.target
    report = accrual_report(qs, target=target)
    return render(
        request,
        "finance/reports.html",
        {
            "report": report,
            "state_labels": STATE_LABELS,
            "aging": aging_report(qs, target=target),
            "chart": report.chart(),
            "partners": partners_in_scope(request.membership).only("pk", "code", "name").order_by("code"),
            "filters": request.GET,
        },
    )


@portal_view(Perm.FINANCE_REPORTS)
@require_GET
def reconciliation(request: PortalRequest) -> HttpResponse:

    return render(request, "finance/reconciliation.html", {"result": reconciliation_report()})
