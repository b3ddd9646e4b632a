"""Scorecard KPIs and the provider registry through which higher apps contribute figures.

``partners`` sits below ``deals``, ``posdata`` and ``funds``: it cannot import them. Each of those
apps registers a provider in its ``AppConfig.ready()``::

    from partners.kpis import register_kpi_provider
    register_kpi_provider("posdata.revenue", revenue_by_partner)

A provider is ``fn(partner_ids, start, end) -> {partner_id: {Kpi.X: Decimal}}`` for the
inclusive period ``start``..``end``; it should run set-based queries (one per KPI, not per
partner). Values of several providers for the same KPI add up; a code that is not a ``Kpi``
raises ``UnknownKpi``. ``win_rate`` is derived from
``deals_won`` / ``deals_approved`` unless a provider supplies it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q

from partners.models import Certification, Kpi, OnboardingItem


class UnknownKpi(ValueError):
    """A provider returned a value under a code that is not in ``partners.models.Kpi``."""


KpiProvider = Callable[[Sequence[int], date, date], Mapping[int, Mapping[str, Decimal]]]
_PROVIDERS: dict[str, KpiProvider] = {}
ZERO = Decimal("0")


def register_kpi_provider(name: str, provider: KpiProvider) -> None:
    """Register (or replace) the provider called ``name``."""
    _PROVIDERS[name] = provider


def kpi_providers() -> dict[str, KpiProvider]:
    return dict(_PROVIDERS)


def certified_people(partner_ids: Sequence[int], start: date, end: date) -> dict[int, dict[str, Decimal]]:
    """People of the partner holding a certification that is valid on ``end`` (expired ones stop
    counting)."""
    rows = (
        Certification.objects.filter(
            partner_id__in=partner_ids,
            status__in=[Certification.Status.VALID, Certification.Status.EXPIRED],
            issued_on__lte=end,
            expires_on__gte=end,
        )
        .values("partner_id")
        .annotate(n=Count("user_id", distinct=True))
    )
    return {row["partner_id"]: {Kpi.CERTIFIED_PEOPLE: Decimal(row["n"])} for row in rows}


def overdue_onboarding(partner_ids: Sequence[int], start: date, end: date) -> dict[int, dict[str, Decimal]]:
    """Checklist items due before ``end`` and still open on ``end``."""
    rows = (
        OnboardingItem.objects.filter(partner_id__in=partner_ids, due_date__lt=end)
        .filter(Q(completed_at__isnull=True) | Q(completed_at__date__gt=end))
        .values("partner_id")
        .annotate(n=Count("id"))
    )
    return {row["partner_id"]: {Kpi.OVERDUE_ONBOARDING: Decimal(row["n"])} for row in rows}


register_kpi_provider("partners.certified_people", certified_people)
register_kpi_provider("partners.overdue_onboarding", overdue_onboarding)


def kpi_values(partner_ids: Sequence[int], start: date, end: date) -> dict[int, dict[str, Decimal]]:
    """Every KPI for every partner in the period (zero where no provider contributes)."""
    result: dict[int, dict[str, Decimal]] = {pid: dict.fromkeys(Kpi.values, ZERO) for pid in partner_ids}
    supplied_win_rate: set[int] = set()
    for name, provider in _PROVIDERS.items():
        for pid, values in provider(partner_ids, start, end).items():
            if pid not in result:
                continue
            for code, value in values.items():
                if code not in result[pid]:
                    # A misspelt code would silently never count towards a tier: refuse it.
                    raise UnknownKpi(
                        f"KPI provider {name!r} returned {code!r}, which is not a partners.models.Kpi code."
                    )
                result[pid][code] += Decimal(value)
                if code == Kpi.WIN_RATE:
                    supplied_win_rate.add(pid)
    for pid, values in result.items():
        if pid not in supplied_win_rate:
            approved = values[Kpi.DEALS_APPROVED]
            values[Kpi.WIN_RATE] = (
                (values[Kpi.DEALS_WON] * 100 / approved).quantize(Decimal("0.01")) if approved else ZERO
            )
    return result
