"""URLs of a tenant's portal (hosts that resolve to a tenant)."""

from django.urls import include, path

from prm import views
from prm.ops import tenant_views

# The 500 page shows the request id (prm.ops.middleware) for the user to quote.
handler500 = "prm.ops.errors.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("preferences/", views.preferences, name="preferences"),
    path("settings/", views.tenant_settings, name="tenant_settings"),
    path("switch/", views.switch_tenant, name="switch_tenant"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("people/", views.people, name="people"),
    path("people/invite/", views.invite, name="invite"),
    path("people/<int:pk>/deactivate/", views.member_deactivate, name="member_deactivate"),
    path("people/<int:pk>/reactivate/", views.member_reactivate, name="member_reactivate"),
    path("people/<int:pk>/role/", views.member_role, name="member_role"),
    path("people/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/badge/", views.notifications_badge, name="notifications_badge"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<int:pk>/", views.job_detail, name="job_detail"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("audit/", views.audit_log, name="audit"),
    path("products/", views.products, name="products"),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("imports/", views.imports, name="imports"),
    path("data-export/", tenant_views.data_export, name="data_export"),
    path("data-export/<int:pk>/", tenant_views.data_export_download, name="data_export_download"),
    path("finance/", include("prm.finance.urls")),
    path("webhooks/", include("prm.webhooks.urls")),
    path("reports/scheduled/", include("prm.scheduled_reports.urls")),
    path("partners/", include("partners.urls")),
    path("deals/", include("deals.urls")),
    path("pos/", include("posdata.urls")),
    path("claims/", include("claims.urls")),
    path("rebates/", include("rebates.urls")),
    path("insights/", include("insights.urls")),
    path("funds/", include("funds.urls")),
    path("api/", include("api.urls")),
    path("api-keys/", include("api.urls_keys")),
    path("brand.css", views.brand_css, name="brand_css"),
    path("brand/logo/", views.brand_logo, name="brand_logo"),
]
