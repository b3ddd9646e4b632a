"""The three shared helpers: the action-view runner, the decision step, the recipient look-ups."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails
from guardian.shortcuts import assign_perm

from partners.models import TierProposal
from prm.accounts.models import Membership
from prm.actions import run_action
from prm.audit.models import AuditEvent
from prm.decisions import Notice, decide, lock_for_transition
from prm.notifications.models import Notification
from prm.notifications.recipients import partner_members, staff_members
from prm.roles import Role
from prm.workflow import DomainError, InvalidTransition
from tests.partners import helpers


class ReasonForm(forms.Form):
    reason = forms.CharField()


def _post(data=None, htmx: bool = False):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    request = RequestFactory().post("/x/", data or {}, **headers)
    request._messages = CookieStorage(request)
    request.htmx = HtmxDetails(request)
    return request


def _said(request) -> list[tuple[int, str]]:
    return [(m.level, str(m)) for m in request._messages]


def test_an_invalid_form_shows_the_message_and_calls_nothing():
    request = _post()
    called = []
    response = run_action(
        request,
        lambda: called.append(1),
        form=ReasonForm(request.POST),
        invalid="Give a reason.",
        redirect_to="/done/",
        invalid_redirect_to="/form/",
    )
    assert called == [] and response.status_code == 302 and response.url == "/form/"
    assert _said(request) == [(messages.ERROR, "Give a reason.")]


def test_a_refused_action_shows_the_domain_message_and_goes_to_the_error_target():
    request = _post({"reason": "x"})

    def refuse():
        raise DomainError("Not now.")

    response = run_action(
        request,
        refuse,
        form=ReasonForm(request.POST),
        success="Done.",
        redirect_to="/done/",
        error_redirect_to="/x/",
    )
    assert response.url == "/x/" and _said(request) == [(messages.ERROR, "Not now.")]


def test_success_may_pick_the_level_and_the_target_from_the_result():
    request = _post()
    response = run_action(
        request,
        lambda: 7,
        success=lambda n: (messages.WARNING, f"{n} with a warning"),
        redirect_to=lambda n: f"/things/{n}/",
        error_redirect_to="/things/",
    )
    assert response.url == "/things/7/" and _said(request) == [(messages.WARNING, "7 with a warning")]


def test_htmx_requests_get_a_client_redirect():
    request = _post(htmx=True)
    response = run_action(request, lambda: None, success="Done.", redirect_to="/done/")
    assert response.status_code == 200 and response["HX-Redirect"] == "/done/"


def test_a_redirect_that_needs_the_result_also_needs_an_error_target():
    with pytest.raises(TypeError):
        run_action(_post(), lambda: 1, redirect_to=lambda n: f"/{n}/")


@pytest.mark.django_db
def test_decide_records_who_and_when_audits_and_notifies_and_refuses_a_second_decision(cast):
    transitions = {TierProposal.Status.PENDING: frozenset({TierProposal.Status.REJECTED})}
    with cast.a.context():
        program = helpers.program_with_partners(cast)
        proposal = helpers.proposal(cast, program)
        manager = cast.a.users["manager"]
        locked = lock_for_transition(
            TierProposal, proposal.pk, transitions=transitions, target="rejected", what="Tier proposal"
        )
        decide(
            locked,
            "rejected",
            transitions=transitions,
            what="Tier proposal",
            actor=manager,
            action="tier_proposal.reject",
            changes={"decision_note": "Later"},
            detail={"note": "Later"},
            notices=[Notice(recipients=[cast.a.users["p1_admin"]], verb="tier.unchanged", message="m")],
        )
        proposal.refresh_from_db()
        assert (proposal.status, proposal.decided_by, proposal.decision_note) == (
            "rejected",
            manager,
            "Later",
        )
        assert proposal.decided_at is not None
        event = AuditEvent.objects.get(action="tier_proposal.reject")
        assert event.before == {"status": "pending"}
        assert event.after == {"status": "rejected", "note": "Later"}
        assert Notification.objects.filter(verb="tier.unchanged", recipient=cast.a.users["p1_admin"]).exists()
        with pytest.raises(InvalidTransition):
            lock_for_transition(
                TierProposal, proposal.pk, transitions=transitions, target="rejected", what="Tier proposal"
            )
        assert AuditEvent.objects.filter(action="tier_proposal.reject").count() == 1


@pytest.mark.django_db
def test_staff_for_a_partner_leave_out_restricted_managers_of_other_partners(cast):
    with cast.a.context():
        p1, p2 = cast.a.partners["p1"], cast.a.partners["p2"]
        manager = cast.a.users["manager"]
        Membership.objects.filter(pk=cast.a.memberships["manager"].pk).update(assigned_partners_only=True)
        assign_perm("partners.manage_partner", manager, p1)
        roles = [Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER]
        assert set(staff_members(roles, partner_id=p1.pk)) == {cast.a.users["admin"], manager}
        assert set(staff_members(roles, partner_id=p2.pk)) == {cast.a.users["admin"]}
        assert set(staff_members(roles, unrestricted_only=True)) == {cast.a.users["admin"]}
        assert set(staff_members([Role.FINANCE])) == {cast.a.users["finance"]}


@pytest.mark.django_db
def test_partner_members_by_role_and_for_several_partners(cast):
    from partners.models import Partner

    with cast.a.context():
        p1 = cast.a.partners["p1"]
        assert set(partner_members(p1.pk)) == {cast.a.users["p1_admin"], cast.a.users["p1_user"]}
        assert partner_members(p1.pk, roles=[Role.PARTNER_ADMIN]) == [cast.a.users["p1_admin"]]
        admins = partner_members(Partner.objects.all(), roles=[Role.PARTNER_ADMIN])
        assert set(admins) == {cast.a.users["p1_admin"], cast.a.users["p2_admin"]}
        Membership.objects.filter(pk=cast.a.memberships["p1_user"].pk).update(is_active=False)
        assert partner_members(p1.pk) == [cast.a.users["p1_admin"]]
