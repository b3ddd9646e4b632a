"""Deals' columns of the territory dashboard (``partners.registries``): open pipeline (submitted,
in review, information requested, approved) in the base currency, wins of the last 12 months,
and coverage: named accounts no member partner has registered, and customers registered in the
territory only by partners that are not its members. A fixed number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from deals.models import DealRegistration
from deals.selectors import pipeline_values
from partners.models import TerritoryPartner
from partners.registries import TerritoryMetric
from partners.territories import TerritoryRules
from prm.lib.money import format_amount_str

S = DealRegistration.Status
OPEN = (S.SUBMITTED, S.UNDER_REVIEW, S.INFO_REQUESTED, S.APPROVED)

COLUMNS = (
    TerritoryMetric("pipeline", gettext_lazy("Open pipeline")),
    TerritoryMetric("open", gettext_lazy("Open registrations")),
    TerritoryMetric("wins", gettext_lazy("Wins, 12 months")),
    TerritoryMetric("uncovered_named", gettext_lazy("Named accounts not covered")),
    TerritoryMetric("no_member", gettext_lazy("Customers without a member partner")),
)


def territory_deal_metrics(territories: Sequence[Any], currency: str) -> dict[int, dict[str, Any]]:
    ids = [t.pk for t in territories]
    if not ids:
        return {}
    qs = DealRegistration.objects.filter(territory_id__in=ids)
    counts = {
        row["territory_id"]: row
        for row in qs.order_by()
        .values("territory_id")
        .annotate(
            open=Count("id", filter=Q(status__in=OPEN)),
            wins=Count(
                "id", filter=Q(status=S.WON, closed_on__gte=timezone.localdate() - timedelta(days=365))
            ),
        )
    }
    pipeline = pipeline_values(qs.filter(status__in=OPEN), currency, keys={"territory": "territory_id"})
    member = TerritoryPartner.objects.filter(
        territory_id=OuterRef("territory_id"), partner_id=OuterRef("partner_id")
    )
    no_member: dict[int, int] = {}
    for customer in (
        qs.exclude(status=S.DRAFT)
        .order_by()
        .annotate(is_member=Exists(member))
        .values("territory_id", "customer_name_normalised")
        .annotate(members=Count("id", filter=Q(is_member=True)))
    ):
        if customer["members"] == 0:
            no_member[customer["territory_id"]] = no_member.get(customer["territory_id"], 0) + 1
    # Named accounts: one query for the registrations of member partners naming any of them.
    rules = {t.pk: TerritoryRules.of(t) for t in territories}
    names = set().union(*(r.account_names for r in rules.values())) if rules else set()
    domains = set().union(*(r.account_domains for r in rules.values())) if rules else set()
    members: dict[int, set[int]] = {}
    for tid, pid in TerritoryPartner.objects.filter(territory_id__in=ids).values_list(
        "territory_id", "partner_id"
    ):
        members.setdefault(tid, set()).add(pid)
    registered = (
        list(
            DealRegistration.objects.exclude(status=S.DRAFT)
            .filter(Q(customer_name_normalised__in=names) | Q(customer_domain__in=domains))
            .values_list("partner_id", "customer_name_normalised", "customer_domain")
            .distinct()
        )
        if names or domains
        else []
    )
    result: dict[int, dict[str, Any]] = {}
    for tid in ids:
        r = rules[tid]
        covered_names = {n for pid, n, _d in registered if pid in members.get(tid, set())}
        covered_domains = {d for pid, _n, d in registered if pid in members.get(tid, set())}
        uncovered = len(r.account_names - covered_names) + len(r.account_domains - covered_domains)
        row = counts.get(tid, {"open": 0, "wins": 0})
        totals = pipeline.totals((tid,))
        result[tid] = {
            "pipeline": " · ".join(f"{format_amount_str(m.amount, m.currency)} {m.currency}" for m in totals),
            "open": row["open"],
            "wins": row["wins"],
            "uncovered_named": uncovered,
            "no_member": no_member.get(tid, 0),
        }
    return result
