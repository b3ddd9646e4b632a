"""Withdrawing an invitation: audited, the link stops working, scoped to one's own partner."""

from __future__ import annotations

import pytest

from prm.accounts.models import Invitation
from prm.accounts.services import invitation_create
from prm.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _invite(cast, who="p1_admin", email="new@northwind.test") -> Invitation:
    with cast.a.context():
        return invitation_create(acting_membership=cast.a.memberships[who], email=email, role="partner_user")


def _status(cast, invitation) -> str:
    with cast.a.context():
        invitation.refresh_from_db()
        return invitation.status


@pytest.mark.parametrize("who", ["admin", "p1_admin"])
def test_vendor_admin_or_own_partner_admin_revokes_and_it_is_audited(cast, who):
    invitation = _invite(cast)
    response = cast.a.client(who).post(f"/people/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 302
    assert _status(cast, invitation) == Invitation.Status.REVOKED
    with cast.a.context():
        event = AuditEvent.objects.get(action="invitation.revoke")
        assert (event.actor, event.object_id) == (cast.a.users[who], str(invitation.pk))
    assert cast.a.client().get(f"/invitations/{invitation.token}/").status_code == 410


def test_another_partners_admin_gets_404_and_nothing_changes(cast):
    invitation = _invite(cast)
    response = cast.a.client("p2_admin").post(f"/people/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 404
    assert _status(cast, invitation) == Invitation.Status.PENDING
    with cast.a.context():
        assert not AuditEvent.objects.filter(action="invitation.revoke").exists()


def test_another_tenants_admin_gets_404(cast):
    invitation = _invite(cast)
    client = cast.b.client("admin")
    assert client.post(f"/people/invitations/{invitation.pk}/revoke/").status_code == 404
    assert _status(cast, invitation) == Invitation.Status.PENDING


def test_revoking_twice_is_refused_with_a_message(cast):
    invitation = _invite(cast)
    client = cast.a.client("admin")
    client.post(f"/people/invitations/{invitation.pk}/revoke/")
    response = client.post(f"/people/invitations/{invitation.pk}/revoke/", follow=True)
    assert response.status_code == 200
    assert b"cannot move from Revoked to Revoked" in response.content
    with cast.a.context():
        assert AuditEvent.objects.filter(action="invitation.revoke").count() == 1


def test_revoke_needs_post(cast):
    invitation = _invite(cast)
    assert cast.a.client("admin").get(f"/people/invitations/{invitation.pk}/revoke/").status_code == 405
    assert _status(cast, invitation) == Invitation.Status.PENDING


def test_expire_invitations_task_marks_old_pending_ones_expired(cast):
    from datetime import timedelta

    from django.utils import timezone

    from prm.tasks import expire_invitations

    old = _invite(cast, email="old@northwind.test")
    fresh = _invite(cast, email="fresh@northwind.test")
    with cast.a.context():
        Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert expire_invitations.delay(tenant_id=cast.a.tenant.pk).get() == 1
    assert _status(cast, old) == Invitation.Status.EXPIRED
    assert _status(cast, fresh) == Invitation.Status.PENDING
