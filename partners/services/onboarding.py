"""Onboarding: the checklist's automatic completion, the company profile, payout details,
account managers, and overdue reminders."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from partners.fields import mask
from partners.models import OnboardingItem, Partner, PayoutDetails
from partners.selectors import (
    account_managers,
    onboarding_changes,
    onboarding_items,
    partner_admins,
    partner_staff_recipients,
    partners_for_membership,
)
from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.notifications.recipients import staff_members
from prm.notifications.services import notify
from prm.roles import Perm, Role, membership_has
from prm.workflow import DomainError, require


def onboarding_refresh(*, partner: Partner) -> int:
    """Mark checklist items done whose condition now holds (and reopen the agreement item when a
    new version must be signed). Returns the number of items that changed."""
    changed = 0
    partner.refresh_from_db()
    for item, done in onboarding_changes(partner, onboarding_items(partner)):
        item.completed_at = timezone.now() if done else None
        item.save(update_fields=["completed_at"])
        audit(
            actor=None,
            action="onboarding.complete" if done else "onboarding.reopen",
            obj=item,
            after={"step": item.step.kind, "partner": partner.pk},
        )
        changed += 1
    return changed


def onboarding_refresh_partners(*, program_id: int | None = None) -> int:
    """The periodic refresh (and the one after a new agreement version): the checklists of the
    program's partners, else of every partner with an open item, follow the data changed outside
    this app (colleagues invited or joined, certificates that became valid). Returns the number of
    items that changed."""
    partners = Partner.objects.order_by("pk")
    if program_id is not None:
        partners = partners.filter(program_id=program_id)
    else:
        partners = partners.filter(
            pk__in=OnboardingItem.objects.filter(completed_at__isnull=True).values("partner_id")
        )
    changed = 0
    for partner in list(partners):
        with transaction.atomic():
            changed += onboarding_refresh(partner=partner)
    return changed


PROFILE_FIELDS = [
    "name",
    "website",
    "phone",
    "address",
    "city",
    "postal_code",
    "region",
    "description",
    "expertise",
]


# Territory and expertise decide lead routing: vendor staff set them; partners ask for a change.
VENDOR_MANAGED_FIELDS = ("region", "expertise")


def partner_profile_update(*, partner: Partner, acting_membership: Membership, data: dict) -> Partner:
    """The partner admin (own partner) or vendor staff who manage partners edit the company
    profile; region and expertise (lead territory) are vendor-managed."""
    if acting_membership.is_partner:
        require(membership_has(acting_membership, Perm.PARTNER_PROFILE_EDIT))
        require(acting_membership.partner_id == partner.pk)
        data = {k: v for k, v in data.items() if k not in VENDOR_MANAGED_FIELDS}
    else:
        require(membership_has(acting_membership, Perm.PARTNER_MANAGE))
        require(partners_for_membership(acting_membership).filter(pk=partner.pk).exists())
    with transaction.atomic():
        locked = Partner.objects.select_for_update().get(pk=partner.pk)
        fields = [f for f in PROFILE_FIELDS if f in data and data[f] != getattr(locked, f)]
        if not fields:
            return locked
        before = {f: getattr(locked, f) for f in fields}
        for field in fields:
            setattr(locked, field, data[field])
        locked.save(update_fields=[*fields, "updated_at"])
        audit(
            actor=acting_membership.user,
            action="partner.profile_update",
            obj=locked,
            before=before,
            after={f: getattr(locked, f) for f in fields},
        )
        onboarding_refresh(partner=locked)
    return locked


def partner_profile_change_request(*, partner: Partner, acting_membership: Membership, message: str) -> None:
    """A partner admin asks its managers to change what the vendor manages (region, expertise):
    a notification to the partner's account managers (else the channel managers), audited."""
    require(
        membership_has(acting_membership, Perm.PARTNER_PROFILE_EDIT)
        and acting_membership.partner_id == partner.pk
    )
    message = message.strip()
    if not message:
        raise DomainError(_("Say what should change."))
    with transaction.atomic():
        audit(
            actor=acting_membership.user,
            action="partner.profile_change_request",
            obj=partner,
            after={"message": message[:1000]},
        )
        notify(
            recipients=partner_staff_recipients(partner),
            verb="partner.change_requested",
            message=lambda: (
                _("%(partner)s asks for a profile change: %(message)s")
                % {"partner": partner.name, "message": message[:400]}
            ),
            url=reverse("partners:edit", kwargs={"pk": partner.pk}),
        )


_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$")


def iban_is_valid(value: str) -> bool:
    compact = "".join(value.split()).upper()
    if not _IBAN.match(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def payout_details_update(
    *,
    partner: Partner,
    acting_membership: Membership,
    account_holder: str,
    account_number: str,
    bank_code: str = "",
    tax_id: str,
) -> PayoutDetails:
    """Enter or change the partner's bank and tax details (encrypted at rest). Every change is
    audited with masked values and notified to finance."""
    require(
        membership_has(acting_membership, Perm.PAYOUT_DETAILS_EDIT)
        and acting_membership.partner_id == partner.pk
    )
    account_holder, tax_id, bank_code = account_holder.strip(), tax_id.strip(), bank_code.strip()
    account_number = " ".join(account_number.split()).upper()
    if not (account_holder and account_number and tax_id):
        raise DomainError(_("Account holder, account number and tax id are required."))
    compact = account_number.replace(" ", "")
    if compact[:2].isalpha() and not iban_is_valid(compact):
        raise DomainError(_("This IBAN is not valid (check digits do not match)."))
    if not compact[:2].isalpha() and not re.fullmatch(r"[0-9\-]{4,34}", compact):
        raise DomainError(_("Enter an IBAN or an account number of digits."))
    with transaction.atomic():
        Partner.objects.select_for_update().get(pk=partner.pk)
        details = PayoutDetails.objects.filter(partner=partner).first()
        before = details.masked() if details else None
        if details is None:
            details = PayoutDetails(partner=partner)
        details.account_holder = account_holder
        details.account_number = compact
        details.bank_code = bank_code
        details.tax_id = tax_id
        details.updated_by = acting_membership.user
        details.verified_by, details.verified_at = None, None
        details.save()
        after = details.masked()
        audit(
            actor=acting_membership.user,
            action="payout_details.update",
            obj=details,
            before=before,
            after=after,
        )
        notify(
            recipients=staff_members([Role.FINANCE]),
            verb="payout_details.changed",
            message=lambda: (
                _("%(partner)s changed its payout details (account %(account)s).")
                % {"partner": partner.name, "account": mask(compact)}
            ),
            url=reverse("partners:detail", kwargs={"pk": partner.pk}),
        )
        onboarding_refresh(partner=partner)
    return details


def payout_details_verify(*, partner: Partner, acting_membership: Membership) -> PayoutDetails:
    """Finance confirms the partner's current payout details (checked with the partner outside
    the portal); only verified details receive payouts. A later change clears the check."""
    require(
        membership_has(acting_membership, Perm.PAYOUT_DETAILS_VERIFY) and acting_membership.is_staff_member
    )
    with transaction.atomic():
        details = PayoutDetails.objects.select_for_update().filter(partner=partner).first()
        if details is None:
            raise DomainError(_("%(partner)s has no payout details to verify.") % {"partner": partner.name})
        if details.is_verified:
            raise DomainError(_("These payout details are verified already."))
        details.verified_by = acting_membership.user
        details.verified_at = timezone.now()
        details.save(update_fields=["verified_by", "verified_at"])
        audit(
            actor=acting_membership.user,
            action="payout_details.verify",
            obj=details,
            after={"account_number": mask(details.account_number), "verified": True},
        )
        notify(
            recipients=partner_admins(partner),
            verb="payout_details.verified",
            message=lambda: (
                _("Finance verified your payout details (account %(account)s).")
                % {"account": mask(details.account_number)}
            ),
            url=reverse("partners:payout", kwargs={"pk": partner.pk}),
        )
    return details


def partner_manager_assign(*, partner: Partner, manager: Membership, acting_membership: Membership) -> None:
    """Make a channel manager an account manager of the partner (django-guardian object grant)."""
    require(
        acting_membership.is_staff_member and membership_has(acting_membership, Perm.ACCOUNT_MANAGER_ASSIGN)
    )
    if manager.role not in {Role.CHANNEL_MANAGER, Role.VENDOR_ADMIN}:
        raise DomainError(_("Only channel managers can be account managers."))
    with transaction.atomic():
        Partner.objects.select_for_update().get(pk=partner.pk)
        if manager.user in account_managers(partner):
            raise DomainError(_("%(user)s already manages this partner.") % {"user": manager.user})
        assign_perm("partners.manage_partner", manager.user, partner)
        audit(
            actor=acting_membership.user,
            action="partner.manager_assign",
            obj=partner,
            after={"manager": manager.user.email},
        )
        notify(
            recipients=[manager.user],
            verb="partner.assigned",
            message=lambda: _("You are now account manager of %(partner)s.") % {"partner": partner.name},
            url=reverse("partners:detail", kwargs={"pk": partner.pk}),
        )


def partner_manager_unassign(*, partner: Partner, manager_user, acting_membership: Membership) -> None:
    require(
        acting_membership.is_staff_member and membership_has(acting_membership, Perm.ACCOUNT_MANAGER_ASSIGN)
    )
    with transaction.atomic():
        Partner.objects.select_for_update().get(pk=partner.pk)
        if manager_user not in account_managers(partner):
            raise DomainError(_("This person does not manage the partner."))
        remove_perm("partners.manage_partner", manager_user, partner)
        audit(
            actor=acting_membership.user,
            action="partner.manager_unassign",
            obj=partner,
            before={"manager": manager_user.email},
        )


REMINDER_INTERVAL_DAYS = 7


def onboarding_send_reminders(*, today=None) -> int:
    """Remind partner admins and account managers of overdue checklist items, at most once a week
    per item (idempotent within a day)."""
    today = today or timezone.localdate()
    items = (
        OnboardingItem.objects.select_related("partner", "step")
        .filter(completed_at__isnull=True, due_date__lt=today)
        .filter(
            Q(last_reminded_on__isnull=True)
            | Q(last_reminded_on__lte=today - timedelta(days=REMINDER_INTERVAL_DAYS))
        )
    )
    by_partner: dict[int, list[OnboardingItem]] = {}
    for item in items:
        by_partner.setdefault(item.partner_id, []).append(item)
    for partner_items in by_partner.values():
        partner = partner_items[0].partner
        with transaction.atomic():
            titles = ", ".join(i.step.title for i in partner_items)
            notify(
                recipients=partner_admins(partner) + partner_staff_recipients(partner),
                verb="onboarding.overdue",
                message=lambda partner=partner, titles=titles: (
                    _("%(partner)s: overdue onboarding items: %(items)s")
                    % {"partner": partner.name, "items": titles}
                ),
                url=reverse("partners:onboarding", kwargs={"pk": partner.pk}),
            )
            OnboardingItem.objects.filter(pk__in=[i.pk for i in partner_items]).update(last_reminded_on=today)
    return sum(len(v) for v in by_partner.values())
