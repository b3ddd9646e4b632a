"""Scorecards: KPI snapshots per partner, tier qualification, and tier change proposals."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.kpis import kpi_values
from partners.models import LOWER_IS_BETTER, Kpi, Partner, Scorecard, Tier, TierProposal
from partners.selectors import next_tier, partner_admins, partners_for_membership
from partners.services.programs import partner_set_tier
from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.decisions import Notice, decide, lock_for_transition
from prm.jobs.models import Job
from prm.jobs.services import job_create, job_enqueue
from prm.roles import Perm, require_staff
from prm.tenancy.context import require_tenant
from prm.workflow import require

P = TierProposal.Status
PROPOSAL_TRANSITIONS = {P.PENDING: frozenset({P.APPROVED, P.REJECTED, P.WITHDRAWN})}
SCORED_STATUSES = [Partner.Status.ACTIVE, Partner.Status.ONBOARDING]
CHUNK = 500


def periods(as_of: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """The last 12 months up to ``as_of`` (inclusive) and the 12 months before them."""
    start = as_of - timedelta(days=364)
    prev_end = start - timedelta(days=1)
    return (start, as_of), (prev_end - timedelta(days=364), prev_end)


def qualified_tier(tiers: Sequence[Tier], values: dict[str, Decimal]) -> Tier | None:
    """The highest tier whose every rule holds; the entry tier is the floor."""
    if not tiers:
        return None
    best = tiers[0]
    for tier in tiers[1:]:
        if all(rule.is_met(values.get(rule.kpi, Decimal("0"))) for rule in tier.requirements.all()):
            best = tier
    return best


def _tiers_by_program() -> dict[int, list[Tier]]:
    result: dict[int, list[Tier]] = {}
    for tier in Tier.objects.prefetch_related("requirements").order_by("program_id", "rank"):
        result.setdefault(tier.program_id, []).append(tier)
    return result


def scorecards_calculate(
    *,
    as_of: date | None = None,
    partner_ids: Sequence[int] | None = None,
    propose: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Compute every scored partner's KPIs as of a day (idempotent: one scorecard per partner and
    day) and propose tier changes. Set-based: KPI providers run once per chunk of partners. The
    summary counts the partners with a proposal pending for their qualified tier after the run
    (made now or kept), so a run redelivered after a crash reports what an undisturbed one would."""
    as_of = as_of or timezone.localdate()
    tenant = require_tenant()
    (start, end), (prev_start, prev_end) = periods(as_of)
    partners_qs = (
        Partner.objects.filter(status__in=SCORED_STATUSES).select_related("current_tier").order_by("pk")
    )
    if partner_ids is not None:
        partners_qs = partners_qs.filter(pk__in=list(partner_ids))
    partners = list(partners_qs)
    tiers = _tiers_by_program()
    summary: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "partners": len(partners),
        "promotions": 0,
        "demotions": 0,
    }
    for offset in range(0, len(partners), CHUNK):
        chunk = partners[offset : offset + CHUNK]
        ids = [p.pk for p in chunk]
        current = kpi_values(ids, start, end)
        previous = kpi_values(ids, prev_start, prev_end)
        rows = []
        for partner in chunk:
            values = current[partner.pk]
            qualified = qualified_tier(tiers.get(partner.program_id or 0, []), values)
            rows.append(
                Scorecard(
                    tenant=tenant,
                    partner=partner,
                    as_of=as_of,
                    values={k: str(v) for k, v in values.items()},
                    previous={k: str(v) for k, v in previous[partner.pk].items()},
                    tier=partner.current_tier,
                    qualified_tier=qualified,
                    computed_at=timezone.now(),
                )
            )
        with transaction.atomic():
            Scorecard.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["tenant", "partner", "as_of"],
                update_fields=["values", "previous", "tier", "qualified_tier", "computed_at"],
            )
            if propose:
                saved = {s.partner_id: s for s in Scorecard.objects.filter(partner_id__in=ids, as_of=as_of)}
                for partner in chunk:
                    direction = _propose(partner, saved[partner.pk])
                    if direction:
                        summary[f"{direction}s"] += 1
        if progress:
            progress(min(offset + CHUNK, len(partners)), len(partners))
    return summary


def _propose(partner: Partner, scorecard: Scorecard) -> str | None:
    """Create (or keep) a pending proposal when the qualified tier differs from the current one;
    withdraw a pending proposal that no longer matches. Returns the pending proposal's direction."""
    target = scorecard.qualified_tier
    current = partner.current_tier
    pending = TierProposal.objects.select_for_update().filter(partner=partner, status=P.PENDING).first()
    if (
        target is None
        or current is None
        or target.pk == current.pk
        or target.program_id != current.program_id
    ):
        if pending is not None:
            _withdraw(pending)
        return None
    direction = (
        TierProposal.Direction.PROMOTION if target.rank > current.rank else TierProposal.Direction.DEMOTION
    )
    if pending is not None:
        if pending.to_tier_id == target.pk:  # proposed before (by an earlier run of the day, too)
            return str(pending.direction)
        _withdraw(pending)
    proposal = TierProposal.objects.create(
        partner=partner,
        from_tier=current,
        to_tier=target,
        direction=direction,
        scorecard=scorecard,
        reason=_("Scorecard of %(date)s qualifies for %(tier)s.")
        % {"date": scorecard.as_of.isoformat(), "tier": target.name},
    )
    audit(
        actor=None,
        action="tier_proposal.create",
        obj=proposal,
        after={"from": current.name, "to": target.name, "direction": direction},
    )
    return str(direction)


def withdraw_pending_proposal(partner: Partner) -> None:
    """A tier changed by hand makes a pending proposal moot (call inside the change's transaction)."""
    pending = TierProposal.objects.select_for_update().filter(partner=partner, status=P.PENDING).first()
    if pending is not None:
        _withdraw(pending)


def _withdraw(proposal: TierProposal) -> None:
    decide(
        proposal,
        P.WITHDRAWN,
        transitions=PROPOSAL_TRANSITIONS,
        what=_("Tier proposal"),
        actor=None,
        action="tier_proposal.withdraw",
        decided_by=None,
    )


def _lock_proposal(proposal: TierProposal, acting_membership: Membership, target: str) -> TierProposal:
    require_staff(acting_membership, Perm.TIER_PROPOSAL_DECIDE)
    return lock_for_transition(
        TierProposal.objects.select_related("partner", "to_tier", "from_tier"),
        proposal.pk,
        transitions=PROPOSAL_TRANSITIONS,
        target=target,
        what=_("Tier proposal"),
    )


def _scorecard_url(proposal: TierProposal) -> str:
    return reverse("partners:scorecard", kwargs={"pk": proposal.partner_id})


def tier_proposal_approve(
    *, proposal: TierProposal, acting_membership: Membership, note: str = ""
) -> TierProposal:
    """Move the partner to the proposed tier; the partner's admins are notified."""
    with transaction.atomic():
        locked = _lock_proposal(proposal, acting_membership, P.APPROVED)
        promotion = locked.direction == TierProposal.Direction.PROMOTION
        partner_name, tier_name = locked.partner.name, locked.to_tier.name

        def message() -> str:
            return (
                _("Congratulations: %(partner)s is now %(tier)s.")
                if promotion
                else _("%(partner)s moves to the %(tier)s tier.")
            ) % {"partner": partner_name, "tier": tier_name}

        decide(
            locked,
            P.APPROVED,
            transitions=PROPOSAL_TRANSITIONS,
            what=_("Tier proposal"),
            actor=acting_membership.user,
            action="tier_proposal.approve",
            changes={"decision_note": note[:500]},
            detail={"to": locked.to_tier.name, "note": note},
            notices=[
                Notice(
                    recipients=partner_admins(locked.partner),
                    verb="tier.changed",
                    message=message,
                    url=_scorecard_url(locked),
                )
            ],
        )
        partner_set_tier(
            partner=locked.partner,
            tier=locked.to_tier,
            actor=acting_membership.user,
            action="partner.tier_change",
            reason=str(locked.direction),
        )
    return locked


def tier_proposal_reject(
    *, proposal: TierProposal, acting_membership: Membership, note: str = ""
) -> TierProposal:
    """Keep the partner's tier; the partner's admins are told the outcome of a promotion proposal."""
    with transaction.atomic():
        locked = _lock_proposal(proposal, acting_membership, P.REJECTED)
        notices = []
        if locked.direction == TierProposal.Direction.PROMOTION:
            notices.append(
                Notice(
                    recipients=partner_admins(locked.partner),
                    verb="tier.unchanged",
                    message=lambda: (
                        _("%(partner)s stays %(tier)s for now.")
                        % {"partner": locked.partner.name, "tier": locked.partner.tier}
                    ),
                    url=_scorecard_url(locked),
                )
            )
        decide(
            locked,
            P.REJECTED,
            transitions=PROPOSAL_TRANSITIONS,
            what=_("Tier proposal"),
            actor=acting_membership.user,
            action="tier_proposal.reject",
            changes={"decision_note": note[:500]},
            detail={"note": note},
            notices=notices,
        )
    return locked


def scorecard_recalculate_start(*, acting_membership: Membership, partner: Partner | None = None) -> Job:
    """On-demand recalculation as a background job: one partner, or every partner the member may
    see (a channel manager restricted to assigned partners recalculates those only)."""
    require_staff(acting_membership, Perm.PARTNER_VIEW)
    scope = partners_for_membership(acting_membership)
    partner_ids: list[int] | None
    if partner is not None:
        require(scope.filter(pk=partner.pk).exists())
        partner_ids = [partner.pk]
    elif acting_membership.assigned_partners_only:
        partner_ids = list(scope.order_by("pk").values_list("pk", flat=True))
    else:
        partner_ids = None
    with transaction.atomic():
        job = job_create(
            kind="partners:scorecards",
            acting_user=acting_membership.user,
            partner=partner,
            params={"partner_ids": partner_ids},
        )
        job_enqueue(job, "partners.scorecards_job")
    return job


def tier_gap(partner: Partner, scorecard: Scorecard | None) -> dict[str, Any] | None:
    """What it takes to reach the next tier: each rule with the partner's value and the gap."""
    target = next_tier(partner)
    if target is None:
        return None
    values = scorecard.values if scorecard else {}
    rows = []
    for rule in target.requirements.all():
        value = Decimal(values.get(rule.kpi, "0"))
        met = rule.is_met(value)
        gap = (
            Decimal("0")
            if met
            else (value - rule.threshold if rule.kpi in LOWER_IS_BETTER else rule.threshold - value)
        )
        rows.append(
            {
                "kpi": rule.kpi,
                "label": Kpi(rule.kpi).label,
                "required": rule.threshold,
                "value": value,
                "gap": gap,
                "met": met,
                "at_most": rule.kpi in LOWER_IS_BETTER,
            }
        )
    return {"tier": target, "rows": rows, "met": all(r["met"] for r in rows)}
