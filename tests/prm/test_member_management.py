"""People lose access when they should: vendor admins and partner admins deactivate, reactivate
and change the role of the members within their reach; a deactivated member's session stops
working at their next request."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from prm.accounts.models import Membership
from prm.accounts.services import membership_change_role, membership_deactivate, membership_reactivate
from prm.audit.models import AuditEvent
from prm.roles import Role
from prm.workflow import DomainError

pytestmark = pytest.mark.django_db


def _member(cast, who) -> Membership:
    return Membership.objects.get(pk=cast.a.memberships[who].pk)


def test_deactivated_members_session_stops_at_the_next_request(cast):
    client = cast.a.client("p1_user")
    assert client.get("/deals/").status_code == 200
    with cast.a.context():
        membership_deactivate(
            membership=cast.a.memberships["p1_user"],
            acting_membership=cast.a.memberships["admin"],
            reason="Left",
        )
        event = AuditEvent.objects.get(action="membership.deactivate")
        assert event.actor == cast.a.users["admin"]
        assert event.after == {"is_active": False, "reason": "Left"}
    response = client.get("/deals/")
    assert response.status_code == 403 and b'data-testid="no-access"' in response.content
    # Signing in again does not help: the membership is what grants access.
    fresh = cast.a.client("p1_user")
    assert b'data-testid="no-access"' in fresh.get("/").content


def test_reactivation_restores_access(cast):
    with cast.a.context():
        admin = cast.a.memberships["admin"]
        membership_deactivate(membership=cast.a.memberships["p1_user"], acting_membership=admin)
        membership_reactivate(membership=cast.a.memberships["p1_user"], acting_membership=admin)
        assert _member(cast, "p1_user").is_active
        assert AuditEvent.objects.filter(action="membership.reactivate").count() == 1
    assert cast.a.client("p1_user").get("/deals/").status_code == 200


def test_partner_admin_manages_own_partners_people_only(cast):
    with cast.a.context():
        p1_admin = cast.a.memberships["p1_admin"]
        membership_change_role(
            membership=cast.a.memberships["p1_user"], role=Role.PARTNER_ADMIN, acting_membership=p1_admin
        )
        assert _member(cast, "p1_user").role == Role.PARTNER_ADMIN
        for target in ("p2_user", "manager", "admin"):
            with pytest.raises(PermissionDenied):
                membership_deactivate(membership=cast.a.memberships[target], acting_membership=p1_admin)
            assert _member(cast, target).is_active
        with pytest.raises(DomainError):
            membership_change_role(
                membership=cast.a.memberships["p1_user"],
                role=Role.CHANNEL_MANAGER,
                acting_membership=p1_admin,
            )
        assert _member(cast, "p1_user").role == Role.PARTNER_ADMIN
        event = AuditEvent.objects.get(action="membership.role_change")
        assert (event.before["role"], event.after["role"]) == ("partner_user", "partner_admin")


def test_nobody_changes_their_own_access(cast):
    with cast.a.context():
        for who in ("admin", "p1_admin"):
            with pytest.raises(DomainError):
                membership_deactivate(
                    membership=cast.a.memberships[who], acting_membership=cast.a.memberships[who]
                )
            assert _member(cast, who).is_active


@pytest.mark.parametrize("who", ["manager", "finance", "p1_user"])
def test_other_roles_cannot_manage_people(cast, who):
    with cast.a.context(), pytest.raises(PermissionDenied):
        membership_deactivate(
            membership=cast.a.memberships["p2_user"], acting_membership=cast.a.memberships[who]
        )
    with cast.a.context():
        assert _member(cast, "p2_user").is_active
        assert not AuditEvent.objects.filter(action__startswith="membership.").exists()


def test_vendor_admin_changes_staff_roles_within_the_staff_side(cast):
    with cast.a.context():
        admin = cast.a.memberships["admin"]
        membership_change_role(
            membership=cast.a.memberships["marketing"], role=Role.FINANCE, acting_membership=admin
        )
        assert _member(cast, "marketing").role == Role.FINANCE
        with pytest.raises(DomainError):
            membership_change_role(
                membership=cast.a.memberships["manager"], role=Role.PARTNER_USER, acting_membership=admin
            )


def test_people_page_actions_by_role(cast):
    p1_user, p2_user = cast.a.memberships["p1_user"], cast.a.memberships["p2_user"]
    page = cast.a.client("p1_admin").get("/people/")
    assert page.status_code == 200 and b'data-testid="member-deactivate"' in page.content
    # Another partner's member is not in reach: 404, nothing changes.
    assert cast.a.client("p1_admin").post(f"/people/{p2_user.pk}/deactivate/").status_code == 404
    assert cast.a.client("p1_user").post(f"/people/{p1_user.pk}/deactivate/").status_code == 403
    response = cast.a.client("p1_admin").post(f"/people/{p1_user.pk}/deactivate/")
    assert response.status_code == 302
    with cast.a.context():
        assert not _member(cast, "p1_user").is_active
        assert _member(cast, "p2_user").is_active
    assert cast.a.client("p1_admin").post(f"/people/{p1_user.pk}/reactivate/").status_code == 302
    response = cast.a.client("admin").post(f"/people/{p2_user.pk}/role/", {"role": "partner_admin"})
    assert response.status_code == 302
    with cast.a.context():
        assert _member(cast, "p1_user").is_active
        assert _member(cast, "p2_user").role == Role.PARTNER_ADMIN
    assert cast.a.client("manager").get("/people/").status_code == 403
