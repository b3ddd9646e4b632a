"""Writes about people: invitations and memberships. Each runs in one transaction with audit."""

from __future__ import annotations

from collections.abc import Callable

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from prm.accounts.models import Invitation, Membership, User
from prm.accounts.tasks import send_invitation_email
from prm.audit.services import audit
from prm.notifications.services import notify
from prm.roles import PARTNER_ROLES, STAFF_ROLES, Perm, Role, membership_has
from prm.workflow import DomainError, check_transition, require

# Apps above this one keep per-person grants in step with a membership (deals shares two-tier
# registrations with the distributor's people): each hook gets the membership after it was
# created, deactivated or reactivated, inside the same transaction. They register from their
# AppConfig.ready(), so this module imports none of them.
MEMBERSHIP_CHANGED_HOOKS: list[Callable[[Membership], object]] = []


def register_membership_changed_hook(hook: Callable[[Membership], object]) -> None:
    if hook not in MEMBERSHIP_CHANGED_HOOKS:
        MEMBERSHIP_CHANGED_HOOKS.append(hook)


def _membership_changed(membership: Membership) -> None:
    for hook in MEMBERSHIP_CHANGED_HOOKS:
        hook(membership)


INVITATION_TRANSITIONS = {
    Invitation.Status.PENDING: frozenset(
        {Invitation.Status.ACCEPTED, Invitation.Status.REVOKED, Invitation.Status.EXPIRED}
    ),
}


def invitation_create(*, acting_membership: Membership, email: str, role: str, partner=None) -> Invitation:
    """Vendor admins invite staff (or users of any partner); partner admins invite colleagues
    into their own partner only."""
    email = email.strip().lower()
    role = Role(role)
    if acting_membership.is_partner:
        require(membership_has(acting_membership, Perm.COLLEAGUE_INVITE))
        if role not in PARTNER_ROLES:
            raise DomainError(_("Partner admins can only invite partner users and partner admins."))
        partner = acting_membership.partner
    else:
        require(membership_has(acting_membership, Perm.STAFF_INVITE))
        if role in PARTNER_ROLES and partner is None:
            raise DomainError(_("Choose the partner this person works for."))
        if role in STAFF_ROLES:
            partner = None
    return _invitation_insert(acting_membership=acting_membership, email=email, role=role, partner=partner)


def partner_invitation_create(
    *, acting_membership: Membership, email: str, partner, role: str = Role.PARTNER_ADMIN
) -> Invitation:
    """Vendor staff who manage partners (channel managers, vendor admins) invite a person of one
    partner, e.g. the contact of an approved partner application as its partner admin."""
    email = email.strip().lower()
    role = Role(role)
    require(acting_membership.is_staff_member and membership_has(acting_membership, Perm.PARTNER_MANAGE))
    if role not in PARTNER_ROLES or partner is None:
        raise DomainError(_("Choose the partner this person works for."))
    return _invitation_insert(acting_membership=acting_membership, email=email, role=role, partner=partner)


def _invitation_insert(*, acting_membership: Membership, email: str, role: Role, partner) -> Invitation:
    if Membership.objects.filter(user__email=email).exists():
        raise DomainError(_("%(email)s is already a member of this portal.") % {"email": email})
    if Invitation.objects.filter(
        email=email, status=Invitation.Status.PENDING, expires_at__gt=timezone.now()
    ).exists():
        raise DomainError(_("%(email)s already has a pending invitation.") % {"email": email})
    with transaction.atomic():
        invitation = Invitation.objects.create(
            email=email, role=role, partner=partner, invited_by=acting_membership.user
        )
        audit(
            actor=acting_membership.user,
            action="invitation.create",
            obj=invitation,
            after={"email": email, "role": role, "partner": partner.pk if partner else None},
        )
        # Capture the tenant now: the commit may happen after the tenant context has ended.
        tenant_id = invitation.tenant_id
        transaction.on_commit(lambda: _send_invitation_email(tenant_id, invitation.pk))
    return invitation


def _send_invitation_email(tenant_id: int, invitation_id: int) -> None:

    send_invitation_email.delay(tenant_id=tenant_id, invitation_id=invitation_id)


def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Turn a pending invitation into a membership of ``user`` in the inviting tenant (once)."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.status == Invitation.Status.PENDING and locked.expires_at <= timezone.now():
            raise DomainError(_("This invitation has expired. Ask for a new one."))
        if locked.status != Invitation.Status.PENDING:
            raise DomainError(_("This invitation has already been used or withdrawn."))
        check_transition(
            INVITATION_TRANSITIONS, locked.status, Invitation.Status.ACCEPTED, what=_("Invitation")
        )
        if user.email.lower() != locked.email:
            raise DomainError(_("This invitation was sent to %(email)s.") % {"email": locked.email})
        try:
            with transaction.atomic():
                membership = Membership.objects.create(user=user, role=locked.role, partner=locked.partner)
        except IntegrityError as exc:
            raise DomainError(_("You are already a member of this portal.")) from exc
        locked.status = Invitation.Status.ACCEPTED
        locked.accepted_by = user
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["status", "accepted_by", "accepted_at"])
        audit(actor=user, action="invitation.accept", obj=locked, after={"membership": membership.pk})
        audit(actor=user, action="membership.create", obj=membership, after={"role": membership.role})
        _membership_changed(membership)
        notify(
            recipients=[locked.invited_by],
            verb="invitation.accepted",
            message=lambda: _("%(email)s accepted your invitation.") % {"email": user.email},
            url="/people/",
        )
    return membership


def invitation_revoke(*, invitation: Invitation, acting_membership: Membership) -> None:
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if acting_membership.is_partner:
            require(membership_has(acting_membership, Perm.COLLEAGUE_INVITE))
            require(locked.partner_id == acting_membership.partner_id)
        else:
            require(membership_has(acting_membership, Perm.STAFF_INVITE))
        check_transition(
            INVITATION_TRANSITIONS, locked.status, Invitation.Status.REVOKED, what=_("Invitation")
        )
        locked.status = Invitation.Status.REVOKED
        locked.save(update_fields=["status"])
        audit(actor=acting_membership.user, action="invitation.revoke", obj=locked)


def invitation_sign_up(*, invitation: Invitation, full_name: str, password: str) -> tuple[User, Membership]:
    """Create the account of an invited person who has none and accept the invitation, in one
    transaction: when the acceptance is refused, no account is left behind. The e-mail counts as
    verified because they reached the single-use link sent to it."""
    if User.objects.filter(email=invitation.email).exists():
        raise DomainError(_("An account with this e-mail exists already: sign in to accept."))
    with transaction.atomic():
        user = User.objects.create_user(email=invitation.email, password=password, full_name=full_name)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        membership = invitation_accept(invitation=invitation, user=user)
    return user, membership


def user_set_preferences(*, user: User, language: str | None = None, time_zone: str | None = None) -> User:
    """Save a person's own language and/or time zone (None leaves a value as it is; "" means the
    portal's default). A personal setting, not a tenant's record: no audit event."""
    fields = []
    if language is not None:
        user.language = language
        fields.append("language")
    if time_zone is not None:
        user.time_zone = time_zone
        fields.append("time_zone")
    if fields:
        user.save(update_fields=fields)
    return user


# --- Members: deactivate, reactivate, change role ---------------------------------------------


def _require_reach(acting_membership: Membership, target: Membership) -> None:
    """Vendor admins reach every membership of the tenant; partner admins the partner users and
    admins of their own partner, never vendor roles. Nobody changes their own access here (a
    tenant always keeps the admin who acts)."""
    require(membership_has(acting_membership, Perm.MEMBERSHIP_MANAGE))
    if acting_membership.is_partner:
        require(target.partner_id == acting_membership.partner_id and target.role in PARTNER_ROLES)
    if target.pk == acting_membership.pk:
        raise DomainError(_("You cannot change your own access."))


def _locked_membership(membership: Membership) -> Membership:
    return Membership.objects.select_for_update(of=("self",)).select_related("user").get(pk=membership.pk)


def membership_deactivate(
    *, membership: Membership, acting_membership: Membership, reason: str = ""
) -> Membership:
    """Take a person's access to this tenant away: from their next request they get the "no
    access" page (the membership is read on every request)."""
    with transaction.atomic():
        locked = _locked_membership(membership)
        _require_reach(acting_membership, locked)
        if not locked.is_active:
            raise DomainError(_("%(user)s has no access already.") % {"user": locked.user})
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        audit(
            actor=acting_membership.user,
            action="membership.deactivate",
            obj=locked,
            before={"is_active": True},
            after={"is_active": False, "reason": reason.strip()[:500]},
        )
        _membership_changed(locked)
        notify(
            recipients=[locked.user],
            verb="membership.deactivated",
            message=lambda: (
                _("Your access to %(tenant)s was removed.") % {"tenant": locked.tenant.brand_name}
            ),
        )
    membership.is_active = False
    return locked


def membership_reactivate(*, membership: Membership, acting_membership: Membership) -> Membership:
    """Give a deactivated person their access back, with the role they had."""
    with transaction.atomic():
        locked = _locked_membership(membership)
        _require_reach(acting_membership, locked)
        if locked.is_active:
            raise DomainError(_("%(user)s has access already.") % {"user": locked.user})
        locked.is_active = True
        locked.save(update_fields=["is_active"])
        audit(
            actor=acting_membership.user,
            action="membership.reactivate",
            obj=locked,
            before={"is_active": False},
            after={"is_active": True},
        )
        _membership_changed(locked)
        notify(
            recipients=[locked.user],
            verb="membership.reactivated",
            message=lambda: (
                _("Your access to %(tenant)s is restored.") % {"tenant": locked.tenant.brand_name}
            ),
            url="/",
        )
    membership.is_active = True
    return locked


def membership_change_role(*, membership: Membership, role: str, acting_membership: Membership) -> Membership:
    """Change a person's role within their side: partner roles stay with their partner, vendor
    roles stay vendor roles (a partner admin grants partner roles only)."""
    try:
        new_role = Role(role)
    except ValueError as exc:
        raise DomainError(_("Unknown role.")) from exc
    with transaction.atomic():
        locked = _locked_membership(membership)
        _require_reach(acting_membership, locked)
        if (new_role in PARTNER_ROLES) != (locked.role in PARTNER_ROLES):
            raise DomainError(
                _(
                    "A partner's person keeps a partner role and vendor staff keep a vendor role: invite the person anew instead."
                )
            )
        if new_role == locked.role:
            raise DomainError(
                _("%(user)s is %(role)s already.") % {"user": locked.user, "role": new_role.label}
            )
        before = {"role": locked.role, "assigned_partners_only": locked.assigned_partners_only}
        locked.role = new_role
        if new_role != Role.CHANNEL_MANAGER:
            locked.assigned_partners_only = False
        locked.save(update_fields=["role", "assigned_partners_only"])
        audit(
            actor=acting_membership.user,
            action="membership.role_change",
            obj=locked,
            before=before,
            after={"role": locked.role, "assigned_partners_only": locked.assigned_partners_only},
        )
        notify(
            recipients=[locked.user],
            verb="membership.role_changed",
            message=lambda: (
                _("Your role in %(tenant)s is now %(role)s.")
                % {"tenant": locked.tenant.brand_name, "role": new_role.label}
            ),
            url="/",
        )
    membership.role = locked.role
    return locked
