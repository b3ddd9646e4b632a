from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from prm.tenancy.models import Tenant


@login_required
def tenant_list(request: HttpRequest) -> HttpResponse:
    """Platform operators see every tenant and its portal address; nobody else does."""
    if not request.user.is_superuser:
        raise PermissionDenied
    tenants = Tenant.objects.prefetch_related("domains").order_by("name")
    return render(request, "prm/platform/tenants.html", {"tenants": tenants})
