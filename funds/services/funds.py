"""Writes of funds, their periods and budgets, and the tenant's approval levels."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from funds.models import (
    DEFAULT_CLAIM_DEADLINE_DAYS,
    DEFAULT_LEAD_DAYS,
    DEFAULT_PARTICIPATION_PCT,
    ActivityType,
    Fund,
    FundPeriod,
    FundSettings,
    FundTier,
)
from funds.selectors import period_granted
from partners.models import Tier
from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.lib.money import check_minor_units, format_amount_str
from prm.roles import Perm, membership_has
from prm.workflow import DomainError, require


@dataclass
class FundTerms:
    code: str
    name: str
    currency: str
    kind: str = Fund.Kind.MDF
    participation_pct: Decimal = DEFAULT_PARTICIPATION_PCT
    accrual_pct: Decimal = Decimal("0")
    lead_days: int = DEFAULT_LEAD_DAYS
    claim_deadline_days: int = DEFAULT_CLAIM_DEADLINE_DAYS
    activity_types: list[str] = field(default_factory=list)
    tiers: Sequence[Tier] = ()


def _check_terms(terms: FundTerms) -> None:
    if not (Decimal("0") < terms.participation_pct <= 100):
        raise DomainError(_("The participation is a percentage above 0 and at most 100."))
    if terms.kind == Fund.Kind.COOP and not (Decimal("0") < terms.accrual_pct <= 100):
        raise DomainError(_("A co-op fund accrues a percentage of net sales above 0 and at most 100."))
    unknown = set(terms.activity_types) - set(ActivityType.values)
    if unknown:
        raise DomainError(_("Unknown activity types: %(t)s.") % {"t": ", ".join(sorted(unknown))})
    not_mdf = [t.name for t in terms.tiers if not t.mdf_eligible]
    if not_mdf:
        raise DomainError(
            _("Only tiers whose benefits include MDF can be eligible; not: %(t)s.")
            % {"t": ", ".join(not_mdf)}
        )


def fund_create(*, terms: FundTerms, acting_membership: Membership) -> Fund:
    """A new fund with its eligible tiers (each must include MDF among its benefits)."""
    require(membership_has(acting_membership, Perm.FUND_MANAGE))
    _check_terms(terms)
    try:
        with transaction.atomic():
            fund = Fund.objects.create(
                code=terms.code,
                name=terms.name,
                kind=terms.kind,
                currency=terms.currency.upper(),
                participation_pct=terms.participation_pct,
                accrual_pct=terms.accrual_pct if terms.kind == Fund.Kind.COOP else Decimal("0"),
                lead_days=terms.lead_days,
                claim_deadline_days=terms.claim_deadline_days,
                activity_types=sorted(terms.activity_types),
                created_by=acting_membership.user,
            )
            FundTier.objects.bulk_create(
                [FundTier(tenant=fund.tenant, fund=fund, tier=t) for t in terms.tiers]
            )
            audit(
                actor=acting_membership.user,
                action="fund.create",
                obj=fund,
                after={
                    "code": fund.code,
                    "kind": fund.kind,
                    "currency": fund.currency,
                    "participation_pct": str(fund.participation_pct),
                    "accrual_pct": str(fund.accrual_pct),
                    "tiers": [t.name for t in terms.tiers],
                },
            )
    except IntegrityError as exc:
        raise DomainError(_("A fund with code %(c)s exists already.") % {"c": terms.code}) from exc
    return fund


def fund_update(
    *, fund: Fund, terms: FundTerms, acting_membership: Membership, is_active: bool = True
) -> Fund:
    """Change a fund's rules (for requests from now on) and its eligible tiers."""
    require(membership_has(acting_membership, Perm.FUND_MANAGE))
    _check_terms(terms)
    with transaction.atomic():
        locked = Fund.objects.select_for_update().get(pk=fund.pk)
        before = {
            "name": locked.name,
            "participation_pct": str(locked.participation_pct),
            "accrual_pct": str(locked.accrual_pct),
            "lead_days": locked.lead_days,
            "claim_deadline_days": locked.claim_deadline_days,
            "activity_types": locked.activity_types,
            "is_active": locked.is_active,
            "tiers": sorted(locked.eligible_tiers.values_list("tier__name", flat=True)),
        }
        locked.name = terms.name
        locked.participation_pct = terms.participation_pct
        locked.accrual_pct = terms.accrual_pct if locked.kind == Fund.Kind.COOP else Decimal("0")
        locked.lead_days = terms.lead_days
        locked.claim_deadline_days = terms.claim_deadline_days
        locked.activity_types = sorted(terms.activity_types)
        locked.is_active = is_active
        locked.save(
            update_fields=[
                "name",
                "participation_pct",
                "accrual_pct",
                "lead_days",
                "claim_deadline_days",
                "activity_types",
                "is_active",
            ]
        )
        locked.eligible_tiers.exclude(tier__in=list(terms.tiers)).delete()
        have = set(locked.eligible_tiers.values_list("tier_id", flat=True))
        FundTier.objects.bulk_create(
            [FundTier(tenant=locked.tenant, fund=locked, tier=t) for t in terms.tiers if t.pk not in have]
        )
        audit(
            actor=acting_membership.user,
            action="fund.update",
            obj=locked,
            before=before,
            after={
                "name": locked.name,
                "participation_pct": str(locked.participation_pct),
                "accrual_pct": str(locked.accrual_pct),
                "lead_days": locked.lead_days,
                "claim_deadline_days": locked.claim_deadline_days,
                "activity_types": locked.activity_types,
                "is_active": locked.is_active,
                "tiers": sorted(t.name for t in terms.tiers),
            },
        )
    fund.refresh_from_db()
    return fund


def period_create(
    *,
    fund: Fund,
    name: str,
    start: datetime.date,
    end: datetime.date,
    budget: Decimal,
    expires_on: datetime.date | None = None,
    acting_membership: Membership,
) -> FundPeriod:
    """A quarter or year of the fund with its budget; allocations in it expire on ``expires_on``
    (default: the period's end)."""
    require(membership_has(acting_membership, Perm.FUND_MANAGE))
    if end < start:
        raise DomainError(_("The period ends before it starts."))
    budget = check_minor_units(Decimal(budget), fund.currency)
    if budget < 0:
        raise DomainError(_("The budget cannot be negative."))
    expires_on = expires_on or end
    if expires_on < start:
        raise DomainError(_("Allocations cannot expire before the period starts."))
    if FundPeriod.objects.filter(fund=fund, start__lte=end, end__gte=start).exists():
        raise DomainError(_("The fund already has a period overlapping these dates."))
    try:
        with transaction.atomic():
            period = FundPeriod.objects.create(
                fund=fund, name=name.strip()[:40], start=start, end=end, budget=budget, expires_on=expires_on
            )
            audit(
                actor=acting_membership.user,
                action="fund.period_create",
                obj=period,
                after={
                    "fund": fund.code,
                    "start": start,
                    "end": end,
                    "budget": format_amount_str(budget, fund.currency),
                    "expires_on": expires_on,
                },
            )
    except IntegrityError as exc:
        raise DomainError(_("The fund already has a period starting on that day.")) from exc
    return period


def period_set_budget(*, period: FundPeriod, budget: Decimal, acting_membership: Membership) -> FundPeriod:
    """Change a period's budget; never below what is already allocated in it."""
    require(membership_has(acting_membership, Perm.FUND_MANAGE))
    with transaction.atomic():
        locked = FundPeriod.objects.select_for_update().select_related("fund").get(pk=period.pk)
        budget = check_minor_units(Decimal(budget), locked.fund.currency)
        granted = period_granted(locked)
        if budget < granted:
            raise DomainError(
                _("%(granted)s %(c)s is already allocated in this period: the budget cannot be lower.")
                % {"granted": format_amount_str(granted, locked.fund.currency), "c": locked.fund.currency}
            )
        before = format_amount_str(locked.budget, locked.fund.currency)
        locked.budget = budget
        locked.save(update_fields=["budget"])
        audit(
            actor=acting_membership.user,
            action="fund.period_budget",
            obj=locked,
            before={"budget": before},
            after={"budget": format_amount_str(budget, locked.fund.currency)},
        )
    period.refresh_from_db()
    return period


def fund_settings_update(
    *, level1_limit: Decimal, level2_limit: Decimal, acting_membership: Membership
) -> FundSettings:
    """The approval limits (in the tenant's base currency)."""
    require(membership_has(acting_membership, Perm.FUND_MANAGE))
    if not (Decimal("0") <= level1_limit <= level2_limit):
        raise DomainError(_("The channel manager's limit is at most the marketing manager's."))
    with transaction.atomic():
        found = FundSettings.objects.select_for_update().first()
        before = None
        if found is None:
            found = FundSettings(level1_limit=level1_limit, level2_limit=level2_limit)
        else:
            before = {"level1_limit": str(found.level1_limit), "level2_limit": str(found.level2_limit)}
            found.level1_limit, found.level2_limit = level1_limit, level2_limit
        found.save()
        audit(
            actor=acting_membership.user,
            action="fund.settings",
            obj=found,
            before=before,
            after={"level1_limit": str(level1_limit), "level2_limit": str(level2_limit)},
        )
    return found
