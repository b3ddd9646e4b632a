"""Currency conversion: the one answer to "what is this amount worth in that currency on that day".

The rule, applied the same way in Python (``rate_for``, ``convert``) and in SQL (``rate_lateral_sql``
and the set-based sums built on it):

* the rate for a day is the latest stored rate on or before that day;
* a pair may be stored in either direction: the other direction's rate is used inverted
  (``1 / rate`` rounded half-up to 12 places); on the same date the direct rate wins, and among
  rows of one date and direction the newest row (a correction) wins;
* no rate is an error (``MissingRate``) naming the pair and the date, never a silent 1.0.

Amounts in the same currency are never converted. Converted sums are exact until the total is
rounded once, half-up, to the target currency's minor unit.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Case, Expression, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.utils.translation import gettext as _

from prm.finance.models import FxRate
from prm.lib.money import RATE_DECIMALS, Money, quantize_money
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError

INVERSE_EXPONENT = Decimal(1).scaleb(-RATE_DECIMALS)
_CODE = re.compile(r"^[A-Z]{3}$")


class MissingRate(DomainError):
    """No stored rate converts ``base`` into ``quote`` on ``day`` (in either direction)."""

    def __init__(self, *, base: str, quote: str, day: datetime.date, line: int | None = None) -> None:
        self.base, self.quote, self.day, self.line = base, quote, day, line
        message = _(
            "No exchange rate from %(base)s to %(quote)s (or %(quote)s to %(base)s) on or before %(day)s."
        ) % {"base": base, "quote": quote, "day": day.isoformat()}
        if line is not None:
            message += " " + _("It is needed for line %(line)d.") % {"line": line}
        super().__init__(message)


@dataclass(frozen=True)
class Rate:
    """The rate used for one conversion: ``rate`` units of ``quote`` per unit of ``base``."""

    base: str
    quote: str
    rate: Decimal
    rate_date: datetime.date
    source: str
    inverse: bool = False  # stored as quote -> base, used inverted
    rate_id: int | None = None

    def as_record(self) -> dict[str, Any]:
        """What a stored conversion keeps (JSON): the rate, its date and its source."""
        return {
            "base": self.base,
            "quote": self.quote,
            "rate": format(self.rate, "f"),
            "rate_date": self.rate_date.isoformat(),
            "source": self.source,
            "inverse": self.inverse,
            "rate_id": self.rate_id,
        }


@dataclass(frozen=True)
class Conversion:
    """An amount converted at a stored rate (``rate`` is None when no conversion was needed)."""

    amount: Decimal
    currency: str
    source_amount: Decimal
    source_currency: str
    day: datetime.date
    rate: Rate | None

    def as_record(self) -> dict[str, Any]:
        return {
            "amount": format(self.amount, "f"),
            "currency": self.currency,
            "source_amount": format(self.source_amount, "f"),
            "source_currency": self.source_currency,
            "day": self.day.isoformat(),
            "rate": self.rate.as_record() if self.rate else None,
        }


def invert(rate: Decimal) -> Decimal:
    return (Decimal(1) / rate).quantize(INVERSE_EXPONENT, rounding=ROUND_HALF_UP)


def _code(currency: str) -> str:
    code = (currency or "").upper()
    if not _CODE.match(code):
        raise ValueError(f"{currency!r} is not a three-letter currency code.")
    return code


def rate_for(base: str, quote: str, day: datetime.date) -> Rate:
    """The rate converting ``base`` into ``quote`` on ``day``; ``MissingRate`` when none is stored."""
    base, quote = _code(base), _code(quote)
    if base == quote:
        raise ValueError("A currency needs no rate to itself.")
    row = (
        FxRate.objects.filter(rate_date__lte=day)
        .filter(Q(base_currency=base, quote_currency=quote) | Q(base_currency=quote, quote_currency=base))
        .annotate(
            inverse_first=Case(
                When(base_currency=base, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("-rate_date", "inverse_first", "-id")
        .first()
    )
    if row is None:
        raise MissingRate(base=base, quote=quote, day=day)
    inverse = row.base_currency != base
    return Rate(
        base=base,
        quote=quote,
        rate=invert(row.rate) if inverse else row.rate,
        rate_date=row.rate_date,
        source=row.source,
        inverse=inverse,
        rate_id=row.pk,
    )


def convert(
    amount: Decimal, *, from_currency: str, to_currency: str, day: datetime.date, rounding: str = "half_up"
) -> Conversion:
    """``amount`` in ``to_currency`` at the rate for ``day``, rounded to its minor unit."""
    from_currency, to_currency = _code(from_currency), _code(to_currency)
    amount = Decimal(amount)
    if from_currency == to_currency:
        return Conversion(
            amount=quantize_money(amount, to_currency, rounding),
            currency=to_currency,
            source_amount=amount,
            source_currency=from_currency,
            day=day,
            rate=None,
        )
    rate = rate_for(from_currency, to_currency, day)
    return Conversion(
        amount=quantize_money(amount * rate.rate, to_currency, rounding),
        currency=to_currency,
        source_amount=amount,
        source_currency=from_currency,
        day=day,
        rate=rate,
    )


# --- set-based: the same rule in SQL ---------------------------------------------------------------


def rate_lateral_sql(*, currency: str, day: str, target: str, tenant_id: int, alias: str = "fx") -> str:
    """``LEFT JOIN LATERAL (...) <alias> ON true`` giving the rate that converts ``currency`` (a SQL
    expression) into ``target`` on ``day`` (a SQL date expression), by ``rate_for``'s rule:
    columns rate (NULL when no rate applies, and for the target currency itself), rate_date,
    source, inverse, rate_id. Two index range scans per distinct (currency, day)."""
    target = _code(target)
    tenant_id = int(tenant_id)
    return f"""
    LEFT JOIN LATERAL (
      SELECT r.rate, r.rate_date, r.source, r.inverse, r.rate_id FROM (
        (SELECT x.rate, x.rate_date, x.source, false AS inverse, x.id AS rate_id FROM prm_fxrate x
          WHERE x.tenant_id = {tenant_id} AND x.base_currency = {currency} AND x.quote_currency = '{target}'
            AND x.rate_date <= {day}
          ORDER BY x.rate_date DESC, x.id DESC LIMIT 1)
        UNION ALL
        (SELECT round(1::numeric(40, 30) / x.rate, {RATE_DECIMALS}), x.rate_date, x.source, true, x.id
          FROM prm_fxrate x
          WHERE x.tenant_id = {tenant_id} AND x.base_currency = '{target}' AND x.quote_currency = {currency}
            AND x.rate_date <= {day}
          ORDER BY x.rate_date DESC, x.id DESC LIMIT 1)
      ) r
      -- Amounts already in the target currency skip the look-up (a one-time filter per row).
      WHERE {currency} <> '{target}'
      ORDER BY r.rate_date DESC, r.inverse LIMIT 1
    ) {alias} ON true"""


def converted_sums_sql(source: str, *, keys: Sequence[str], target: str, tenant_id: int, lines: bool) -> str:
    """One row per key and currency over ``source`` (a SELECT with the columns ``keys``, fx_cur,
    fx_day, fx_amount and, with ``lines``, fx_line): the keys, the currency, the exact sum, the
    exact sum converted into ``target`` (partial when ``missing_day`` is set), the earliest day
    (and its line) without a rate, and the rates used as JSON."""
    target = _code(target)
    key_cols = "".join(f"g.{k}, " for k in keys)
    line = (
        f"min(g.fx_line) FILTER (WHERE g.fx_cur <> '{target}' AND fx.rate IS NULL)" if lines else "NULL::int"
    )
    return f"""
    SELECT {key_cols}g.fx_cur, sum(g.fx_amount),
      sum(CASE WHEN g.fx_cur = '{target}' THEN g.fx_amount ELSE g.fx_amount * fx.rate END),
      min(g.fx_day) FILTER (WHERE g.fx_cur <> '{target}' AND fx.rate IS NULL),
      {line},
      coalesce(jsonb_agg(DISTINCT jsonb_build_object(
          'base', g.fx_cur, 'quote', '{target}', 'rate', fx.rate::text, 'rate_date', fx.rate_date,
          'source', fx.source, 'inverse', fx.inverse, 'rate_id', fx.rate_id)) FILTER (WHERE fx.rate IS NOT NULL),
        '[]'::jsonb)
    FROM ({source}) g
    {rate_lateral_sql(currency="g.fx_cur", day="g.fx_day", target=target, tenant_id=tenant_id)}
    GROUP BY {key_cols}g.fx_cur
    """


@dataclass(frozen=True)
class CurrencySum:
    currency: str
    amount: Decimal  # exact sum in ``currency``
    converted: Decimal | None  # exact sum in the target; None when a rate is missing
    missing_day: datetime.date | None
    missing_line: int | None


@dataclass
class ConvertedSums:
    """Sums of amounts in several currencies, grouped by keys, each with its conversion into one
    target currency. ``complete`` says whether every amount found a rate; otherwise the totals
    are shown per currency (never added up) and ``missing`` names the pairs and dates."""

    target: str
    groups: dict[tuple, list[CurrencySum]] = field(default_factory=dict)
    rates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def missing(self) -> list[MissingRate]:
        """The earliest missing day of each currency (with its line when the source has lines)."""
        first: dict[str, CurrencySum] = {}
        for sums in self.groups.values():
            for s in sums:
                if s.missing_day is not None and (
                    s.currency not in first
                    or s.missing_day < (first[s.currency].missing_day or s.missing_day)
                ):
                    first[s.currency] = s
        return [
            MissingRate(base=c, quote=self.target, day=s.missing_day, line=s.missing_line)
            for c, s in sorted(first.items())
            if s.missing_day is not None
        ]

    @property
    def complete(self) -> bool:
        return all(s.missing_day is None for sums in self.groups.values() for s in sums)

    def currencies(self) -> list[str]:
        return sorted({s.currency for sums in self.groups.values() for s in sums})

    def require_complete(self) -> None:
        missing = self.missing
        if missing:
            raise min(missing, key=lambda m: (m.day, m.base))

    def by_currency(self, key: tuple | None = ()) -> dict[str, Decimal]:
        """Exact sums per currency of one group (or of all groups with ``key=None``)."""
        result: dict[str, Decimal] = {}
        for group_key, sums in self.groups.items():
            if key is not None and group_key != key:
                continue
            for s in sums:
                result[s.currency] = result.get(s.currency, Decimal("0")) + s.amount
        return dict(sorted(result.items()))

    def converted(self, key: tuple | None = ()) -> Decimal:
        """The group's total in the target currency, rounded half-up once (requires ``complete``)."""
        self.require_complete()
        total = sum(
            (s.converted or Decimal("0"))
            for group_key, sums in self.groups.items()
            if key is None or group_key == key
            for s in sums
        )
        return quantize_money(Decimal(total), self.target)

    def totals(self, key: tuple | None = ()) -> list[Money]:
        """What to show for a group: one converted total when every rate exists, else the sums
        per currency (each rounded to its own minor unit)."""
        if self.complete:
            return [Money(self.converted(key), self.target)]
        sums = self.by_currency(key)
        if not sums:
            return [Money(Decimal("0"), self.target)]
        return [Money(quantize_money(amount, currency), currency) for currency, amount in sums.items()]


def _parse(rows: Iterable[Sequence[Any]], *, nkeys: int, target: str) -> ConvertedSums:
    result = ConvertedSums(target=target)
    seen: set[str] = set()
    for row in rows:
        key = tuple(row[:nkeys])
        currency, amount, converted, missing_day, missing_line, rates = row[nkeys:]
        result.groups.setdefault(key, []).append(
            CurrencySum(
                currency=currency,
                amount=Decimal(amount or 0),
                converted=None if missing_day is not None else Decimal(converted or 0),
                missing_day=missing_day,
                missing_line=missing_line,
            )
        )
        # Django's connection hands jsonb over as text.
        for record in json.loads(rates) if isinstance(rates, str) else rates or []:
            marker = f"{record['base']}|{record['rate_id']}|{record['inverse']}"
            if marker not in seen:
                seen.add(marker)
                result.rates.append(record)
    result.rates.sort(key=lambda r: (r["base"], r["rate_date"], r["rate_id"]))
    return result


def converted_sums_of_sql(
    source: str,
    *,
    target: str,
    keys: Sequence[str] = (),
    lines: bool = False,
    params: Sequence[Any] | None = None,
) -> ConvertedSums:
    """Run ``converted_sums_sql`` over a SQL source (see there for its columns)."""
    statement = converted_sums_sql(
        source, keys=keys, target=target, tenant_id=require_tenant().pk, lines=lines
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    return _parse(rows, nkeys=len(keys), target=_code(target))


def converted_sums(
    qs: QuerySet,
    *,
    amount: str,
    currency: str,
    day: str | Expression,
    target: str,
    keys: Mapping[str, str | Expression] | None = None,
) -> ConvertedSums:
    """Sum ``amount`` over ``qs`` grouped by ``keys`` ({name: field or expression}) per currency,
    converted into ``target`` at the rate for each row's ``day``: one query, grouped before the
    rate look-up so that it runs once per distinct (currency, day)."""
    keys = dict(keys or {})
    key_exprs = {f"fx_k_{name}": F(expr) if isinstance(expr, str) else expr for name, expr in keys.items()}
    grouped = (
        qs.order_by()
        .annotate(
            **key_exprs,
            fx_cur=F(currency),
            fx_day=F(day) if isinstance(day, str) else day,
        )
        .values(*key_exprs, "fx_cur", "fx_day")
        .annotate(fx_amount=Sum(amount))
        .order_by()
    )
    sql, params = grouped.query.sql_with_params()
    return converted_sums_of_sql(sql, target=target, keys=list(key_exprs), params=params)
