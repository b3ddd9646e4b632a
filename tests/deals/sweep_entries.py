from __future__ import annotations

from deals.models import (
    Customer,
    DealAttachment,
    DealExtension,
    DirectOpportunity,
    Lead,
    LeadAssignment,
    RoutingRule,
)
from deals.services.review import registration_approve
from tests.deals.helpers import register
from tests.sweep import Entry


def _draft(cast):
    return {"pk": register(cast, "p1_user", submit=False).pk}


def _submitted(cast):
    return {"pk": register(cast, "p1_user").pk}


def _approved(cast):
    registration = register(cast, "p1_user")
    registration_approve(registration=registration, acting_membership=cast.a.memberships["manager"])
    return {"pk": registration.pk}


def _cosell(cast):
    from deals.services.cosell import cosell_request

    registration = register(cast, "p1_user")
    request = cosell_request(
        registration=registration,
        acting_membership=cast.a.memberships["p1_user"],
        kind="presales",
        message="A demo, please",
    )
    return request


def _cosell_request(cast):
    return {"pk": _cosell(cast).pk}


def _cosell_task(cast):
    import datetime

    from deals.services.cosell import cosell_add_entry

    entry = cosell_add_entry(
        request=_cosell(cast),
        acting_membership=cast.a.memberships["manager"],
        kind="task",
        text="Book the demo",
        due_on=datetime.date.today() + datetime.timedelta(days=3),
    )
    return {"pk": entry.pk}


def _attachment(cast):
    registration = register(cast, "p1_user")
    attachment = DealAttachment.objects.create(
        registration=registration,
        filename="quote.txt",
        path="tenants/none/quote.txt",
        content_type="text/plain",
        size=5,
        sha256="0" * 64,
        uploaded_by=cast.a.users["p1_user"],
    )
    return {"pk": registration.pk, "attachment_pk": attachment.pk}


def _extension(cast):
    registration = register(cast, "p1_user")
    registration_approve(registration=registration, acting_membership=cast.a.memberships["manager"])
    extension = DealExtension.objects.create(
        registration=registration, requested_by=cast.a.users["p1_user"], reason="x", days=30
    )
    return {"pk": extension.pk}


def _customer(cast):
    customer = Customer.objects.create(
        partner=cast.a.partners["p1"],
        legal_name="Northwind Customer",
        name_normalised="northwind customer",
        country="US",
    )
    return {"pk": customer.pk}


def _lead(cast):
    from django.utils import timezone

    lead = Lead.objects.create(
        company="Lead Co",
        country="US",
        product_interest="pumps",
        currency="USD",
        status=Lead.Status.OFFERED,
        partner=cast.a.partners["p1"],
    )
    LeadAssignment.objects.create(
        lead=lead, partner=cast.a.partners["p1"], reason="test", due_at=timezone.now()
    )
    return {"pk": lead.pk}


def _rule(cast):
    return {"pk": RoutingRule.objects.create(name="Rule", position=1).pk}


def _opportunity(cast):
    return {
        "pk": DirectOpportunity.objects.create(
            reference="OPP-9",
            customer_name="X",
            customer_name_normalised="x",
            country="US",
            product_lines=["pumps"],
            currency="USD",
        ).pk
    }


ENTRIES = {
    "deals:list": Entry(),
    "deals:new": Entry(methods=("GET", "POST")),
    "deals:customer_lookup": Entry(),
    "deals:customer_fill": Entry(kwargs=_customer, partner_owned=True),
    "deals:detail": Entry(kwargs=_submitted, partner_owned=True),
    "deals:edit": Entry(kwargs=_draft, methods=("GET", "POST"), partner_owned=True),
    "deals:autosave": Entry(kwargs=_draft, methods=("POST",), partner_owned=True),
    "deals:submit": Entry(kwargs=_draft, methods=("POST",), partner_owned=True),
    "deals:add_line": Entry(kwargs=_approved, methods=("POST",), partner_owned=True),
    "deals:attachment_upload": Entry(kwargs=_submitted, methods=("POST",), partner_owned=True),
    "deals:attachment_download": Entry(kwargs=_attachment, partner_owned=True),
    "deals:extension_request": Entry(kwargs=_approved, methods=("POST",), partner_owned=True),
    "deals:won": Entry(kwargs=_approved, methods=("POST",), partner_owned=True),
    "deals:lost": Entry(kwargs=_approved, methods=("POST",), partner_owned=True),
    "deals:review_queue": Entry(),
    "deals:review": Entry(kwargs=_submitted, partner_owned=True),
    "deals:start_review": Entry(kwargs=_submitted, methods=("POST",), partner_owned=True),
    "deals:approve": Entry(kwargs=_submitted, methods=("POST",), partner_owned=True),
    "deals:reject": Entry(kwargs=_submitted, methods=("POST",), partner_owned=True),
    "deals:request_info": Entry(kwargs=_submitted, methods=("POST",), partner_owned=True),
    "deals:extension_decide": Entry(kwargs=_extension, methods=("POST",), partner_owned=True),
    "deals:cosell_request": Entry(kwargs=_submitted, methods=("POST",), partner_owned=True),
    "deals:cosell_entry": Entry(kwargs=_cosell_request, methods=("POST",), partner_owned=True),
    "deals:cosell_assign": Entry(kwargs=_cosell_request, methods=("POST",), partner_owned=True),
    "deals:cosell_close": Entry(kwargs=_cosell_request, methods=("POST",), partner_owned=True),
    "deals:cosell_task_done": Entry(kwargs=_cosell_task, methods=("POST",), partner_owned=True),
    "deals:dashboard": Entry(),
    "deals:reports": Entry(),
    "deals:settings": Entry(methods=("GET", "POST")),
    "deals:opportunities": Entry(methods=("GET", "POST")),
    "deals:opportunity_status": Entry(kwargs=_opportunity, methods=("POST",)),
    "deals:leads": Entry(),
    "deals:lead_new": Entry(methods=("GET", "POST")),
    "deals:leads_route_queue": Entry(methods=("POST",)),
    "deals:routing_rules": Entry(methods=("GET", "POST")),
    "deals:routing_rule_edit": Entry(kwargs=_rule, methods=("GET", "POST")),
    "deals:routing_rule_delete": Entry(kwargs=_rule, methods=("POST",)),
    "deals:lead_detail": Entry(kwargs=_lead, partner_owned=True),
    "deals:lead_route": Entry(kwargs=_lead, methods=("POST",), partner_owned=True),
    "deals:lead_close": Entry(kwargs=_lead, methods=("POST",), partner_owned=True),
    "deals:lead_accept": Entry(kwargs=_lead, methods=("POST",), partner_owned=True),
    "deals:lead_decline": Entry(kwargs=_lead, methods=("POST",), partner_owned=True),
}
