"""URLs of the bare base domain: the platform operator's pages."""

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from prm import platform_views
from prm.ops import tenant_views
from prm.ops import views as ops_views

# The admin signs in through allauth: its rate limits and MFA apply to operators too.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]

handler500 = "prm.ops.errors.server_error"

urlpatterns = [
    path("", platform_views.tenant_list, name="home"),
    path("ops/", ops_views.status, name="ops_status"),
    path("ops/health/", ops_views.health, name="ops_health"),
    path("ops/metrics/", ops_views.metrics_view, name="ops_metrics"),
    path("ops/tenants/<int:pk>/", tenant_views.tenant_detail, name="ops_tenant"),
    path("ops/tenants/<int:pk>/export/", tenant_views.tenant_export, name="ops_tenant_export"),
    path(
        "ops/tenants/<int:pk>/export/<int:job_pk>/",
        tenant_views.tenant_export_download,
        name="ops_tenant_export_download",
    ),
    path("ops/tenants/<int:pk>/delete/", tenant_views.tenant_delete, name="ops_tenant_delete"),
    path(
        "ops/tenants/<int:pk>/delete/cancel/",
        tenant_views.tenant_delete_cancel,
        name="ops_tenant_delete_cancel",
    ),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
