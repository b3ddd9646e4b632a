"""Partner benchmarks: each partner's figures beside the median of its peer group and its
percentile there, with "needs attention" flags for the manager's league table.

Computed set-based for all partners of the tenant at once (four grouped queries and the monthly
sell-out, whatever the number of partners); Python then works over the per-partner aggregates.

Definitions (stated on the pages):

* approval rate = registrations approved (approved, won, lost or expired later) / reviewed
  (those plus rejected); win rate = won / decided (won, lost, expired); average deal size = won
  value (closed value, in the base currency at the close date's rate) / won deals; cycle time =
  median days from first submission to the close of won deals; lead acceptance = accepted /
  answered offers (accepted, declined, timed out); lead-to-deal conversion = accepted leads that
  the partner registered a deal for / accepted leads; POS growth = net sell-out of the last 12
  complete months against the 12 before.
* Peer group: partners of the same tier and region when there are at least ``MIN_PEERS``, else
  of the same tier (same minimum), else every partner of the tenant.
* Rates carry Wilson 95 % intervals and are ranked (percentiles, league table) by the interval's
  lower bound, so that a partner with 2 of 2 does not outrank one with 45 of 50. Percentiles are
  mid-rank (insights.stats.percentile_of) and oriented so that higher is better (a short cycle
  time has a high percentile).
* Flags: falling win rate = the win rate of the last two complete quarters is below that of the
  two before beyond noise (Wilson intervals do not overlap); idle = no registration, lead answer
  or POS upload for ``IDLE_DAYS`` days; expiring protections = approved registrations whose
  protection ends within ``EXPIRING_DAYS`` days and that nobody touched for ``EXPIRING_DAYS`` days.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deals.models import DealRegistration, LeadAssignment
from insights import stats
from insights.sources import monthly_sell_out
from partners.models import Partner
from posdata.models import Upload
from prm.finance.rates import converted_sums
from prm.lib.money import quantize_money
from prm.lib.periods import add_months, quarter
from prm.tenancy.context import require_tenant

MIN_PEERS = 5
IDLE_DAYS = 60
EXPIRING_DAYS = 30
BENCHMARKED_STATUSES = (Partner.Status.ACTIVE, Partner.Status.ONBOARDING, Partner.Status.SUSPENDED)


@dataclass(frozen=True)
class MetricSpec:
    key: str
    label: Any
    kind: str  # "rate" | "money" | "days" | "percent"
    higher_is_better: bool = True


METRICS = (
    MetricSpec("approval_rate", gettext_lazy("Registration approval rate"), "rate"),
    MetricSpec("win_rate", gettext_lazy("Win rate"), "rate"),
    MetricSpec("avg_deal_size", gettext_lazy("Average deal size"), "money"),
    MetricSpec("cycle_days", gettext_lazy("Cycle time (days, submitted to won)"), "days", False),
    MetricSpec("lead_acceptance", gettext_lazy("Lead acceptance rate"), "rate"),
    MetricSpec("lead_conversion", gettext_lazy("Lead-to-deal conversion"), "rate"),
    MetricSpec("pos_growth", gettext_lazy("POS growth (12 months)"), "percent"),
)
METRIC_KEYS = tuple(m.key for m in METRICS)
FLAGS = {
    "falling_win_rate": gettext_lazy("Falling win rate"),
    "idle": gettext_lazy("Idle for 60 days"),
    "expiring_protections": gettext_lazy("Expiring protections without activity"),
}


@dataclass
class Metric:
    spec: MetricSpec
    value: float | None = None
    interval: stats.Interval | None = None
    peer_median: float | None = None
    percentile: float | None = None

    @property
    def rank_value(self) -> float | None:
        """What ranks partners: a rate's Wilson lower bound, else the value (negated where less
        is better, so that higher always ranks higher)."""
        if self.interval is not None:
            return self.interval.low
        if self.value is None:
            return None
        return self.value if self.spec.higher_is_better else -self.value


@dataclass
class PartnerBenchmark:
    partner_id: int
    code: str
    name: str
    tier: str
    region: str
    metrics: dict[str, Metric] = field(default_factory=dict)
    peer_label: str = ""
    peer_size: int = 0
    flags: list[str] = field(default_factory=list)
    expiring: int = 0
    last_activity: datetime.datetime | None = None


@dataclass
class Benchmarks:
    currency: str
    as_of: datetime.date
    partners: dict[int, PartnerBenchmark]


def _registration_figures(tenant_id: int, today: datetime.date) -> dict[int, dict[str, Any]]:
    recent_start, _e = quarter(today, 2)
    _s, recent_end = quarter(today, 1)
    before_start, _e = quarter(today, 4)
    _s, before_end = quarter(today, 3)
    expiring_until = today + datetime.timedelta(days=EXPIRING_DAYS)
    untouched_since = timezone.now() - datetime.timedelta(days=EXPIRING_DAYS)
    table = DealRegistration._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT partner_id,
              count(*) FILTER (WHERE status IN ('approved', 'won', 'lost', 'expired')) AS approved,
              count(*) FILTER (WHERE status IN ('approved', 'won', 'lost', 'expired', 'rejected')) AS reviewed,
              count(*) FILTER (WHERE status = 'won') AS won,
              count(*) FILTER (WHERE status IN ('won', 'lost', 'expired')) AS decided,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY closed_on - (first_submitted_at AT TIME ZONE %s)::date)
                FILTER (WHERE status = 'won' AND closed_on IS NOT NULL AND first_submitted_at IS NOT NULL),
              count(*) FILTER (WHERE status = 'won' AND closed_on BETWEEN %s AND %s),
              count(*) FILTER (WHERE status IN ('won', 'lost', 'expired')
                               AND coalesce(closed_on, protection_until) BETWEEN %s AND %s),
              count(*) FILTER (WHERE status = 'won' AND closed_on BETWEEN %s AND %s),
              count(*) FILTER (WHERE status IN ('won', 'lost', 'expired')
                               AND coalesce(closed_on, protection_until) BETWEEN %s AND %s),
              count(*) FILTER (WHERE status = 'approved' AND protection_until BETWEEN %s AND %s
                               AND updated_at < %s),
              max(greatest(created_at, submitted_at, updated_at))
            FROM {table} WHERE tenant_id = %s GROUP BY partner_id
            """,
            [
                timezone.get_current_timezone_name(),
                recent_start,
                recent_end,
                recent_start,
                recent_end,
                before_start,
                before_end,
                before_start,
                before_end,
                today,
                expiring_until,
                untouched_since,
                tenant_id,
            ],
        )
        names = [
            "approved",
            "reviewed",
            "won",
            "decided",
            "cycle",
            "recent_won",
            "recent_decided",
            "before_won",
            "before_decided",
            "expiring",
            "last_registration",
        ]
        return {row[0]: dict(zip(names, row[1:], strict=True)) for row in cursor.fetchall()}


def _lead_figures(tenant_id: int) -> dict[int, dict[str, Any]]:
    assignments = LeadAssignment._meta.db_table
    registrations = DealRegistration._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT a.partner_id,
              count(*) FILTER (WHERE a.outcome = 'accepted'),
              count(*) FILTER (WHERE a.outcome IN ('accepted', 'declined', 'timed_out')),
              count(*) FILTER (WHERE a.outcome = 'accepted' AND EXISTS (
                  SELECT 1 FROM {registrations} r
                   WHERE r.tenant_id = a.tenant_id AND r.lead_id = a.lead_id AND r.partner_id = a.partner_id
                     AND r.status <> 'draft')),
              max(a.decided_at)
            FROM {assignments} a WHERE a.tenant_id = %s GROUP BY a.partner_id
            """,
            [tenant_id],
        )
        return {
            row[0]: {"accepted": row[1], "answered": row[2], "converted": row[3], "last_lead": row[4]}
            for row in cursor.fetchall()
        }


def _last_uploads(tenant_id: int) -> dict[int, datetime.datetime]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT partner_id, max(created_at) FROM {Upload._meta.db_table} WHERE tenant_id = %s GROUP BY partner_id",
            [tenant_id],
        )
        return dict(cursor.fetchall())


def peer_groups(partners: list[PartnerBenchmark]) -> dict[int, tuple[str, list[int]]]:
    """Each partner's peer group (label, member ids): same tier and region with at least
    ``MIN_PEERS`` partners, else same tier (same minimum), else the tenant."""
    by_tier_region: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_tier: dict[str, list[int]] = defaultdict(list)
    for p in partners:
        by_tier_region[(p.tier, p.region)].append(p.partner_id)
        by_tier[p.tier].append(p.partner_id)
    everyone = [p.partner_id for p in partners]
    groups = {}
    for p in partners:
        same = by_tier_region[(p.tier, p.region)]
        if len(same) >= MIN_PEERS:
            groups[p.partner_id] = (
                _("Tier %(tier)s in region %(region)s") % {"tier": p.tier or "—", "region": p.region or "—"},
                same,
            )
        elif len(by_tier[p.tier]) >= MIN_PEERS:
            groups[p.partner_id] = (_("Tier %(tier)s") % {"tier": p.tier or "—"}, by_tier[p.tier])
        else:
            groups[p.partner_id] = (_("All partners"), everyone)
    return groups


def _ratio(part: int, whole: int) -> tuple[float | None, stats.Interval | None]:
    interval = stats.wilson(part, whole)
    return interval.rate, interval if whole else None


def benchmarks_compute(*, today: datetime.date | None = None) -> Benchmarks:
    """Every benchmarked partner of the current tenant with its metrics, peer medians,
    percentiles and flags."""
    tenant = require_tenant()
    today = today or timezone.localdate()
    currency = tenant.base_currency
    rows = list(
        Partner.objects.filter(status__in=BENCHMARKED_STATUSES)
        .order_by("code")
        .values("id", "code", "name", "tier", "region", "created_at")
    )
    regs = _registration_figures(tenant.pk, today)
    leads = _lead_figures(tenant.pk)
    uploads = _last_uploads(tenant.pk)
    won_value = converted_sums(
        DealRegistration.objects.filter(status=DealRegistration.Status.WON, closed_value__isnull=False),
        amount="closed_value",
        currency="currency",
        day="closed_on",
        target=currency,
        keys={"partner": "partner_id"},
    )
    this_month = today.replace(day=1)
    last12_start = add_months(this_month, -12)
    prev12_start = add_months(this_month, -24)
    sell_out = monthly_sell_out(tenant, start=prev12_start, end=this_month - datetime.timedelta(days=1))
    last12 = sell_out.partner_totals(last12_start, this_month)
    prev12 = sell_out.partner_totals(prev12_start, add_months(this_month, -13))
    idle_since = timezone.now() - datetime.timedelta(days=IDLE_DAYS)

    result: dict[int, PartnerBenchmark] = {}
    for row in rows:
        pid = row["id"]
        b = PartnerBenchmark(pid, row["code"], row["name"], row["tier"], row["region"])
        r = regs.get(pid, {})
        lead = leads.get(pid, {})
        m = {spec.key: Metric(spec) for spec in METRICS}
        m["approval_rate"].value, m["approval_rate"].interval = _ratio(
            r.get("approved", 0), r.get("reviewed", 0)
        )
        m["win_rate"].value, m["win_rate"].interval = _ratio(r.get("won", 0), r.get("decided", 0))
        parts = won_value.groups.get((pid,), [])
        if r.get("won") and parts and all(s.converted is not None for s in parts):
            total = sum((s.converted or Decimal("0") for s in parts), Decimal("0"))
            m["avg_deal_size"].value = float(quantize_money(total / r["won"], currency))
        if r.get("cycle") is not None:
            m["cycle_days"].value = float(r["cycle"])
        m["lead_acceptance"].value, m["lead_acceptance"].interval = _ratio(
            lead.get("accepted", 0), lead.get("answered", 0)
        )
        m["lead_conversion"].value, m["lead_conversion"].interval = _ratio(
            lead.get("converted", 0), lead.get("accepted", 0)
        )
        previous = prev12.get(pid)
        if previous and previous > 0:
            m["pos_growth"].value = float((last12.get(pid, Decimal("0")) - previous) / previous)
        b.metrics = m
        recent = stats.wilson(r.get("recent_won", 0), r.get("recent_decided", 0))
        before = stats.wilson(r.get("before_won", 0), r.get("before_decided", 0))
        if stats.significantly_lower(recent, before):
            b.flags.append("falling_win_rate")
        activity = [
            t for t in (r.get("last_registration"), lead.get("last_lead"), uploads.get(pid)) if t is not None
        ]
        b.last_activity = max(activity) if activity else None
        if (b.last_activity or row["created_at"]) < idle_since:
            b.flags.append("idle")
        b.expiring = r.get("expiring", 0)
        if b.expiring:
            b.flags.append("expiring_protections")
        result[pid] = b

    groups = peer_groups(list(result.values()))
    for pid, b in result.items():
        label, members = groups[pid]
        b.peer_label, b.peer_size = label, len(members)
        for key, metric in b.metrics.items():
            peers = [result[other].metrics[key] for other in members]
            metric.peer_median = stats.median([p.value for p in peers if p.value is not None])
            ranks = [p.rank_value for p in peers if p.rank_value is not None]
            metric.percentile = stats.percentile_of(metric.rank_value, ranks)
    return Benchmarks(currency=currency, as_of=today, partners=result)


def benchmarks_definition() -> str:
    """The definitions the pages state under the figures."""
    return _(
        "Approval rate = approved / reviewed registrations; win rate = won / decided (won, lost, expired); "
        "average deal size = won value in %(currency)s at the close date's rate / won deals; cycle time = median days "
        "from first submission to close of won deals; lead acceptance = accepted / answered offers; lead-to-deal "
        "conversion = accepted leads with a registration / accepted leads; POS growth = net sell-out of the last 12 "
        "complete months against the 12 before. Peer group: same tier and region when it has at least %(min)d "
        "partners, else the same tier, else all partners. Rates show a Wilson 95%% interval and are ranked by its "
        "lower bound; percentiles are mid-rank, higher is better."
    ) % {"currency": require_tenant().base_currency, "min": MIN_PEERS}
