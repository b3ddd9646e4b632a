"""Joint business plans: made by the vendor's channel manager and the partner's admin together,
proposed, signed by both sides (then in force), reopened when something must change; initiatives,
comments and the quarterly review reminder."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import (
    MONEY_KPIS,
    PLAN_KPI_LABELS,
    PLAN_KPIS,
    QUARTERS,
    BusinessPlan,
    Partner,
    PlanComment,
    PlanGoal,
    PlanInitiative,
)
from partners.selectors import partners_for_membership, plan_side_recipients, require_active_partner
from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.decisions import Notice, decide, lock_for_transition
from prm.lib.money import check_minor_units
from prm.lib.periods import quarter, quarter_label
from prm.notifications.services import notify
from prm.roles import Perm, membership_has
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError, require

P = BusinessPlan.Status
I = PlanInitiative.Status  # noqa: E741  (the initiative statuses, as P for the plan's)
S = PlanComment.Side
# The review reminder goes out on the first days of a quarter only (a late run stays silent).
REVIEW_WINDOW_DAYS = 14
MAX_COMMENT = 4000


def _what() -> str:
    return _("Business plan")


def side_of(membership: Membership) -> str:
    return S.PARTNER if membership.is_partner else S.VENDOR


def other_side(side: str) -> str:
    return S.VENDOR if side == S.PARTNER else S.PARTNER


def may_edit_plan(membership: Membership, partner_id: int) -> bool:
    """The member may work on the plans of this partner: the capability, and the partner in reach
    (partner admins: their own; restricted managers: assigned partners)."""
    return membership_has(membership, Perm.PLAN_EDIT) and (
        partners_for_membership(membership).filter(pk=partner_id).exists()
    )


def _require_edit(membership: Membership, partner_id: int) -> None:
    require(may_edit_plan(membership, partner_id))


def _url(plan: BusinessPlan) -> str:
    return reverse("partners:plan_detail", kwargs={"pk": plan.pk})


def _signers(plan: BusinessPlan) -> dict[str, Any]:
    return {
        "vendor_signed_by": plan.vendor_signed_by_id,
        "partner_signed_by": plan.partner_signed_by_id,
    }


def plan_create(
    *, partner: Partner, year: int, acting_membership: Membership, summary: str = ""
) -> BusinessPlan:
    """Start the partner's plan for ``year`` (one per partner and year), in the tenant's base
    currency; the other side hears about it."""
    _require_edit(acting_membership, partner.pk)
    require_active_partner(partner)
    if not 2000 <= year <= 2100:
        raise DomainError(_("Choose a year between 2000 and 2100."))
    if BusinessPlan.objects.filter(partner=partner, year=year).exists():
        raise DomainError(
            _("%(partner)s already has a business plan for %(year)s.")
            % {"partner": partner.name, "year": year}
        )
    try:
        with transaction.atomic():
            plan = BusinessPlan.objects.create(
                partner=partner,
                year=year,
                summary=summary.strip(),
                currency=require_tenant().base_currency,
                created_by=acting_membership.user,
            )
            audit(
                actor=acting_membership.user,
                action="business_plan.create",
                obj=plan,
                after={"partner": partner.pk, "year": year, "currency": plan.currency},
            )
            notify(
                recipients=plan_side_recipients(plan, other_side(side_of(acting_membership))),
                verb="business_plan.created",
                message=lambda: (
                    _("%(partner)s: a business plan for %(year)s was started.")
                    % {"partner": partner.name, "year": year}
                ),
                url=_url(plan),
            )
    except IntegrityError:
        # Both sides started the year's plan at the same moment: the first one stands.
        raise DomainError(
            _("%(partner)s already has a business plan for %(year)s.")
            % {"partner": partner.name, "year": year}
        ) from None
    return plan


def _checked_target(quarter_no: int, kpi: str, value: Decimal, currency: str) -> Decimal:
    where = _("Q%(quarter)d, %(measure)s") % {"quarter": quarter_no, "measure": PLAN_KPI_LABELS[kpi]}
    if value < 0:
        raise DomainError(_("%(where)s: a target cannot be negative.") % {"where": where})
    if kpi in MONEY_KPIS:
        try:
            return check_minor_units(value, currency)
        except DomainError as exc:
            raise DomainError(f"{where}: {exc}") from None
    if value != value.to_integral_value():
        raise DomainError(_("%(where)s: enter a whole number.") % {"where": where})
    return value


def plan_update(
    *,
    plan: BusinessPlan,
    acting_membership: Membership,
    summary: str,
    targets: Mapping[tuple[int, str], Decimal | None],
) -> bool:
    """Change the objectives and the goals (``targets``: (quarter, KPI) -> target, None removes
    the goal). Only a plan that is not in force changes; a change after one side signed clears
    the signatures (audited, the signer is told). Returns whether anything changed."""
    _require_edit(acting_membership, plan.partner_id)
    with transaction.atomic():
        locked = BusinessPlan.objects.select_for_update().select_related("partner").get(pk=plan.pk)
        if locked.status not in BusinessPlan.EDITABLE:
            raise DomainError(_("The plan is signed by both sides: reopen it to change its goals."))
        existing = {(g.quarter, g.kpi): g for g in PlanGoal.objects.filter(plan=locked)}
        # "Q2 deals_won": target before / after (None: no goal).
        before_goals: dict[str, str | None] = {}
        after_goals: dict[str, str | None] = {}
        for (quarter_no, kpi), value in sorted(targets.items()):
            if quarter_no not in QUARTERS or kpi not in PLAN_KPIS:
                raise DomainError(_("Unknown goal: quarter %(q)s, %(kpi)s.") % {"q": quarter_no, "kpi": kpi})
            goal = existing.get((quarter_no, kpi))
            if value is None:
                if goal is not None:
                    before_goals[f"Q{quarter_no} {kpi}"], after_goals[f"Q{quarter_no} {kpi}"] = (
                        str(goal.target),
                        None,
                    )
                    goal.delete()
                continue
            value = _checked_target(quarter_no, kpi, Decimal(value), locked.currency)
            if goal is None:
                PlanGoal.objects.create(
                    plan=locked,
                    quarter=quarter_no,
                    kpi=kpi,
                    target=value,
                    currency=locked.currency if kpi in MONEY_KPIS else "",
                )
                before_goals[f"Q{quarter_no} {kpi}"], after_goals[f"Q{quarter_no} {kpi}"] = None, str(value)
            elif goal.target != value:
                before_goals[f"Q{quarter_no} {kpi}"], after_goals[f"Q{quarter_no} {kpi}"] = (
                    str(goal.target),
                    str(value),
                )
                goal.target = value
                goal.save(update_fields=["target"])
        summary = summary.strip()
        summary_changed = summary != locked.summary
        if not after_goals and not summary_changed:
            return False
        before: dict[str, Any] = {"goals": before_goals}
        after: dict[str, Any] = {"goals": after_goals}
        fields = ["updated_at"]
        if summary_changed:
            before["summary"], after["summary"] = locked.summary, summary
            locked.summary = summary
            fields.append("summary")
        locked.save(update_fields=fields)
        audit(
            actor=acting_membership.user,
            action="business_plan.update",
            obj=locked,
            before=before,
            after=after,
        )
        if locked.signature_count:
            _clear_signatures(locked, acting_membership, action="business_plan.signatures_cleared")
    return True


def _clear_signatures(locked: BusinessPlan, acting_membership: Membership, *, action: str) -> None:
    """Signatures are for the plan as it was: a change takes them back (audited; the signers are
    told to sign again)."""
    before = _signers(locked)
    signers = [u for u in (locked.vendor_signed_by, locked.partner_signed_by) if u is not None]
    locked.vendor_signed_by = locked.partner_signed_by = None
    locked.vendor_signed_at = locked.partner_signed_at = None
    locked.save(
        update_fields=["vendor_signed_by", "vendor_signed_at", "partner_signed_by", "partner_signed_at"]
    )
    audit(actor=acting_membership.user, action=action, obj=locked, before=before, after=_signers(locked))
    notify(
        recipients=[u for u in signers if u.pk != acting_membership.user_id],
        verb="business_plan.signature_cleared",
        message=lambda: (
            _("%(plan)s changed after you signed it: your signature was cleared; sign it again.")
            % {"plan": f"{locked.partner.name} {locked.year}"}
        ),
        url=_url(locked),
    )


def plan_propose(*, plan: BusinessPlan, acting_membership: Membership) -> BusinessPlan:
    """Put the plan up for sign-off by both sides (it needs at least one goal)."""
    _require_edit(acting_membership, plan.partner_id)
    require_active_partner(plan.partner)
    with transaction.atomic():
        locked = lock_for_transition(
            BusinessPlan.objects.select_related("partner"),
            plan.pk,
            transitions=BusinessPlan.TRANSITIONS,
            target=P.PROPOSED,
            what=_what(),
        )
        if not PlanGoal.objects.filter(plan=locked).exists():
            raise DomainError(_("Set at least one goal before proposing the plan."))
        side = side_of(acting_membership)
        return decide(
            locked,
            P.PROPOSED,
            transitions=BusinessPlan.TRANSITIONS,
            what=_what(),
            actor=acting_membership.user,
            action="business_plan.propose",
            decided_by=None,
            decided_at=None,
            notices=[
                Notice(
                    plan_side_recipients(locked, other_side(side)),
                    "business_plan.proposed",
                    lambda: (
                        _("%(partner)s: the %(year)s business plan is proposed for sign-off.")
                        % {"partner": locked.partner.name, "year": locked.year}
                    ),
                    _url(locked),
                )
            ],
        )


def plan_sign(*, plan: BusinessPlan, acting_membership: Membership) -> BusinessPlan:
    """Sign the proposed plan for one's side: the vendor's channel manager (or vendor admin) with
    the partner in reach, or the partner's admin. With both signatures the plan is in force."""
    _require_edit(acting_membership, plan.partner_id)
    require_active_partner(plan.partner)
    side = side_of(acting_membership)
    with transaction.atomic():
        locked = (
            BusinessPlan.objects.select_for_update(of=("self",)).select_related("partner").get(pk=plan.pk)
        )
        if locked.status != P.PROPOSED:
            raise DomainError(_("Only a proposed plan can be signed."))
        now = timezone.now()
        if side == S.VENDOR:
            if locked.vendor_signed_at is not None:
                raise DomainError(_("The plan is already signed for the vendor."))
            locked.vendor_signed_by, locked.vendor_signed_at = acting_membership.user, now
            fields = ["vendor_signed_by", "vendor_signed_at"]
        else:
            if locked.partner_signed_at is not None:
                raise DomainError(_("The plan is already signed for the partner."))
            locked.partner_signed_by, locked.partner_signed_at = acting_membership.user, now
            fields = ["partner_signed_by", "partner_signed_at"]
        locked.save(update_fields=[*fields, "updated_at"])
        audit(actor=acting_membership.user, action="business_plan.sign", obj=locked, after={"side": side})
        name = {"partner": locked.partner.name, "year": locked.year}
        if locked.signature_count < 2:
            notify(
                recipients=plan_side_recipients(locked, other_side(side)),
                verb="business_plan.signed_by_one",
                message=lambda: (
                    _("%(partner)s: the %(year)s business plan is signed by one side and waits for yours.")
                    % name
                ),
                url=_url(locked),
            )
            return locked
        return decide(
            locked,
            P.SIGNED,
            transitions=BusinessPlan.TRANSITIONS,
            what=_what(),
            actor=acting_membership.user,
            action="business_plan.in_force",
            decided_by=None,
            decided_at=None,
            notices=[
                Notice(
                    plan_side_recipients(locked, S.VENDOR) + plan_side_recipients(locked, S.PARTNER),
                    "business_plan.signed",
                    lambda: (
                        _("%(partner)s: the %(year)s business plan is signed by both sides and in force.")
                        % name
                    ),
                    _url(locked),
                )
            ],
        )


def plan_reopen(*, plan: BusinessPlan, acting_membership: Membership, reason: str) -> BusinessPlan:
    """Back to draft so the plan can change: the signatures are cleared (audited with the reason);
    both sides hear about it."""
    _require_edit(acting_membership, plan.partner_id)
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the plan is reopened."))
    with transaction.atomic():
        locked = lock_for_transition(
            BusinessPlan.objects.select_related("partner", "vendor_signed_by", "partner_signed_by"),
            plan.pk,
            transitions=BusinessPlan.TRANSITIONS,
            target=P.DRAFT,
            what=_what(),
        )
        signers = _signers(locked)
        decide(
            locked,
            P.DRAFT,
            transitions=BusinessPlan.TRANSITIONS,
            what=_what(),
            actor=acting_membership.user,
            action="business_plan.reopen",
            decided_by=None,
            decided_at=None,
            changes={
                "vendor_signed_by": None,
                "vendor_signed_at": None,
                "partner_signed_by": None,
                "partner_signed_at": None,
            },
            detail_before=signers,
            detail={"reason": reason},
            notices=[
                Notice(
                    plan_side_recipients(locked, S.VENDOR) + plan_side_recipients(locked, S.PARTNER),
                    "business_plan.reopened",
                    lambda: (
                        _("%(partner)s: the %(year)s business plan was reopened: %(reason)s")
                        % {"partner": locked.partner.name, "year": locked.year, "reason": reason}
                    ),
                    _url(locked),
                )
            ],
        )
    return locked


def plan_initiative_add(
    *,
    plan: BusinessPlan,
    acting_membership: Membership,
    title: str,
    owner: Membership,
    due_date: datetime.date,
) -> PlanInitiative:
    """An initiative towards the goals, owned by someone of either side (the partner's people, or
    vendor staff who have the partner in reach). Initiatives are the plan's working part: adding
    one does not touch the signatures."""
    _require_edit(acting_membership, plan.partner_id)
    title = " ".join(title.split())
    if not title:
        raise DomainError(_("Name the initiative."))
    owner_ok = owner.is_active and (
        owner.partner_id == plan.partner_id
        or (owner.is_staff_member and partners_for_membership(owner).filter(pk=plan.partner_id).exists())
    )
    if not owner_ok:
        raise DomainError(_("The owner must be someone of the partner or vendor staff working with it."))
    with transaction.atomic():
        initiative = PlanInitiative.objects.create(
            plan=plan, title=title[:200], owner=owner, due_date=due_date
        )
        audit(
            actor=acting_membership.user,
            action="business_plan.initiative_add",
            obj=initiative,
            after={
                "plan": plan.pk,
                "title": initiative.title,
                "owner": owner.user_id,
                "due_date": due_date.isoformat(),
            },
        )
        if owner.user_id != acting_membership.user_id:
            notify(
                recipients=[owner.user],
                verb="business_plan.initiative_owner",
                message=lambda: (
                    _("%(partner)s %(year)s plan: you own the initiative “%(title)s”, due %(due)s.")
                    % {
                        "partner": plan.partner.name,
                        "year": plan.year,
                        "title": initiative.title,
                        "due": due_date.isoformat(),
                    }
                ),
                url=_url(plan),
            )
    return initiative


def plan_initiative_set_status(
    *, initiative: PlanInitiative, acting_membership: Membership, status: str
) -> PlanInitiative:
    """Mark an initiative done, or open again."""
    _require_edit(acting_membership, initiative.plan.partner_id)
    with transaction.atomic():
        locked = lock_for_transition(
            PlanInitiative.objects.select_related("plan"),
            initiative.pk,
            transitions=PlanInitiative.TRANSITIONS,
            target=status,
            what=_("Initiative"),
        )
        return decide(
            locked,
            status,
            transitions=PlanInitiative.TRANSITIONS,
            what=_("Initiative"),
            actor=acting_membership.user,
            action="business_plan.initiative_" + ("done" if status == I.DONE else "reopen"),
            decided_by=None,
            decided_at=None,
            changes={"done_at": timezone.now() if status == I.DONE else None},
        )


def plan_comment_add(*, plan: BusinessPlan, acting_membership: Membership, text: str) -> PlanComment:
    """A remark for the other side (kept as written: comments are never edited or removed)."""
    _require_edit(acting_membership, plan.partner_id)
    text = text.strip()
    if not text:
        raise DomainError(_("Write a comment."))
    if len(text) > MAX_COMMENT:
        raise DomainError(_("A comment takes at most %(n)d characters.") % {"n": MAX_COMMENT})
    side = side_of(acting_membership)
    with transaction.atomic():
        comment = PlanComment.objects.create(plan=plan, author=acting_membership.user, side=side, text=text)
        audit(actor=acting_membership.user, action="business_plan.comment", obj=comment, after={"side": side})
        notify(
            recipients=plan_side_recipients(plan, other_side(side)),
            verb="business_plan.comment",
            message=lambda: (
                _("%(partner)s %(year)s plan: %(author)s commented: %(text)s")
                % {
                    "partner": plan.partner.name,
                    "year": plan.year,
                    "author": acting_membership.user.full_name or acting_membership.user.email,
                    "text": text[:200],
                }
            ),
            url=_url(plan),
        )
    return comment


def plan_review_reminders(*, today: datetime.date | None = None) -> int:
    """First days of a quarter: both sides of every plan in force are asked to review the quarter
    that just ended. Once per plan and quarter (the plan keeps the quarter it was reminded of; the
    conditional update makes a re-run or a second worker send nothing twice)."""
    today = today or timezone.localdate()
    this_start, _end = quarter(today)
    if (today - this_start).days >= REVIEW_WINDOW_DAYS:
        return 0
    last_start, _last_end = quarter(today, back=1)
    key = quarter_label(last_start)
    plans = (
        BusinessPlan.objects.select_related("partner")
        .filter(status=P.SIGNED, year=last_start.year)
        .exclude(review_reminded_for=key)
        .exclude(partner__status__in=Partner.BLOCKED_STATUSES)
    )
    sent = 0
    for plan in plans:
        with transaction.atomic():
            claimed = (
                BusinessPlan.objects.filter(pk=plan.pk)
                .exclude(review_reminded_for=key)
                .update(review_reminded_for=key)
            )
            if not claimed:
                continue
            notify(
                recipients=plan_side_recipients(plan, S.VENDOR) + plan_side_recipients(plan, S.PARTNER),
                verb="business_plan.review",
                message=lambda plan=plan: (
                    _(
                        "%(partner)s: time for the quarterly review of the %(year)s business plan (%(quarter)s)."
                    )
                    % {"partner": plan.partner.name, "year": plan.year, "quarter": key}
                ),
                url=_url(plan),
            )
            sent += 1
    return sent
