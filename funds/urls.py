from django.urls import path

from funds import views

app_name = "funds"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.fund_new, name="fund_new"),
    path("settings/", views.fund_settings, name="settings"),
    path("reports/", views.dashboard, name="dashboard"),
    path("<int:pk>/", views.fund_detail, name="fund_detail"),
    path("<int:pk>/edit/", views.fund_edit, name="fund_edit"),
    path("<int:pk>/periods/new/", views.period_new, name="period_new"),
    path("periods/<int:pk>/", views.period_detail, name="period_detail"),
    path("periods/<int:pk>/allocate/", views.allocate, name="allocate"),
    path("periods/<int:pk>/allocate-by-tier/", views.allocate_bulk, name="allocate_bulk"),
    path("periods/<int:pk>/accrue/", views.accrue, name="accrue"),
    path("periods/<int:pk>/budget/", views.period_budget, name="period_budget"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("entries/<int:pk>/reverse/", views.entry_reverse_view, name="entry_reverse"),
    path("requests/", views.request_list, name="requests"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/edit/", views.request_edit, name="request_edit"),
    path("requests/<int:pk>/submit/", views.request_submit_view, name="request_submit"),
    path("requests/<int:pk>/cancel/", views.request_cancel_view, name="request_cancel"),
    path("requests/<int:pk>/decide/", views.request_decide, name="request_decide"),
    path("requests/<int:pk>/link/", views.request_link, name="request_link"),
    path("requests/<int:pk>/claim/", views.claim_new, name="claim_new"),
    path("delegations/", views.delegations, name="delegations"),
    path("delegations/<int:pk>/end/", views.delegation_end_view, name="delegation_end"),
    path("claims/", views.claim_list, name="claims"),
    path("claims/<int:pk>/", views.claim_detail, name="claim_detail"),
    path("claims/<int:pk>/proof/", views.proof_upload_view, name="proof_upload"),
    path("claims/<int:pk>/submit/", views.claim_submit_view, name="claim_submit"),
    path("claims/<int:pk>/review/", views.claim_review, name="claim_review"),
    path("proof/<int:pk>/", views.proof_download, name="proof_download"),
]
