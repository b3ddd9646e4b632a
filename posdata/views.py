"""Portal pages of POS data: upload -> confirm mapping -> progress -> errors; dashboards."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from partners.selectors import partners_for_membership
from posdata import report_pages, reports, selectors, services
from posdata.fields import FIELDS
from posdata.forms import (
    ExceptionMapForm,
    MappingForm,
    StockoutThresholdForm,
    UploadForm,
    XrefForm,
)
from posdata.models import Kind, RejectedRow, StockoutThreshold, Upload
from prm.access import portal_view
from prm.actions import run_action
from prm.catalog.selectors import products_visible
from prm.exports import export_response
from prm.http import PortalRequest
from prm.lib.money import format_amount_str
from prm.reports import report_download
from prm.roles import Perm, membership_has
from prm.views import paginate
from prm.workflow import DomainError

ERRORS_ON_PAGE = 100
RATES_PER_PAGE = 50  # rows of the sell-through % table per page
POSITIONS_PER_PAGE = 100  # inventory positions per page (the export holds all)
SLOW_MOVERS_SHOWN = 100  # slow movers listed on the page (the export holds all)


def _money(value, currency: str) -> str:
    """A chart value: the amount as a string rounded to the currency's minor unit (never a float)."""
    return format_amount_str(Decimal(value or 0), currency)


@portal_view(Perm.POS_VIEW)
def dashboard(request: PortalRequest) -> HttpResponseBase:
    """Sell-through: revenue and units, sell-through % per partner, SKU and month (inventory
    activity), the period against the one before; every table as CSV or XLSX (``?export=``)."""
    membership = request.membership
    page = report_pages.sales_page(membership, request.GET)
    form, flt, currency = page.form, page.flt, page.currency
    start, end = flt.date_from, flt.date_to
    download = report_download(request, report_pages.sales_tables(membership, page), prefix="pos")
    if download is not None:
        return download
    stats = selectors.sell_through(membership, flt, currency)
    tables = reports.dashboard_reports(stats, currency)
    chart = {
        "currency": currency,
        "months": [row["month"].strftime("%Y-%m") for row in stats["by_month"]],
        "revenue": [_money(row["revenue"], currency) for row in stats["by_month"]],
        "units": [row["units"] or 0 for row in stats["by_month"]],
        "partners": [row["partner__code"] for row in stats["by_partner"]],
        "partner_revenue": [_money(row["revenue"], currency) for row in stats["by_partner"]],
        "categories": [row["product__category"] for row in stats["by_category"]],
        "category_revenue": [_money(row["revenue"], currency) for row in stats["by_category"]],
        "regions": [row["partner__region"] or "—" for row in stats["by_region"]],
        "region_revenue": [_money(row["revenue"], currency) for row in stats["by_region"]],
    }
    rates_page = paginate(request, reports.sell_through_rows(membership, flt), per_page=RATES_PER_PAGE)
    context = {
        "form": form,
        "stats": stats,
        "tables": tables,
        "chart": chart,
        "currency": currency,
        "start": start,
        "end": end,
        "rates_page": rates_page,
        "rates": reports.with_rate(rates_page.object_list),
        "rates_total": reports.sell_through_total(membership, flt),
        "comparison": reports.period_comparison(membership, flt, currency),
        "sell_through_definition": reports.SELL_THROUGH_DEFINITION,
        "comparison_definition": reports.COMPARISON_DEFINITION,
    }
    return render(request, "posdata/dashboard.html", context)


@portal_view(Perm.POS_VIEW)
def uploads(request: PortalRequest) -> HttpResponse:
    page = report_pages.uploads_page(request.membership, request.GET)
    quality = selectors.data_quality(request.membership, page.partner_id)
    return render(
        request, "posdata/uploads.html", {"page": paginate(request, page.uploads), "quality": quality}
    )


@portal_view(Perm.POS_UPLOAD)
@require_http_methods(["GET", "POST"])
def upload_new(request: PortalRequest) -> HttpResponse:
    membership = request.membership
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        membership=membership,
        partners_qs=partners_for_membership(membership),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            upload = services.upload_receive(
                partner=data["partner"],
                kind=data["kind"],
                file=data["file"],
                original_name=data["file"].name,
                acting_membership=membership,
                replace_start=data.get("replace_start"),
                replace_end=data.get("replace_end"),
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("posdata:upload_mapping", pk=upload.pk)
    return render(request, "posdata/upload_new.html", {"form": form})


@portal_view(Perm.POS_UPLOAD)
@require_http_methods(["GET", "POST"])
def upload_mapping(request: PortalRequest, pk: int) -> HttpResponse:
    """Confirm the columns. The page shows what the worker read once (headers, first rows): it
    never opens the file itself. While the file is being read it waits (htmx polls the status)."""
    upload = selectors.get_upload_for_membership_or_404(request.membership, pk)
    if upload.is_being_read:
        return render(request, "posdata/upload_reading.html", {"upload": upload})
    if upload.status != Upload.Status.MAPPING:
        return redirect("posdata:upload_detail", pk=upload.pk)
    form = MappingForm(request.POST or None, upload=upload)
    if request.method == "POST" and form.is_valid():
        try:
            services.upload_confirm(
                upload=upload, mapping=form.mapping(), acting_membership=request.membership
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("posdata:upload_detail", pk=upload.pk)
    by_header = {h: f for f, h in upload.mapping.items()}
    labels = {f.name: f.label for f in FIELDS[Kind(upload.kind)]}
    columns = [{"header": h, "field": labels.get(by_header.get(h, ""), "")} for h in upload.headers]
    width = len(upload.headers)
    rows = [[(r[i] if i < len(r) else "") for i in range(width)] for r in upload.preview]
    context = {"upload": upload, "form": form, "columns": columns, "rows": rows}
    return render(request, "posdata/upload_mapping.html", context)


def _upload_context(upload: Upload) -> dict:
    rejected = list(upload.rejected_rows.order_by("line")[:ERRORS_ON_PAGE]) if upload.rows_rejected else []
    return {"upload": upload, "job": upload.job, "rejected": rejected}


@portal_view(Perm.POS_VIEW)
def upload_detail(request: PortalRequest, pk: int) -> HttpResponse:
    upload = selectors.get_upload_for_membership_or_404(request.membership, pk)
    return render(request, "posdata/upload_detail.html", _upload_context(upload))


@portal_view(Perm.POS_VIEW)
def upload_status(request: PortalRequest, pk: int) -> HttpResponse:
    """htmx fragment polled while the file loads; 286 stops the polling when it is done."""
    upload = selectors.get_upload_for_membership_or_404(request.membership, pk)
    response = render(request, "posdata/_upload_status.html", _upload_context(upload))
    if upload.status == Upload.Status.MAPPING and request.htmx:
        # Read: the waiting page moves on to the column confirmation.
        response["HX-Redirect"] = reverse("posdata:upload_mapping", kwargs={"pk": upload.pk})
    if upload.is_finished or upload.status == Upload.Status.MAPPING:
        response.status_code = 286
    return response


@portal_view(Perm.POS_VIEW)
def upload_errors(request: PortalRequest, pk: int) -> HttpResponseBase:
    """The rejected rows as a file the partner can correct and send again: the mapped columns
    under the file's own headers, then where and why each row was rejected."""
    upload = selectors.get_upload_for_membership_or_404(request.membership, pk)
    fields = [f.name for f in FIELDS[Kind(upload.kind)] if f.name in upload.mapping]
    if upload.kind == Kind.POS and "invoice_line" not in fields:
        fields.insert(1, "invoice_line")
    headers = [upload.mapping.get(f, f) for f in fields] + [
        "Source row",
        "Error column",
        "Error code",
        "Error message",
    ]

    def rows():
        for row in RejectedRow.objects.filter(upload=upload).order_by("line").iterator(chunk_size=2000):
            yield [
                *(row.data.get(f, "") for f in fields),
                row.line,
                "; ".join(e["column"] for e in row.errors),
                "; ".join(e["code"] for e in row.errors),
                "; ".join(e["message"] for e in row.errors),
            ]

    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    return export_response(f"rejected-rows-{upload.pk}.{fmt}", headers, rows())


@portal_view(Perm.POS_MANAGE)
def exceptions(request: PortalRequest) -> HttpResponse:
    queue = selectors.exception_queue_for_membership(request.membership)
    page = paginate(request, queue)
    products = products_visible().filter(is_active=True)
    return render(request, "posdata/exceptions.html", {"page": page, "products": products})


@portal_view(Perm.POS_MANAGE)
@require_POST
def exception_map(request: PortalRequest) -> HttpResponse:
    form = ExceptionMapForm(request.POST, products_qs=products_visible())
    if not form.is_valid():
        messages.error(request, _("Choose a product for the code."))
        return redirect("posdata:exceptions")
    partner = get_object_or_404(partners_for_membership(request.membership), pk=form.cleaned_data["partner"])
    try:
        job = services.exception_map_and_reprocess(
            partner=partner,
            product_key=form.cleaned_data["product_key"],
            product=form.cleaned_data["product"],
            acting_membership=request.membership,
        )
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("posdata:exceptions")
    messages.success(request, _("Mapped; the waiting lines are being re-processed."))
    return redirect("job_detail", pk=job.pk)


@portal_view(Perm.POS_MANAGE)
@require_POST
def exceptions_reprocess(request: PortalRequest, partner_pk: int) -> HttpResponse:
    partner = get_object_or_404(partners_for_membership(request.membership), pk=partner_pk)
    job = services.exceptions_reprocess_start(partner=partner, acting_membership=request.membership)
    return redirect("job_detail", pk=job.pk)


@portal_view(Perm.POS_MANAGE)
@require_http_methods(["GET", "POST"])
def xrefs(request: PortalRequest) -> HttpResponse:
    membership = request.membership
    form = XrefForm(
        request.POST or None,
        partners_qs=partners_for_membership(membership),
        products_qs=products_visible(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.sku_xref_create(
                partner=form.cleaned_data["partner"],
                partner_sku=form.cleaned_data["partner_sku"],
                product=form.cleaned_data["product"],
                acting_membership=membership,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Cross-reference saved."))
            return redirect("posdata:xrefs")
    qs = selectors.sku_xrefs_for_membership(membership)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(partner_sku__icontains=q) | qs.filter(product__sku__icontains=q)
    return render(request, "posdata/xrefs.html", {"form": form, "page": paginate(request, qs), "q": q})


@portal_view(Perm.POS_MANAGE)
@require_POST
def xref_delete(request: PortalRequest, pk: int) -> HttpResponse:
    xref = get_object_or_404(selectors.sku_xrefs_for_membership(request.membership), pk=pk)
    try:
        services.sku_xref_delete(xref=xref, acting_membership=request.membership)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Cross-reference deleted."))
    return redirect("posdata:xrefs")


@portal_view(Perm.POS_VIEW)
def inventory(request: PortalRequest) -> HttpResponseBase:
    """Inventory positions with weeks of supply and status, slow movers, the selected partner's
    stock-out alert threshold; both tables as CSV or XLSX (``?export=positions|slow_movers``)."""
    membership = request.membership
    page = report_pages.inventory_page(membership, request.GET)
    form, values, positions, slow = page.form, page.values, page.positions, page.slow
    download = report_download(request, report_pages.inventory_tables_of(page), prefix="inventory")
    if download is not None:
        return download
    counts = {
        s: sum(1 for p in positions if p["status"] == s) for s in ("risk", "stockout", "overstock", "healthy")
    }
    context = {
        "form": form,
        "positions": paginate(request, positions, per_page=POSITIONS_PER_PAGE),
        "slow": slow[:SLOW_MOVERS_SHOWN],
        "slow_total": len(slow),
        "counts": counts,
        "definition": selectors.WEEKS_OF_SUPPLY_DEFINITION,
        "slow_definition": reports.SLOW_MOVER_DEFINITION,
        "threshold_form": _threshold_form(membership, values["partner_id"]),
        **values,
    }
    return render(request, "posdata/inventory.html", context)


def _threshold_form(membership, partner_id: int | None) -> StockoutThresholdForm | None:
    """The selected partner's stock-out alert threshold, for those who may set it."""
    if not partner_id or not (membership.is_staff_member and membership_has(membership, Perm.POS_MANAGE)):
        return None
    current = StockoutThreshold.objects.filter(partner_id=partner_id).values_list("weeks", flat=True).first()
    return StockoutThresholdForm(
        initial={"weeks": current if current is not None else selectors.STOCKOUT_RISK_WEEKS},
        partner_id=partner_id,
    )


@portal_view(Perm.POS_MANAGE)
@require_POST
def stockout_threshold(request: PortalRequest, partner_pk: int) -> HttpResponse:
    partner = get_object_or_404(partners_for_membership(request.membership), pk=partner_pk)
    form = StockoutThresholdForm(request.POST, partner_id=partner.pk)
    return run_action(
        request,
        lambda: services.stockout_threshold_set(
            partner=partner, weeks=form.cleaned_data["weeks"], acting_membership=request.membership
        ),
        form=form,
        invalid=_("Give the weeks of supply as a number of at most one decimal, zero or more."),
        success=_("Stock-out alert threshold saved."),
        redirect_to=f"{reverse('posdata:inventory')}?partner={partner.pk}",
    )


@portal_view(Perm.POS_VIEW)
def inventory_product(request: PortalRequest, product_pk: int) -> HttpResponse:
    product = get_object_or_404(products_visible(), pk=product_pk)
    partner = request.GET.get("partner", "")
    partner_id = int(partner) if partner.isdigit() else None
    if partner_id and not partners_for_membership(request.membership).filter(pk=partner_id).exists():
        raise Http404
    history = selectors.inventory_history(request.membership, product.pk, partner_id)
    chart = {
        "dates": [s["snapshot_date"].isoformat() for s in history["snapshots"]],
        "on_hand": [s["on_hand"] for s in history["snapshots"]],
        "on_order": [s["on_order"] for s in history["snapshots"]],
        "in_transit": [s["in_transit"] for s in history["snapshots"]],
        "sold": [s["sold"] for s in history["snapshots"]],
    }
    return render(
        request,
        "posdata/inventory_product.html",
        {"product": product, "history": history, "chart": chart, "partner_id": partner_id},
    )
