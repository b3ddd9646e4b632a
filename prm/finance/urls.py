from django.urls import path

from prm.finance import views

app_name = "finance"

urlpatterns = [
    path("rates/", views.rates, name="rates"),
    path("rates/convert/", views.rate_convert, name="convert"),
    path("payables/", views.payables, name="payables"),
    path("payables/<int:pk>/", views.payable_detail, name="payable_detail"),
    path("payables/<int:pk>/cancel/", views.payable_cancel_view, name="payable_cancel"),
]
