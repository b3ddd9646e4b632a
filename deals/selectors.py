"""Reads of the deals app: member-scoped querysets (partner roles see their partner's records only;
restricted managers their assigned partners), the pipeline filters and dashboard figures, and what
other apps read (won deals for incentives and scorecards)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import get_objects_for_user

from deals.models import (
    Conflict,
    CoSellEntry,
    CoSellRequest,
    Customer,
    DealAttachment,
    DealExtension,
    DealRegistration,
    DirectOpportunity,
    Lead,
    LeadAssignment,
    RoutingRule,
)
from partners.models import Kpi, Territory, TerritoryOwner
from partners.selectors import partners_for_membership
from partners.territories import Place, TerritoryMap
from prm.accounts.models import Membership
from prm.audit.models import AuditEvent
from prm.catalog.models import Product
from prm.finance.rates import ConvertedSums, converted_sums
from prm.lib.money import Money, format_amount_str, quantize_money
from prm.lib.names import fold
from prm.notifications.recipients import partner_members, staff_members
from prm.roles import Perm, Role, membership_has

S = DealRegistration.Status


# --- registrations ----------------------------------------------------------------------------------


def registrations_for_membership(membership: Membership) -> QuerySet[DealRegistration]:
    return DealRegistration.objects.select_related("partner", "owner").filter(
        partner__in=partners_for_membership(membership)
    )


def get_registration_for_membership_or_404(membership: Membership, pk: int) -> DealRegistration:
    return get_object_or_404(registrations_for_membership(membership), pk=pk)


def shared_registrations_for_membership(membership: Membership) -> QuerySet[DealRegistration]:
    """Two-tier deals shared with the member's distributor: the registrations that name it and
    on which the member holds the django-guardian grant (none for anyone else)."""
    if not membership.is_partner or not membership.partner_id:
        return DealRegistration.objects.none()
    named = DealRegistration.objects.filter(distributor_id=membership.partner_id)
    return get_objects_for_user(
        membership.user, "deals.view_shared_registration", klass=named, accept_global_perms=False
    )


def visible_registrations_for_membership(membership: Membership) -> QuerySet[DealRegistration]:
    """What the deal list and page show: the member's own scope, plus (a distributor's people)
    the two-tier registrations shared with them. Actions keep to ``registrations_for_membership``."""
    if not membership.is_partner:
        return registrations_for_membership(membership)
    return DealRegistration.objects.select_related("partner", "owner").filter(
        Q(partner__in=partners_for_membership(membership))
        | Q(pk__in=shared_registrations_for_membership(membership).values("pk"))
    )


def get_visible_registration_for_membership_or_404(membership: Membership, pk: int) -> DealRegistration:
    return get_object_or_404(visible_registrations_for_membership(membership), pk=pk)


# --- territories ------------------------------------------------------------------------------------


def place_of(registration: DealRegistration) -> Place:
    return Place(
        country=registration.country,
        region=registration.region,
        postal_code=registration.postal_code,
        industry=registration.industry,
        account=registration.customer_name,
        domain=registration.customer_domain,
    )


def territory_id_for(registration: DealRegistration) -> int | None:
    """The territory the registration's customer falls in (partners.territories rules)."""
    found = TerritoryMap().resolve(place_of(registration))
    return found.pk if found else None


def territory_owners_of(registration: DealRegistration) -> list[Membership]:
    """Active owners of the registration's territory (none without a territory)."""
    if not registration.territory_id:
        return []
    return list(
        Membership.objects.select_related("user").filter(
            is_active=True,
            pk__in=TerritoryOwner.objects.filter(territory_id=registration.territory_id).values(
                "membership_id"
            ),
        )
    )


def registration_reviewers(registration: DealRegistration, *, roles: Iterable[str] | None = None) -> list:
    """Who reviews a registration: the owners of its territory; a registration in no territory
    (or one without owners) goes to every reviewer of its partner (``roles``: narrower fallback)."""
    owners = [m.user for m in territory_owners_of(registration)]
    if owners:
        return owners
    return reviewers_for(registration.partner_id, **({"roles": roles} if roles else {}))


def attachments_for(registration: DealRegistration) -> QuerySet[DealAttachment]:
    return DealAttachment.objects.filter(registration=registration).select_related("uploaded_by")


def registration_history(
    registration: DealRegistration, *, extension_ids: Sequence[int] = (), attachment_ids: Sequence[int] = ()
) -> QuerySet[AuditEvent]:
    """What was recorded on a registration, its extension requests and its files, newest first."""
    return AuditEvent.objects.filter(
        Q(object_type="deals.dealregistration", object_id=str(registration.pk))
        | Q(object_type="deals.dealextension", object_id__in=[str(pk) for pk in extension_ids])
        | Q(object_type="deals.dealattachment", object_id__in=[str(pk) for pk in attachment_ids])
    ).select_related("actor")


def get_attachment_for_membership_or_404(
    membership: Membership, registration_pk: int, pk: int
) -> DealAttachment:
    registration = get_registration_for_membership_or_404(membership, registration_pk)
    return get_object_or_404(DealAttachment.objects.filter(registration=registration), pk=pk)


def extensions_for_membership(membership: Membership) -> QuerySet[DealExtension]:
    return DealExtension.objects.select_related(
        "registration", "registration__partner", "requested_by"
    ).filter(registration__partner__in=partners_for_membership(membership))


def get_extension_for_membership_or_404(membership: Membership, pk: int) -> DealExtension:
    return get_object_or_404(extensions_for_membership(membership), pk=pk)


def missing_for_submit(registration: DealRegistration) -> list[str]:
    """What a complete submission still lacks (labels of the missing parts)."""
    missing = []
    for name in (
        "customer_name",
        "country",
        "address",
        "contact_name",
        "contact_email",
        "currency",
        "expected_close_date",
    ):
        if not getattr(registration, name):
            missing.append(str(getattr(DealRegistration._meta.get_field(name), "verbose_name", name)))
    if not registration.lines.exists():
        missing.append(_("at least one product line"))
    elif not any(line.value > 0 for line in registration.lines.all()):
        missing.append(_("a product line with a value"))
    return missing


# --- who hears about a registration -----------------------------------------------------------------


def partner_people(registration: DealRegistration) -> list:
    """The registration's creator and owner, and the partner's admins."""
    admins = partner_members(registration.partner_id, roles=[Role.PARTNER_ADMIN])
    return [u for u in [registration.created_by, registration.owner, *admins] if u is not None]


def reviewers_for(
    partner_id: int, *, roles: Iterable[str] = (Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER)
) -> list:
    """Vendor staff who review this partner's registrations (restricted managers: if assigned)."""
    return staff_members(roles, partner_id=partner_id)


def customers_for_membership(membership: Membership, query: str = "") -> QuerySet[Customer]:
    """A partner's own end customers for the look-up (vendor staff: none; they do not register)."""
    if not membership.is_partner:
        return Customer.objects.none()
    qs = Customer.objects.filter(partner_id=membership.partner_id)
    if query:
        qs = qs.filter(
            Q(legal_name__icontains=query)
            | Q(name_normalised__contains=fold(query))
            | Q(domain__icontains=query)
        )
    return qs.order_by("legal_name")


def conflict_summary_for_partner(registration: DealRegistration) -> dict[str, Any]:
    """What the partner may know about conflicts: that one exists and where it stands, never who."""
    flag = registration.conflict_flag
    if flag == DealRegistration.ConflictFlag.NONE:
        return {"exists": False}
    return {
        "exists": True,
        "exact": flag == DealRegistration.ConflictFlag.EXACT,
        "label": registration.get_conflict_flag_display(),
        "status": registration.get_status_display(),
    }


def conflicts_for_review(registration: DealRegistration, membership: Membership) -> list[Conflict]:
    """Both sides of every match for the reviewer, with the rule and the score. The other side
    is shown (``other_visible``) when the reviewer may see its partner: a channel manager
    restricted to assigned partners learns only that another partner's registration came first."""
    conflicts = list(
        Conflict.objects.filter(registration=registration)
        .select_related("other_registration", "other_registration__partner", "direct_opportunity")
        .order_by("kind", "-score", "id")
    )
    visible = _visible_partner_ids(
        membership, {c.other_registration.partner_id for c in conflicts if c.other_registration}
    )
    for conflict in conflicts:
        other = conflict.other_registration
        conflict.other_visible = other is None or visible is None or other.partner_id in visible  # type: ignore[attr-defined]
    return conflicts


def conflicted_by_for_review(registration: DealRegistration, membership: Membership) -> list[Conflict]:
    """Later registrations that matched this one, of the partners the reviewer may see."""
    qs = (
        Conflict.objects.filter(other_registration=registration)
        .select_related("registration", "registration__partner")
        .order_by("registration__submitted_at")
    )
    if membership.assigned_partners_only:
        qs = qs.filter(registration__partner__in=partners_for_membership(membership))
    return list(qs)


def _visible_partner_ids(membership: Membership, partner_ids: set[int]) -> set[int] | None:
    """Which of ``partner_ids`` the member may see; None: all of them."""
    if not membership.assigned_partners_only and not membership.is_partner:
        return None
    return set(partners_for_membership(membership).filter(pk__in=partner_ids).values_list("pk", flat=True))


def review_queue(membership: Membership, scope: str = "mine") -> QuerySet[DealRegistration]:
    """Registrations waiting for a decision, the ones closest to (or past) their SLA first.
    Once the tenant has territories, "mine" is the registrations of the member's territories
    (a vendor admin also gets those in no territory or in one without owners); "all" is every
    registration in the member's partner scope."""
    qs = registrations_for_membership(membership).filter(status__in=[S.SUBMITTED, S.UNDER_REVIEW])
    if scope != "all" and Territory.objects.exists():
        owned = TerritoryOwner.objects.filter(membership=membership).values("territory_id")
        mine: Any = Q(territory_id__in=owned)
        if membership.role == Role.VENDOR_ADMIN:
            mine |= Q(territory__isnull=True) | ~Exists(
                TerritoryOwner.objects.filter(territory_id=OuterRef("territory_id"))
            )
        qs = qs.filter(mine)
    return qs.order_by(F("review_due_at").asc(nulls_last=True), "submitted_at", "pk")


PIPELINE_SORTS = {
    "created": "created_at",
    "submitted": "submitted_at",
    "value": "value",
    "customer": "customer_name",
    "partner": "partner__code",
    "status": "status",
    "close": "expected_close_date",
    "protection": "protection_until",
}


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _parse_decimal(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except ArithmeticError:
        return None


def filter_pipeline(qs: QuerySet[DealRegistration], params: Mapping[str, str]) -> QuerySet[DealRegistration]:
    """Filters of the pipeline list: partner, status, region, product line, value range, dates."""
    partner = (params.get("partner") or "").strip()
    if partner.isdigit():
        qs = qs.filter(partner_id=int(partner))
    status = (params.get("status") or "").strip()
    if status == "open":
        qs = qs.filter(status__in=[S.SUBMITTED, S.UNDER_REVIEW, S.INFO_REQUESTED])
    elif status in S.values:
        qs = qs.filter(status=status)
    region = (params.get("region") or "").strip()
    if region:
        qs = qs.filter(partner__region__iexact=region)
    country = (params.get("country") or "").strip()
    if country:
        qs = qs.filter(country__iexact=country)
    line = (params.get("product_line") or "").strip()
    if line:
        qs = qs.filter(product_lines__contains=[line])
    if (params.get("conflict") or "") in DealRegistration.ConflictFlag.values:
        qs = qs.filter(conflict_flag=params["conflict"])
    low, high = _parse_decimal(params.get("value_min", "")), _parse_decimal(params.get("value_max", ""))
    if low is not None:
        qs = qs.filter(value__gte=low)
    if high is not None:
        qs = qs.filter(value__lte=high)
    start, end = _parse_date(params.get("from", "")), _parse_date(params.get("to", ""))
    if start:
        qs = qs.filter(created_at__date__gte=start)
    if end:
        qs = qs.filter(created_at__date__lte=end)
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(
            Q(customer_name__icontains=q) | Q(customer_domain__icontains=q) | Q(partner__name__icontains=q)
        )
    sort = params.get("sort") or "-created"
    key = PIPELINE_SORTS.get(sort.lstrip("-"), "created_at")
    return qs.order_by(("-" if sort.startswith("-") else "") + key, "-pk")


def pipeline_export_rows(qs: QuerySet[DealRegistration]):
    for r in qs.iterator(chunk_size=2000):
        yield [
            r.reference,
            r.partner.code,
            r.partner.name,
            r.get_status_display(),
            r.customer_name,
            r.customer_domain,
            r.country,
            ", ".join(r.product_lines),
            quantize_money(r.value, r.currency),
            r.currency,
            r.expected_close_date,
            r.get_deal_type_display(),
            r.get_conflict_flag_display(),
            timezone.localtime(r.submitted_at).replace(tzinfo=None) if r.submitted_at else None,
            r.protection_until,
            r.discount_pct,
            quantize_money(r.closed_value, r.currency) if r.closed_value is not None else None,
            r.closed_on,
        ]


PIPELINE_EXPORT_HEADERS = [
    "reference",
    "partner_code",
    "partner",
    "status",
    "customer",
    "domain",
    "country",
    "product_lines",
    "value",
    "currency",
    "expected_close_date",
    "deal_type",
    "conflict",
    "submitted_at",
    "protection_until",
    "discount_pct",
    "closed_value",
    "closed_on",
]


def registration_day() -> Coalesce:
    """The day a registration's value is converted at: its first complete submission (a draft:
    the day it was created)."""
    return Coalesce(TruncDate("first_submitted_at"), TruncDate("created_at"))


def pipeline_values(
    qs: QuerySet[DealRegistration], currency: str, keys: Mapping[str, str] | None = None
) -> ConvertedSums:
    """Registration values in ``currency``, each converted at the rate of its registration day
    (``complete`` False: some rate is missing; show the sums per currency and say so)."""
    return converted_sums(
        qs, amount="value", currency="currency", day=registration_day(), target=currency, keys=keys
    )


def _values_json(totals: list[Money]) -> list[dict[str, str]]:
    return [{"amount": format_amount_str(m.amount, m.currency), "currency": m.currency} for m in totals]


def pipeline_dashboard(qs: QuerySet[DealRegistration], currency: str) -> dict[str, Any]:
    """Figures of the pipeline dashboard, a fixed number of aggregate queries. Values are converted
    into ``currency`` at each registration's rate; when a rate is missing every value is shown per
    currency instead (``converted`` False) and ``missing_rates`` names the pairs and dates."""
    counts = {row["status"]: row["n"] for row in qs.order_by().values("status").annotate(n=Count("id"))}
    by_status = pipeline_values(qs, currency, keys={"status": "status"})
    converted = by_status.complete
    stages = [
        {
            "status": s.value,
            "label": str(s.label),
            "n": counts.get(s.value, 0),
            "totals": by_status.totals((s.value,)) if s.value in counts else [Money(Decimal("0"), currency)],
        }
        for s in S
    ]
    partner_counts = {
        row["partner_id"]: row
        for row in qs.order_by()
        .values("partner_id", "partner__code", "partner__name")
        .annotate(n=Count("id"), won=Count("id", filter=Q(status=S.WON)))
    }
    by_partner_values = pipeline_values(qs, currency, keys={"partner": "partner_id"})
    partners = []
    for pid, row in partner_counts.items():
        totals = by_partner_values.totals((pid,))
        rank = totals[0].amount if converted else Decimal(row["n"])
        partners.append(
            {
                "code": row["partner__code"],
                "name": row["partner__name"],
                "n": row["n"],
                "won": row["won"],
                "totals": totals,
                "rank": rank,
            }
        )
    partners.sort(key=lambda p: (-p["rank"], p["code"]))
    won = counts.get(S.WON, 0)
    lost = counts.get(S.LOST, 0)
    approval = qs.filter(
        decided_at__isnull=False,
        first_submitted_at__isnull=False,
        status__in=[S.APPROVED, S.WON, S.LOST, S.EXPIRED],
    ).aggregate(
        avg=Avg(ExpressionWrapper(F("decided_at") - F("first_submitted_at"), output_field=DurationField()))
    )["avg"]
    now = timezone.now()
    open_qs = qs.filter(
        status__in=[S.SUBMITTED, S.UNDER_REVIEW, S.INFO_REQUESTED], submitted_at__isnull=False
    )
    buckets = [(0, 1), (1, 3), (3, 7), (7, 30), (30, None)]
    aging: list[dict[str, Any]] = []
    for low, high in buckets:
        cond = Q(submitted_at__lte=now - timedelta(days=low))
        if high is not None:
            cond &= Q(submitted_at__gt=now - timedelta(days=high))
        aging.append({"label": f"{low}-{high} d" if high else f">{low} d", "cond": cond})
    aged = open_qs.aggregate(**{f"b{i}": Count("id", filter=b["cond"]) for i, b in enumerate(aging)})
    open_values = pipeline_values(open_qs, currency)
    return {
        "currency": currency,
        "converted": converted,
        "missing_rates": [str(m) for m in by_status.missing],
        "stages": stages,
        "by_partner": partners[:15],
        "win_rate": round(won * 100 / (won + lost), 1) if (won + lost) else None,
        "won": won,
        "lost": lost,
        "avg_approval_hours": round(approval.total_seconds() / 3600, 1) if approval else None,
        "aging": [{"label": a["label"], "n": aged[f"b{i}"]} for i, a in enumerate(aging)],
        "open_value": open_values.totals(),
        # What the converted figure is made of, when registrations come in several currencies.
        "open_by_currency": [
            Money(quantize_money(amount, code), code) for code, amount in open_values.by_currency().items()
        ]
        if open_values.currencies() not in ([], [currency])
        else [],
        "waiting": sum(aged.values()),
    }


def pipeline_chart(figures: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    """The dashboard's chart data (JSON): values as strings in the dashboard currency when every
    value converted; by registration count otherwise (amounts of several currencies are not
    drawn on one axis)."""
    converted = figures["converted"]
    return {
        "stages": {
            "labels": [s["label"] for s in figures["stages"]],
            "counts": [s["n"] for s in figures["stages"]],
            "values": [_values_json(s["totals"]) for s in figures["stages"]],
        },
        "partners": {
            "labels": [p["code"] for p in figures["by_partner"]],
            "values": [
                format_amount_str(p["totals"][0].amount, figures["currency"]) if converted else p["n"]
                for p in figures["by_partner"]
            ],
            "label": labels["value"] if converted else labels["count"],
        },
        "aging": {
            "labels": [a["label"] for a in figures["aging"]],
            "counts": [a["n"] for a in figures["aging"]],
        },
        "labels": labels,
    }


# --- for other apps: incentives (SPIF per won deal) and scorecards ---------------------------------


def won_deals(
    *,
    start: date | None = None,
    end: date | None = None,
    partner_ids: Sequence[int] | None = None,
    min_value: Decimal | None = None,
) -> QuerySet[DealRegistration]:
    """Won registrations, closed between ``start`` and ``end`` inclusive, with partner, currency,
    closed value and product lines: what the incentive engine and the scorecards read."""
    qs = DealRegistration.objects.filter(status=S.WON).select_related("partner")
    if start:
        qs = qs.filter(closed_on__gte=start)
    if end:
        qs = qs.filter(closed_on__lte=end)
    if partner_ids is not None:
        qs = qs.filter(partner_id__in=list(partner_ids))
    if min_value is not None:
        qs = qs.filter(closed_value__gte=min_value)
    return qs.order_by("closed_on", "pk")


def deal_kpis(partner_ids: Sequence[int], start: date, end: date) -> dict[int, dict[str, Decimal]]:
    """Scorecard KPI provider: registrations submitted, approved and won in the period."""
    rows = (
        DealRegistration.objects.filter(partner_id__in=list(partner_ids))
        .values("partner_id")
        .annotate(
            submitted=Count(
                "id", filter=Q(first_submitted_at__date__gte=start, first_submitted_at__date__lte=end)
            ),
            approved=Count(
                "id",
                filter=Q(
                    decided_at__date__gte=start,
                    decided_at__date__lte=end,
                    status__in=[S.APPROVED, S.WON, S.LOST, S.EXPIRED],
                ),
            ),
            won=Count("id", filter=Q(status=S.WON, closed_on__gte=start, closed_on__lte=end)),
        )
    )
    return {
        row["partner_id"]: {
            Kpi.DEALS_SUBMITTED: Decimal(row["submitted"]),
            Kpi.DEALS_APPROVED: Decimal(row["approved"]),
            Kpi.DEALS_WON: Decimal(row["won"]),
        }
        for row in rows
    }


# --- direct opportunities and leads ------------------------------------------------------------------


def direct_opportunities(params: Mapping[str, str] | None = None) -> QuerySet[DirectOpportunity]:
    qs = DirectOpportunity.objects.select_related("created_by")
    params = params or {}
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(
            Q(customer_name__icontains=q) | Q(reference__icontains=q) | Q(customer_domain__icontains=q)
        )
    if (params.get("status") or "") in DirectOpportunity.Status.values:
        qs = qs.filter(status=params["status"])
    return qs.order_by("-created_at", "-pk")


def get_direct_opportunity_or_404(pk: int) -> DirectOpportunity:
    return get_object_or_404(DirectOpportunity.objects.all(), pk=pk)


def leads_for_membership(membership: Membership) -> QuerySet[Lead]:
    """Vendor staff: every lead. Partner roles: leads currently offered to or accepted by their
    partner, and leads they once were offered (history)."""
    qs = Lead.objects.select_related("partner", "owner")
    if membership.is_partner:
        offered = LeadAssignment.objects.filter(partner_id=membership.partner_id).values("lead_id")
        return qs.filter(Q(partner_id=membership.partner_id) | Q(pk__in=offered))
    if membership.assigned_partners_only:
        return qs.filter(Q(partner__isnull=True) | Q(partner__in=partners_for_membership(membership)))
    return qs


def lead_passed_on(lead: Lead, membership: Membership) -> bool:
    """A partner that declined the lead (or let it time out) once it went to someone else, or
    back to the vendor: it sees only its own offer record from then on."""
    return membership.is_partner and lead.partner_id != membership.partner_id


def get_lead_for_membership_or_404(membership: Membership, pk: int) -> Lead:
    return get_object_or_404(leads_for_membership(membership), pk=pk)


def lead_assignments_for(lead: Lead, membership: Membership) -> list[LeadAssignment]:
    """The offer history of a lead: vendor staff see all; a partner only its own offers."""
    qs = LeadAssignment.objects.filter(lead=lead).select_related("partner", "decided_by")
    if membership.is_partner:
        qs = qs.filter(partner_id=membership.partner_id)
    return list(qs.order_by("offered_at", "pk"))


def routing_rules() -> QuerySet[RoutingRule]:
    return RoutingRule.objects.order_by("position", "pk")


def get_routing_rule_or_404(pk: int) -> RoutingRule:
    return get_object_or_404(RoutingRule.objects.all(), pk=pk)


def product_lines() -> list[str]:
    """The catalog's product categories: the product lines a registration may name."""
    return sorted(set(Product.objects.filter(is_active=True).values_list("category", flat=True)))


# --- co-selling --------------------------------------------------------------------------------------


def cosell_requests_for_membership(membership: Membership) -> QuerySet[CoSellRequest]:
    """Co-sell requests the member is a party to: the registration's partner; vendor staff who
    review that partner's deals, and the assigned vendor person; a two-tier deal's distributor
    only for requests shared with it. Never other partners."""
    qs = CoSellRequest.objects.select_related(
        "registration", "registration__partner", "assignee", "requested_by"
    )
    if membership.is_partner:
        return qs.filter(
            Q(registration__partner_id=membership.partner_id or 0)
            | Q(
                shared_with_distributor=True,
                registration__in=shared_registrations_for_membership(membership).values("pk"),
            )
        )
    if membership_has(membership, Perm.DEAL_REVIEW):
        return qs.filter(
            Q(registration__partner__in=partners_for_membership(membership))
            | Q(assignee_id=membership.user_id)
        )
    return qs.filter(assignee_id=membership.user_id)


def get_cosell_request_for_membership_or_404(membership: Membership, pk: int) -> CoSellRequest:
    return get_object_or_404(cosell_requests_for_membership(membership), pk=pk)


def get_cosell_entry_for_membership_or_404(membership: Membership, pk: int) -> CoSellEntry:
    return get_object_or_404(
        CoSellEntry.objects.select_related("request", "request__registration").filter(
            request__in=cosell_requests_for_membership(membership)
        ),
        pk=pk,
    )


def cosell_timelines(registration: DealRegistration, membership: Membership) -> list[CoSellRequest]:
    """The co-sell requests of a registration the member may see, each with its entries
    (``timeline``): two queries whatever the number of entries."""
    requests = list(cosell_requests_for_membership(membership).filter(registration=registration))
    entries: dict[int, list[CoSellEntry]] = {}
    for entry in CoSellEntry.objects.filter(request__in=[r.pk for r in requests]).select_related("author"):
        entries.setdefault(entry.request_id, []).append(entry)
    for request in requests:
        request.timeline = entries.get(request.pk, [])  # type: ignore[attr-defined]
    return requests
