"""Use it or lose it: the nightly expiry of unused allocations, the warning 30 days before, and
the lapse of approved requests nobody claimed in time. Each is set-based SQL over every account
of the tenant and safe to re-run (keyed entries, ``ON CONFLICT DO NOTHING``)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from funds.models import EXPIRY_WARNING_DAYS, FundRequest
from funds.selectors import AVAILABLE_SQL, ENTRIES_SQL, SCHEDULE_SQL
from funds.services.requests import request_lapse
from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.lib.money import format_amount_str
from prm.notifications.services import notify
from prm.roles import Role
from prm.tenancy.context import require_tenant

# Money of an allocation is usable through its expiry date. What of each account's available
# balance belongs to allocations whose date is before the day: the
# balance minus what later-expiring allocations can still hold (money is spent in expiry order).
EXPIRE_SQL = f"""
WITH e AS ({ENTRIES_SQL.replace("{where}", "")}), b AS ({AVAILABLE_SQL}),
due AS (
  SELECT e.account_id,
    coalesce(sum(e.a) FILTER (WHERE e.k IN ('allocated', 'accrued') AND e.exp >= %(day)s), 0) AS later,
    bool_or(e.k IN ('allocated', 'accrued') AND e.exp < %(day)s) AS has_due
  FROM e GROUP BY e.account_id
)
INSERT INTO funds_ledgerentry (tenant_id, account_id, fund_id, partner_id, period_id, kind, amount, currency,
  source, expires_on, effective_on, reverses_kind, key, memo, detail, created_by_id, created_at)
SELECT a.tenant_id, a.id, a.fund_id, a.partner_id, NULL, 'expired', b.available - due.later, f.currency,
  '', NULL, %(day)s, '', 'expired:' || a.id || ':' || %(day)s, %(memo)s,
  jsonb_build_object('available', b.available::text, 'held_by_later_allocations', due.later::text), NULL, now()
FROM due
JOIN b ON b.account_id = due.account_id
JOIN funds_fundaccount a ON a.tenant_id = %(t)s AND a.id = due.account_id
JOIN funds_fund f ON f.tenant_id = a.tenant_id AND f.id = a.fund_id
WHERE due.has_due AND b.available - due.later > 0
ON CONFLICT (tenant_id, key) WHERE key <> '' DO NOTHING
RETURNING account_id, amount
"""


def expiries_post(*, day: datetime.date | None = None) -> dict[str, Any]:
    """Post "expired" for every account's unused money whose allocations' dates are before ``day``,
    under the locks of those accounts (concurrent approvals wait, then see the lower balance)."""
    day = day or timezone.localdate()
    tenant_id = require_tenant().pk
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.id FROM funds_fundaccount a WHERE a.tenant_id = %s AND EXISTS ("
            " SELECT 1 FROM funds_ledgerentry le WHERE le.tenant_id = a.tenant_id AND le.account_id = a.id"
            " AND le.kind IN ('allocated', 'accrued') AND le.expires_on < %s) ORDER BY a.id FOR UPDATE",
            [tenant_id, day],
        )
        locked = [row[0] for row in cursor.fetchall()]
        if not locked:
            return {"accounts": 0, "expired": {}}
        cursor.execute(EXPIRE_SQL, {"t": tenant_id, "day": day, "memo": _("Not used by the expiry date")})
        rows = cursor.fetchall()
        totals: dict[str, Decimal] = {}
        if rows:
            currencies = dict(
                _account_currencies(cursor, tenant_id, [account_id for account_id, _amount in rows])
            )
            for account_id, amount in rows:
                currency = currencies[account_id]
                totals[currency] = totals.get(currency, Decimal("0")) + amount
        summary = {
            "day": day.isoformat(),
            "accounts": len(rows),
            "expired": {c: format_amount_str(a, c) for c, a in sorted(totals.items())},
        }
        if rows:
            audit(actor=None, action="fund.expire", obj=require_tenant(), after=summary)
    return summary


def _account_currencies(cursor, tenant_id: int, account_ids: list[int]) -> list[tuple[int, str]]:
    cursor.execute(
        "SELECT a.id, f.currency FROM funds_fundaccount a JOIN funds_fund f ON f.tenant_id = a.tenant_id"
        " AND f.id = a.fund_id WHERE a.tenant_id = %s AND a.id = ANY(%s)",
        [tenant_id, account_ids],
    )
    return cursor.fetchall()


WARN_SQL = f"""
WITH s AS ({SCHEDULE_SQL.replace("{where}", "")})
INSERT INTO funds_expirywarning (tenant_id, account_id, expires_on, amount, sent_at)
SELECT %(t)s, s.account_id, s.day, s.portion, now() FROM s
ON CONFLICT (tenant_id, account_id, expires_on) DO NOTHING
RETURNING account_id, expires_on, amount
"""


def expiry_warnings_send(*, day: datetime.date | None = None) -> int:
    """Tell each partner what of its balance expires within 30 days (once per account and
    expiry date)."""
    day = day or timezone.localdate()
    tenant_id = require_tenant().pk
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                WARN_SQL,
                {"t": tenant_id, "from": day, "to": day + datetime.timedelta(days=EXPIRY_WARNING_DAYS)},
            )
            rows = cursor.fetchall()
            if not rows:
                return 0
            cursor.execute(
                "SELECT a.id, a.partner_id, f.name, f.currency FROM funds_fundaccount a JOIN funds_fund f"
                " ON f.tenant_id = a.tenant_id AND f.id = a.fund_id WHERE a.tenant_id = %s AND a.id = ANY(%s)",
                [tenant_id, [r[0] for r in rows]],
            )
            accounts = {r[0]: r[1:] for r in cursor.fetchall()}
        admins: dict[int, list] = {}
        for m in Membership.objects.filter(
            partner_id__in={a[0] for a in accounts.values()}, role=Role.PARTNER_ADMIN, is_active=True
        ).select_related("user"):
            admins.setdefault(m.partner_id or 0, []).append(m.user)
        for account_id, expires_on, amount in rows:
            partner_id, fund_name, currency = accounts[account_id]
            notify(
                recipients=admins.get(partner_id, []),
                verb="fund.expiring",
                message=lambda amount=amount, currency=currency, expires_on=expires_on, fund_name=fund_name: (
                    _(
                        "%(amount)s %(c)s of %(fund)s expires on %(day)s unless it is committed to an approved request."
                    )
                    % {
                        "amount": format_amount_str(amount, currency),
                        "c": currency,
                        "fund": fund_name,
                        "day": expires_on.isoformat(),
                    }
                ),
                url=reverse("funds:home"),
            )
    return len(rows)


def requests_lapse_overdue(*, day: datetime.date | None = None) -> int:
    """Lapse approved requests whose claim deadline passed without a claim."""
    day = day or timezone.localdate()
    candidates = FundRequest.objects.filter(
        status=FundRequest.Status.APPROVED, end_date__lt=day
    ).select_related("fund")
    lapsed = 0
    for request in candidates:
        if (
            request.claim_deadline < day
            and request_lapse(request=request, today=day).status == FundRequest.Status.LAPSED
        ):
            lapsed += 1
    return lapsed
