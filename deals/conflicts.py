"""Conflict detection (DOMAIN.md, "Same opportunity" and "First complete submission wins").

Exact rule: the same end customer (normalised legal name equal, or the same web domain) in the
same country, with an overlapping product line, against another partner's *active* registration
(submitted, under review, approved and not expired) or an open vendor direct opportunity created
earlier. Near matches (pg_trgm similarity of normalised names at or above the tenant's threshold,
or a parent/subsidiary name such as "acme" / "acme holdings europe") are listed for the reviewer
with their score; they do not decide anything.

The decision runs under transaction-level advisory locks on the customer's keys (country + name,
country + domain) so that concurrent submissions for one customer are serialised: the first to
take the lock commits first, and every later one sees it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from deals.models import Conflict, DealRegistration, DealSettings, DirectOpportunity
from partners.models import Partner
from prm.tenancy.context import require_tenant

ONE = Decimal("1.000")


@dataclass
class Match:
    kind: str
    rule: str
    score: Decimal
    product_lines: list[str]
    other_registration_id: int | None = None
    direct_opportunity_id: int | None = None
    counterpart: object = field(default=None, repr=False)


def lock_customer(*, country: str, name_normalised: str, domain: str) -> None:
    """Take the advisory locks of this customer's identity keys for the rest of the transaction.

    Both keys are locked (in a fixed order, so two transactions never wait on each other in a
    circle): two submissions that share only the name, or only the domain, are still serialised.
    """
    tenant_id = require_tenant().pk
    keys = {f"deal:{tenant_id}:{country}:name:{name_normalised}"}
    if domain:
        keys.add(f"deal:{tenant_id}:{country}:domain:{domain}")
    with connection.cursor() as cursor:
        for key in sorted(keys):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


def active_registrations_q(today=None) -> Q:
    today = today or timezone.localdate()
    return Q(status__in=[s for s in DealRegistration.ACTIVE if s != DealRegistration.Status.APPROVED]) | Q(
        status=DealRegistration.Status.APPROVED
    ) & (Q(protection_until__isnull=True) | Q(protection_until__gte=today))


def _parent_names(name: str) -> list[str]:
    """Shorter names this one could be a subsidiary of: 'acme holdings europe' -> ['acme', 'acme holdings']."""
    words = name.split()
    return [" ".join(words[:i]) for i in range(1, len(words))]


def _rule(name_hit: bool, domain_hit: bool) -> str:
    if name_hit and domain_hit:
        return Conflict.Rule.NAME_AND_DOMAIN
    return Conflict.Rule.NAME if name_hit else Conflict.Rule.DOMAIN


def _classify(
    rows: QuerySet, *, name: str, domain: str, lines: Sequence[str], threshold: Decimal, key: str
) -> list[Match]:
    matches = []
    wanted = set(lines)
    for row in rows:
        overlap = sorted(wanted & set(row.product_lines))
        name_hit = row.customer_name_normalised == name
        domain_hit = bool(domain) and row.customer_domain == domain
        score = Decimal(str(round(row.score or 0, 3)))
        if name_hit or domain_hit:
            match = Match(Conflict.Kind.EXACT, _rule(name_hit, domain_hit), ONE, overlap)
        elif score >= threshold:
            match = Match(Conflict.Kind.NEAR, Conflict.Rule.SIMILAR_NAME, score, overlap)
        else:
            match = Match(Conflict.Kind.NEAR, Conflict.Rule.PARENT_SUBSIDIARY, score, overlap)
        setattr(match, key, row.pk)
        match.counterpart = row
        matches.append(match)
    return matches


def find_matches(
    *,
    registration: DealRegistration,
    lines: Sequence[str] | None = None,
    exclude_ids: Sequence[int] = (),
    now=None,
) -> list[Match]:
    """Exact and near matches of ``registration`` (or of just ``lines`` of it) as of ``now``."""
    now = now or timezone.now()
    name = registration.customer_name_normalised
    domain = registration.customer_domain
    lines = list(lines if lines is not None else registration.product_lines)
    if not lines or not registration.country or not name:
        return []
    threshold = DealSettings.current().fuzzy_threshold
    identity = Q(customer_name_normalised=name) | (Q(customer_domain=domain) if domain else Q(pk__in=[]))
    parents = _parent_names(name)
    near = (
        Q(score__gte=float(threshold))
        | Q(customer_name_normalised__in=parents)
        | Q(customer_name_normalised__startswith=name + " ")
    )
    similarity = TrigramSimilarity("customer_name_normalised", name)
    registrations = (
        DealRegistration.objects.filter(country=registration.country, product_lines__has_any_keys=lines)
        .filter(active_registrations_q(timezone.localdate(now)))
        .exclude(partner_id=registration.partner_id)
        # A terminated partner's registrations no longer hold the customer against others.
        .exclude(partner__status=Partner.Status.TERMINATED)
        .exclude(pk=registration.pk)
        .exclude(pk__in=list(exclude_ids))
        .annotate(score=similarity)
        .filter(identity | near)
        .only(
            "pk", "customer_name_normalised", "customer_domain", "product_lines", "partner_id", "submitted_at"
        )
        .order_by("submitted_at", "pk")
    )
    opportunities = (
        DirectOpportunity.objects.filter(
            country=registration.country,
            product_lines__has_any_keys=lines,
            status=DirectOpportunity.Status.OPEN,
            created_at__lt=now,
        )
        .annotate(score=similarity)
        .filter(identity | near)
        .only("pk", "customer_name_normalised", "customer_domain", "product_lines")
        .order_by("created_at", "pk")
    )
    return _classify(
        registrations, name=name, domain=domain, lines=lines, threshold=threshold, key="other_registration_id"
    ) + _classify(
        opportunities, name=name, domain=domain, lines=lines, threshold=threshold, key="direct_opportunity_id"
    )


def record_matches(registration: DealRegistration, matches: Sequence[Match]) -> list[Conflict]:
    """Store the matches as conflict rows of ``registration`` (set-based insert)."""
    tenant = require_tenant()
    now = timezone.now()
    return Conflict.objects.bulk_create(
        [
            Conflict(
                tenant=tenant,
                registration=registration,
                other_registration_id=m.other_registration_id,
                direct_opportunity_id=m.direct_opportunity_id,
                kind=m.kind,
                rule=m.rule,
                score=m.score,
                product_lines=m.product_lines,
                created_at=now,
            )
            for m in matches
        ]
    )


def flag_for(matches: Sequence[Match], current: str = DealRegistration.ConflictFlag.NONE) -> str:
    kinds = {m.kind for m in matches}
    if Conflict.Kind.EXACT in kinds or current == DealRegistration.ConflictFlag.EXACT:
        return DealRegistration.ConflictFlag.EXACT
    if Conflict.Kind.NEAR in kinds or current == DealRegistration.ConflictFlag.NEAR:
        return DealRegistration.ConflictFlag.NEAR
    return DealRegistration.ConflictFlag.NONE


def blocking_conflicts(registration: DealRegistration) -> list[Conflict]:
    """Exact conflicts whose counterpart is still in force (an active registration of another
    partner, or an open direct opportunity): the earlier one wins, so this one cannot be approved."""
    today = timezone.localdate()
    blocking = []
    for conflict in registration.conflicts.filter(kind=Conflict.Kind.EXACT).select_related(
        "other_registration__partner", "direct_opportunity"
    ):
        other = conflict.other_registration
        if (
            other is not None
            and other.is_active_on(today)
            and other.partner.status != Partner.Status.TERMINATED
        ) or (
            conflict.direct_opportunity is not None
            and conflict.direct_opportunity.status == DirectOpportunity.Status.OPEN
        ):
            blocking.append(conflict)
    return blocking
