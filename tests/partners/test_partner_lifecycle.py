"""Access can be taken away: vendor admins suspend, terminate and reactivate a partner (reason,
audit, notification) and change its tier by hand; a suspended partner's people keep read-only
access to their history, a terminated partner's people have no access at all."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from deals.models import DealRegistration, Lead, LeadAssignment
from partners.models import Partner, TierProposal
from partners.selectors import PartnerNotActive
from partners.services.lifecycle import (
    partner_change_tier,
    partner_reactivate,
    partner_suspend,
    partner_terminate,
)
from prm.audit.models import AuditEvent
from prm.notifications.models import Notification
from prm.roles import (
    PARTNER_NO_ACCESS_STATUSES,
    PARTNER_READ_ONLY_STATUSES,
    READ_ONLY_PERMS,
    Perm,
    membership_has,
)
from prm.workflow import DomainError, InvalidTransition
from tests.deals.helpers import register
from tests.partners import helpers

pytestmark = pytest.mark.django_db


def _suspend(cast, key="p1"):
    return partner_suspend(
        partner=cast.a.partners[key], acting_membership=cast.a.memberships["admin"], reason="Unpaid invoices"
    )


def _fresh(cast, who):
    """The member as the next request sees it (partner status read again)."""
    from prm.accounts.models import Membership

    return Membership.objects.select_related("partner", "user").get(pk=cast.a.memberships[who].pk)


def test_core_status_names_match_the_partner_statuses():
    assert {Partner.Status.SUSPENDED.value} == PARTNER_READ_ONLY_STATUSES
    assert {Partner.Status.TERMINATED.value} == PARTNER_NO_ACCESS_STATUSES
    assert set(Partner.BLOCKED_STATUSES) == PARTNER_READ_ONLY_STATUSES | PARTNER_NO_ACCESS_STATUSES


def test_vendor_admin_suspends_with_reason_audit_and_notification(cast):
    with cast.a.context():
        partner = _suspend(cast)
        assert Partner.objects.get(pk=partner.pk).status == Partner.Status.SUSPENDED
        event = AuditEvent.objects.get(action="partner.suspend")
        assert (event.actor, event.object_id) == (cast.a.users["admin"], str(partner.pk))
        assert event.before == {"status": "active"}
        assert event.after == {"status": "suspended", "reason": "Unpaid invoices"}
        note = Notification.objects.get(recipient=cast.a.users["p1_admin"], verb="partner.suspend")
        assert "Unpaid invoices" in note.message


@pytest.mark.parametrize("who", ["manager", "finance", "p1_admin"])
def test_others_cannot_suspend_and_nothing_is_written(cast, who):
    with cast.a.context(), pytest.raises(PermissionDenied):
        partner_suspend(partner=cast.a.partners["p1"], acting_membership=cast.a.memberships[who], reason="x")
    with cast.a.context():
        assert Partner.objects.get(pk=cast.a.partners["p1"].pk).status == Partner.Status.ACTIVE
        assert not AuditEvent.objects.filter(action="partner.suspend").exists()


def test_a_reason_is_required(cast):
    with cast.a.context(), pytest.raises(DomainError):
        partner_suspend(
            partner=cast.a.partners["p1"], acting_membership=cast.a.memberships["admin"], reason=" "
        )
    with cast.a.context():
        assert Partner.objects.get(pk=cast.a.partners["p1"].pk).status == Partner.Status.ACTIVE


def test_transition_table_refuses_and_writes_nothing(cast):
    with cast.a.context():
        admin = cast.a.memberships["admin"]
        with pytest.raises(InvalidTransition):
            partner_reactivate(
                partner=cast.a.partners["p1"], acting_membership=admin, reason="already active"
            )
        partner_terminate(partner=cast.a.partners["p1"], acting_membership=admin, reason="Contract ended")
        with pytest.raises(InvalidTransition):
            partner_suspend(partner=cast.a.partners["p1"], acting_membership=admin, reason="too late")
        assert list(
            AuditEvent.objects.filter(object_type="partners.partner").values_list("action", flat=True)
        ) == ["partner.terminate"]


def test_reactivation_returns_to_onboarding_while_the_agreement_is_unsigned(cast):
    with cast.a.context():
        helpers.program_with_partners(cast, signed=True)
        admin = cast.a.memberships["admin"]
        for key in ("p1", "p2"):
            partner_suspend(partner=cast.a.partners[key], acting_membership=admin, reason="Audit")
            partner_reactivate(partner=cast.a.partners[key], acting_membership=admin, reason="Audit passed")
        statuses = dict(Partner.objects.values_list("code", "status"))
        assert statuses == {"D100": "active", "D200": "onboarding"}
        assert AuditEvent.objects.filter(action="partner.reactivate").count() == 2


def test_suspended_partner_keeps_read_only_capabilities_only(cast):
    with cast.a.context():
        _suspend(cast)
        member = _fresh(cast, "p1_admin")
        for perm in Perm:
            if membership_has(member, perm):
                assert perm in READ_ONLY_PERMS, perm
        assert membership_has(member, Perm.DEAL_VIEW) and not membership_has(member, Perm.DEAL_REGISTER)
        assert membership_has(_fresh(cast, "p2_admin"), Perm.DEAL_REGISTER)


def test_suspended_partner_users_read_history_but_cannot_act(cast):
    with cast.a.context():
        _suspend(cast)
    client = cast.a.client("p1_user")
    assert client.get("/deals/").status_code == 200
    assert client.get("/pos/uploads/").status_code == 200
    blocked = client.get("/deals/new/")
    assert blocked.status_code == 403 and b'data-testid="partner-suspended"' in blocked.content
    assert client.get("/pos/uploads/new/").status_code == 403
    assert client.get("/partners/resources/").status_code == 403
    assert cast.a.client("p2_user").get("/deals/new/").status_code == 200


def test_services_refuse_a_suspended_partner_even_with_a_stale_membership(cast):
    import io

    from posdata.services import upload_receive

    with cast.a.context():
        draft = register(cast, submit=False)
        stale = cast.a.memberships["p1_user"]
        stale.partner
        _suspend(cast)
        from deals.services.submission import registration_submit

        with pytest.raises((PartnerNotActive, PermissionDenied)):
            registration_submit(registration=draft, acting_membership=stale)
        with pytest.raises(PartnerNotActive):
            upload_receive(
                partner=cast.a.partners["p1"],
                kind="pos",
                file=io.BytesIO(b"a,b\n1,2\n"),
                original_name="x.csv",
                acting_membership=cast.a.memberships["manager"],
            )
        assert DealRegistration.objects.get(pk=draft.pk).status == DealRegistration.Status.DRAFT


def test_terminated_partner_users_have_no_access(cast):
    client = cast.a.client("p1_admin")
    assert client.get("/").status_code == 200
    with cast.a.context():
        partner_terminate(
            partner=cast.a.partners["p1"],
            acting_membership=cast.a.memberships["admin"],
            reason="Contract ended",
        )
    response = client.get("/deals/")
    assert response.status_code == 403 and b'data-testid="no-access"' in response.content
    assert client.get("/").status_code == 403
    assert cast.a.client("p2_admin").get("/").status_code == 200


def test_suspension_withdraws_pending_lead_offers(cast):
    from deals.services.leads import lead_create

    with cast.a.context():
        Partner.objects.update(country="US", region="West", expertise=["pumps"], status="active")
        lead = lead_create(
            acting_membership=cast.a.memberships["manager"],
            data={
                "company": "Prospect Ltd",
                "country": "US",
                "region": "West",
                "product_interest": "pumps",
                "value": "5000",
            },
        )
        holder = lead.partner
        _suspend(cast, "p1" if holder.code == "D100" else "p2")
        lead.refresh_from_db()
        assert lead.partner_id != holder.pk
        offer = LeadAssignment.objects.get(lead=lead, partner=holder)
        assert offer.outcome == LeadAssignment.Outcome.WITHDRAWN
        assert lead.status == Lead.Status.OFFERED


def test_a_terminated_partners_registration_no_longer_blocks_a_rival(cast):
    from deals.services.review import registration_approve, registration_start_review

    with cast.a.context():
        first = register(cast, "p1_user")
        later = register(cast, "p2_user")
        assert later.conflict_flag == DealRegistration.ConflictFlag.EXACT
        manager = cast.a.memberships["manager"]
        registration_start_review(registration=later, acting_membership=manager)
        with pytest.raises(DomainError):
            registration_approve(registration=later, acting_membership=manager)
        partner_terminate(
            partner=first.partner, acting_membership=cast.a.memberships["admin"], reason="Contract ended"
        )
        approved = registration_approve(registration=later, acting_membership=manager)
        assert approved.status == DealRegistration.Status.APPROVED


def test_vendor_admin_changes_the_tier_by_hand(cast):
    with cast.a.context():
        program = helpers.program_with_partners(cast)
        pending = helpers.proposal(cast, program)
        gold = helpers.tier(program, "Gold")
        partner_change_tier(
            partner=cast.a.partners["p1"],
            tier=gold,
            acting_membership=cast.a.memberships["admin"],
            reason="Strategic account",
        )
        partner = Partner.objects.get(pk=cast.a.partners["p1"].pk)
        assert (partner.tier, partner.current_tier_id) == ("Gold", gold.pk)
        event = AuditEvent.objects.get(action="partner.tier_change")
        assert event.actor == cast.a.users["admin"] and event.after["reason"] == "Strategic account"
        assert event.before["tier"] == "Registered" and event.after["tier"] == "Gold"
        assert Notification.objects.filter(recipient=cast.a.users["p1_admin"], verb="tier.changed").exists()
        pending.refresh_from_db()
        assert pending.status == TierProposal.Status.WITHDRAWN


def test_channel_managers_cannot_change_a_tier_by_hand(cast):
    with cast.a.context():
        program = helpers.program_with_partners(cast)
        with pytest.raises(PermissionDenied):
            partner_change_tier(
                partner=cast.a.partners["p1"],
                tier=helpers.tier(program, "Gold"),
                acting_membership=cast.a.memberships["manager"],
                reason="Please",
            )
        assert Partner.objects.get(pk=cast.a.partners["p1"].pk).tier == "Registered"
        assert not AuditEvent.objects.filter(action="partner.tier_change").exists()


def test_partner_page_buttons_and_posts_by_role(cast):
    pk = cast.a.partners["p1"].pk
    page = cast.a.client("admin").get(f"/partners/{pk}/")
    assert b'data-testid="partner-lifecycle"' in page.content and b'data-testid="suspend"' in page.content
    assert b'data-testid="partner-lifecycle"' not in cast.a.client("manager").get(f"/partners/{pk}/").content
    assert cast.a.client("manager").post(f"/partners/{pk}/suspend/", {"reason": "x"}).status_code == 403
    assert cast.a.client("p1_admin").post(f"/partners/{pk}/suspend/", {"reason": "x"}).status_code == 403
    response = cast.a.client("admin").post(f"/partners/{pk}/suspend/", {"reason": "Compliance review"})
    assert response.status_code == 302
    with cast.a.context():
        assert Partner.objects.get(pk=pk).status == Partner.Status.SUSPENDED
    page = cast.a.client("admin").get(f"/partners/{pk}/")
    assert b'data-testid="reactivate"' in page.content and b'data-testid="suspend"' not in page.content
    assert cast.a.client("admin").post(f"/partners/{pk}/reactivate/", {"reason": "Done"}).status_code == 302
    with cast.a.context():
        assert Partner.objects.get(pk=pk).status == Partner.Status.ACTIVE


def test_tier_change_page_post(cast):
    with cast.a.context():
        program = helpers.program_with_partners(cast)
        gold = helpers.tier(program, "Gold")
    pk = cast.a.partners["p1"].pk
    assert (
        cast.a.client("manager").post(f"/partners/{pk}/tier/", {"tier": gold.pk, "reason": "x"}).status_code
        == 403
    )
    response = cast.a.client("admin").post(
        f"/partners/{pk}/tier/", {"tier": gold.pk, "reason": "Key account"}
    )
    assert response.status_code == 302
    with cast.a.context():
        assert Partner.objects.get(pk=pk).tier == "Gold"


def test_suspension_is_read_again_on_every_request(cast):
    client = cast.a.client("p1_user")
    assert client.get("/deals/new/").status_code == 200
    with cast.a.context():
        _suspend(cast)
    assert client.get("/deals/new/").status_code == 403
    with cast.a.context():
        partner_reactivate(
            partner=cast.a.partners["p1"], acting_membership=cast.a.memberships["admin"], reason="Resolved"
        )
    assert client.get("/deals/new/").status_code == 200
