"""A portal URLconf with one view that fails, for the 500 page test."""

from django.urls import include, path

from prm.urls import urlpatterns as portal_patterns


def boom(request):
    raise RuntimeError("the view failed")


handler500 = "prm.ops.errors.server_error"
urlpatterns = [path("boom/", boom), path("", include(portal_patterns))]
