"""Claim reports (vendor staff, within their partner scope): claims aging per distributor,
rejection reasons by distributor and month, leakage prevented (claimed minus approved) and
agreement utilisation (consumed vs authorised, expiring soon). Each report is a header row and
rows, shown as a table and exported through prm.exports."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims.models import AgreementLine, Claim
from claims.selectors import agreements_for_membership, claims_for_membership
from partners.selectors import partners_for_membership
from prm.accounts.models import Membership
from prm.lib.money import format_amount_str
from prm.reports import Report, ReportKind, unfiltered
from prm.roles import Perm

C = Claim.Status
EXPIRING_DAYS = 30
OPEN = (C.SUBMITTED, C.VALIDATING, C.IN_REVIEW)


def aging(membership: Membership) -> Report:
    now = timezone.now()
    rows = (
        claims_for_membership(membership)
        .values("partner__code", "partner__name")
        .annotate(
            submitted=Count("id", filter=Q(status=C.SUBMITTED)),
            validating=Count("id", filter=Q(status=C.VALIDATING)),
            in_review=Count("id", filter=Q(status=C.IN_REVIEW)),
            approved=Count("id", filter=Q(status=C.APPROVED)),
            oldest=Min("submitted_at", filter=Q(status__in=OPEN)),
        )
        .order_by("partner__code")
    )
    return Report(
        "aging",
        _("Claims aging"),
        [
            _("Distributor"),
            _("Name"),
            _("Submitted"),
            _("Validating"),
            _("In review"),
            _("Approved"),
            _("Oldest open (days)"),
        ],
        [
            [
                r["partner__code"],
                r["partner__name"],
                r["submitted"],
                r["validating"],
                r["in_review"],
                r["approved"],
                (now - r["oldest"]).days if r["oldest"] else "",
            ]
            for r in rows
        ],
    )


def rejection_reasons(membership: Membership) -> Report:
    """Lines per distributor, month (of the claim date) and code (rejecting and adjusting)."""
    partner_ids = list(partners_for_membership(membership).values_list("pk", flat=True)) or [0]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT p.code, to_char(date_trunc('month', c.claim_date), 'YYYY-MM') AS month, code.value, count(*)
            FROM claims_claimline l
            JOIN claims_claim c ON c.tenant_id = l.tenant_id AND c.id = l.claim_id
            JOIN partners_partner p ON p.tenant_id = l.tenant_id AND p.id = l.partner_id
            CROSS JOIN LATERAL jsonb_array_elements_text(l.codes) AS code(value)
            WHERE l.tenant_id = %s AND l.partner_id = ANY(%s)
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            """,
            [membership.tenant_id, partner_ids],
        )
        rows = [list(row) for row in cursor.fetchall()]
    return Report(
        "rejections",
        _("Rejection and adjustment reasons"),
        [_("Distributor"), _("Month"), _("Code"), _("Lines")],
        rows,
    )


def leakage(membership: Membership) -> Report:
    rows = (
        claims_for_membership(membership)
        .filter(status__in=[C.IN_REVIEW, C.APPROVED])
        .values("partner__code", "partner__name", "currency")
        .annotate(claimed=Sum("claimed_total"), approved=Sum("approved_total"), claims=Count("id"))
        .order_by("partner__code", "currency")
    )
    return Report(
        "leakage",
        _("Leakage prevented"),
        [
            _("Distributor"),
            _("Name"),
            _("Claims"),
            _("Claimed"),
            _("Approved"),
            _("Leakage prevented"),
            _("Currency"),
        ],
        [
            [
                r["partner__code"],
                r["partner__name"],
                r["claims"],
                format_amount_str(r["claimed"] or Decimal("0"), r["currency"]),
                format_amount_str(r["approved"] or Decimal("0"), r["currency"]),
                format_amount_str(
                    (r["claimed"] or Decimal("0")) - (r["approved"] or Decimal("0")), r["currency"]
                ),
                r["currency"],
            ]
            for r in rows
        ],
    )


def utilisation(membership: Membership, today: datetime.date | None = None) -> Report:
    today = today or timezone.localdate()
    soon = today + datetime.timedelta(days=EXPIRING_DAYS)
    lines = (
        AgreementLine.objects.filter(agreement__in=agreements_for_membership(membership))
        .select_related("agreement__partner", "product")
        .annotate(remaining=F("authorized_quantity") - F("consumed_quantity"))
        .order_by("agreement__end_date", "agreement__number", "product__sku")
    )
    rows = []
    for line in lines:
        agreement = line.agreement
        expiring = agreement.status == agreement.Status.ACTIVE and today <= agreement.end_date <= soon
        rows.append(
            [
                agreement.number,
                agreement.partner.code,
                agreement.end_customer,
                line.product.sku,
                agreement.status,
                agreement.end_date,
                line.authorized_quantity,
                line.consumed_quantity,
                line.remaining,
                f"{100 * line.consumed_quantity // max(line.authorized_quantity, 1)} %",
                _("yes") if expiring else "",
            ]
        )
    return Report(
        "utilisation",
        _("Agreement utilisation"),
        [
            _("Agreement"),
            _("Distributor"),
            _("End customer"),
            _("SKU"),
            _("Status"),
            _("Ends"),
            _("Authorised"),
            _("Consumed"),
            _("Remaining"),
            _("Used"),
            _("Expiring soon"),
        ],
        rows,
    )


REPORTS = {"aging": aging, "rejections": rejection_reasons, "leakage": leakage, "utilisation": utilisation}

CLAIM_REPORTS = ReportKind(
    key="claims.reports",
    label=gettext_lazy("Claim reports"),
    perm=Perm.CLAIM_REPORTS,
    url_name="claims:reports",
    tables=unfiltered(REPORTS),
)


def rejection_chart(report: Report) -> dict[str, Any]:
    """Lines per month, one series per code (counts: no money in the chart)."""
    months = sorted({row[1] for row in report.rows})
    codes = sorted({row[2] for row in report.rows})
    counts: dict[tuple[str, str], int] = {}
    for _partner, month, code, n in report.rows:
        counts[(month, code)] = counts.get((month, code), 0) + n
    return {
        "months": months,
        "series": [{"code": code, "counts": [counts.get((m, code), 0) for m in months]} for code in codes],
    }
