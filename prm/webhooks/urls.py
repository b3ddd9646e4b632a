from django.urls import path

from prm.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoints, name="endpoints"),
    path("new/", views.endpoint_new, name="endpoint_new"),
    path("<int:pk>/", views.endpoint_detail, name="endpoint_detail"),
    path("<int:pk>/edit/", views.endpoint_edit, name="endpoint_edit"),
    path("<int:pk>/rotate-secret/", views.endpoint_rotate, name="endpoint_rotate"),
    path("<int:pk>/disable/", views.endpoint_disable_view, name="endpoint_disable"),
    path("<int:pk>/enable/", views.endpoint_enable_view, name="endpoint_enable"),
    path("<int:pk>/delete/", views.endpoint_delete_view, name="endpoint_delete"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery_detail"),
    path("deliveries/<int:pk>/replay/", views.delivery_replay_view, name="delivery_replay"),
]
