from django.urls import path

from prm.finance import batch_views, views

app_name = "finance"

urlpatterns = [
    path("rates/", views.rates, name="rates"),
    path("rates/convert/", views.rate_convert, name="convert"),
    path("settings/", views.finance_settings_view, name="settings"),
    path("payables/", views.payables, name="payables"),
    path("payables/<int:pk>/", views.payable_detail, name="payable_detail"),
    path("payables/<int:pk>/cancel/", views.payable_cancel_view, name="payable_cancel"),
    path("batches/", batch_views.batches, name="batches"),
    path("batches/new/", batch_views.batch_create, name="batch_create"),
    path("batches/<int:pk>/", batch_views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/payments/<int:payment_pk>/", batch_views.batch_payment, name="batch_payment"),
    path("batches/<int:pk>/approve/", batch_views.batch_approve, name="batch_approve"),
    path("batches/<int:pk>/export/", batch_views.batch_export, name="batch_export"),
    path("batches/<int:pk>/paid/", batch_views.batch_mark_paid, name="batch_mark_paid"),
    path("batches/<int:pk>/bank-file/", batch_views.batch_bank_file, name="batch_bank_file"),
    path("batches/<int:pk>/cancel/", batch_views.batch_cancel, name="batch_cancel"),
    path("reports/", batch_views.reports, name="reports"),
    path("reports/reconciliation/", batch_views.reconciliation, name="reconciliation"),
    path("remittances/", batch_views.remittances, name="remittances"),
    path("remittances/<int:pk>/", batch_views.remittance_download, name="remittance_download"),
    path("batches/<int:pk>/download/", batch_views.batch_download, name="batch_download"),
    path("batches/<int:pk>/exports/<int:job_pk>/", batch_views.batch_export_file, name="batch_export_file"),
]
