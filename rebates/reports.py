"""The vendor's rebate dashboard (staff, within their partner scope): accrued liability by program
and quarter, top earners, and each program's cost against the revenue it covers. Figures come
from each program's latest run (earned to date) and the approved settlements (what became
payables, cancelled ones left out), each a grouped query whatever the number of partners or
lines. Amounts stay in their program's currency: nothing of different currencies is added up
(the chart compares programs by cost as a share of revenue, which needs no conversion)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners.selectors import partners_for_membership
from prm.accounts.models import Membership
from prm.lib.money import format_amount_str
from prm.lib.periods import quarter_label
from prm.reports import Report, ReportKind, ReportTables
from prm.roles import Perm
from rebates.models import Accrual, Basis, Method, RebateProgram, Settlement, SettlementLine
from rebates.selectors import latest_run_ids

ZERO = Decimal("0")
TOP_EARNERS = 10  # per currency
PERCENT = Decimal("0.01")


def _accruals(membership: Membership) -> QuerySet[Accrual]:
    """The latest run's accruals of every program, for the member's partners."""
    return Accrual.objects.filter(
        run_id__in=latest_run_ids(), partner__in=partners_for_membership(membership)
    ).exclude(program__status=RebateProgram.Status.DRAFT)


def _approved(membership: Membership) -> QuerySet[SettlementLine]:
    """Lines of approved settlements whose payable stands (what was approved for payment)."""
    return SettlementLine.objects.filter(
        settlement__status=Settlement.Status.APPROVED, partner__in=partners_for_membership(membership)
    ).filter(Q(payable__isnull=True) | ~Q(payable__status="cancelled"))


@dataclass
class ProgramFigures:
    code: str
    name: str
    method: str
    basis: str
    currency: str
    end_date: datetime.date
    partners: int = 0
    earned: Decimal = ZERO
    revenue: Decimal = ZERO
    revenue_unknown: int = 0  # accruals whose revenue lacked a rate (quantity bases)
    approved: Decimal = ZERO

    @property
    def liability(self) -> Decimal:
        return self.earned - self.approved

    @property
    def quarter(self) -> str:
        return quarter_label(self.end_date)

    @property
    def cost_share(self) -> Decimal | None:
        """Cost as a percentage of the revenue covered (None when that revenue is unknown or nil)."""
        if self.revenue_unknown or self.revenue <= 0:
            return None
        return (self.earned * 100 / self.revenue).quantize(PERCENT)


@dataclass
class Figures:
    programs: list[ProgramFigures] = field(default_factory=list)


PROGRAM_COLUMNS = (
    "program_id",
    "program__code",
    "program__name",
    "program__method",
    "program__basis",
    "program__end_date",
    "currency",
)


def _program(row: dict[str, Any]) -> ProgramFigures:
    return ProgramFigures(
        code=row["program__code"],
        name=row["program__name"],
        method=row["program__method"],
        basis=row["program__basis"],
        currency=row["currency"],
        end_date=row["program__end_date"],
    )


def program_figures(membership: Membership) -> Figures:
    """Earned to date, revenue covered and approved amounts per program and currency (two grouped
    queries; a program whose currency changed between versions has a row per currency)."""
    found: dict[tuple[int, str], ProgramFigures] = {}
    earned = (
        _accruals(membership)
        .values(*PROGRAM_COLUMNS)
        .annotate(
            earned_total=Sum("earned", default=ZERO),
            revenue_total=Sum("revenue", default=ZERO),
            revenue_unknown=Count("id", filter=Q(revenue__isnull=True)),
            partners=Count("partner_id", distinct=True),
        )
        .order_by()
    )
    for row in earned:
        figures = found.setdefault((row["program_id"], row["currency"]), _program(row))
        figures.earned, figures.revenue = row["earned_total"], row["revenue_total"]
        figures.revenue_unknown, figures.partners = row["revenue_unknown"], row["partners"]
    approved = (
        _approved(membership)
        .values(*PROGRAM_COLUMNS)
        .annotate(approved_total=Sum("due", default=ZERO))
        .order_by()
    )
    for settled in approved:
        figures = found.setdefault((settled["program_id"], settled["currency"]), _program(settled))
        figures.approved = settled["approved_total"]
    return Figures(programs=sorted(found.values(), key=lambda p: (p.end_date, p.code)))


def _amount(value: Decimal, currency: str) -> str:
    return format_amount_str(value, currency)


def liability(membership: Membership, figures: Figures | None = None) -> Report:
    """Accrued liability (earned to date - approved) by program, under the quarter its period ends
    in, with a total per quarter and currency."""
    figures = figures or program_figures(membership)
    rows: list[list[Any]] = []
    totals: dict[tuple[str, str], list[Decimal]] = {}
    for p in figures.programs:
        rows.append(
            [
                p.quarter,
                p.code,
                p.name,
                p.currency,
                _amount(p.earned, p.currency),
                _amount(p.approved, p.currency),
                _amount(p.liability, p.currency),
            ]
        )
        total = totals.setdefault((p.quarter, p.currency), [ZERO, ZERO, ZERO])
        total[0] += p.earned
        total[1] += p.approved
        total[2] += p.liability
    for (quarter, currency), (earned, approved, owed) in sorted(totals.items()):
        rows.append(
            [
                quarter,
                _("Total"),
                "",
                currency,
                _amount(earned, currency),
                _amount(approved, currency),
                _amount(owed, currency),
            ]
        )
    rows.sort(key=lambda r: (r[0], r[3], r[1] == _("Total"), r[1]))
    return Report(
        "liability",
        _("Accrued liability by program and quarter"),
        [
            _("Quarter"),
            _("Program"),
            _("Name"),
            _("Currency"),
            _("Earned to date"),
            _("Approved"),
            _("Accrued liability"),
        ],
        rows,
    )


def _ranked_earners(membership: Membership) -> list[dict[str, Any]]:
    """Partners by earnings to date per currency, the first ``TOP_EARNERS`` of each (one query:
    the grouped accruals ranked in SQL)."""
    grouped = (
        _accruals(membership)
        .annotate(code=F("partner__code"), partner_name=F("partner__name"))
        .values("partner_id", "code", "partner_name", "currency")
        .annotate(earned_total=Sum("earned", default=ZERO), programs=Count("program_id", distinct=True))
        .order_by()
    )
    sql, params = grouped.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT partner_id, code, partner_name, currency, earned_total, programs, rank FROM (
                  SELECT g.*, row_number() OVER (PARTITION BY currency ORDER BY earned_total DESC, code) AS rank
                  FROM ({sql}) g) ranked
                WHERE rank <= %s ORDER BY currency, rank""",
            [*params, TOP_EARNERS],
        )
        columns = [c.name for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def top_earners(membership: Membership) -> Report:
    """The partners who earned most across programs, the first ten of each currency, with what was
    approved for them and what is still owed."""
    rows = _ranked_earners(membership)
    approved = {
        (row["partner_id"], row["currency"]): row["approved_total"]
        for row in _approved(membership)
        .filter(partner_id__in=[r["partner_id"] for r in rows])
        .values("partner_id", "currency")
        .annotate(approved_total=Sum("due", default=ZERO))
        .order_by()
    }
    report_rows = []
    for row in rows:
        currency = row["currency"]
        paid = approved.get((row["partner_id"], currency), ZERO)
        report_rows.append(
            [
                row["rank"],
                row["code"],
                row["partner_name"],
                currency,
                row["programs"],
                _amount(row["earned_total"], currency),
                _amount(paid, currency),
                _amount(row["earned_total"] - paid, currency),
            ]
        )
    return Report(
        "earners",
        _("Top earners (the first %(n)d per currency)") % {"n": TOP_EARNERS},
        [
            _("Rank"),
            _("Partner"),
            _("Name"),
            _("Currency"),
            _("Programs"),
            _("Earned to date"),
            _("Approved"),
            _("Still owed"),
        ],
        report_rows,
    )


def cost_against_revenue(membership: Membership, figures: Figures | None = None) -> Report:
    """Each program's cost (earned to date) against the revenue its accruals cover."""
    figures = figures or program_figures(membership)
    rows = []
    for p in sorted(figures.programs, key=lambda p: p.code):
        known = not p.revenue_unknown
        share = p.cost_share
        rows.append(
            [
                p.code,
                p.name,
                str(Method(p.method).label),
                str(Basis(p.basis).label),
                p.currency,
                p.partners,
                _amount(p.revenue, p.currency) if known else "",
                _amount(p.earned, p.currency),
                share if share is not None else "",
            ]
        )
    return Report(
        "cost",
        _("Program cost against the revenue it covers"),
        [
            _("Program"),
            _("Name"),
            _("Method"),
            _("Basis"),
            _("Currency"),
            _("Partners"),
            _("Revenue covered"),
            _("Cost (earned)"),
            _("Cost % of revenue"),
        ],
        rows,
    )


def _tables(membership: Membership, figures: Callable[[], Figures]) -> ReportTables:
    return {
        "liability": lambda: liability(membership, figures()),
        "earners": lambda: top_earners(membership),
        "cost": lambda: cost_against_revenue(membership, figures()),
    }


def tables(membership: Membership, params: Mapping[str, Any] | None = None) -> ReportTables:
    """The page's tables (it has no filters); the program figures are read once for all that use them."""
    cache: dict[str, Figures] = {}

    def figures() -> Figures:
        if "figures" not in cache:
            cache["figures"] = program_figures(membership)
        return cache["figures"]

    return _tables(membership, figures)


def dashboard(membership: Membership) -> tuple[list[Report], dict[str, Any]]:
    """The page's reports and chart (the program figures read once for all that use them)."""
    figures = program_figures(membership)
    reports = [build() for build in _tables(membership, lambda: figures).values()]
    return reports, cost_chart(figures)


REBATE_REPORTS = ReportKind(
    key="rebates.reports",
    label=gettext_lazy("Rebate reports"),
    perm=Perm.REBATE_REPORTS,
    url_name="rebates:dashboard",
    tables=tables,
)


def cost_chart(figures: Figures) -> dict[str, Any]:
    """The chart's data: cost as a share of revenue covered, per program with known revenue
    (decimal strings, never floats: the script parses them)."""
    shown = [p for p in sorted(figures.programs, key=lambda p: p.code) if p.cost_share is not None]
    return {
        "labels": [p.code for p in shown],
        "values": [str(p.cost_share) for p in shown],
        "label": _("Cost % of revenue covered"),
    }
