"""Contracts through which the apps above ``partners`` lend each other data.

``deals``, ``posdata`` and ``claims`` are siblings: none imports another. Where one needs what
another owns, ``partners`` (the floor below both) defines the contract here, the owning app
registers its implementation from its ``AppConfig.ready()`` and the using app calls it through
this module. Without a registered provider the using app simply gets nothing.

Deal pre-fill: the claims back office starts a special pricing agreement from an approved deal
registration of the distributor and end customer. ``deals`` registers::

    from partners.registries import register_deal_prefill_source
    register_deal_prefill_source(approved_registrations_for_prefill)
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class DealPrefillLine:
    """One product line of a registration: its quantity, its value per unit and the price per
    unit after the registration's approved discount (both in the registration's currency)."""

    product_line: str
    quantity: int
    unit_value: Decimal
    approved_unit_price: Decimal


@dataclass(frozen=True)
class DealPrefill:
    """An approved deal registration as the start of an agreement: who, for whom, how long."""

    id: int
    reference: str
    partner_id: int
    end_customer: str
    currency: str
    discount_pct: Decimal
    approved_on: datetime.date | None
    protection_until: datetime.date | None
    lines: tuple[DealPrefillLine, ...]


# fn(partner_ids, registration_id) -> the approved registrations of those partners (only the one
# with that id when it is given), newest first.
DealPrefillSource = Callable[[Sequence[int], int | None], list[DealPrefill]]
_DEAL_PREFILL: list[DealPrefillSource] = []


def register_deal_prefill_source(source: DealPrefillSource) -> None:
    """Register (or replace) the provider of approved deal registrations."""
    _DEAL_PREFILL[:] = [source]


def deal_prefills(partner_ids: Sequence[int], registration_id: int | None = None) -> list[DealPrefill]:
    """Approved registrations of ``partner_ids`` (empty when no app provides them)."""
    if not _DEAL_PREFILL or not partner_ids:
        return []
    return _DEAL_PREFILL[0](partner_ids, registration_id)


# Territory dashboard figures: the apps above ``partners`` that know a territory's business
# (deals: pipeline, wins, coverage; posdata: POS revenue) register a provider
# ``fn(territories, currency) -> {territory_id: {column: value}}`` with the columns it fills.
# Each provider answers for all territories at once, in a fixed number of queries.


@dataclass(frozen=True)
class TerritoryMetric:
    key: str
    label: Any  # a (lazily) translated column heading


TerritoryMetricSource = Callable[[Sequence[Any], str], dict[int, dict[str, Any]]]
_TERRITORY_METRICS: dict[str, tuple[tuple[TerritoryMetric, ...], TerritoryMetricSource]] = {}


def register_territory_metrics(
    name: str, columns: Sequence[TerritoryMetric], source: TerritoryMetricSource
) -> None:
    """Register (or replace) the provider ``name`` of territory dashboard columns."""
    _TERRITORY_METRICS[name] = (tuple(columns), source)


def territory_metrics(
    territories: Sequence[Any], currency: str
) -> tuple[list[TerritoryMetric], dict[int, dict[str, Any]]]:
    """Every registered column, and per territory id the values the providers found."""
    columns: list[TerritoryMetric] = []
    values: dict[int, dict[str, Any]] = {t.pk: {} for t in territories}
    for name in sorted(_TERRITORY_METRICS):
        cols, source = _TERRITORY_METRICS[name]
        columns.extend(cols)
        for tid, found in source(territories, currency).items():
            values.setdefault(tid, {}).update(found)
    return columns, values
