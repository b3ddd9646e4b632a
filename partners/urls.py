from django.urls import path

from partners.views import (
    agreements,
    directory,
    enablement,
    lifecycle,
    performance,
    plans,
    recruitment,
    territories,
)

app_name = "partners"
urlpatterns = [
    # Territories
    path("territories/", territories.territory_list, name="territories"),
    path("territories/new/", territories.territory_edit, name="territory_new"),
    path("territories/<int:pk>/", territories.territory_edit, name="territory_edit"),
    path("territories/<int:pk>/delete/", territories.territory_delete_view, name="territory_delete"),
    # Directory and partner 360
    path("", directory.partner_list, name="list"),
    path("mine/", directory.partner_mine, name="mine"),
    path("contacts/export/", directory.contacts_export, name="contacts_export"),
    path("<int:pk>/", directory.partner_detail, name="detail"),
    path("<int:pk>/edit/", directory.partner_edit, name="edit"),
    path("<int:pk>/request-change/", directory.partner_change_request, name="change_request"),
    path("<int:pk>/managers/", directory.partner_manager_add, name="manager_add"),
    path("<int:pk>/managers/<int:user_id>/remove/", directory.partner_manager_remove, name="manager_remove"),
    path("<int:pk>/suspend/", lifecycle.partner_suspend_view, name="suspend"),
    path("<int:pk>/terminate/", lifecycle.partner_terminate_view, name="terminate"),
    path("<int:pk>/reactivate/", lifecycle.partner_reactivate_view, name="reactivate"),
    path("<int:pk>/tier/", lifecycle.partner_tier_change_view, name="tier_change"),
    path("<int:pk>/onboarding/", performance.onboarding, name="onboarding"),
    path("<int:pk>/payout/", performance.payout, name="payout"),
    path("<int:pk>/payout/verify/", performance.payout_verify, name="payout_verify"),
    path("<int:pk>/scorecard/", performance.scorecard, name="scorecard"),
    path("<int:pk>/scorecard/recalculate/", performance.scorecard_recalculate, name="scorecard_recalculate"),
    path("scorecards/recalculate/", performance.scorecards_recalculate_all, name="scorecards_recalculate"),
    path("tier-proposals/", performance.proposal_list, name="proposals"),
    path("tier-proposals/<int:pk>/approve/", performance.proposal_approve, name="proposal_approve"),
    path("tier-proposals/<int:pk>/reject/", performance.proposal_reject, name="proposal_reject"),
    # Joint business plans
    path("plans/", plans.plan_list, name="plans"),
    path("plans/new/", plans.plan_new, name="plan_new"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", plans.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/propose/", plans.plan_propose_view, name="plan_propose"),
    path("plans/<int:pk>/sign/", plans.plan_sign_view, name="plan_sign"),
    path("plans/<int:pk>/reopen/", plans.plan_reopen_view, name="plan_reopen"),
    path("plans/<int:pk>/initiatives/", plans.plan_initiative_add_view, name="plan_initiative_add"),
    path("plans/<int:pk>/comments/", plans.plan_comment_view, name="plan_comment"),
    path(
        "plan-initiatives/<int:pk>/status/", plans.plan_initiative_status_view, name="plan_initiative_status"
    ),
    # Recruitment (apply/ and amend are public)
    path("apply/", recruitment.apply, name="apply"),
    path("apply/thanks/", recruitment.apply_thanks, name="apply_thanks"),
    path("apply/amend/<str:token>/", recruitment.apply_amend, name="apply_amend"),
    path("applications/", recruitment.application_list, name="applications"),
    path("applications/<int:pk>/", recruitment.application_detail, name="application_detail"),
    path("applications/<int:pk>/approve/", recruitment.application_approve_view, name="application_approve"),
    path("applications/<int:pk>/reject/", recruitment.application_reject_view, name="application_reject"),
    path(
        "applications/<int:pk>/request-info/",
        recruitment.application_request_info_view,
        name="application_request_info",
    ),
    # Programs, tiers, agreements
    path("programs/", agreements.program_list, name="programs"),
    path("programs/<int:pk>/", agreements.program_detail, name="program_detail"),
    path("programs/<int:pk>/agreement/new/", agreements.template_new, name="template_new"),
    path("tiers/<int:pk>/edit/", agreements.tier_edit, name="tier_edit"),
    path("agreement-templates/<int:pk>/", agreements.template_detail, name="template_detail"),
    path("agreement-templates/<int:pk>/publish/", agreements.template_publish, name="template_publish"),
    path("agreement/", agreements.agreement_current, name="agreement_current"),
    path("agreement/open/", agreements.agreement_open, name="agreement_open"),
    path("agreements/<int:pk>/sign/", agreements.agreement_sign_view, name="agreement_sign"),
    path("agreements/<int:pk>/document.pdf", agreements.agreement_document, name="agreement_document"),
    path("agreements/<int:pk>/signed.pdf", agreements.agreement_signed_pdf, name="agreement_signed_pdf"),
    # Enablement
    path("resources/", enablement.resource_list, name="resources"),
    path("resources/new/", enablement.resource_new, name="resource_new"),
    path("resources/<int:pk>/", enablement.resource_detail, name="resource_detail"),
    path("resources/<int:pk>/download/", enablement.resource_file, name="resource_download"),
    path("training/", enablement.course_list, name="courses"),
    path("training/new/", enablement.course_new, name="course_new"),
    path("training/<int:pk>/", enablement.course_detail, name="course_detail"),
    path("training/<int:pk>/quiz/", enablement.course_quiz, name="course_quiz"),
    path("training/<int:pk>/lessons/new/", enablement.lesson_new, name="lesson_new"),
    path("training/<int:pk>/questions/new/", enablement.question_new, name="question_new"),
    path("lessons/<int:pk>/attachment/", enablement.lesson_file, name="lesson_file"),
    path("certifications/", enablement.certification_list, name="certifications"),
    path("certifications/upload/", enablement.certification_upload, name="certification_upload"),
    path("certifications/<int:pk>/file/", enablement.certification_file, name="certification_file"),
    path(
        "certifications/<int:pk>/verify/", enablement.certification_verify_view, name="certification_verify"
    ),
    path(
        "certifications/<int:pk>/reject/", enablement.certification_reject_view, name="certification_reject"
    ),
]
