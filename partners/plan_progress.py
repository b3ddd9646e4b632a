"""Progress of a joint business plan's goals, read from the KPI registry (``partners.kpis``).

Each quarter that has begun is measured once for all its goals: ``kpi_values`` over the quarter
up to today (a fixed number of set-based queries per quarter, whatever the number of goals).
A goal is *on track* when its actual value reaches the target times the elapsed share of the
quarter (a quarter that is over counts whole: *met* or *missed*). Revenue is in the plan's
currency: the KPI providers report in the tenant's base currency, converted through
``prm.finance.rates`` at the end of the measured period when the two differ.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners.kpis import kpi_values
from partners.models import MONEY_KPIS, PLAN_KPI_LABELS, QUARTERS, BusinessPlan, PlanGoal
from prm.finance.rates import convert
from prm.lib.money import quantize_money
from prm.lib.periods import quarter
from prm.reports import Report
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError

ZERO = Decimal("0")
HUNDRED = Decimal("100")


class GoalState:
    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    MET = "met"
    MISSED = "missed"

    LABELS = {
        NOT_STARTED: gettext_lazy("Not started"),
        ON_TRACK: gettext_lazy("On track"),
        BEHIND: gettext_lazy("Behind"),
        MET: gettext_lazy("Met"),
        MISSED: gettext_lazy("Missed"),
    }


def quarter_bounds(year: int, number: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of quarter ``number`` (1-4) of ``year``."""
    return quarter(datetime.date(year, 3 * number - 2, 1))


def elapsed_share(start: datetime.date, end: datetime.date, today: datetime.date) -> Decimal:
    """The share of the days ``start``..``end`` (inclusive) that have begun by ``today``: 0
    before the start, 1 from the last day on."""
    if today < start:
        return ZERO
    if today >= end:
        return Decimal(1)
    return Decimal((today - start).days + 1) / Decimal((end - start).days + 1)


@dataclass(frozen=True)
class GoalProgress:
    goal: PlanGoal
    label: str
    unit: str  # the currency for money goals, "" for counts
    actual: Decimal | None  # None: the quarter has not begun
    expected: Decimal  # target x elapsed share of the quarter
    percent: Decimal | None  # actual / target x 100 (None when the target is 0)
    state: str

    @property
    def bar(self) -> int:
        """The progress bar's width (0-100, whole percent)."""
        if self.percent is None:
            return 100 if self.actual is not None and self.actual >= 0 and self.goal.target == 0 else 0
        return max(0, min(100, int(self.percent)))

    @property
    def state_label(self) -> str:
        return str(GoalState.LABELS[self.state])


@dataclass(frozen=True)
class QuarterProgress:
    quarter: int
    start: datetime.date
    end: datetime.date
    measured_to: datetime.date | None  # None: not begun
    elapsed: Decimal
    goals: list[GoalProgress]

    @property
    def label(self) -> str:
        return f"Q{self.quarter}"

    @property
    def elapsed_percent(self) -> int:
        return int((self.elapsed * HUNDRED).to_integral_value(rounding=ROUND_HALF_UP))

    @property
    def is_current(self) -> bool:
        return self.measured_to is not None and self.measured_to < self.end


@dataclass(frozen=True)
class PlanProgress:
    plan: BusinessPlan
    quarters: list[QuarterProgress]
    error: str = ""  # why progress could not be measured (e.g. a missing exchange rate)

    def quarter(self, number: int) -> QuarterProgress | None:
        return next((q for q in self.quarters if q.quarter == number), None)


def _state(actual: Decimal | None, target: Decimal, expected: Decimal, share: Decimal) -> str:
    if actual is None:
        return GoalState.NOT_STARTED
    if share >= 1:
        return GoalState.MET if actual >= target else GoalState.MISSED
    return GoalState.ON_TRACK if actual >= expected else GoalState.BEHIND


def _in_plan_currency(value: Decimal, plan: BusinessPlan, base: str, day: datetime.date) -> Decimal:
    if plan.currency == base:
        return quantize_money(value, plan.currency)
    return convert(value, from_currency=base, to_currency=plan.currency, day=day).amount


def plan_progress(
    plan: BusinessPlan,
    goals: Iterable[PlanGoal],
    *,
    today: datetime.date | None = None,
    quarters: Iterable[int] = QUARTERS,
) -> PlanProgress:
    """Actual against target for every goal of ``plan`` in ``quarters`` (all four by default)."""
    today = today or timezone.localdate()
    base = require_tenant().base_currency
    by_quarter: dict[int, list[PlanGoal]] = {}
    for goal in goals:
        by_quarter.setdefault(goal.quarter, []).append(goal)
    result: list[QuarterProgress] = []
    error = ""
    for number in quarters:
        start, end = quarter_bounds(plan.year, number)
        share = elapsed_share(start, end, today)
        quarter_goals = by_quarter.get(number, [])
        measured_to = min(end, today) if today >= start else None
        values: dict[str, Decimal] | None = None
        if measured_to is not None and quarter_goals and not error:
            try:
                values = kpi_values([plan.partner_id], start, measured_to)[plan.partner_id]
                for kpi in MONEY_KPIS:
                    values[kpi] = _in_plan_currency(values[kpi], plan, base, measured_to)
            except DomainError as exc:
                # A missing exchange rate names the pair and the day; the page says so, never a 500.
                error = str(exc)
                values = None
        rows = []
        for goal in sorted(quarter_goals, key=lambda g: _kpi_order(g.kpi)):
            actual = values.get(goal.kpi, ZERO) if values is not None else None
            expected = goal.target * share
            percent = (
                (actual * HUNDRED / goal.target).quantize(Decimal("0.1"))
                if actual is not None and goal.target
                else None
            )
            rows.append(
                GoalProgress(
                    goal=goal,
                    label=str(PLAN_KPI_LABELS.get(goal.kpi, goal.get_kpi_display())),
                    unit=goal.currency,
                    actual=actual,
                    expected=_round(expected, goal),
                    percent=percent,
                    state=_state(actual, goal.target, expected, share),
                )
            )
        result.append(QuarterProgress(number, start, end, measured_to, share, rows))
    return PlanProgress(plan, result, error)


def _round(value: Decimal, goal: PlanGoal) -> Decimal:
    if goal.currency:
        return quantize_money(value, goal.currency)
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _kpi_order(kpi: str) -> int:
    keys = list(PLAN_KPI_LABELS)
    return keys.index(kpi) if kpi in keys else len(keys)


def current_quarter(year: int, today: datetime.date) -> int | None:
    """The quarter of ``year`` holding ``today`` (None in another year)."""
    return (today.month - 1) // 3 + 1 if today.year == year else None


def goals_report(progress: PlanProgress) -> Report:
    """The plan's goals with their progress, as a table for CSV/XLSX downloads (prm.reports)."""
    plan = progress.plan
    rows = [
        [
            plan.partner.code,
            plan.year,
            quarter.label,
            row.label,
            row.goal.target,
            row.unit or _("count"),
            row.actual,
            row.expected,
            row.percent,
            row.state_label,
        ]
        for quarter in progress.quarters
        for row in quarter.goals
    ]
    return Report(
        "goals",
        _("Goals and progress"),
        [
            _("Partner"),
            _("Year"),
            _("Quarter"),
            _("Measure"),
            _("Target"),
            _("Unit"),
            _("Actual"),
            _("Expected by now"),
            _("Share of target (%)"),
            _("Status"),
        ],
        rows,
    )
