"""Accepting an invitation: once, before it expires, only into the inviting tenant, only by the
invited address. New people create their account; existing users sign in first."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from prm.accounts import services
from prm.accounts.models import Invitation, Membership, User
from prm.accounts.services import invitation_accept, invitation_create
from prm.audit.models import AuditEvent
from prm.notifications.models import Notification
from prm.workflow import DomainError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "A-fresh-passw0rd!"


def _invite(cast, email="new.rep@northwind.test", who="p1_admin", role="partner_user") -> Invitation:
    with cast.a.context():
        return invitation_create(acting_membership=cast.a.memberships[who], email=email, role=role)


def _signup(client, invitation, full_name="Nina New"):
    return client.post(
        f"/invitations/{invitation.token}/",
        {"full_name": full_name, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )


def test_new_person_creates_account_and_membership_and_is_signed_in(cast):
    invitation = _invite(cast)
    client = cast.a.client()
    page = client.get(f"/invitations/{invitation.token}/")
    assert page.status_code == 200
    assert b"new.rep@northwind.test" in page.content
    response = _signup(client, invitation)
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(email="new.rep@northwind.test")
    assert user.full_name == "Nina New"
    assert user.check_password(NEW_PASSWORD)
    assert int(client.session["_auth_user_id"]) == user.pk
    with cast.a.context():
        membership = Membership.objects.get(user=user)
        assert (membership.role, membership.partner) == ("partner_user", cast.a.partners["p1"])
        invitation.refresh_from_db()
        assert (invitation.status, invitation.accepted_by) == (Invitation.Status.ACCEPTED, user)
        actions = set(AuditEvent.objects.filter(actor=user).values_list("action", flat=True))
        assert actions == {"invitation.accept", "membership.create"}
        assert Notification.objects.filter(
            recipient=cast.a.users["p1_admin"], verb="invitation.accepted"
        ).exists()
    home = client.get("/")
    assert home.status_code == 200
    assert home.context["membership"] == membership


def test_invitation_is_single_use(cast):
    invitation = _invite(cast)
    assert _signup(cast.a.client(), invitation).status_code == 302
    second = _signup(cast.a.client(), invitation, full_name="Someone Else")
    assert second.status_code == 410
    with cast.a.context():
        assert Membership.objects.filter(user__email="new.rep@northwind.test").count() == 1
        user = User.objects.get(email="new.rep@northwind.test")
        invitation.refresh_from_db()
        with pytest.raises(DomainError):
            invitation_accept(invitation=invitation, user=user)
    assert User.objects.get(email="new.rep@northwind.test").full_name == "Nina New"


def test_expired_invitation_cannot_be_used(cast):
    invitation = _invite(cast)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        client = cast.a.client()
        assert client.get(f"/invitations/{invitation.token}/").status_code == 410
        assert _signup(client, invitation).status_code == 410
        user = UserFactory(email="new.rep@northwind.test")
        with cast.a.context(), pytest.raises(DomainError, match="expired"):
            invitation_accept(invitation=invitation, user=user)
    with cast.a.context():
        assert not Membership.objects.filter(user__email="new.rep@northwind.test").exists()
        invitation.refresh_from_db()
        assert invitation.status == Invitation.Status.PENDING


def test_invitation_is_usable_until_it_expires(cast):
    invitation = _invite(cast)
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        assert _signup(cast.a.client(), invitation).status_code == 302


def test_token_of_one_tenant_is_unknown_on_another_tenants_host(cast):
    invitation = _invite(cast)
    client = cast.b.client()
    assert client.get(f"/invitations/{invitation.token}/").status_code == 404
    assert _signup(client, invitation).status_code == 404
    assert not User.objects.filter(email="new.rep@northwind.test").exists()
    with cast.b.context():
        assert not Membership.objects.filter(user__email="new.rep@northwind.test").exists()


def test_invitation_links_do_not_work_on_the_platform_host(cast):
    invitation = _invite(cast)
    from django.test import Client

    assert Client(HTTP_HOST="localhost").get(f"/invitations/{invitation.token}/").status_code == 404


def test_unknown_token_answers_404(cast):
    assert cast.a.client().get("/invitations/not-a-token/").status_code == 404


def test_existing_user_must_sign_in_before_accepting(cast):
    invitation = _invite(cast, email="admin@globex.test", who="admin", role="finance")
    client = cast.a.client()
    page = client.get(f"/invitations/{invitation.token}/")
    assert page.status_code == 200
    assert f"/accounts/login/?next=/invitations/{invitation.token}/".encode() in page.content
    # Posting the sign-up form for an existing account creates nothing.
    _signup(client, invitation)
    assert User.objects.filter(email="admin@globex.test").count() == 1
    with cast.a.context():
        assert not Membership.objects.filter(user__email="admin@globex.test").exists()

    client.force_login(cast.b.users["admin"])
    response = client.post(f"/invitations/{invitation.token}/")
    assert response.status_code == 302
    with cast.a.context():
        membership = Membership.objects.get(user=cast.b.users["admin"])
        assert membership.role == "finance"
    with cast.b.context():
        # The membership in globex is untouched.
        assert Membership.objects.get(user=cast.b.users["admin"]).role == "vendor_admin"


def test_signed_in_user_with_another_email_cannot_accept(cast):
    invitation = _invite(cast, email="admin@globex.test", who="admin", role="finance")
    client = cast.a.client()
    client.force_login(cast.b.users["p1_admin"])
    response = client.post(f"/invitations/{invitation.token}/", follow=True)
    assert b"This invitation was sent to admin@globex.test" in response.content
    with cast.a.context():
        assert not Membership.objects.filter(user=cast.b.users["p1_admin"]).exists()
        invitation.refresh_from_db()
        assert invitation.status == Invitation.Status.PENDING
        assert not AuditEvent.objects.filter(action="invitation.accept").exists()


def test_weak_or_mismatched_passwords_are_refused(cast):
    invitation = _invite(cast)
    client = cast.a.client()
    response = client.post(
        f"/invitations/{invitation.token}/", {"full_name": "N", "password1": "short", "password2": "short"}
    )
    assert response.status_code == 200
    assert "password1" in response.context["form"].errors
    response = client.post(
        f"/invitations/{invitation.token}/",
        {"full_name": "N", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"},
    )
    assert "password2" in response.context["form"].errors
    assert not User.objects.filter(email="new.rep@northwind.test").exists()


def test_a_refused_acceptance_leaves_no_account_behind(cast, monkeypatch):
    """Registering and accepting are one transaction: when the acceptance is refused (here: the
    invitation is withdrawn between the page load and the form post), no verified account stays."""
    invitation = _invite(cast)
    client = cast.a.client()
    assert client.get(f"/invitations/{invitation.token}/").status_code == 200
    accept = services.invitation_accept

    def withdrawn_meanwhile(*, invitation, user):
        Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.REVOKED)
        return accept(invitation=invitation, user=user)

    monkeypatch.setattr(services, "invitation_accept", withdrawn_meanwhile)
    response = _signup(client, invitation)
    assert response.status_code == 200
    assert "already been used or withdrawn" in response.content.decode()
    assert not User.objects.filter(email="new.rep@northwind.test").exists()
    assert "_auth_user_id" not in client.session
    with cast.a.context():
        assert not Membership.objects.filter(user__email="new.rep@northwind.test").exists()
