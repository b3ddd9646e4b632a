"""Stock-out alerts: after a load, the partner's people and account managers hear about the
products whose weeks of supply dropped under the partner's threshold. Once per crossing: the
state of each product (``StockoutAlert.below``) changes only when the load takes it across the
threshold, and only a change to "below" alerts. Set-based: one statement judges every product
the load touched; the threshold itself is vendor-managed (``stockout_threshold_set``)."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partners.models import Partner
from partners.selectors import partner_admins, partner_staff_recipients
from posdata import pipeline
from posdata.models import StockoutThreshold
from posdata.selectors import STOCKOUT_RISK_WEEKS, TRAILING_WEEKS
from posdata.services.common import check_partner
from prm.audit.services import audit
from prm.catalog.models import Product
from prm.notifications.services import notify
from prm.roles import Perm, membership_has
from prm.workflow import DomainError, require

SKUS_IN_MESSAGE = 5

# Weeks of supply = on hand / (net units sold in the trailing 13 weeks / 13), as on the inventory
# page (DOMAIN.md). Without net sales it is undefined: then only an empty shelf counts as under.
# The comparison is exact (on hand x 13 < threshold x sold); the stored figure is rounded.
JUDGE_SQL = """
WITH touched AS ({products}),
latest AS (
  SELECT t.product_id, s.snapshot_date, s.on_hand
  FROM touched t
  CROSS JOIN LATERAL (
    SELECT s.snapshot_date, s.on_hand FROM posdata_inventorysnapshot s
    WHERE s.tenant_id = %(tenant)s AND s.partner_id = %(partner)s AND s.product_id = t.product_id
    ORDER BY s.snapshot_date DESC LIMIT 1) s
),
measured AS (
  SELECT l.product_id, l.snapshot_date, l.on_hand,
         (SELECT coalesce(sum(pl.quantity), 0) FROM posdata_posline pl
           WHERE pl.tenant_id = %(tenant)s AND pl.partner_id = %(partner)s AND pl.product_id = l.product_id
             AND pl.invoice_date > l.snapshot_date - %(days)s AND pl.invoice_date <= l.snapshot_date) AS sold
  FROM latest l
),
limit_weeks AS (
  SELECT coalesce(
    (SELECT weeks FROM posdata_stockoutthreshold WHERE tenant_id = %(tenant)s AND partner_id = %(partner)s),
    %(default)s) AS weeks
)
INSERT INTO posdata_stockoutalert
  (tenant_id, partner_id, product_id, below, weeks_of_supply, threshold, snapshot_date, changed_at)
SELECT %(tenant)s, %(partner)s, m.product_id,
       CASE WHEN m.sold > 0 THEN m.on_hand * %(weeks)s < w.weeks * m.sold ELSE m.on_hand <= 0 END,
       CASE WHEN m.sold > 0 THEN round(m.on_hand * %(weeks)s::numeric / m.sold, 1) END,
       w.weeks, m.snapshot_date, now()
FROM measured m CROSS JOIN limit_weeks w
ON CONFLICT (tenant_id, partner_id, product_id) DO UPDATE
  SET below = EXCLUDED.below, weeks_of_supply = EXCLUDED.weeks_of_supply, threshold = EXCLUDED.threshold,
      snapshot_date = EXCLUDED.snapshot_date, changed_at = EXCLUDED.changed_at
  WHERE posdata_stockoutalert.below IS DISTINCT FROM EXCLUDED.below
RETURNING product_id, below, weeks_of_supply, threshold
"""


def stockout_alerts_after_load(*, partner: Partner, norm: str) -> list[int]:
    """Judge the products of a load's good rows (``norm``: the pass's normalised table) against
    the partner's threshold and alert about those that went under. Call inside the load's
    transaction: the alert state and the notification commit with the lines. Returns the ids of
    the products that crossed under."""
    with connection.cursor() as cursor:
        cursor.execute(
            JUDGE_SQL.format(products=pipeline.good_products(norm)),
            {
                "tenant": partner.tenant_id,
                "partner": partner.pk,
                "days": TRAILING_WEEKS * 7,
                "weeks": TRAILING_WEEKS,
                "default": STOCKOUT_RISK_WEEKS,
            },
        )
        crossed = [(product_id, wos, limit) for product_id, below, wos, limit in cursor.fetchall() if below]
    if crossed:
        _notify(partner, crossed)
    return [product_id for product_id, _wos, _limit in crossed]


def _notify(partner: Partner, crossed: list[tuple[int, Decimal | None, Decimal]]) -> None:
    skus = dict(Product.objects.filter(pk__in=[c[0] for c in crossed]).values_list("pk", "sku"))
    named = sorted(
        f"{skus.get(pk, pk)} ({wos if wos is not None else _('out of stock')})" for pk, wos, _limit in crossed
    )
    shown = ", ".join(named[:SKUS_IN_MESSAGE]) + (" …" if len(named) > SKUS_IN_MESSAGE else "")

    def message() -> str:
        return ngettext(
            "%(partner)s: %(n)d product dropped under %(weeks)s weeks of supply after the last file: %(skus)s",
            "%(partner)s: %(n)d products dropped under %(weeks)s weeks of supply after the last file: %(skus)s",
            len(crossed),
        ) % {"partner": partner.code, "n": len(crossed), "weeks": crossed[0][2], "skus": shown}

    notify(
        recipients=[*partner_admins(partner), *partner_staff_recipients(partner)],
        verb="pos.stockout_risk",
        message=message,
        url=f"{reverse('posdata:inventory')}?partner={partner.pk}",
    )


def stockout_threshold_set(*, partner: Partner, weeks: Decimal, acting_membership) -> StockoutThreshold:
    """Set the weeks of supply under which the partner's products alert (vendor staff who
    manage POS data; audited). The products' state is judged against it from the next load on."""
    require(acting_membership.is_staff_member and membership_has(acting_membership, Perm.POS_MANAGE))
    check_partner(acting_membership, partner)
    if weeks < 0 or weeks != weeks.quantize(Decimal("0.1")):
        raise DomainError(_("Give the weeks of supply as a number of at most one decimal, zero or more."))
    with transaction.atomic():
        current = StockoutThreshold.objects.select_for_update().filter(partner=partner).first()
        before = {"weeks": str(current.weeks) if current else None}
        threshold, _created = StockoutThreshold.objects.update_or_create(
            partner=partner, defaults={"weeks": weeks, "updated_by": acting_membership.user}
        )
        audit(
            actor=acting_membership.user,
            action="pos.stockout_threshold",
            obj=threshold,
            before=before,
            after={"weeks": str(weeks), "partner": partner.code},
        )
    return threshold
