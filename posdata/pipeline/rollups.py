"""The POS and inventory rollups (``PosRollup``, ``PosDailyRollup``, ``InventoryRollup``): kept in
step with the lines and snapshots, set-based, in the transaction that adds or removes them.

* POS lines added: their sums go into both POS rollups with one ``INSERT ... SELECT ... GROUP BY
  ... ON CONFLICT DO UPDATE SET x = rollup.x + excluded.x``; lines removed (a replaced period):
  the same with the sums subtracted, then the rows left without lines are deleted. The rows are
  upserted in key order, and every key holds the partner: loads of different partners never
  touch the same rollup row, and two of the same partner take their row locks in the same order.
* Inventory snapshots: the stock at a month's last snapshot does not add up, so the partner's
  months a load or a replacement touches are recomputed from the snapshots (a few per product
  and month) and the months left without snapshots are deleted.

``rollup_differences`` recomputes everything from the lines (``manage.py pos_rollups_check``) and
``rollups_rebuild`` rewrites a tenant's rollups from them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from posdata.pipeline.sql import execute, lit

# A SELECT of POS lines with the columns partner_id, product_id, invoice_date, currency,
# transaction_type, quantity, amount (the lines being added or removed).
POS_SOURCE_COLUMNS = "partner_id, product_id, invoice_date, currency, transaction_type, quantity, amount"


def _pos_upsert_sql(tenant_id: int, source: str, sign: int) -> str:
    """One statement: the lines of ``source`` (a CTE name or a parenthesised SELECT with alias)
    added to (sign 1) or subtracted from (sign -1) both POS rollups, in key order."""
    t = int(tenant_id)
    s = int(sign)
    monthly = f"""
      INSERT INTO posdata_posrollup AS r (tenant_id, partner_id, product_id, month, currency, transaction_type,
                                          quantity, sold_units, returned_units, amount, lines)
      SELECT {t}, partner_id, product_id, date_trunc('month', invoice_date)::date AS m, currency, transaction_type,
             {s} * sum(quantity), {s} * coalesce(sum(quantity) FILTER (WHERE quantity > 0), 0),
             {s} * coalesce(-sum(quantity) FILTER (WHERE quantity < 0), 0), {s} * sum(amount), {s} * count(*)
      FROM src GROUP BY partner_id, product_id, m, currency, transaction_type
      ORDER BY partner_id, product_id, m, currency, transaction_type
      ON CONFLICT (tenant_id, partner_id, product_id, month, currency, transaction_type) DO UPDATE SET
        quantity = r.quantity + excluded.quantity, sold_units = r.sold_units + excluded.sold_units,
        returned_units = r.returned_units + excluded.returned_units, amount = r.amount + excluded.amount,
        lines = r.lines + excluded.lines"""
    daily = f"""
      INSERT INTO posdata_posdailyrollup AS r (tenant_id, partner_id, day, currency, quantity, amount, lines)
      SELECT {t}, partner_id, invoice_date, currency, {s} * sum(quantity), {s} * sum(amount), {s} * count(*)
      FROM src GROUP BY partner_id, invoice_date, currency ORDER BY partner_id, invoice_date, currency
      ON CONFLICT (tenant_id, partner_id, day, currency) DO UPDATE SET
        quantity = r.quantity + excluded.quantity, amount = r.amount + excluded.amount,
        lines = r.lines + excluded.lines"""
    return (
        f"WITH src AS MATERIALIZED ({source}), monthly AS ({monthly} RETURNING 1), daily AS ({daily} RETURNING 1) "
        "SELECT count(*) FROM src"
    )


def pos_rollups_add(tenant_id: int, source: str) -> int:
    """Add the lines a SELECT returns (columns ``POS_SOURCE_COLUMNS``) to the POS rollups;
    returns how many."""
    return int(execute(_pos_upsert_sql(tenant_id, source, 1))[0][0])


def pos_lines_delete(tenant_id: int, partner_id: int, start: datetime.date, end: datetime.date) -> int:
    """Delete a partner's lines of a period and subtract them from the POS rollups (one
    statement), then drop the rollup rows left without lines. Returns the lines deleted."""
    t, p = int(tenant_id), int(partner_id)
    deleted = f"""DELETE FROM posdata_posline WHERE tenant_id = {t} AND partner_id = {p}
                  AND invoice_date BETWEEN {lit(start)}::date AND {lit(end)}::date
                  RETURNING {POS_SOURCE_COLUMNS}"""
    ((count,),) = execute(_pos_upsert_sql(t, deleted, -1))
    execute(
        f"""DELETE FROM posdata_posrollup WHERE tenant_id = {t} AND partner_id = {p} AND lines = 0
            AND month BETWEEN date_trunc('month', {lit(start)}::date)::date AND {lit(end)}::date"""
    )
    execute(
        f"""DELETE FROM posdata_posdailyrollup WHERE tenant_id = {t} AND partner_id = {p} AND lines = 0
            AND day BETWEEN {lit(start)}::date AND {lit(end)}::date"""
    )
    return int(count)


# --- Inventory ------------------------------------------------------------------------------------


_INVENTORY_SELECT = """
    SELECT s.partner_id, s.product_id, date_trunc('month', s.snapshot_date)::date AS month,
           sum(s.received) AS received, sum(s.sold) AS sold, sum(s.returned) AS returned,
           count(*) AS snapshots, max(s.snapshot_date) AS last_snapshot_date,
           (array_agg(s.on_hand ORDER BY s.snapshot_date DESC))[1] AS on_hand_end
    FROM posdata_inventorysnapshot s"""
_INVENTORY_COLUMNS = (
    "partner_id, product_id, month, received, sold, returned, snapshots, last_snapshot_date, on_hand_end"
)


def inventory_months_refresh(tenant_id: int, partner_id: int, months: str) -> None:
    """Recompute the partner's inventory rollup for the months a SELECT returns (one ``month``
    column of first days), then delete its rows of those months without snapshots left."""
    t, p = int(tenant_id), int(partner_id)
    execute(
        f"""
        INSERT INTO posdata_inventoryrollup AS r (tenant_id, {_INVENTORY_COLUMNS})
        SELECT {t}, * FROM (
          {_INVENTORY_SELECT}
          WHERE s.tenant_id = {t} AND s.partner_id = {p}
            AND s.snapshot_date >= (SELECT min(m) FROM ({months}) x(m))
            AND s.snapshot_date < (SELECT max(m) + interval '1 month' FROM ({months}) x(m))
            AND date_trunc('month', s.snapshot_date)::date IN ({months})
          GROUP BY s.partner_id, s.product_id, month
          ORDER BY s.product_id, month) x
        ON CONFLICT (tenant_id, partner_id, product_id, month) DO UPDATE SET
          received = excluded.received, sold = excluded.sold, returned = excluded.returned,
          snapshots = excluded.snapshots, last_snapshot_date = excluded.last_snapshot_date,
          on_hand_end = excluded.on_hand_end
        """
    )
    execute(
        f"""
        DELETE FROM posdata_inventoryrollup r
        WHERE r.tenant_id = {t} AND r.partner_id = {p} AND r.month IN ({months})
          AND NOT EXISTS (
            SELECT 1 FROM posdata_inventorysnapshot s
            WHERE s.tenant_id = {t} AND s.partner_id = {p} AND s.product_id = r.product_id
              AND s.snapshot_date >= r.month AND s.snapshot_date < r.month + interval '1 month')
        """
    )


def period_months(start: datetime.date, end: datetime.date) -> str:
    """A SELECT of the first days of the months from ``start`` to ``end``."""
    return (
        f"SELECT generate_series(date_trunc('month', {lit(start)}::date), {lit(end)}::date, "
        "interval '1 month')::date"
    )


# --- Check and rebuild ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    table: str
    key: tuple[Any, ...]
    stored: str | None  # the stored values; None: a row missing from the rollup
    recomputed: str | None  # the values from the lines; None: a rollup row without lines

    def __str__(self) -> str:
        key = " ".join(str(k) for k in self.key)
        return f"{self.table} [{key}]: stored {self.stored or 'nothing'}, from the lines {self.recomputed or 'nothing'}"


_CHECKS = {
    "posdata_posrollup": (
        ("partner_id", "product_id", "month", "currency", "transaction_type"),
        ("quantity", "sold_units", "returned_units", "amount", "lines"),
        """SELECT partner_id, product_id, date_trunc('month', invoice_date)::date AS month, currency,
                  transaction_type, sum(quantity) AS quantity,
                  coalesce(sum(quantity) FILTER (WHERE quantity > 0), 0) AS sold_units,
                  coalesce(-sum(quantity) FILTER (WHERE quantity < 0), 0) AS returned_units,
                  sum(amount) AS amount, count(*) AS lines
           FROM posdata_posline WHERE tenant_id = {t}
           GROUP BY partner_id, product_id, month, currency, transaction_type""",
    ),
    "posdata_posdailyrollup": (
        ("partner_id", "day", "currency"),
        ("quantity", "amount", "lines"),
        """SELECT partner_id, invoice_date AS day, currency, sum(quantity) AS quantity, sum(amount) AS amount,
                  count(*) AS lines
           FROM posdata_posline WHERE tenant_id = {t} GROUP BY partner_id, invoice_date, currency""",
    ),
    "posdata_inventoryrollup": (
        ("partner_id", "product_id", "month"),
        ("received", "sold", "returned", "snapshots", "last_snapshot_date", "on_hand_end"),
        _INVENTORY_SELECT + " WHERE s.tenant_id = {t} GROUP BY s.partner_id, s.product_id, month",
    ),
}


def rollup_differences(tenant_id: int, limit: int = 1000) -> list[Difference]:
    """Every rollup row that differs from the lines (or snapshots) recomputed, one query per
    rollup table; at most ``limit`` per table."""
    t = int(tenant_id)
    found: list[Difference] = []
    for table, (keys, values, recompute) in _CHECKS.items():
        cols = ", ".join((*keys, *values))
        stored_values = ", ".join(f"s.{v}" for v in values)
        fresh_values = ", ".join(f"c.{v}" for v in values)
        rows = execute(
            f"""
            SELECT {", ".join(f"coalesce(s.{k}, c.{k})" for k in keys)},
                   s.present, ROW({stored_values})::text, c.present, ROW({fresh_values})::text
            FROM (SELECT {cols}, true AS present FROM {table} WHERE tenant_id = {t}) s
            FULL JOIN (SELECT *, true AS present FROM ({recompute.format(t=t)}) x) c
              ON {" AND ".join(f"s.{k} = c.{k}" for k in keys)}
            WHERE s.present IS NULL OR c.present IS NULL OR ROW({stored_values}) IS DISTINCT FROM ROW({fresh_values})
            ORDER BY {", ".join(str(n + 1) for n in range(len(keys)))}
            LIMIT {int(limit)}
            """
        )
        for row in rows:
            key, (has_stored, stored, has_fresh, fresh) = row[: len(keys)], row[len(keys) :]
            found.append(
                Difference(
                    table=table,
                    key=tuple(key),
                    stored=stored if has_stored else None,
                    recomputed=fresh if has_fresh else None,
                )
            )
    return found


def rollups_rebuild(tenant_id: int) -> None:
    """Rewrite the tenant's rollups from its lines and snapshots (set-based, one statement per
    table; run it in a transaction with the tenant's lines lock held, as the check command does).
    Rows are written in time order, as loads leave them: a period's rows then sit on few pages and
    a dashboard's month range reads those pages, not the whole history's."""
    t = int(tenant_id)
    for table in _CHECKS:
        execute(f"DELETE FROM {table} WHERE tenant_id = {t}")
    execute(
        f"""INSERT INTO posdata_posrollup (tenant_id, partner_id, product_id, month, currency, transaction_type,
                                           quantity, sold_units, returned_units, amount, lines)
            SELECT {t}, * FROM ({_CHECKS["posdata_posrollup"][2].format(t=t)}) c ORDER BY c.month"""
    )
    execute(
        f"""INSERT INTO posdata_posdailyrollup (tenant_id, partner_id, day, currency, quantity, amount, lines)
            SELECT {t}, * FROM ({_CHECKS["posdata_posdailyrollup"][2].format(t=t)}) c ORDER BY c.day"""
    )
    execute(
        f"""INSERT INTO posdata_inventoryrollup (tenant_id, {_INVENTORY_COLUMNS})
            SELECT {t}, * FROM ({_CHECKS["posdata_inventoryrollup"][2].format(t=t)}) c ORDER BY c.month"""
    )
