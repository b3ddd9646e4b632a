from django.urls import path

from deals.views import cosell, leads, registrations, review

app_name = "deals"
urlpatterns = [
    # Registrations (partners: their own; vendor staff: the pipeline)
    path("", registrations.registration_list, name="list"),
    path("new/", registrations.registration_new, name="new"),
    path("customers/", registrations.customer_lookup, name="customer_lookup"),
    path("customers/<int:pk>/", registrations.customer_fill, name="customer_fill"),
    path("<int:pk>/", registrations.registration_detail, name="detail"),
    path("<int:pk>/edit/", registrations.registration_edit, name="edit"),
    path("<int:pk>/autosave/", registrations.registration_autosave, name="autosave"),
    path("<int:pk>/submit/", registrations.registration_submit_view, name="submit"),
    path("<int:pk>/lines/", registrations.registration_add_line_view, name="add_line"),
    path("<int:pk>/attachments/", registrations.attachment_upload, name="attachment_upload"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        registrations.attachment_download,
        name="attachment_download",
    ),
    path("<int:pk>/extension/", registrations.extension_request_view, name="extension_request"),
    path("<int:pk>/won/", registrations.registration_won, name="won"),
    path("<int:pk>/lost/", registrations.registration_lost, name="lost"),
    # Co-selling (the partner and the vendor people on the deal)
    path("<int:pk>/cosell/", cosell.cosell_request_view, name="cosell_request"),
    path("cosell/<int:pk>/entries/", cosell.cosell_entry_view, name="cosell_entry"),
    path("cosell/<int:pk>/assign/", cosell.cosell_assign_view, name="cosell_assign"),
    path("cosell/<int:pk>/close/", cosell.cosell_close_view, name="cosell_close"),
    path("cosell/tasks/<int:pk>/done/", cosell.cosell_task_done_view, name="cosell_task_done"),
    # Review (vendor staff)
    path("review/", review.review_queue_view, name="review_queue"),
    path("<int:pk>/review/", review.review, name="review"),
    path("<int:pk>/start-review/", review.start_review, name="start_review"),
    path("<int:pk>/approve/", review.approve, name="approve"),
    path("<int:pk>/reject/", review.reject, name="reject"),
    path("<int:pk>/request-info/", review.request_info, name="request_info"),
    path("extensions/<int:pk>/decide/", review.extension_decide, name="extension_decide"),
    path("dashboard/", review.dashboard, name="dashboard"),
    path("reports/", review.reports_view, name="reports"),
    path("settings/", review.settings_view, name="settings"),
    # Direct opportunities (vendor pipeline)
    path("opportunities/", leads.opportunity_list, name="opportunities"),
    path("opportunities/<int:pk>/status/", leads.opportunity_status, name="opportunity_status"),
    # Leads
    path("leads/", leads.lead_list, name="leads"),
    path("leads/new/", leads.lead_new, name="lead_new"),
    path("leads/route-queue/", leads.leads_route_queue_view, name="leads_route_queue"),
    path("leads/rules/", leads.routing_rule_list, name="routing_rules"),
    path("leads/rules/<int:pk>/", leads.routing_rule_edit, name="routing_rule_edit"),
    path("leads/rules/<int:pk>/delete/", leads.routing_rule_delete_view, name="routing_rule_delete"),
    path("leads/<int:pk>/", leads.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/route/", leads.lead_route_view, name="lead_route"),
    path("leads/<int:pk>/close/", leads.lead_close_view, name="lead_close"),
    path("leads/<int:pk>/accept/", leads.lead_accept_view, name="lead_accept"),
    path("leads/<int:pk>/decline/", leads.lead_decline_view, name="lead_decline"),
]
