from __future__ import annotations

from tests.partners import helpers
from tests.sweep import Entry


def _territory(cast):
    from partners.models import Territory

    return {"pk": Territory.objects.create(name="DACH", countries=["DE", "AT", "CH"]).pk}


def _p1(cast):
    return {"pk": cast.a.partners["p1"].pk}


def _p1_manager(cast):
    from guardian.shortcuts import assign_perm

    assign_perm("partners.manage_partner", cast.a.users["manager"], cast.a.partners["p1"])
    return {"pk": cast.a.partners["p1"].pk, "user_id": cast.a.users["manager"].pk}


def _application(cast):
    return {"pk": helpers.application().pk}


def _amend_token(cast):
    app = helpers.application(status="info_requested", amend_token="sweep-token-0123456789")
    return {"token": app.amend_token}


def _program(cast):
    return {"pk": helpers.program_with_partners(cast).pk}


def _tier(cast):
    return {"pk": helpers.tier(helpers.program_with_partners(cast), "Gold").pk}


def _template(cast):
    from partners.selectors import current_agreement_template

    return {"pk": current_agreement_template(helpers.program_with_partners(cast).pk).pk}


def _agreement(cast):
    from partners.models import Agreement

    helpers.program_with_partners(cast, signed=True)
    return {"pk": Agreement.objects.get(partner=cast.a.partners["p1"]).pk}


def _proposal(cast):
    return {"pk": helpers.proposal(cast, helpers.program_with_partners(cast)).pk}


def _resource(cast):
    return {"pk": helpers.resource(cast).pk}


def _course(cast):
    return {"pk": helpers.course().pk}


def _lesson(cast):
    from partners.services.enablement import lesson_add

    lesson = lesson_add(
        course=helpers.course(),
        acting_membership=cast.a.memberships["manager"],
        title="L1",
        body="Text",
        upload=helpers.pdf_upload(),
        filename="slides.pdf",
    )
    return {"pk": lesson.pk}


def _certification(cast):
    from prm.files import store_bytes

    path, _digest = store_bytes(b"%PDF-1.4 cert", area="certificates", suffix=".pdf")
    return {
        "pk": helpers.certification(
            cast, file_path=path, file_name="cert.pdf", file_type="application/pdf"
        ).pk
    }


def _plan(cast):
    return {"pk": helpers.plan(cast, goals={(1, "deals_won"): 3}).pk}


def _initiative(cast):
    return {"pk": helpers.initiative(cast, helpers.plan(cast)).pk}


ENTRIES = {
    "partners:list": Entry(),
    "partners:territories": Entry(),
    "partners:territory_new": Entry(methods=("GET", "POST")),
    "partners:territory_edit": Entry(kwargs=_territory, methods=("GET", "POST")),
    "partners:territory_delete": Entry(kwargs=_territory, methods=("POST",)),
    "partners:mine": Entry(),
    "partners:contacts_export": Entry(),
    "partners:detail": Entry(kwargs=_p1, partner_owned=True),
    "partners:edit": Entry(kwargs=_p1, methods=("GET", "POST"), partner_owned=True),
    "partners:change_request": Entry(kwargs=_p1, methods=("POST",), partner_owned=True),
    "partners:manager_add": Entry(kwargs=_p1, methods=("POST",), partner_owned=True),
    "partners:manager_remove": Entry(kwargs=_p1_manager, methods=("POST",), partner_owned=True),
    "partners:suspend": Entry(kwargs=_p1, methods=("POST",), partner_owned=True),
    "partners:terminate": Entry(kwargs=_p1, methods=("POST",), partner_owned=True),
    "partners:reactivate": Entry(kwargs=_p1, methods=("POST",), partner_owned=True),
    "partners:tier_change": Entry(kwargs=_p1, methods=("POST",), partner_owned=True),
    "partners:onboarding": Entry(kwargs=_p1, partner_owned=True),
    "partners:payout": Entry(kwargs=_p1, methods=("GET", "POST"), partner_owned=True),
    "partners:payout_verify": Entry(kwargs=_p1, methods=("POST",), partner_owned=True),
    "partners:scorecard": Entry(kwargs=_p1, partner_owned=True),
    "partners:scorecard_recalculate": Entry(kwargs=_p1, methods=("POST",), partner_owned=True),
    "partners:scorecards_recalculate": Entry(methods=("POST",)),
    "partners:proposals": Entry(),
    "partners:proposal_approve": Entry(kwargs=_proposal, methods=("POST",), partner_owned=True),
    "partners:proposal_reject": Entry(kwargs=_proposal, methods=("POST",), partner_owned=True),
    "partners:apply": Entry(methods=("GET", "POST"), public=True),
    "partners:apply_thanks": Entry(public=True),
    "partners:apply_amend": Entry(kwargs=_amend_token, methods=("GET", "POST"), public=True),
    "partners:applications": Entry(),
    "partners:application_detail": Entry(kwargs=_application),
    "partners:application_approve": Entry(kwargs=_application, methods=("POST",)),
    "partners:application_reject": Entry(kwargs=_application, methods=("POST",)),
    "partners:application_request_info": Entry(kwargs=_application, methods=("POST",)),
    "partners:programs": Entry(methods=("GET", "POST")),
    "partners:program_detail": Entry(kwargs=_program),
    "partners:template_new": Entry(kwargs=_program, methods=("GET", "POST")),
    "partners:tier_edit": Entry(kwargs=_tier, methods=("GET", "POST")),
    "partners:template_detail": Entry(kwargs=_template),
    "partners:template_publish": Entry(kwargs=_template, methods=("POST",)),
    "partners:agreement_current": Entry(),
    "partners:agreement_open": Entry(methods=("POST",)),
    "partners:agreement_sign": Entry(kwargs=_agreement, methods=("POST",), partner_owned=True),
    "partners:agreement_document": Entry(kwargs=_agreement, partner_owned=True),
    "partners:agreement_signed_pdf": Entry(kwargs=_agreement, partner_owned=True),
    "partners:resources": Entry(),
    "partners:resource_new": Entry(methods=("GET", "POST")),
    "partners:resource_detail": Entry(kwargs=_resource, methods=("GET", "POST")),
    "partners:resource_download": Entry(kwargs=_resource),
    "partners:courses": Entry(),
    "partners:course_new": Entry(methods=("GET", "POST")),
    "partners:course_detail": Entry(kwargs=_course),
    "partners:course_quiz": Entry(kwargs=_course, methods=("POST",)),
    "partners:lesson_new": Entry(kwargs=_course, methods=("GET", "POST")),
    "partners:question_new": Entry(kwargs=_course, methods=("GET", "POST")),
    "partners:lesson_file": Entry(kwargs=_lesson),
    "partners:certifications": Entry(),
    "partners:certification_upload": Entry(methods=("GET", "POST")),
    "partners:certification_file": Entry(kwargs=_certification, partner_owned=True),
    "partners:certification_verify": Entry(kwargs=_certification, methods=("POST",), partner_owned=True),
    "partners:certification_reject": Entry(kwargs=_certification, methods=("POST",), partner_owned=True),
    "partners:plans": Entry(),
    "partners:plan_new": Entry(methods=("GET", "POST")),
    "partners:plan_detail": Entry(kwargs=_plan, partner_owned=True),
    "partners:plan_edit": Entry(kwargs=_plan, methods=("GET", "POST"), partner_owned=True),
    "partners:plan_propose": Entry(kwargs=_plan, methods=("POST",), partner_owned=True),
    "partners:plan_sign": Entry(kwargs=_plan, methods=("POST",), partner_owned=True),
    "partners:plan_reopen": Entry(kwargs=_plan, methods=("POST",), partner_owned=True),
    "partners:plan_initiative_add": Entry(kwargs=_plan, methods=("POST",), partner_owned=True),
    "partners:plan_comment": Entry(kwargs=_plan, methods=("POST",), partner_owned=True),
    "partners:plan_initiative_status": Entry(kwargs=_initiative, methods=("POST",), partner_owned=True),
}
