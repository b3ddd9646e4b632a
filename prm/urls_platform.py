"""URLs of the bare base domain: the platform operator's pages."""

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from prm import platform_views

# The admin signs in through allauth: its rate limits and MFA apply to operators too.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", platform_views.tenant_list, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
