"""Territories (precedence, reviewer routing, lead routing, overlap warning), co-selling
(visibility per party, reminders), two-tier sharing (one deal, by object permission) and its
pricing agreement, and the attribution reports."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from claims.models import PricingAgreement
from deals import reports
from deals.models import CoSellEntry, DealRegistration, DealRegistrationUserObjectPermission, Lead
from deals.selectors import review_queue, territory_id_for, visible_registrations_for_membership
from deals.services.cosell import cosell_add_entry, cosell_remind_due_tasks, cosell_request
from deals.services.drafts import registration_create
from deals.services.leads import lead_accept, lead_create, lead_route, routing_preview
from deals.services.outcome import registration_mark_lost, registration_mark_won
from deals.services.review import registration_approve
from deals.services.submission import registration_submit
from deals.tasks import review_sla
from partners.models import Territory
from partners.services.onboarding import partner_manager_assign
from partners.services.territories import territory_save
from partners.territories import territory_for
from prm.accounts.models import Membership
from prm.accounts.services import (
    invitation_accept,
    invitation_create,
    membership_deactivate,
    membership_reactivate,
)
from prm.audit.models import AuditEvent
from prm.notifications.models import Notification
from prm.roles import Role
from tests.conftest import _member
from tests.deals.helpers import customer_data, register
from tests.factories import MembershipFactory, PartnerFactory, UserFactory
from tests.posdata.helpers import load as load_file
from tests.posdata.helpers import write

pytestmark = pytest.mark.django_db


def _territory(cast, name, precedence, *, owners=(), partners=(), **rules):
    t, overlaps = territory_save(
        territory=Territory(name=name, precedence=precedence, **rules),
        acting_membership=cast.a.memberships["admin"],
        owners=[cast.a.memberships[k] for k in owners],
        partners=[cast.a.partners[k] for k in partners],
    )
    return t, overlaps


def _other_manager(cast) -> Membership:
    _member(cast.a, "other_manager", Role.CHANNEL_MANAGER)
    return cast.a.memberships["other_manager"]


# --- territory rules --------------------------------------------------------------------------------


def test_first_territory_by_precedence_wins_and_named_account_beats_geography(cast):
    with cast.a.context():
        _territory(cast, "Bavaria", 10, countries=["DE"], postal_prefixes=["80", "81"])
        _territory(cast, "Germany", 20, countries=["DE"])
        _territory(cast, "Key accounts", 90, named_accounts=["Siemens AG", "bosch.com"])
        _territory(cast, "Rest of world", 999)
        assert territory_for(country="DE", postal_code="80 331").name == "Bavaria"
        assert territory_for(country="de", postal_code="10115").name == "Germany"
        assert territory_for(country="DE", postal_code="80331", account="Siemens").name == "Key accounts"
        assert territory_for(country="FR", domain="https://www.bosch.com/x").name == "Key accounts"
        assert territory_for(country="FR").name == "Rest of world"


def test_territory_with_only_named_accounts_matches_no_one_else_and_industry_must_match(cast):
    with cast.a.context():
        _territory(cast, "Banks", 10, countries=["US"], industries=["Banking"])
        _territory(cast, "Named", 5, named_accounts=["Contoso"])
        assert territory_for(country="US", industry="banking").name == "Banks"
        assert territory_for(country="US", industry="Retail") is None
        assert territory_for(country="US") is None


def test_saving_a_territory_reports_overlaps_and_audits(cast):
    with cast.a.context():
        _territory(cast, "Germany", 20, countries=["DE", "AT"])
        _territory(cast, "Alps", 30, countries=["CH"])
        t, overlaps = _territory(cast, "Bavaria", 10, countries=["DE"], postal_prefixes=["80"])
        assert [o.name for o, _reasons in overlaps] == ["Germany"]
        assert "DE" in overlaps[0][1][0]
        assert AuditEvent.objects.filter(action="territory.create", object_id=str(t.pk)).exists()


def test_territory_page_shows_overlap_warning_and_is_admin_only(cast):
    with cast.a.context():
        _territory(cast, "Germany", 20, countries=["DE"])
    client = cast.a.client("admin")
    response = client.post(
        reverse("partners:territory_new"),
        {"name": "Munich", "precedence": 5, "countries_text": "de", "postal_text": "80"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Overlaps with Germany" in response.content.decode()
    assert cast.a.client("manager").get(reverse("partners:territory_new")).status_code == 403
    assert cast.a.client("manager").get(reverse("partners:territories")).status_code == 200
    assert cast.a.client("p1_admin").get(reverse("partners:territories")).status_code == 403


def test_bad_country_code_is_a_message_not_a_500(cast):
    response = cast.a.client("admin").post(
        reverse("partners:territory_new"), {"name": "X", "precedence": 1, "countries_text": "Germany"}
    )
    assert response.status_code == 200
    assert "two-letter" in response.content.decode()


# --- reviewer routing -------------------------------------------------------------------------------


def test_registration_goes_to_its_territory_owner_queue_and_notifications(cast):
    with cast.a.context():
        other = _other_manager(cast)
        _territory(cast, "Americas", 10, countries=["US"], owners=["manager"])
        _territory(cast, "Europe", 20, countries=["DE"], owners=[])
        us = register(cast, "p1_user", "Acme Inc.", country="US")
        de = register(cast, "p1_user", "Beta GmbH", domain="beta.de", country="DE")
        assert us.territory.name == "Americas"
        assert list(review_queue(cast.a.memberships["manager"])) == [us]
        assert list(review_queue(other)) == []
        # The vendor admin: registrations in no territory or in one without owners.
        assert list(review_queue(cast.a.memberships["admin"])) == [de]
        assert set(review_queue(other, "all")) == {us, de}
        about_us = Notification.objects.filter(verb="deal.review_needed", message__startswith=us.reference)
        assert set(about_us.values_list("recipient_id", flat=True)) == {cast.a.users["manager"].pk}
        # Europe has no owner: every reviewer hears about it (the earlier behaviour).
        about_de = Notification.objects.filter(verb="deal.review_needed", message__startswith=de.reference)
        assert other.user_id in set(about_de.values_list("recipient_id", flat=True))


def test_sla_reminds_territory_owner_then_escalates_to_admins(cast):
    with cast.a.context():
        other = _other_manager(cast)
        _territory(cast, "Americas", 10, countries=["US"], owners=["manager"])
        r = register(cast, "p1_user", "Acme Inc.", country="US")
        DealRegistration.objects.filter(pk=r.pk).update(
            review_due_at=timezone.now() + datetime.timedelta(hours=1)
        )
        review_sla.apply(kwargs={"tenant_id": cast.a.tenant.pk}).get()
        reminded = set(
            Notification.objects.filter(verb="deal.review_reminder").values_list("recipient_id", flat=True)
        )
        assert reminded == {cast.a.users["manager"].pk}
        DealRegistration.objects.filter(pk=r.pk).update(
            review_due_at=timezone.now() - datetime.timedelta(hours=1)
        )
        review_sla.apply(kwargs={"tenant_id": cast.a.tenant.pk}).get()
        escalated = set(
            Notification.objects.filter(verb="deal.review_escalation").values_list("recipient_id", flat=True)
        )
        assert escalated == {cast.a.users["admin"].pk, cast.a.users["manager"].pk}
        assert other.user_id not in escalated
        review_sla.apply(kwargs={"tenant_id": cast.a.tenant.pk}).get()
        assert Notification.objects.filter(verb="deal.review_escalation").count() == 2


def test_review_queue_page_lists_only_the_owners_registrations(cast):
    with cast.a.context():
        _territory(cast, "Americas", 10, countries=["US"], owners=["admin"])
        r = register(cast, "p1_user", "Acme Inc.", country="US")
    body = cast.a.client("manager").get(reverse("deals:review_queue")).content.decode()
    assert r.reference not in body
    assert (
        r.reference
        in cast.a.client("manager").get(reverse("deals:review_queue") + "?scope=all").content.decode()
    )
    assert r.reference in cast.a.client("admin").get(reverse("deals:review_queue")).content.decode()


# --- lead routing -----------------------------------------------------------------------------------


def _lead(cast, country="US", region="", **more):
    return lead_create(
        acting_membership=cast.a.memberships["admin"],
        data={
            "company": "Lead Co",
            "country": country,
            "region": region,
            **more,
            "product_interest": "pumps",
            "currency": "USD",
            "value": Decimal("100"),
        },
        route=False,
    )


def test_lead_routing_uses_territory_members_and_falls_back_without_territories(cast):
    with cast.a.context():
        for key in ("p1", "p2"):
            cast.a.partners[key].expertise = ["pumps"]
            cast.a.partners[key].save()
        cast.a.partners["p2"].country = "DE"
        cast.a.partners["p2"].region = "EMEA"
        cast.a.partners["p2"].save()
        lead = _lead(cast, "US")
        # No territories: the partner in the lead's country.
        assert routing_preview(lead).partner == cast.a.partners["p1"]
        # With a territory: its member partners, wherever they are.
        _territory(cast, "Americas", 10, countries=["US"], partners=["p2"])
        decision = routing_preview(Lead.objects.get(pk=lead.pk))
        assert decision.territory == "Americas"
        assert decision.partner == cast.a.partners["p2"]
        p1_check = next(c for c in decision.checks if c.partner == cast.a.partners["p1"])
        assert p1_check.failed == "territory"


def test_leads_route_by_postal_prefix_and_industry_and_carry_them_to_the_registration(cast):
    with cast.a.context():
        for key in ("p1", "p2"):
            cast.a.partners[key].expertise = ["pumps"]
            cast.a.partners[key].save()
        _territory(
            cast,
            "US West healthcare",
            10,
            countries=["US"],
            postal_prefixes=["94"],
            industries=["Healthcare"],
            partners=["p2"],
        )
        _territory(cast, "US", 20, countries=["US"], partners=["p1"])
        west = _lead(cast, postal_code="94 105", industry="healthcare")
        east = _lead(cast, postal_code="10001", industry="Healthcare")
        retail_west = _lead(cast, postal_code="94105", industry="Retail")
        assert routing_preview(west).territory == "US West healthcare"
        assert routing_preview(west).partner == cast.a.partners["p2"]
        assert routing_preview(east).territory == "US"
        assert routing_preview(retail_west).partner == cast.a.partners["p1"]

        lead_route(lead=west, acting_membership=cast.a.memberships["admin"])
    with cast.a.context():
        registration = lead_accept(
            lead=Lead.objects.get(pk=west.pk), acting_membership=cast.a.memberships["p2_admin"]
        )
        assert (registration.postal_code, registration.industry) == ("94 105", "healthcare")
        # Submitted, the registration falls in the same territory as the lead did.
        assert territory_id_for(registration) == Territory.objects.get(name="US West healthcare").pk


# --- co-selling -------------------------------------------------------------------------------------


def test_cosell_request_assigns_owner_and_timeline_is_visible_to_exactly_the_parties(cast):
    with cast.a.context():
        other = _other_manager(cast)
        other.assigned_partners_only = True
        other.save()
        _territory(cast, "Americas", 10, countries=["US"], owners=["manager"])
        r = register(cast, "p1_user", "Acme Inc.", country="US")
        req = cosell_request(
            registration=r,
            acting_membership=cast.a.memberships["p1_user"],
            kind="presales",
            message="Need a demo",
        )
        assert req.assignee == cast.a.users["manager"]
        cosell_add_entry(
            request=req,
            acting_membership=cast.a.memberships["manager"],
            kind="task",
            text="Run the technical workshop",
            due_on=timezone.localdate() + datetime.timedelta(days=2),
        )
        req.refresh_from_db()
        assert req.status == "active"
        assert AuditEvent.objects.filter(action="cosell.entry").count() == 1
    url = reverse("deals:detail", kwargs={"pk": r.pk})
    assert "Run the technical workshop" in cast.a.client("p1_user").get(url).content.decode()
    assert "Run the technical workshop" in cast.a.client("manager").get(url).content.decode()
    assert cast.a.client("p2_user").get(url).status_code == 404
    assert cast.a.client("other_manager").get(url).status_code == 404
    entry_url = reverse("deals:cosell_entry", kwargs={"pk": req.pk})
    assert cast.a.client("p2_user").post(entry_url, {"kind": "note", "text": "x"}).status_code == 404
    with cast.a.context():
        assert CoSellEntry.objects.count() == 1


def test_cosell_task_reminder_is_sent_once(cast):
    with cast.a.context():
        _territory(cast, "Americas", 10, countries=["US"], owners=["manager"])
        r = register(cast, "p1_user", "Acme Inc.", country="US")
        req = cosell_request(
            registration=r,
            acting_membership=cast.a.memberships["p1_user"],
            kind="pricing",
            message="Price help",
        )
        entry = cosell_add_entry(
            request=req,
            acting_membership=cast.a.memberships["p1_user"],
            kind="task",
            text="Send the BOM",
            due_on=timezone.localdate() + datetime.timedelta(days=1),
        )
        assert cosell_remind_due_tasks() == 0
        CoSellEntry.objects.filter(pk=entry.pk).update(due_on=timezone.localdate())
        assert cosell_remind_due_tasks() == 1
        assert cosell_remind_due_tasks() == 0
        recipients = set(
            Notification.objects.filter(verb="cosell.task_due").values_list("recipient_id", flat=True)
        )
        assert cast.a.users["manager"].pk in recipients and cast.a.users["p1_user"].pk in recipients


def test_a_task_without_due_date_is_refused_and_writes_nothing(cast):
    with cast.a.context():
        r = register(cast, "p1_user")
        req = cosell_request(
            registration=r, acting_membership=cast.a.memberships["p1_user"], kind="executive", message="x"
        )
    response = cast.a.client("p1_user").post(
        reverse("deals:cosell_entry", kwargs={"pk": req.pk}), {"kind": "task", "text": "Do it"}, follow=True
    )
    assert "A task needs a due date." in response.content.decode()
    with cast.a.context():
        assert not CoSellEntry.objects.exists()


# --- two-tier ---------------------------------------------------------------------------------------


def _two_tier(cast):
    """A reseller (R1) registers naming distributor p2; R1 also has a second, unshared deal."""
    reseller = PartnerFactory(code="R1", name="Reseller One", type="reseller")
    user = UserFactory(email="r1@acme.test")
    m = MembershipFactory(user=user, role=Role.PARTNER_USER, partner=reseller)
    from partners.models import Agreement  # noqa: F401  (signed agreement is not required in tests?)

    data = customer_data("Globe Corp", domain="globe.com")
    data["distributor"] = cast.a.partners["p2"]
    shared = registration_create(
        acting_membership=m,
        data=data,
        lines=[{"product_line": "pumps", "quantity": 10, "value": Decimal("1000.00")}],
    )
    shared = registration_submit(registration=shared, acting_membership=m)
    other = registration_create(
        acting_membership=m,
        data=customer_data("Private Corp", domain="private.com"),
        lines=[{"product_line": "pumps", "quantity": 1, "value": Decimal("50.00")}],
    )
    other = registration_submit(registration=other, acting_membership=m)
    return shared, other


def test_distributor_sees_exactly_the_shared_deal(cast):
    with cast.a.context():
        shared, other = _two_tier(cast)
        registration_approve(
            registration=shared, acting_membership=cast.a.memberships["admin"], discount_pct=Decimal("12.5")
        )
        assert list(visible_registrations_for_membership(cast.a.memberships["p2_user"])) == [shared]
        assert list(visible_registrations_for_membership(cast.a.memberships["p1_user"])) == []
    client = cast.a.client("p2_user")
    page = client.get(reverse("deals:detail", kwargs={"pk": shared.pk})).content.decode()
    assert ("Globe Corp" in page and "12.50%" in page) or "12.5" in page
    assert client.get(reverse("deals:detail", kwargs={"pk": other.pk})).status_code == 404
    assert client.get(reverse("deals:edit", kwargs={"pk": shared.pk})).status_code == 404
    assert client.post(reverse("deals:won", kwargs={"pk": shared.pk}), {}).status_code == 404
    listing = client.get(reverse("deals:list")).content.decode()
    assert shared.reference in listing and other.reference not in listing
    assert cast.a.client("p1_user").get(reverse("deals:detail", kwargs={"pk": shared.pk})).status_code == 404


def test_approval_carries_to_distributor_agreement_idempotently(cast):
    with cast.a.context():
        shared, _other = _two_tier(cast)
        registration_approve(
            registration=shared, acting_membership=cast.a.memberships["admin"], discount_pct=Decimal("10")
        )
        agreement = PricingAgreement.objects.get(partner=cast.a.partners["p2"])
        assert agreement.deal_reference == shared.reference
        line = agreement.lines.get()
        assert line.authorized_quantity == 10
        assert line.book_cost == Decimal("100.00") and line.approved_cost == Decimal("90.00")
        # Replayed event: nothing new.
        from claims.two_tier import carry_two_tier_approval
        from deals.services.common import registration_event_data
        from prm.events import partner_ref

        shared.refresh_from_db()
        data = {**registration_event_data(shared), "distributor": partner_ref(cast.a.partners["p2"])}
        carry_two_tier_approval(
            tenant=cast.a.tenant, event_type="deal.approved", data=data, key=str(shared.pk)
        )
        assert PricingAgreement.objects.count() == 1
        assert PricingAgreement.objects.get().version == 1


# --- attribution ------------------------------------------------------------------------------------


def test_attribution_reports_match_hand_counts(cast):
    with cast.a.context():
        admin = cast.a.memberships["admin"]
        won_cosell = register(cast, "p1_user", "Alpha Inc.", domain="alpha.com")
        cosell_request(
            registration=won_cosell,
            acting_membership=cast.a.memberships["p1_user"],
            kind="presales",
            message="x",
        )
        won_partner = register(cast, "p1_user", "Bravo Inc.", domain="bravo.com")
        lost_partner = register(cast, "p1_user", "Charlie Inc.", domain="charlie.com")
        for r in (won_cosell, won_partner, lost_partner):
            registration_approve(registration=r, acting_membership=admin)
        today = timezone.localdate()
        registration_mark_won(
            registration=won_cosell, acting_membership=admin, closed_value=Decimal("500.00"), closed_on=today
        )
        registration_mark_won(
            registration=won_partner, acting_membership=admin, closed_value=Decimal("300.00"), closed_on=today
        )
        registration_mark_lost(registration=lost_partner, acting_membership=admin, reason=" Price ")
        f = reports.ReportFilter(start=today.replace(day=1), end=today)
        rows = {(row[0], row[1]): row for row in reports.sources_by_month(admin, f, "USD").rows}
        month = today.strftime("%Y-%m")
        assert rows[(month, "Influenced (co-sell)")][2:] == [1, 1, 0, Decimal("100.0"), "500.00 USD"]
        assert rows[(month, "Sourced by partner")][2:] == [2, 1, 1, Decimal("50.0"), "300.00 USD"]
        assert rows[(month, "Sourced by vendor (lead)")][2:] == [0, 0, 0, None, "0.00 USD"]
        lost = reports.lost_reasons(admin, f, "USD").rows
        assert lost == [[month, "price", "Sourced by partner", 1]]
        by_line = {row[1]: row for row in reports.sources_by_product_line(admin, f, "USD").rows}
        assert by_line["Influenced (co-sell)"][2:6] == [1, 1, 0, Decimal("100.0")]
        cosell = {row[0]: row for row in reports.cosell_pipeline(admin, f, "USD").rows}
        assert cosell["Technical pre-sales"][1:] == [1, 1, "0.00 USD", 1, 0, Decimal("100.0")]
        assert cosell["Without co-selling (closed in the period)"][4:] == [1, 1, Decimal("50.0")]
    response = cast.a.client("admin").get(reverse("deals:reports") + "?export=sources&format=csv")
    assert response.status_code == 200
    assert (
        "Influenced (co-sell)"
        in b"".join(response.streaming_content if response.streaming else [response.content]).decode()
    )


def test_the_territory_dashboard_shows_pipeline_wins_pos_revenue_and_coverage(cast, tmp_path):
    """Americas (US; member P1; named account "Named Co"): the open US registrations of P1 and of P2
    (1,000.00 each) are its pipeline (a territory is where the customer is, whoever registers), P1's
    won one its win; P2 is no member, so its customer has no member partner; P1's POS file
    (3 x 150 + 1 x 50 = 500.00 USD, loaded through the loader so the rollups count it) its revenue;
    "Named Co" has no registration by a member: one named account not covered."""
    with cast.a.context():
        _territory(
            cast,
            "Americas",
            10,
            countries=["US"],
            owners=["manager"],
            partners=["p1"],
            named_accounts=["Named Co"],
        )
        register(cast, "p1_user", "Open Inc.", domain="open.com")
        won = register(cast, "p1_user", "Won Inc.", domain="won.com", lines=(("pumps", 1, "700.00"),))
        registration_approve(registration=won, acting_membership=cast.a.memberships["manager"])
        registration_mark_won(
            registration=won,
            acting_membership=cast.a.memberships["p1_admin"],
            closed_value=Decimal("700.00"),
            closed_on=timezone.localdate(),
        )
        register(cast, "p2_user", "Other Inc.", domain="other.com")
    today = timezone.localdate().isoformat()
    pos_file = write(
        tmp_path,
        "invoice_number,invoice_line,invoice_date,sku,quantity,unit_price,currency\n"
        f"T-1,1,{today},PMP-100,3,150.00,USD\nT-2,1,{today},PMP-100,1,50.00,USD\n",
    )
    _upload, summary = load_file(cast.a, "p1", pos_file)
    assert summary["rows_loaded"] == 2
    page = cast.a.client("manager").get(reverse("partners:territories")).content.decode()
    row = page[page.index("Americas") :]
    row = row[: row.index("</tr>")]
    cells = [c.strip() for c in re.findall(r'<td class="text-end">([^<]*)</td>', row)]
    # pipeline, open registrations, wins, named accounts not covered, customers without a member, POS revenue
    assert cells[0] == "2000.00 USD" and cells[1] == "2" and cells[2] == "1", cells
    assert cells[3] == "1" and cells[4] == "1"
    assert cells[5] == "500.00 USD"


def _join_distributor(cast, key: str) -> Membership:
    """A colleague of the distributor (p2) invited by its partner admin and accepting: the way
    a person joins a partner in the portal."""
    invitation = invitation_create(
        acting_membership=cast.a.memberships["p2_admin"], email=f"{key}@contoso.test", role=Role.PARTNER_USER
    )
    user = UserFactory(email=f"{key}@contoso.test")
    cast.a.users[key] = user
    membership = invitation_accept(invitation=invitation, user=user)
    cast.a.memberships[key] = membership
    return membership


def test_a_distributor_colleague_who_joins_after_submission_sees_exactly_the_shared_deal(cast):
    with cast.a.context():
        shared, other = _two_tier(cast)
        late = _join_distributor(cast, "late")
        assert list(visible_registrations_for_membership(late)) == [shared]
    client = cast.a.client("late")
    page = client.get(reverse("deals:detail", kwargs={"pk": shared.pk}))
    assert page.status_code == 200 and "Globe Corp" in page.content.decode()
    assert client.get(reverse("deals:detail", kwargs={"pk": other.pk})).status_code == 404
    listing = client.get(reverse("deals:list")).content.decode()
    assert shared.reference in listing and other.reference not in listing


def test_a_deactivated_distributor_colleague_loses_the_grant_and_regains_it_on_reactivation(cast):
    with cast.a.context():
        shared, _other = _two_tier(cast)
        late = _join_distributor(cast, "late")
        membership_deactivate(
            membership=late, acting_membership=cast.a.memberships["p2_admin"], reason="left"
        )
        grants = DealRegistrationUserObjectPermission.objects.filter(user=cast.a.users["late"])
        assert not grants.exists()
        # Even seen through a membership that still counted as active, nothing is shared any more.
        late.is_active = True
        assert list(visible_registrations_for_membership(late)) == []
        # The people who stay keep theirs.
        assert list(visible_registrations_for_membership(cast.a.memberships["p2_user"])) == [shared]
    response = cast.a.client("late").get(reverse("deals:detail", kwargs={"pk": shared.pk}))
    # Deactivated: the tenant's "no access" page (403) on every URL, and nothing of the deal.
    assert response.status_code == 403 and "Globe Corp" not in response.content.decode()
    with cast.a.context():
        late.is_active = False
        membership_reactivate(membership=late, acting_membership=cast.a.memberships["p2_admin"])
        assert list(grants.values_list("content_object_id", flat=True)) == [shared.pk]
    assert cast.a.client("late").get(reverse("deals:detail", kwargs={"pk": shared.pk})).status_code == 200


def test_a_reseller_colleague_joining_gets_no_distributor_grant(cast):
    """Only the named distributor's people are granted: someone joining another partner is not."""
    with cast.a.context():
        shared, _other = _two_tier(cast)
        invitation = invitation_create(
            acting_membership=cast.a.memberships["admin"],
            email="newp1@acme.test",
            role=Role.PARTNER_USER,
            partner=cast.a.partners["p1"],
        )
        user = UserFactory(email="newp1@acme.test")
        membership = invitation_accept(invitation=invitation, user=user)
        assert not DealRegistrationUserObjectPermission.objects.filter(user=user).exists()
        assert shared not in visible_registrations_for_membership(membership)


# --- co-sell: who is assigned, and handing over in the page -----------------------------------------


def test_the_territory_owner_picks_a_colleague_on_the_deal_page(cast):
    with cast.a.context():
        other = _other_manager(cast)
        _member(cast.a, "restricted", Role.CHANNEL_MANAGER)
        restricted = cast.a.memberships["restricted"]
        restricted.assigned_partners_only = True  # assigned no partner: may not work p1's deals
        restricted.save()
        _territory(cast, "Americas", 10, countries=["US"], owners=["manager"])
        r = register(cast, "p1_user", "Acme Inc.", country="US")
        req = cosell_request(
            registration=r, acting_membership=cast.a.memberships["p1_user"], kind="presales", message="Demo"
        )
        assert req.assignee == cast.a.users["manager"]
    url = reverse("deals:detail", kwargs={"pk": r.pk})
    page = cast.a.client("manager").get(url).content.decode()
    form = re.search(r'data-testid="cosell-assign-form".*?</form>', page, re.S)
    assert form, "the owner has no way to hand the request over"
    assert f'value="{other.pk}"' in form.group(0)
    assert f'value="{restricted.pk}"' not in form.group(0)  # the service would refuse them
    # The partner's people do not assign.
    assert 'data-testid="cosell-assign-form"' not in cast.a.client("p1_user").get(url).content.decode()

    assign_url = reverse("deals:cosell_assign", kwargs={"pk": req.pk})
    refused = cast.a.client("manager").post(assign_url, {"assignee": restricted.pk}, follow=True)
    assert refused.status_code == 200 and "Choose a colleague" in refused.content.decode()
    with cast.a.context():
        req.refresh_from_db()
        assert req.assignee == cast.a.users["manager"]
    response = cast.a.client("manager").post(assign_url, {"assignee": other.pk})
    assert response.status_code == 302
    with cast.a.context():
        req.refresh_from_db()
        assert req.assignee == cast.a.users["other_manager"] and req.status == "active"
        assert AuditEvent.objects.filter(action="cosell.assign").count() == 1
        assert Notification.objects.filter(
            verb="cosell.assigned", recipient=cast.a.users["other_manager"]
        ).exists()
    partner_page = cast.a.client("p1_user").get(url).content.decode()
    contact = re.search(r'data-testid="cosell-assignee">([^<]*)<', partner_page)
    assert contact and contact.group(1) == str(cast.a.users["other_manager"])
    # A partner cannot hand it over, even by posting.
    assert cast.a.client("p1_user").post(assign_url, {"assignee": other.pk}).status_code == 403
    with cast.a.context():
        req.refresh_from_db()
        assert req.assignee == cast.a.users["other_manager"]


def test_a_request_outside_every_territory_goes_to_the_partners_account_manager(cast):
    with cast.a.context():
        _other_manager(cast)
        partner_manager_assign(
            partner=cast.a.partners["p1"],
            manager=cast.a.memberships["other_manager"],
            acting_membership=cast.a.memberships["admin"],
        )
        _territory(cast, "EMEA", 10, countries=["DE"], owners=["manager"])
        r = register(cast, "p1_user", "Acme Inc.", country="US")
        assert r.territory_id is None
        req = cosell_request(
            registration=r, acting_membership=cast.a.memberships["p1_user"], kind="pricing", message="Price"
        )
        assert req.assignee == cast.a.users["other_manager"]
        told = set(
            Notification.objects.filter(verb="cosell.requested").values_list("recipient_id", flat=True)
        )
        assert told == {cast.a.users["other_manager"].pk}
    page = cast.a.client("other_manager").get(reverse("deals:detail", kwargs={"pk": r.pk})).content.decode()
    assert 'data-testid="cosell-assign-form"' in page


def test_a_request_outside_every_territory_without_account_manager_goes_to_vendor_admins_and_managers(cast):
    with cast.a.context():
        r = register(cast, "p1_user", "Acme Inc.", country="US")
        req = cosell_request(
            registration=r,
            acting_membership=cast.a.memberships["p1_user"],
            kind="executive",
            message="Sponsor",
        )
        assert req.assignee is None
        told = set(
            Notification.objects.filter(verb="cosell.requested").values_list("recipient_id", flat=True)
        )
        assert told == {cast.a.users["admin"].pk, cast.a.users["manager"].pk}
    # An admin picks it up in the page (assigning themselves or a colleague).
    admin = cast.a.client("admin")
    page = admin.get(reverse("deals:detail", kwargs={"pk": r.pk})).content.decode()
    assert 'data-testid="cosell-assign-form"' in page
    assert (
        admin.post(
            reverse("deals:cosell_assign", kwargs={"pk": req.pk}),
            {"assignee": cast.a.memberships["manager"].pk},
        ).status_code
        == 302
    )
    with cast.a.context():
        req.refresh_from_db()
        assert req.assignee == cast.a.users["manager"]


def test_a_territory_owner_who_may_not_work_the_partner_is_passed_over(cast):
    with cast.a.context():
        _member(cast.a, "restricted", Role.CHANNEL_MANAGER)
        restricted = cast.a.memberships["restricted"]
        restricted.assigned_partners_only = True
        restricted.save()
        _territory(cast, "Americas", 10, countries=["US"], owners=["restricted"])
        r = register(cast, "p1_user", "Acme Inc.", country="US")
        req = cosell_request(
            registration=r, acting_membership=cast.a.memberships["p1_user"], kind="presales", message="Demo"
        )
        # Not someone who cannot open the deal: left for a reviewer of the partner to pick up.
        assert req.assignee is None
