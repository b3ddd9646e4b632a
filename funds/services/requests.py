"""Fund requests: the partner drafts and submits; approvers decide level by level (approve,
approve less, reject, ask for changes); the final approval commits the amount in the ledger
under the account lock. Delegation lets someone act at an absent approver's level."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import DealRegistration, Lead
from funds.models import (
    ActivityLink,
    ActivityType,
    ApprovalLevel,
    Delegation,
    EntryKind,
    Fund,
    FundClaim,
    FundRequest,
    RequestDecision,
)
from funds.selectors import authority, fund_settings, partner_is_eligible, request_open_commitment
from funds.services.ledger import account_for, lock_account, post, require_covered
from partners.models import Partner
from partners.selectors import partners_for_membership, require_active_partner, require_signed_agreement
from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.finance.rates import convert
from prm.lib.money import check_minor_units, format_amount_str
from prm.notifications.services import Message, notify
from prm.roles import Perm, Role, membership_has
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError, check_transition, require

R = FundRequest.Status
A = RequestDecision.Action
LEVEL_ROLE = {
    ApprovalLevel.CHANNEL_MANAGER: Role.CHANNEL_MANAGER,
    ApprovalLevel.MARKETING_MANAGER: Role.MARKETING_MANAGER,
    ApprovalLevel.VENDOR_ADMIN: Role.VENDOR_ADMIN,
}


@dataclass
class RequestTerms:
    activity_type: str
    title: str
    start_date: datetime.date
    end_date: datetime.date
    estimated_cost: Decimal
    requested_amount: Decimal
    description: str = ""
    audience: str = ""
    expected_leads: int = 0


def _in_scope(acting_membership: Membership, partner: Partner) -> None:
    if not partners_for_membership(acting_membership).filter(pk=partner.pk).exists():
        raise DomainError(_("You cannot act for this partner."))


def _check_terms(fund: Fund, terms: RequestTerms) -> None:
    if terms.activity_type not in ActivityType.values or not fund.allows(terms.activity_type):
        raise DomainError(_("%(f)s does not pay for this activity type.") % {"f": fund.name})
    if not (terms.title or "").strip():
        raise DomainError(_("Give the activity a title."))
    if terms.end_date < terms.start_date:
        raise DomainError(_("The activity ends before it starts."))
    cost = check_minor_units(Decimal(terms.estimated_cost), fund.currency)
    amount = check_minor_units(Decimal(terms.requested_amount), fund.currency)
    if cost <= 0 or amount <= 0:
        raise DomainError(_("The estimated cost and the requested amount are positive."))
    ceiling = cost * fund.participation_pct / 100
    if amount > ceiling:
        raise DomainError(
            _("At most %(pct)s%% of the estimated cost can be requested: %(max)s %(c)s.")
            % {
                "pct": format(fund.participation_pct.normalize(), "f"),
                "max": format_amount_str(ceiling, fund.currency),
                "c": fund.currency,
            }
        )


def _check_lead_time(fund: Fund, start: datetime.date, today: datetime.date) -> None:
    latest = start - datetime.timedelta(days=fund.lead_days)
    if today > latest:
        raise DomainError(
            _(
                "Requests for %(f)s must be submitted at least %(n)d days before the activity starts (by %(day)s)."
            )
            % {"f": fund.name, "n": fund.lead_days, "day": latest.isoformat()}
        )


def request_create(
    *, fund: Fund, partner: Partner, terms: RequestTerms, acting_membership: Membership, submit: bool = False
) -> FundRequest:
    """A draft request of the partner (``submit``: sent for approval at once)."""
    require(membership_has(acting_membership, Perm.FUND_REQUEST))
    _in_scope(acting_membership, partner)
    require_active_partner(partner)
    if not fund.is_active or not partner_is_eligible(fund, partner):
        raise DomainError(_("%(p)s cannot request money from %(f)s.") % {"p": partner.name, "f": fund.name})
    _check_terms(fund, terms)
    with transaction.atomic():
        request = FundRequest.objects.create(
            fund=fund,
            partner=partner,
            account=account_for(fund, partner),
            status=R.DRAFT,
            activity_type=terms.activity_type,
            title=terms.title.strip()[:200],
            description=terms.description,
            start_date=terms.start_date,
            end_date=terms.end_date,
            audience=(terms.audience or "")[:200],
            estimated_cost=terms.estimated_cost,
            requested_amount=terms.requested_amount,
            expected_leads=terms.expected_leads,
            currency=fund.currency,
            created_by=acting_membership.user,
        )
        audit(
            actor=acting_membership.user,
            action="fund_request.create",
            obj=request,
            after={"fund": fund.code, "partner": partner.code, "amount": str(terms.requested_amount)},
        )
    if submit:
        request = request_submit(request=request, acting_membership=acting_membership)
    return request


def request_update(
    *, request: FundRequest, terms: RequestTerms, acting_membership: Membership
) -> FundRequest:
    """Change a draft, or a request whose approver asked for changes."""
    require(membership_has(acting_membership, Perm.FUND_REQUEST))
    _in_scope(acting_membership, request.partner)
    with transaction.atomic():
        locked = FundRequest.objects.select_for_update().select_related("fund").get(pk=request.pk)
        if locked.status not in FundRequest.EDITABLE:
            raise DomainError(_("Only a draft or a request returned for changes can be edited."))
        _check_terms(locked.fund, terms)
        before = {"amount": str(locked.requested_amount), "cost": str(locked.estimated_cost)}
        for name in (
            "activity_type",
            "title",
            "description",
            "start_date",
            "end_date",
            "audience",
            "estimated_cost",
            "requested_amount",
            "expected_leads",
        ):
            setattr(locked, name, getattr(terms, name))
        locked.save()
        audit(
            actor=acting_membership.user,
            action="fund_request.update",
            obj=locked,
            before=before,
            after={"amount": str(locked.requested_amount), "cost": str(locked.estimated_cost)},
        )
    request.refresh_from_db()
    return request


def request_submit(*, request: FundRequest, acting_membership: Membership) -> FundRequest:
    """Send the request to the first approval level. Refused when the activity starts sooner
    than the fund's lead time, or the partner has not signed the current agreement."""
    require(membership_has(acting_membership, Perm.FUND_REQUEST))
    _in_scope(acting_membership, request.partner)
    require_active_partner(request.partner)
    require_signed_agreement(request.partner)
    with transaction.atomic():
        locked = (
            FundRequest.objects.select_for_update(of=("self",))
            .select_related("fund", "partner")
            .get(pk=request.pk)
        )
        check_transition(FundRequest.TRANSITIONS, locked.status, R.PENDING, what=_("The request"))
        if not partner_is_eligible(locked.fund, locked.partner):
            raise DomainError(
                _("%(p)s is no longer eligible for %(f)s.")
                % {"p": locked.partner.name, "f": locked.fund.name}
            )
        _check_terms(locked.fund, _terms_of(locked))
        _check_lead_time(locked.fund, locked.start_date, timezone.localdate())
        before = locked.status
        locked.status = R.PENDING
        locked.level = ApprovalLevel.CHANNEL_MANAGER
        locked.approved_amount = None
        locked.decision_reason = ""
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["status", "level", "approved_amount", "decision_reason", "submitted_at"])
        RequestDecision.objects.create(
            request=locked, action=A.SUBMIT, amount=locked.requested_amount, actor=acting_membership.user
        )
        audit(
            actor=acting_membership.user,
            action="fund_request.submit",
            obj=locked,
            before={"status": before},
            after={"status": R.PENDING, "level": int(locked.level), "amount": str(locked.requested_amount)},
        )
        _notify_level(locked)
    request.refresh_from_db()
    return request


def _terms_of(request: FundRequest) -> RequestTerms:
    return RequestTerms(
        activity_type=request.activity_type,
        title=request.title,
        start_date=request.start_date,
        end_date=request.end_date,
        estimated_cost=request.estimated_cost,
        requested_amount=request.requested_amount,
    )


def level_for(amount: Decimal, currency: str, day: datetime.date) -> int:
    """The approval level an amount needs (limits are in the tenant's base currency)."""
    base = require_tenant().base_currency
    value = (
        amount
        if currency == base
        else convert(amount, from_currency=currency, to_currency=base, day=day).amount
    )
    limits = fund_settings()
    if value <= limits.level1_limit:
        return ApprovalLevel.CHANNEL_MANAGER
    if value <= limits.level2_limit:
        return ApprovalLevel.MARKETING_MANAGER
    return ApprovalLevel.VENDOR_ADMIN


def _lock_for_decision(request: FundRequest, acting_membership: Membership):
    require(membership_has(acting_membership, Perm.FUND_APPROVE))
    _in_scope(acting_membership, request.partner)
    locked = (
        FundRequest.objects.select_for_update(of=("self",))
        .select_related("fund", "partner")
        .get(pk=request.pk)
    )
    if locked.status != R.PENDING:
        check_transition(FundRequest.TRANSITIONS, locked.status, R.APPROVED, what=_("The request"))
    power = authority(acting_membership, timezone.localdate())
    if power.level < locked.level:
        raise PermissionDenied(
            _("This request waits for a %(role)s's decision.")
            % {"role": str(ApprovalLevel(locked.level).label).lower()}
        )
    return locked, power


def request_approve(
    *, request: FundRequest, acting_membership: Membership, amount: Decimal | None = None, reason: str = ""
) -> FundRequest:
    """Approve (all, or a lower amount with a reason). Within the approver's level the approval
    is final and commits the amount (refused when the balance does not cover it); above it, the
    request moves on to the next level with the amount approved so far."""
    with transaction.atomic():
        locked, power = _lock_for_decision(request, acting_membership)
        fund = locked.fund
        proposed = locked.approved_amount if locked.approved_amount is not None else locked.requested_amount
        amount = proposed if amount is None else check_minor_units(Decimal(amount), fund.currency)
        reason = (reason or "").strip()
        if amount <= 0 or amount > proposed:
            raise DomainError(
                _("Approve between 0 and %(max)s %(c)s.")
                % {"max": format_amount_str(proposed, fund.currency), "c": fund.currency}
            )
        if amount < locked.requested_amount and not reason:
            raise DomainError(_("Say why a lower amount is approved."))
        needed = level_for(amount, fund.currency, timezone.localdate())
        before = {"status": locked.status, "level": int(locked.level)}
        if needed > power.level:
            next_level = power.level + 1
            check_transition(FundRequest.TRANSITIONS, locked.status, R.PENDING, what=_("The request"))
            locked.level = next_level
            locked.approved_amount = amount
            if reason:
                locked.decision_reason = reason
            locked.save(update_fields=["level", "approved_amount", "decision_reason"])
            action = A.ESCALATE
        else:
            check_transition(FundRequest.TRANSITIONS, locked.status, R.APPROVED, what=_("The request"))
            account, balances = lock_account(locked.account)
            require_covered(balances, amount, fund.currency)
            post(
                account,
                EntryKind.COMMITTED,
                amount,
                acting_user=acting_membership.user,
                request=locked,
                memo=_("Approved %(ref)s: %(title)s")
                % {"ref": locked.reference, "title": locked.title[:100]},
            )
            locked.status = R.APPROVED
            locked.approved_amount = amount
            locked.approved_by = acting_membership.user
            locked.approved_at = timezone.now()
            if reason:
                locked.decision_reason = reason
            locked.save(
                update_fields=["status", "approved_amount", "approved_by", "approved_at", "decision_reason"]
            )
            action = A.APPROVE
        RequestDecision.objects.create(
            request=locked,
            action=action,
            level=int(power.level),
            amount=amount,
            reason=reason,
            actor=acting_membership.user,
            on_behalf_of=power.on_behalf_of,
        )
        audit(
            actor=acting_membership.user,
            action=f"fund_request.{action}",
            obj=locked,
            before=before,
            after={
                "status": locked.status,
                "level": int(locked.level),
                "amount": format_amount_str(amount, fund.currency),
                "reason": reason,
                "on_behalf_of": power.on_behalf_of.email if power.on_behalf_of else None,
            },
        )
        if action == A.ESCALATE:
            _notify_level(locked)
        else:
            _notify_partner(
                locked,
                lambda: (
                    _("%(ref)s was approved: %(amount)s %(c)s is committed for %(title)s.")
                    % {
                        "ref": locked.reference,
                        "amount": format_amount_str(amount, fund.currency),
                        "c": fund.currency,
                        "title": locked.title,
                    }
                ),
            )
    request.refresh_from_db()
    return request


def _decide(
    request: FundRequest, acting_membership: Membership, *, target: str, action: str, reason: str
) -> FundRequest:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason."))
    with transaction.atomic():
        locked, power = _lock_for_decision(request, acting_membership)
        check_transition(FundRequest.TRANSITIONS, locked.status, target, what=_("The request"))
        before = locked.status
        locked.status = target
        locked.decision_reason = reason
        locked.save(update_fields=["status", "decision_reason"])
        RequestDecision.objects.create(
            request=locked,
            action=action,
            level=int(power.level),
            reason=reason,
            actor=acting_membership.user,
            on_behalf_of=power.on_behalf_of,
        )
        audit(
            actor=acting_membership.user,
            action=f"fund_request.{action}",
            obj=locked,
            before={"status": before},
            after={"status": target, "reason": reason},
        )
        _notify_partner(
            locked,
            lambda: (
                (
                    _("%(ref)s was rejected: %(reason)s")
                    if target == R.REJECTED
                    else _("%(ref)s needs changes: %(reason)s")
                )
                % {"ref": locked.reference, "reason": reason}
            ),
        )
    request.refresh_from_db()
    return request


def request_reject(*, request: FundRequest, acting_membership: Membership, reason: str) -> FundRequest:
    return _decide(request, acting_membership, target=R.REJECTED, action=A.REJECT, reason=reason)


def request_ask_changes(*, request: FundRequest, acting_membership: Membership, reason: str) -> FundRequest:
    return _decide(request, acting_membership, target=R.CHANGES_REQUESTED, action=A.CHANGES, reason=reason)


def _release_commitment(locked: FundRequest, *, acting_user, memo: str) -> Decimal:
    """Post "released" for what is still committed to the request (under the account lock)."""
    account, _balances = lock_account(locked.account)
    open_amount = request_open_commitment(locked)
    if open_amount > 0:
        post(
            account, EntryKind.RELEASED, open_amount, acting_user=acting_user, request=locked, memo=memo[:500]
        )
    return open_amount


def request_cancel(*, request: FundRequest, acting_membership: Membership, reason: str = "") -> FundRequest:
    """The partner withdraws a draft, a request returned for changes, or an approved request
    without a claim (its commitment is released)."""
    require(membership_has(acting_membership, Perm.FUND_REQUEST))
    _in_scope(acting_membership, request.partner)
    with transaction.atomic():
        locked = FundRequest.objects.select_for_update().get(pk=request.pk)
        check_transition(FundRequest.TRANSITIONS, locked.status, R.CANCELLED, what=_("The request"))
        if FundClaim.objects.filter(request=locked).exclude(status=FundClaim.Status.REJECTED).exists():
            raise DomainError(_("A claim was filed for this request: it cannot be cancelled."))
        released = Decimal("0")
        before = locked.status
        if locked.status == R.APPROVED:
            released = _release_commitment(
                locked,
                acting_user=acting_membership.user,
                memo=_("Request %(ref)s cancelled") % {"ref": locked.reference},
            )
        locked.status = R.CANCELLED
        locked.decision_reason = (reason or "").strip()
        locked.save(update_fields=["status", "decision_reason"])
        RequestDecision.objects.create(
            request=locked, action=A.CANCEL, reason=locked.decision_reason, actor=acting_membership.user
        )
        audit(
            actor=acting_membership.user,
            action="fund_request.cancel",
            obj=locked,
            before={"status": before},
            after={"status": R.CANCELLED, "released": str(released)},
        )
    request.refresh_from_db()
    return request


def request_lapse(*, request: FundRequest, today: datetime.date | None = None) -> FundRequest:
    """The nightly job: an approved request whose claim deadline passed without a claim lapses
    and its commitment goes back to the balance (where it may then expire)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = FundRequest.objects.select_for_update(of=("self",)).select_related("fund").get(pk=request.pk)
        if locked.status != R.APPROVED or locked.claim_deadline >= today:
            return locked
        if FundClaim.objects.filter(request=locked).exclude(status=FundClaim.Status.REJECTED).exists():
            return locked
        check_transition(FundRequest.TRANSITIONS, locked.status, R.LAPSED, what=_("The request"))
        released = _release_commitment(
            locked,
            acting_user=None,
            memo=_("No claim by %(day)s") % {"day": locked.claim_deadline.isoformat()},
        )
        locked.status = R.LAPSED
        locked.save(update_fields=["status"])
        audit(
            actor=None,
            action="fund_request.lapse",
            obj=locked,
            before={"status": R.APPROVED},
            after={"status": R.LAPSED, "released": str(released)},
        )
        _notify_partner(
            locked,
            lambda: (
                _("No claim was filed for %(ref)s by %(day)s: the commitment was released.")
                % {"ref": locked.reference, "day": locked.claim_deadline.isoformat()}
            ),
        )
    return locked


# --- Notifications -------------------------------------------------------------------------------------


def _notify_partner(request: FundRequest, message: Message) -> None:
    recipients = [
        m.user
        for m in Membership.objects.filter(
            partner_id=request.partner_id, role=Role.PARTNER_ADMIN, is_active=True
        ).select_related("user")
    ]
    if request.created_by is not None:
        recipients.append(request.created_by)
    notify(
        recipients=recipients,
        verb="fund_request.decided",
        message=message,
        url=reverse("funds:request_detail", args=[request.pk]),
    )


def _notify_level(request: FundRequest) -> None:
    """Tell the approvers of the request's level (and their active delegates) that it waits."""
    role = LEVEL_ROLE[ApprovalLevel(request.level)]
    approvers = list(
        Membership.objects.filter(role=role, is_active=True, partner__isnull=True).select_related("user")
    )
    today = timezone.localdate()
    delegates = Delegation.objects.filter(
        delegator__in=approvers, is_active=True, starts_on__lte=today, ends_on__gte=today
    ).select_related("delegate__user")
    recipients = [m.user for m in approvers] + [d.delegate.user for d in delegates]
    notify(
        recipients=recipients,
        verb="fund_request.waiting",
        message=lambda: (
            _("%(ref)s from %(p)s waits for your approval: %(amount)s %(c)s for %(title)s.")
            % {
                "ref": request.reference,
                "p": request.partner.name,
                "amount": format_amount_str(
                    request.approved_amount or request.requested_amount, request.currency
                ),
                "c": request.currency,
                "title": request.title,
            }
        ),
        url=reverse("funds:request_detail", args=[request.pk]),
    )


# --- Delegation --------------------------------------------------------------------------------------


def delegation_create(
    *,
    delegator: Membership,
    delegate: Membership,
    starts_on: datetime.date,
    ends_on: datetime.date,
    acting_membership: Membership,
) -> Delegation:
    """While ``delegator`` is away, ``delegate`` (vendor staff) decides at the delegator's level.
    Approvers delegate their own authority; vendor admins may set it up for anyone."""
    require(membership_has(acting_membership, Perm.FUND_APPROVE))
    if delegator.pk != acting_membership.pk and acting_membership.role != Role.VENDOR_ADMIN:
        raise PermissionDenied(_("You can only delegate your own approvals."))
    if not membership_has(delegator, Perm.FUND_APPROVE):
        raise DomainError(_("%(u)s approves no fund requests.") % {"u": delegator.user})
    if delegate.is_partner or not delegate.is_active or delegate.pk == delegator.pk:
        raise DomainError(_("Delegate to another active member of the vendor staff."))
    if ends_on < starts_on:
        raise DomainError(_("The delegation ends before it starts."))
    with transaction.atomic():
        delegation = Delegation.objects.create(
            delegator=delegator,
            delegate=delegate,
            starts_on=starts_on,
            ends_on=ends_on,
            created_by=acting_membership.user,
        )
        audit(
            actor=acting_membership.user,
            action="fund.delegation_create",
            obj=delegation,
            after={
                "delegator": delegator.user.email,
                "delegate": delegate.user.email,
                "from": starts_on,
                "until": ends_on,
            },
        )
        notify(
            recipients=[delegate.user],
            verb="fund.delegated",
            message=lambda: (
                _("%(u)s delegated fund approvals to you from %(a)s to %(b)s.")
                % {"u": delegator.user, "a": starts_on.isoformat(), "b": ends_on.isoformat()}
            ),
            url=reverse("funds:requests"),
        )
    return delegation


def delegation_end(*, delegation: Delegation, acting_membership: Membership) -> Delegation:
    require(membership_has(acting_membership, Perm.FUND_APPROVE))
    if (
        acting_membership.pk not in (delegation.delegator_id, delegation.delegate_id)
        and acting_membership.role != Role.VENDOR_ADMIN
    ):
        raise PermissionDenied
    with transaction.atomic():
        locked = Delegation.objects.select_for_update().get(pk=delegation.pk)
        if not locked.is_active:
            raise DomainError(_("The delegation has ended already."))
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        audit(
            actor=acting_membership.user,
            action="fund.delegation_end",
            obj=locked,
            before={"is_active": True},
            after={"is_active": False},
        )
    return locked


# --- Return: leads and deals from a funded activity ---------------------------------------------------


def activity_link(
    *,
    request: FundRequest,
    acting_membership: Membership,
    registration: DealRegistration | None = None,
    lead: Lead | None = None,
) -> ActivityLink:
    """Link a deal registration or a lead of the same partner to the funded activity."""
    staff = membership_has(acting_membership, Perm.FUND_APPROVE)
    require(staff or membership_has(acting_membership, Perm.FUND_REQUEST))
    _in_scope(acting_membership, request.partner)
    if (registration is None) == (lead is None):
        raise DomainError(_("Link one deal registration or one lead."))
    target_partner = registration.partner_id if registration is not None else lead.partner_id  # type: ignore[union-attr]
    if target_partner != request.partner_id:
        raise DomainError(_("Only the partner's own deals and leads can be linked."))
    if request.status not in (R.APPROVED, R.COMPLETED):
        raise DomainError(_("Only approved activities have a return."))
    with transaction.atomic():
        existing = (
            ActivityLink.objects.filter(registration=registration)
            if registration is not None
            else ActivityLink.objects.filter(lead=lead)
        ).first()
        if existing is not None:
            raise DomainError(_("This is already linked to %(ref)s.") % {"ref": existing.request.reference})
        link = ActivityLink.objects.create(
            request=request, registration=registration, lead=lead, created_by=acting_membership.user
        )
        audit(
            actor=acting_membership.user,
            action="fund_request.link",
            obj=link,
            after={
                "request": request.reference,
                "registration": getattr(registration, "pk", None),
                "lead": getattr(lead, "pk", None),
            },
        )
    return link
