"""Who may invite whom: vendor admins invite staff and partner users; partner admins invite
colleagues into their own partner only. Every invitation is audited and e-mailed."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from prm.accounts.models import Invitation
from prm.accounts.services import invitation_create
from prm.audit.models import AuditEvent
from prm.roles import Role
from prm.workflow import DomainError

pytestmark = pytest.mark.django_db


def _invitations(cast):
    with cast.a.context():
        return list(Invitation.objects.values("email", "role", "partner_id", "status"))


def test_vendor_admin_invites_staff_and_the_invitation_is_audited_and_emailed(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = cast.a.client("admin").post(
            "/people/invite/", {"email": "New.Manager@Example.test", "role": "channel_manager"}
        )
    assert response.status_code == 302
    assert response["Location"] == "/people/"
    with cast.a.context():
        invitation = Invitation.objects.get()
        assert (invitation.email, invitation.role, invitation.partner, invitation.status) == (
            "new.manager@example.test",
            Role.CHANNEL_MANAGER,
            None,
            Invitation.Status.PENDING,
        )
        assert invitation.invited_by == cast.a.users["admin"]
        event = AuditEvent.objects.get(action="invitation.create")
        assert (event.actor, event.object_id) == (cast.a.users["admin"], str(invitation.pk))
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["new.manager@example.test"]
    assert "Acme Industrial" in message.subject
    assert f"http://acme.localhost:8000/invitations/{invitation.token}/" in message.body


def test_vendor_admin_invites_a_user_of_a_chosen_partner(cast):
    response = cast.a.client("admin").post(
        "/people/invite/",
        {"email": "rep@contoso.test", "role": "partner_user", "partner": cast.a.partners["p2"].pk},
    )
    assert response.status_code == 302
    assert _invitations(cast) == [
        {
            "email": "rep@contoso.test",
            "role": "partner_user",
            "partner_id": cast.a.partners["p2"].pk,
            "status": "pending",
        }
    ]


def test_partner_role_without_a_partner_is_refused_and_nothing_is_written(cast):
    response = cast.a.client("admin").post(
        "/people/invite/", {"email": "x@contoso.test", "role": "partner_user"}
    )
    assert response.status_code == 200
    assert "Choose the partner" in str(response.context["form"].non_field_errors())
    assert _invitations(cast) == []
    with cast.a.context():
        assert not AuditEvent.objects.filter(action="invitation.create").exists()


def test_partner_admin_invites_a_colleague_into_their_own_partner(cast):
    response = cast.a.client("p1_admin").post(
        "/people/invite/",
        # A forged partner field is ignored: the partner is always the inviter's own.
        {"email": "colleague@northwind.test", "role": "partner_user", "partner": cast.a.partners["p2"].pk},
    )
    assert response.status_code == 302
    assert _invitations(cast) == [
        {
            "email": "colleague@northwind.test",
            "role": "partner_user",
            "partner_id": cast.a.partners["p1"].pk,
            "status": "pending",
        }
    ]


@pytest.mark.parametrize("role", ["vendor_admin", "channel_manager", "finance"])
def test_partner_admin_cannot_pick_a_vendor_role(cast, role):
    client = cast.a.client("p1_admin")
    form = client.get("/people/invite/").context["form"]
    assert [value for value, _label in form.fields["role"].choices] == ["partner_admin", "partner_user"]
    response = client.post("/people/invite/", {"email": "sneaky@northwind.test", "role": role})
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    assert _invitations(cast) == []


def test_partner_admin_cannot_invite_into_another_partner_through_the_service(cast):
    with cast.a.context():
        invitation = invitation_create(
            acting_membership=cast.a.memberships["p1_admin"],
            email="x@contoso.test",
            role="partner_admin",
            partner=cast.a.partners["p2"],
        )
        assert invitation.partner == cast.a.partners["p1"]
        with pytest.raises(DomainError):
            invitation_create(
                acting_membership=cast.a.memberships["p1_admin"],
                email="boss@northwind.test",
                role="vendor_admin",
            )


@pytest.mark.parametrize("who", ["p1_user", "manager", "finance", "marketing"])
def test_roles_without_invite_rights_get_403(cast, who):
    response = cast.a.client(who).post("/people/invite/", {"email": "x@y.test", "role": "partner_user"})
    assert response.status_code == 403
    assert _invitations(cast) == []


def test_partner_user_cannot_invite_through_the_service(cast):
    with cast.a.context(), pytest.raises(PermissionDenied):
        invitation_create(
            acting_membership=cast.a.memberships["p1_user"], email="x@y.test", role="partner_user"
        )


def test_inviting_an_existing_member_or_a_pending_address_is_refused(cast):
    client = cast.a.client("admin")
    response = client.post("/people/invite/", {"email": "manager@acme.test", "role": "finance"})
    assert "already a member" in str(response.context["form"].non_field_errors())
    client.post("/people/invite/", {"email": "twice@example.test", "role": "finance"})
    response = client.post("/people/invite/", {"email": "twice@example.test", "role": "finance"})
    assert "pending invitation" in str(response.context["form"].non_field_errors())
    assert len(_invitations(cast)) == 1


def test_a_member_of_another_tenant_can_be_invited(cast):
    # Memberships are per tenant: globex's admin is not a member of acme yet.
    response = cast.a.client("admin").post(
        "/people/invite/", {"email": "admin@globex.test", "role": "finance"}
    )
    assert response.status_code == 302
    assert [i["email"] for i in _invitations(cast)] == ["admin@globex.test"]


def test_people_page_lists_pending_invitations_scoped_to_the_partner(cast):
    with cast.a.context():
        invitation_create(
            acting_membership=cast.a.memberships["p1_admin"], email="a@northwind.test", role="partner_user"
        )
        invitation_create(
            acting_membership=cast.a.memberships["p2_admin"], email="b@contoso.test", role="partner_user"
        )
    p1 = cast.a.client("p1_admin").get("/people/")
    assert [i.email for i in p1.context["invitations"]] == ["a@northwind.test"]
    assert {m.user.email for m in p1.context["members"]} == {"p1_admin@acme.test", "p1_user@acme.test"}
    admin = cast.a.client("admin").get("/people/")
    assert {i.email for i in admin.context["invitations"]} == {"a@northwind.test", "b@contoso.test"}
