"""Tenant data export (vendor admins in their portal; operators on the platform) and deletion
(operators only)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from prm.access import portal_view
from prm.audit.services import audit
from prm.files import file_download
from prm.http import PortalRequest
from prm.jobs.models import Job
from prm.ops import deletion as deletion_services
from prm.ops.access import operator_view
from prm.ops.models import TenantDeletion
from prm.ops.tenant_data import EXPORT_KIND, exports_for_tenant, tenant_export_start
from prm.roles import Perm
from prm.tenancy.context import tenant_context
from prm.tenancy.models import Tenant
from prm.workflow import DomainError

ZIP = "application/zip"


def _download(request: HttpRequest, job: Job) -> HttpResponseBase:
    if job.kind != EXPORT_KIND or job.status != Job.Status.SUCCEEDED or not job.result.get("file"):
        raise Http404
    audit(
        actor=request.user, action="tenant.export_downloaded", obj=job, after={"file": job.result["filename"]}
    )
    return file_download(job.result["file"], filename=job.result["filename"], content_type=ZIP)


# --- the tenant's portal: vendor admins -------------------------------------------------------------


@portal_view(Perm.TENANT_EXPORT)
def data_export(request: PortalRequest) -> HttpResponse:
    if request.method == "POST":
        job = tenant_export_start(acting_user=request.user, membership=request.membership)
        messages.info(request, _("The archive is being written; download it here when it is ready."))
        return redirect("job_detail", pk=job.pk)
    return render(request, "prm/data_export.html", {"exports": exports_for_tenant()[:20]})


@portal_view(Perm.TENANT_EXPORT)
@require_GET
def data_export_download(request: PortalRequest, pk: int) -> HttpResponseBase:
    return _download(request, get_object_or_404(exports_for_tenant(), pk=pk))


# --- the platform: operators ------------------------------------------------------------------------


def _tenant(pk: int) -> Tenant:
    return get_object_or_404(Tenant, pk=pk)


@operator_view()
@require_GET
def tenant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = _tenant(pk)
    with tenant_context(tenant):
        exports = list(exports_for_tenant()[:10])
    deletions = TenantDeletion.objects.filter(deleted_tenant_id=tenant.pk)
    scheduled = deletions.filter(status=TenantDeletion.Status.SCHEDULED).first()
    return render(
        request,
        "prm/ops/tenant.html",
        {"target": tenant, "exports": exports, "deletions": deletions, "scheduled": scheduled},
    )


@operator_view()
@require_POST
def tenant_export(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = _tenant(pk)
    with tenant_context(tenant):
        tenant_export_start(acting_user=request.user)
    messages.info(request, _("The archive is being written; reload this page to download it."))
    return redirect("ops_tenant", pk=tenant.pk)


@operator_view()
@require_GET
def tenant_export_download(request: HttpRequest, pk: int, job_pk: int) -> HttpResponseBase:
    tenant = _tenant(pk)
    with tenant_context(tenant):
        return _download(request, get_object_or_404(exports_for_tenant(), pk=job_pk))


@operator_view()
@require_POST
def tenant_delete(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = _tenant(pk)
    try:
        deletion = deletion_services.tenant_deletion_request(
            tenant=tenant, acting_user=request.user, confirmation=request.POST.get("confirmation", "")
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.warning(
            request,
            _("%(name)s is closed and will be deleted on %(due)s unless you cancel.")
            % {"name": tenant.name, "due": deletion.due_at.strftime("%Y-%m-%d %H:%M UTC")},
        )
    return redirect("ops_tenant", pk=tenant.pk)


@operator_view()
@require_POST
def tenant_delete_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = _tenant(pk)
    deletion = get_object_or_404(
        TenantDeletion, deleted_tenant_id=tenant.pk, status=TenantDeletion.Status.SCHEDULED
    )
    try:
        deletion_services.tenant_deletion_cancel(deletion=deletion, acting_user=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The deletion is cancelled; the portal is open again."))
    return redirect("ops_tenant", pk=tenant.pk)
