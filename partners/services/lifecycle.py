"""A partner's standing, decided by hand: vendor admins suspend, terminate and reactivate a partner,
and move it to another tier outside the scorecard's proposals. Every change needs a reason, is
audited and is notified to the partner's admins and its account managers."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from partners.models import Partner, Tier, TierProposal
from partners.selectors import agreement_signed, partner_admins, partner_staff_recipients
from partners.services.programs import partner_set_tier
from partners.services.scorecards import withdraw_pending_proposal
from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.notifications.services import notify
from prm.roles import Perm, require_staff
from prm.workflow import DomainError, check_transition

S = Partner.Status
COMMAND_LINE = "command line"

# Apps above this one act when a partner stops operating (deals withdraws its pending lead
# offers); they register from their AppConfig.ready(), so this module imports none of them.
PARTNER_STOPPED_HOOKS: list[Callable[[Partner], object]] = []


def register_partner_stopped_hook(hook: Callable[[Partner], object]) -> None:
    if hook not in PARTNER_STOPPED_HOOKS:
        PARTNER_STOPPED_HOOKS.append(hook)


def _require_lifecycle(acting_membership: Membership) -> None:
    require_staff(acting_membership, Perm.PARTNER_LIFECYCLE)


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason: the partner and the audit log will show it."))
    return reason[:1000]


def _recipients(partner: Partner) -> list:
    return [*partner_admins(partner), *partner_staff_recipients(partner)]


def _change_status(
    *,
    partner: Partner,
    target: str,
    acting_membership: Membership,
    reason: str,
    action: str,
    message: Callable[[], str],
) -> Partner:
    """``message`` gives the notification's wording (with %(partner)s and %(reason)s) in the
    language active when it is called: each recipient's."""
    _require_lifecycle(acting_membership)
    reason = _clean_reason(reason)
    with transaction.atomic():
        locked = Partner.objects.select_for_update().get(pk=partner.pk)
        check_transition(Partner.TRANSITIONS, locked.status, target, what=_("The partner"))
        before = {"status": locked.status}
        locked.status = target
        locked.save(update_fields=["status", "updated_at"])
        audit(
            actor=acting_membership.user,
            action=action,
            obj=locked,
            before=before,
            after={"status": target, "reason": reason},
        )
        notify(
            recipients=_recipients(locked),
            verb=action,
            message=lambda: message() % {"partner": locked.name, "reason": reason},
            url=reverse("partners:detail", kwargs={"pk": locked.pk}),
        )
        if not locked.is_operating:
            for hook in PARTNER_STOPPED_HOOKS:
                hook(locked)
    partner.status = locked.status
    return locked


def partner_suspend(*, partner: Partner, acting_membership: Membership, reason: str) -> Partner:
    """Pause a partner: its people keep read-only access to their history; nothing new happens in
    its name (deals, leads, uploads, training, downloads) until it is reactivated."""
    return _change_status(
        partner=partner,
        target=S.SUSPENDED,
        acting_membership=acting_membership,
        reason=reason,
        action="partner.suspend",
        message=lambda: _("%(partner)s is suspended: %(reason)s"),
    )


def partner_terminate(*, partner: Partner, acting_membership: Membership, reason: str) -> Partner:
    """End the partnership: the partner's people can no longer sign in to this portal."""
    return _change_status(
        partner=partner,
        target=S.TERMINATED,
        acting_membership=acting_membership,
        reason=reason,
        action="partner.terminate",
        message=lambda: _("The partnership with %(partner)s has ended: %(reason)s"),
    )


def partner_reactivate(*, partner: Partner, acting_membership: Membership, reason: str) -> Partner:
    """Lift a suspension or a termination: back to active, or to onboarding while the current
    agreement is not signed."""
    target = S.ACTIVE if agreement_signed(partner) else S.ONBOARDING
    return _change_status(
        partner=partner,
        target=target,
        acting_membership=acting_membership,
        reason=reason,
        action="partner.reactivate",
        message=lambda: _("%(partner)s is active again: %(reason)s"),
    )


def partner_change_tier(
    *, partner: Partner, tier: Tier, acting_membership: Membership | None, reason: str
) -> Partner:
    """Move a partner to ``tier`` by hand (a vendor admin, or the operator on the command line when
    ``acting_membership`` is None), outside the scorecard's proposals; a pending proposal is
    withdrawn. The partner's admins are notified."""
    if acting_membership is not None:
        _require_lifecycle(acting_membership)
    reason = _clean_reason(reason)
    with transaction.atomic():
        locked = (
            Partner.objects.select_for_update(of=("self",)).select_related("current_tier").get(pk=partner.pk)
        )
        if locked.current_tier_id == tier.pk:
            raise DomainError(
                _("%(partner)s is already %(tier)s.") % {"partner": locked.name, "tier": tier.name}
            )
        direction = (
            TierProposal.Direction.PROMOTION
            if locked.current_tier is None or tier.rank > locked.current_tier.rank
            else TierProposal.Direction.DEMOTION
        )
        withdraw_pending_proposal(locked)
        changed = partner_set_tier(
            partner=locked,
            tier=tier,
            actor=acting_membership.user if acting_membership is not None else None,
            action="partner.tier_change",
            reason=reason,
            via=COMMAND_LINE if acting_membership is None else "",
        )

        def message() -> str:
            wording = (
                _("%(partner)s is now %(tier)s.")
                if direction == TierProposal.Direction.PROMOTION
                else _("%(partner)s moves to the %(tier)s tier.")
            ) % {"partner": changed.name, "tier": tier.name}
            return f"{wording} {reason}"

        notify(
            recipients=_recipients(changed),
            verb="tier.changed",
            message=message,
            url=reverse("partners:scorecard", kwargs={"pk": changed.pk}),
        )
    partner.current_tier, partner.tier, partner.program_id = (
        changed.current_tier,
        changed.tier,
        changed.program_id,
    )
    return changed
