from django.urls import path

from claims import views

app_name = "claims"
urlpatterns = [
    path("", views.claim_list, name="list"),
    path("new/", views.claim_new, name="new"),
    path("enter/", views.claim_enter, name="enter"),
    path("reports/", views.reports, name="reports"),
    path("settings/", views.claim_settings_view, name="settings"),
    path("<int:pk>/", views.claim_detail, name="detail"),
    path("<int:pk>/approve/", views.claim_approve_view, name="approve"),
    path("<int:pk>/response/", views.claim_response, name="response"),
    path("lines/<int:pk>/override/", views.claim_line_override_view, name="line_override"),
    path("agreements/", views.agreement_list, name="agreements"),
    path("agreements/new/", views.agreement_new, name="agreement_new"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/amend/", views.agreement_amend_view, name="agreement_amend"),
    path("agreements/<int:pk>/cancel/", views.agreement_cancel_view, name="agreement_cancel"),
]
