"""Remittance statements: the PDF a partner receives for a payment, with the tenant's branding,
the batch, every line grouped by source with its references, totals per source and the total in
the payment currency. Rendered in the background once a payment is marked paid; partners download
theirs from the portal and are notified."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from prm.accounts.models import Membership
from prm.files import store_bytes
from prm.finance.models import PayoutPayment
from prm.finance.registry import source_label
from prm.lib.money import quantize_money
from prm.notifications.services import notify
from prm.pdf import render_pdf
from prm.roles import Role
from prm.tenancy.context import require_tenant


def statement_context(payment: PayoutPayment) -> dict[str, Any]:
    """What the statement shows: lines grouped by source, with subtotals in the payment currency."""
    groups: dict[str, dict[str, Any]] = defaultdict(lambda: {"lines": [], "total": Decimal("0")})
    lines = payment.lines.select_related("payable").order_by(
        "payable__source_type", "payable__source_id", "pk"
    )
    for line in lines.iterator(chunk_size=2000):
        group = groups[line.payable.source_type]
        group["lines"].append(line)
        group["total"] += line.payment_amount
    sources = [
        {
            "label": source_label(kind),
            "lines": g["lines"],
            "total": quantize_money(g["total"], payment.currency),
        }
        for kind, g in sorted(groups.items())
    ]
    return {
        "tenant": require_tenant(),
        "payment": payment,
        "batch": payment.batch,
        "partner": payment.partner,
        "sources": sources,
        "total": quantize_money(payment.amount, payment.currency),
    }


def statement_html(payment: PayoutPayment) -> str:
    return render_to_string("finance/pdf/remittance.html", statement_context(payment))


def remittance_pdf(payment: PayoutPayment) -> bytes:
    return render_pdf(statement_html(payment))


def remittance_statements_render(payment_ids: Iterable[int]) -> int:
    """Render and store the statements of paid payments that have none yet (a re-run renders
    nothing twice), and tell the partners' admins. Returns how many were rendered."""
    rendered = 0
    payments = PayoutPayment.objects.select_related("batch", "partner").filter(
        pk__in=list(payment_ids), status=PayoutPayment.Status.PAID, statement_path=""
    )
    for payment in payments:
        pdf = remittance_pdf(payment)  # slow: outside any transaction
        # Named after the payment: a run killed before it recorded the file leaves no orphan.
        path, digest = store_bytes(pdf, area="remittances", suffix=".pdf", name=f"payment-{payment.pk}")
        with transaction.atomic():
            updated = PayoutPayment.objects.filter(pk=payment.pk, statement_path="").update(
                statement_path=path, statement_sha256=digest
            )
            if not updated:
                continue
            rendered += 1
            admins = Membership.objects.select_related("user").filter(
                partner_id=payment.partner_id, role=Role.PARTNER_ADMIN, is_active=True
            )
            notify(
                recipients=[m.user for m in admins],
                verb="remittance.ready",
                message=lambda payment=payment: (
                    _("Your remittance statement for %(batch)s (reference %(ref)s) is ready.")
                    % {"batch": payment.batch.reference, "ref": payment.payment_reference}
                ),
                url=reverse("finance:remittance_download", kwargs={"pk": payment.pk}),
            )
    return rendered
