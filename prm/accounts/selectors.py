"""Reads about people: memberships, scoped user lists, invitations."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from prm.accounts.models import Invitation, Membership
from prm.roles import PARTNER_NO_ACCESS_STATUSES, PARTNER_ROLES, STAFF_ROLES, Perm, Role, membership_has
from prm.tenancy.models import Tenant

# A membership that lets its user in: active, and not of a terminated partner.
USABLE = Q(is_active=True) & (Q(partner__isnull=True) | ~Q(partner__status__in=PARTNER_NO_ACCESS_STATUSES))


def membership_for(user, tenant: Tenant) -> Membership | None:
    """The user's usable membership in ``tenant``, read on every request: deactivating a member
    (or terminating their partner) ends their access at their next request."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("partner", "user").filter(USABLE, tenant=tenant, user=user).first()
    )


def memberships_across_tenants(user) -> QuerySet[Membership]:
    """All usable memberships of ``user`` in active tenants (needs ``user_context``)."""
    return (
        Membership.across_tenants.select_related("tenant", "partner")
        .filter(USABLE, user=user, tenant__is_active=True)
        .order_by("tenant__name")
    )


def memberships_visible_to(membership: Membership) -> QuerySet[Membership]:
    """People a member may list: vendor staff see the tenant; a partner admin their partner."""
    qs = Membership.objects.select_related("user", "partner").order_by("user__email")
    if membership.is_partner:
        return qs.filter(partner_id=membership.partner_id)
    return qs


def member_in_reach(acting: Membership, target: Membership) -> bool:
    """Whether ``acting`` may deactivate, reactivate or change the role of ``target`` (the rule of
    prm.accounts.services; used to show the buttons)."""
    if not membership_has(acting, Perm.MEMBERSHIP_MANAGE) or target.pk == acting.pk:
        return False
    if acting.is_partner:
        return target.partner_id == acting.partner_id and target.role in PARTNER_ROLES
    return True


def role_choices_for(target: Membership) -> list[tuple[str, str]]:
    """The roles a membership may move to: its own side (partner or vendor) only."""
    side = PARTNER_ROLES if target.role in PARTNER_ROLES else STAFF_ROLES
    return [(role.value, str(role.label)) for role in Role if role in side]


def invitations_visible_to(membership: Membership) -> QuerySet[Invitation]:
    qs = Invitation.objects.select_related("partner", "invited_by")
    if membership.is_partner:
        return qs.filter(partner_id=membership.partner_id)
    return qs


def get_invitation_by_token_or_404(token: str) -> Invitation:
    invitation = Invitation.objects.select_related("partner").filter(token=token).first()
    if invitation is None:
        raise Http404("Unknown invitation.")
    return invitation
