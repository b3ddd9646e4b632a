"""Finance reports: what was accrued, approved and paid (by source, partner and quarter), the open
liability by age, and the reconciliation proving payables, batch lines, payments and the source
ledgers add up to the cent (and naming every row where they do not).

Amounts of different currencies are converted into the tenant's base currency at each payable's
due-date rate (``converted_sums``: one grouped query); when a rate is missing the report shows
sums per currency instead and names the missing rate.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Case, CharField, QuerySet, Value, When
from django.db.models.functions import ExtractQuarter, ExtractYear
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from prm.finance.models import Payable
from prm.finance.rates import ConvertedSums, converted_sums
from prm.finance.registry import source_label
from prm.lib.money import Money
from prm.tenancy.context import require_tenant

P = Payable.Status
STATES = ("accrued", "approved", "paid")
# The bucket of each status: approved includes what is exported and paid; accrued includes all.
_BUCKET = Case(
    When(status=P.PAID, then=Value("paid")),
    When(status__in=[P.APPROVED, P.EXPORTED], then=Value("approved")),
    default=Value("open"),
    output_field=CharField(),
)


# --- accrued vs approved vs paid -------------------------------------------------------------------


@dataclass
class StateRow:
    key: str
    label: str
    values: dict[str, list[Money]] = field(default_factory=dict)


@dataclass
class AccrualReport:
    target: str
    sums: ConvertedSums
    quarters: list[StateRow]
    sources: list[StateRow]
    partners: list[StateRow]

    def chart(self) -> dict[str, Any]:
        """Chart data (strings, never floats: the browser converts at the edge)."""
        complete = self.sums.complete
        return {
            "labels": [row.label for row in self.quarters],
            "series": [
                {
                    "label": str(label),
                    "values": [
                        str(row.values[state][0].amount) if complete and row.values[state] else "0"
                        for row in self.quarters
                    ],
                }
                for state, label in zip(STATES, STATE_LABELS, strict=True)
            ],
            "currency": self.target,
            "complete": complete,
        }


STATE_LABELS = (gettext_lazy("Accrued"), gettext_lazy("Approved"), gettext_lazy("Paid"))


def _states(sums: ConvertedSums, keys: list[tuple]) -> dict[str, list[Money]]:
    """Accrued = every bucket, approved = approved + paid, paid = paid, for the given group keys."""
    wanted = {"accrued": ("open", "approved", "paid"), "approved": ("approved", "paid"), "paid": ("paid",)}
    result = {}
    for state, buckets in wanted.items():
        picked = ConvertedSums(target=sums.target)
        picked.groups = {k: v for k, v in sums.groups.items() if k in keys and k[-1] in buckets}
        result[state] = picked.totals(None) if picked.groups else []
    return result


def _rows(sums: ConvertedSums, position: int, label: Callable[[Any], str]) -> list[StateRow]:
    by_key: dict[Any, list[tuple]] = defaultdict(list)
    for key in sums.groups:
        by_key[key[position]].append(key)
    return [
        StateRow(key=str(k), label=label(k), values=_states(sums, keys)) for k, keys in sorted(by_key.items())
    ]


def accrual_report(qs: QuerySet[Payable], *, target: str) -> AccrualReport:
    """Accrued, approved and paid per quarter (of the due date), source and partner."""
    qs = qs.exclude(status=P.CANCELLED)
    sums = converted_sums(
        qs,
        amount="amount",
        currency="currency",
        day="due_date",
        target=target,
        keys={
            "year": ExtractYear("due_date"),
            "quarter": ExtractQuarter("due_date"),
            "source": "source_type",
            "partner": "partner_id",
            "bucket": _BUCKET,
        },
    )
    # The partners app's model, reached through the foreign key (the core imports no app).
    partner_model = Payable._meta.get_field("partner").related_model
    partner_ids = {key[3] for key in sums.groups}
    names = {
        pk: f"{code} {name}"
        for pk, code, name in partner_model._default_manager.filter(pk__in=partner_ids).values_list(  # type: ignore[union-attr]
            "pk", "code", "name"
        )
    }
    year_quarter = ConvertedSums(target=target)
    year_quarter.groups = {}
    for key, value in sums.groups.items():
        year_quarter.groups.setdefault((f"{key[0]}-Q{key[1]}", key[2], key[3], key[4]), []).extend(value)
    return AccrualReport(
        target=target,
        sums=year_quarter,
        quarters=_rows(year_quarter, 0, str),
        sources=_rows(year_quarter, 1, source_label),
        partners=_rows(year_quarter, 2, lambda pk: names.get(pk, str(pk))),
    )


# --- open liability aging --------------------------------------------------------------------------

AGING_BUCKETS = (
    ("not_due", gettext_lazy("Not yet due"), None, 0),
    ("1_30", gettext_lazy("1–30 days overdue"), 1, 30),
    ("31_60", gettext_lazy("31–60 days overdue"), 31, 60),
    ("61_90", gettext_lazy("61–90 days overdue"), 61, 90),
    ("over_90", gettext_lazy("More than 90 days overdue"), 91, None),
)


def aging_report(qs: QuerySet[Payable], *, target: str, today: datetime.date | None = None) -> list[dict]:
    """What is still owed (not paid, not cancelled) by how long it is overdue."""
    today = today or timezone.localdate()
    whens = []
    for key, _label, low, high in AGING_BUCKETS:
        condition: dict[str, Any] = {}
        if low is None:
            condition["due_date__gte"] = today
        else:
            condition["due_date__lte"] = today - datetime.timedelta(days=low)
        if high is not None and low is not None:
            condition["due_date__gte"] = today - datetime.timedelta(days=high)
        whens.append(When(**condition, then=Value(key)))
    bucket = Case(*whens, default=Value("over_90"), output_field=CharField())
    sums = converted_sums(
        qs.filter(status__in=Payable.UNPAID),
        amount="amount",
        currency="currency",
        day="due_date",
        target=target,
        keys={"bucket": bucket},
    )
    return [
        {"key": key, "label": label, "totals": sums.totals((key,)) if (key,) in sums.groups else []}
        for key, label, _low, _high in AGING_BUCKETS
    ] + [
        {"key": "all", "label": gettext_lazy("All open"), "totals": sums.totals(None) if sums.groups else []}
    ]


# --- reconciliation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReconciliationSource:
    """A source ledger (claims, rebate accruals, the fund ledger) registered by its app: ``sql``
    returns a SELECT of (source_id text, amount numeric, currency text) rows — what the ledger
    says each payable of ``kind`` must be — and its parameters, for the current tenant."""

    kind: str
    label: str | Promise
    sql: Callable[[], tuple[str, list[Any]]]


_RECONCILIATION_SOURCES: dict[str, ReconciliationSource] = {}


def register_reconciliation_source(
    kind: str, *, label: str | Promise, sql: Callable[[], tuple[str, list[Any]]]
) -> None:
    _RECONCILIATION_SOURCES[kind] = ReconciliationSource(kind=kind, label=label, sql=sql)


def unregister_reconciliation_source(kind: str) -> None:
    """For tests that register a ledger of their own."""
    _RECONCILIATION_SOURCES.pop(kind, None)


@dataclass(frozen=True)
class Discrepancy:
    check: str
    reference: str
    message: str


# Each check is one SQL statement over the tenant's rows returning (reference, message parts).
_BATCH_CHECKS: dict[str, str] = {
    # A batch line copies its payable: amount, currency and partner must agree.
    "line_vs_payable": """
        SELECT 'PAY-' || lpad(p.id::text, 6, '0'), 'PB-' || lpad(l.batch_id::text, 6, '0'),
               l.amount::text || ' ' || l.currency, p.amount::text || ' ' || p.currency
        FROM prm_payoutbatchline l JOIN prm_payable p ON p.id = l.payable_id AND p.tenant_id = l.tenant_id
        WHERE l.tenant_id = %(t)s AND l.live
          AND (l.amount <> p.amount OR l.currency <> p.currency OR l.partner_id <> p.partner_id)
    """,
    # A payable past "open" is in exactly one live batch, in the state that batch gives it.
    "payable_vs_batch": """
        SELECT 'PAY-' || lpad(p.id::text, 6, '0'), coalesce('PB-' || lpad(b.id::text, 6, '0'), '—'),
               coalesce(b.status, 'no live batch'), p.status
        FROM prm_payable p
        LEFT JOIN prm_payoutbatchline l ON l.payable_id = p.id AND l.tenant_id = p.tenant_id AND l.live
        LEFT JOIN prm_payoutbatch b ON b.id = l.batch_id AND b.tenant_id = l.tenant_id
        LEFT JOIN prm_payoutpayment pp ON pp.id = l.payment_id AND pp.tenant_id = l.tenant_id
        WHERE p.tenant_id = %(t)s AND (
          (p.status IN ('in_batch', 'approved', 'exported', 'paid') AND l.id IS NULL)
          OR (p.status IN ('open', 'cancelled') AND l.id IS NOT NULL)
          OR (b.status = 'draft' AND p.status <> 'in_batch')
          OR (b.status = 'approved' AND p.status <> 'approved')
          OR (b.status IN ('exported', 'paid') AND pp.status = 'to_pay' AND p.status <> 'exported')
          OR (b.status IN ('exported', 'paid') AND pp.status = 'paid' AND p.status <> 'paid'))
    """,
    # A payment is the sum of its live lines, to the cent.
    "payment_vs_lines": """
        SELECT 'PB-' || lpad(pp.batch_id::text, 6, '0') || ' / ' || pt.code, pp.currency,
               pp.amount::text, coalesce(sum(l.payment_amount), 0)::text
        FROM prm_payoutpayment pp
        JOIN partners_partner pt ON pt.id = pp.partner_id AND pt.tenant_id = pp.tenant_id
        LEFT JOIN prm_payoutbatchline l ON l.payment_id = pp.id AND l.tenant_id = pp.tenant_id AND l.live
        JOIN prm_payoutbatch b ON b.id = pp.batch_id AND b.tenant_id = pp.tenant_id
        WHERE pp.tenant_id = %(t)s AND pp.status <> 'held' AND b.status <> 'cancelled'
        GROUP BY pp.tenant_id, pp.id, pt.code
        HAVING pp.amount <> coalesce(sum(l.payment_amount), 0)
    """,
}


def _batch_message(check: str, row: tuple) -> Discrepancy:
    if check == "line_vs_payable":
        ref, batch, line, payable = row
        return Discrepancy(
            check,
            ref,
            _("%(batch)s has %(line)s, the payable %(payable)s.")
            % {"batch": batch, "line": line, "payable": payable},
        )
    if check == "payable_vs_batch":
        ref, batch, batch_status, status = row
        return Discrepancy(
            check,
            ref,
            _("Payable is %(status)s, its batch %(batch)s is %(batch_status)s.")
            % {"status": status, "batch": batch, "batch_status": batch_status},
        )
    ref, currency, amount, lines = row
    return Discrepancy(
        check,
        ref,
        _("Payment of %(amount)s %(currency)s, its lines add up to %(lines)s.")
        % {"amount": amount, "currency": currency, "lines": lines},
    )


_LEDGER_CHECK = """
    SELECT coalesce(s.source_id, p.source_id), s.amount::text, s.currency, p.amount::text, p.currency
    FROM ({source}) s (source_id, amount, currency)
    FULL JOIN (SELECT source_id, amount, currency FROM prm_payable
               WHERE tenant_id = %s AND source_type = %s AND status <> 'cancelled') p
      ON p.source_id = s.source_id
    WHERE s.source_id IS NULL OR p.source_id IS NULL OR s.amount <> p.amount OR s.currency <> p.currency
"""


def _ledger_discrepancies(source: ReconciliationSource, tenant_id: int) -> list[Discrepancy]:
    sql, params = source.sql()
    with connection.cursor() as cursor:
        cursor.execute(_LEDGER_CHECK.format(source=sql), [*params, tenant_id, source.kind])
        rows = cursor.fetchall()
    found = []
    for source_id, ledger_amount, ledger_currency, payable_amount, payable_currency in rows:
        ref = f"{source.kind}:{source_id}"
        if payable_amount is None:
            message = _("%(ledger)s says %(amount)s %(currency)s is owed; there is no payable.")
        elif ledger_amount is None:
            message = _("A payable of %(payable)s %(pcurrency)s has no line in %(ledger)s.")
        else:
            message = _("%(ledger)s says %(amount)s %(currency)s, the payable %(payable)s %(pcurrency)s.")
        found.append(
            Discrepancy(
                "ledger_vs_payable",
                ref,
                message
                % {
                    "ledger": source.label,
                    "amount": ledger_amount,
                    "currency": ledger_currency,
                    "payable": payable_amount,
                    "pcurrency": payable_currency,
                },
            )
        )
    return found


@dataclass
class Reconciliation:
    discrepancies: list[Discrepancy]
    checks: list[tuple[str, str, int]]  # (check, label, discrepancies found)
    ledgers: list[str]

    @property
    def balanced(self) -> bool:
        return not self.discrepancies


CHECK_LABELS = {
    "line_vs_payable": gettext_lazy("Batch lines agree with their payables"),
    "payable_vs_batch": gettext_lazy("Payables are in the state their batch gives them"),
    "payment_vs_lines": gettext_lazy("Payments are the sum of their lines"),
    "ledger_vs_payable": gettext_lazy("Source ledgers agree with the payables"),
}


def reconciliation_report() -> Reconciliation:
    """Every check, over every row of the tenant; each discrepancy names its row."""
    tenant_id = require_tenant().pk
    discrepancies: list[Discrepancy] = []
    checks = []
    with connection.cursor() as cursor:
        for check, sql in _BATCH_CHECKS.items():
            cursor.execute(sql, {"t": tenant_id})
            found = [_batch_message(check, row) for row in cursor.fetchall()]
            discrepancies.extend(found)
            checks.append((check, str(CHECK_LABELS[check]), len(found)))
    ledger_found: list[Discrepancy] = []
    for source in sorted(_RECONCILIATION_SOURCES.values(), key=lambda s: s.kind):
        ledger_found.extend(_ledger_discrepancies(source, tenant_id))
    discrepancies.extend(ledger_found)
    checks.append(("ledger_vs_payable", str(CHECK_LABELS["ledger_vs_payable"]), len(ledger_found)))
    return Reconciliation(
        discrepancies=discrepancies,
        checks=checks,
        ledgers=[str(s.label) for s in _RECONCILIATION_SOURCES.values()],
    )
