from django.urls import path

from posdata import views

app_name = "posdata"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("uploads/", views.uploads, name="uploads"),
    path("uploads/new/", views.upload_new, name="upload_new"),
    path("uploads/<int:pk>/", views.upload_detail, name="upload_detail"),
    path("uploads/<int:pk>/mapping/", views.upload_mapping, name="upload_mapping"),
    path("uploads/<int:pk>/status/", views.upload_status, name="upload_status"),
    path("uploads/<int:pk>/errors/", views.upload_errors, name="upload_errors"),
    path("exceptions/", views.exceptions, name="exceptions"),
    path("exceptions/map/", views.exception_map, name="exception_map"),
    path("exceptions/<int:partner_pk>/reprocess/", views.exceptions_reprocess, name="exceptions_reprocess"),
    path("xrefs/", views.xrefs, name="xrefs"),
    path("xrefs/<int:pk>/delete/", views.xref_delete, name="xref_delete"),
    path("inventory/", views.inventory, name="inventory"),
    path("inventory/products/<int:product_pk>/", views.inventory_product, name="inventory_product"),
    path(
        "inventory/partners/<int:partner_pk>/threshold/", views.stockout_threshold, name="stockout_threshold"
    ),
]
