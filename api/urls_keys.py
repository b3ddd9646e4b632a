"""Back-office URLs of API keys (mounted at /api-keys/ of the tenant portal)."""

from django.urls import path

from api import backoffice

app_name = "api_keys"

urlpatterns = [
    path("", backoffice.key_list, name="list"),
    path("new/", backoffice.key_create, name="create"),
    path("<int:pk>/rotate/", backoffice.key_rotate, name="rotate"),
    path("<int:pk>/revoke/", backoffice.key_revoke, name="revoke"),
]
