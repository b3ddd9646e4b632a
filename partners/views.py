from __future__ import annotations

from django.db.models import Q
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render

from partners.models import Partner
from partners.selectors import get_partner_for_membership_or_404, partners_for_membership
from prm.access import portal_view
from prm.exports import export_response
from prm.http import PortalRequest
from prm.roles import Perm
from prm.views import paginate


def _filtered(request: PortalRequest):
    qs = partners_for_membership(request.membership)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    for field in ("type", "status", "country", "tier", "region"):
        value = request.GET.get(field, "").strip()
        if value:
            qs = qs.filter(**{f"{field}__iexact": value})
    sort = request.GET.get("sort", "code")
    allowed = {"code", "-code", "name", "-name", "country", "-country", "tier", "-tier", "status", "-status"}
    return qs.order_by(sort if sort in allowed else "code")


@portal_view(Perm.PARTNER_VIEW)
def partner_list(request: PortalRequest) -> HttpResponseBase:
    if request.membership.is_partner:
        return redirect("partners:mine")
    qs = _filtered(request)
    export = request.GET.get("export")
    if export in {"csv", "xlsx"}:
        rows = qs.values_list("code", "name", "type", "country", "region", "tier", "status", "email")
        headers = ["code", "name", "type", "country", "region", "tier", "status", "email"]
        return export_response(f"partners.{export}", headers, rows.iterator())
    context = {
        "page": paginate(request, qs),
        "types": Partner.Type.choices,
        "statuses": Partner.Status.choices,
        "filters": request.GET,
    }
    template = "partners/_table.html" if request.htmx else "partners/list.html"
    return render(request, template, context)


@portal_view(Perm.PARTNER_VIEW)
def partner_mine(request: PortalRequest) -> HttpResponse:
    if not request.membership.is_partner:
        raise Http404
    return redirect("partners:detail", pk=request.membership.partner_id)


@portal_view(Perm.PARTNER_VIEW)
def partner_detail(request: PortalRequest, pk: int) -> HttpResponse:
    partner = get_partner_for_membership_or_404(request.membership, pk)
    members = partner.memberships.select_related("user").filter(is_active=True)
    return render(request, "partners/detail.html", {"partner": partner, "members": members})
