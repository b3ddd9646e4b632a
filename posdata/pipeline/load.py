"""Loading: normalise and validate every staged row in one set-based statement, keep the bad rows
with line, column, code and message, and move the good ones into their table with one
INSERT ... ON CONFLICT DO NOTHING (a line already loaded counts as a duplicate)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from posdata.models import Kind, RejectedRow
from posdata.pipeline.rollups import (
    POS_SOURCE_COLUMNS,
    inventory_months_refresh,
    period_months,
    pos_lines_delete,
    pos_rollups_add,
)
from posdata.pipeline.sql import Run, execute, ident, lit, messages_sql, normalise_sql
from posdata.pipeline.stage import drop_table
from posdata.watermark import hold_lines_lock
from prm.tenancy.rls import policy_sql


def _moving_into(transitions: Mapping[Any, Collection[Any]], target: str) -> str:
    """A WHERE clause's list of the states the transition table lets rows move from into
    ``target``: a set-based update checks its transition like a service does for one row."""
    return "(" + ", ".join(lit(str(s)) for s, allowed in transitions.items() if target in allowed) + ")"


def normalise(run: Run) -> None:
    """Build the normalised table: parsed values, resolved product, converted quantity and the
    list of problems of each row (empty for a good row)."""
    if Kind(run.kind) == Kind.POS and ("invoice_line" in run.mapping or run.all_fields):
        run.needs_position = execute(
            f"SELECT EXISTS (SELECT 1 FROM {ident(run.stage)} WHERE nullif(btrim(invoice_line), '') IS NULL)"
        )[0][0]
    statement = normalise_sql(run)
    drop_table(run.norm)
    with transaction.atomic():
        # Transaction-local: behind a transaction pooler a session setting would stay with the
        # server connection and follow another client.
        execute("SET LOCAL work_mem = '256MB'")
        execute(statement)
        for policy in policy_sql(run.norm):
            execute(policy)


def count_rejected(norm: str) -> int:
    return execute(f"SELECT count(*) FROM {ident(norm)} WHERE cardinality(errs) > 0")[0][0]


def usual_currency(norm: str) -> str | None:
    """The currency most good rows of a normalised POS table carry (None without good rows)."""
    found = execute(
        f"SELECT cur FROM {ident(norm)} WHERE cardinality(errs) = 0 GROUP BY cur ORDER BY count(*) DESC LIMIT 1"
    )
    return found[0][0] if found else None


# --- Rejected rows ------------------------------------------------------------------------------------


def insert_rejected(run: Run) -> int:
    """Keep every bad row of a file (first load) with its problems and values."""
    return execute(
        f"""
        INSERT INTO posdata_rejectedrow
          (tenant_id, upload_id, partner_id, line, code, errors, data, unknown_product, product_key, resolution)
        SELECT tenant_id, upload_id, {run.partner_id}, line, split_part(errs[1], ':', 1), {messages_sql(run)}, data,
               unknown, CASE WHEN unknown THEN left(coalesce(data ->> 'partner_sku', data ->> 'sku', data ->> 'gtin', ''), 64)
                             ELSE '' END, ''
        FROM (SELECT n.*,
                     EXISTS (SELECT 1 FROM unnest(errs) e WHERE e LIKE 'UNKNOWN_PRODUCT%') AS unknown
              FROM {ident(run.norm)} n WHERE cardinality(errs) > 0 AND ref IS NULL) x
        """
    )


def update_rejected(run: Run) -> None:
    """Re-processed rows that still fail: record their current problems."""
    execute(
        f"""
        UPDATE posdata_rejectedrow r
        SET code = split_part(x.errs[1], ':', 1), errors = x.msgs, unknown_product = x.unknown
        FROM (SELECT n.ref, n.errs, {messages_sql(run)} AS msgs,
                     EXISTS (SELECT 1 FROM unnest(errs) e WHERE e LIKE 'UNKNOWN_PRODUCT%') AS unknown
              FROM {ident(run.norm)} n
              WHERE cardinality(n.errs) > 0 AND n.ref IS NOT NULL) x
        WHERE r.tenant_id = {run.tenant_id} AND r.id = x.ref
        """
    )


def first_errors(upload_id: int, limit: int) -> list[dict[str, Any]]:
    """The upload's problems in file order (line, then column order of the checks)."""
    rows = execute(
        f"""
        SELECT r.line, e ->> 'column', e ->> 'code', e ->> 'message'
        FROM posdata_rejectedrow r, jsonb_array_elements(r.errors) WITH ORDINALITY x(e, o)
        WHERE r.upload_id = {int(upload_id)} ORDER BY r.line, o LIMIT {int(limit)}
        """
    )
    return [
        {"line": line, "column": column, "code": code, "message": message}
        for line, column, code, message in rows
    ]


# --- Move good rows -----------------------------------------------------------------------------------


def delete_period(run: Run) -> int:
    """Delete the partner's lines (or snapshots) of the replaced period, and take them out of the
    rollups in the same transaction."""
    # A watermark or a rollup rebuild taken meanwhile waits for this commit.
    hold_lines_lock(run.tenant_id)
    if Kind(run.kind) == Kind.INVENTORY:
        deleted = execute(
            f"""DELETE FROM posdata_inventorysnapshot WHERE tenant_id = {run.tenant_id}
                AND partner_id = {run.partner_id}
                AND snapshot_date BETWEEN {lit(run.replace_start)}::date AND {lit(run.replace_end)}::date"""
        )
        inventory_months_refresh(
            run.tenant_id, run.partner_id, period_months(run.replace_start, run.replace_end)
        )
        return deleted
    return pos_lines_delete(run.tenant_id, run.partner_id, run.replace_start, run.replace_end)


@dataclass
class Moved:
    """What one move of good rows loaded."""

    good: int  # rows without problems (loaded + duplicates)
    loaded: int
    quantity: int
    amounts: dict[str, Decimal]  # loaded amount per currency (POS)
    # SELECT of the loaded POS lines as fx_cur, fx_day, fx_amount, fx_line: the source of
    # converted totals (empty for inventory).
    lines: str = ""

    @property
    def amount(self) -> Decimal:
        """The loaded amount when the lines share one currency."""
        return sum(self.amounts.values(), Decimal("0"))


def _totals(lines: str) -> tuple[int, dict[str, Decimal]]:
    """(quantity, amount per currency) of the loaded lines, in one pass."""
    rows = execute(
        f"SELECT fx_cur, sum(fx_amount), coalesce(sum(fx_qty), 0) FROM ({lines}) l GROUP BY fx_cur ORDER BY fx_cur"
    )
    return sum(int(q) for _c, _a, q in rows), {currency: Decimal(amount) for currency, amount, _q in rows}


def _upload_ids(run: Run) -> str:
    rows = execute(f"SELECT DISTINCT upload_id FROM {ident(run.norm)}")
    return ", ".join(str(int(row[0])) for row in rows) or "0"


def move_good_rows(run: Run) -> Moved:
    """One INSERT ... SELECT ... ON CONFLICT DO NOTHING of the good rows, with their totals.
    A line already loaded (also earlier in the same file) is skipped and counts as a duplicate."""
    inventory = Kind(run.kind) == Kind.INVENTORY
    if inventory:
        insert = f"""
          INSERT INTO posdata_inventorysnapshot
            (tenant_id, partner_id, upload_id, snapshot_date, product_id, on_hand, on_order, in_transit,
             received, sold, returned, source_line)
          SELECT tenant_id, {run.partner_id}, upload_id, d_snapshot_date, product_id, q_on_hand::int,
                 coalesce(q_on_order, 0)::int, coalesce(q_in_transit, 0)::int, q_received::int, q_sold::int,
                 q_returned::int, line
          FROM {ident(run.norm)} WHERE cardinality(errs) = 0
          ON CONFLICT (tenant_id, partner_id, product_id, snapshot_date) DO NOTHING
          RETURNING upload_id, source_line, on_hand AS quantity"""
    else:
        insert = f"""
          INSERT INTO posdata_posline
            (tenant_id, partner_id, upload_id, invoice_number, invoice_line, invoice_date, product_id, partner_sku,
             quantity, unit_of_measure, unit_price, amount, currency, end_customer, country, postal_code,
             transaction_type, agreement_number, source_line)
          SELECT tenant_id, {run.partner_id}, upload_id, invoice_number, inv_line, d_invoice_date, product_id,
                 partner_sku, q_base::int, uom, unit_price_base, amt, cur, end_customer, country, postal_code,
                 tx_type, agreement_number, line
          FROM {ident(run.norm)} WHERE cardinality(errs) = 0
          ON CONFLICT (tenant_id, partner_id, invoice_number, invoice_line) DO NOTHING
          RETURNING upload_id, source_line, quantity"""
    # A watermark or a rollup rebuild taken meanwhile waits for this commit (inventory too: the
    # rebuild rewrites its rollup).
    hold_lines_lock(run.tenant_id)
    ((good,),) = execute(f"SELECT count(*) FROM {ident(run.norm)} WHERE cardinality(errs) = 0")
    reprocess = execute(f"SELECT EXISTS (SELECT 1 FROM {ident(run.norm)} WHERE ref IS NOT NULL)")[0][0]
    posline_columns = (
        "p.currency AS fx_cur, p.invoice_date AS fx_day, p.amount AS fx_amount, p.source_line AS fx_line, "
        "p.quantity AS fx_qty"
    )
    if reprocess:
        loaded_from = _moving_into(RejectedRow.TRANSITIONS, RejectedRow.Resolution.LOADED)
        duplicate_from = _moving_into(RejectedRow.TRANSITIONS, RejectedRow.Resolution.DUPLICATE)
        # The kept rows' resolution changes set-based: only rows RejectedRow.TRANSITIONS lets move
        # (open ones) are marked loaded or duplicate; a row resolved meanwhile keeps its resolution.
        ((loaded, quantity),) = execute(
            f"""
            WITH ins AS ({insert}),
            upd AS (
              UPDATE posdata_rejectedrow r SET resolution = {lit(RejectedRow.Resolution.LOADED.value)},
                     resolved_at = now()
              FROM ins, {ident(run.norm)} n
              WHERE n.upload_id = ins.upload_id AND n.line = ins.source_line
                AND r.tenant_id = {run.tenant_id} AND r.id = n.ref AND r.resolution IN {loaded_from}
              RETURNING r.id)
            SELECT count(*), coalesce(sum(quantity), 0) FROM ins
            """
        )
        execute(
            f"""UPDATE posdata_rejectedrow r SET resolution = {lit(RejectedRow.Resolution.DUPLICATE.value)},
                       resolved_at = now()
                FROM {ident(run.norm)} n
                WHERE r.tenant_id = {run.tenant_id} AND r.id = n.ref AND cardinality(n.errs) = 0
                  AND r.resolution IN {duplicate_from}"""
        )
        if inventory:
            _refresh_inventory(run)
            return Moved(good=good, loaded=loaded, quantity=int(quantity), amounts={})
        # The lines this pass loaded: kept rows come back with their upload and line.
        loaded_join = f"""FROM posdata_posline p JOIN {ident(run.norm)} n
                    ON p.tenant_id = {run.tenant_id} AND p.partner_id = {run.partner_id}
                       AND p.upload_id = n.upload_id AND p.source_line = n.line
                    WHERE n.ref IS NOT NULL AND cardinality(n.errs) = 0"""
        lines = f"SELECT {posline_columns} {loaded_join}"
        pos_rollups_add(run.tenant_id, f"SELECT {_ROLLUP_COLUMNS} {loaded_join}")
        return Moved(good=good, loaded=loaded, quantity=int(quantity), amounts=_totals(lines)[1], lines=lines)
    # A first load has one upload id: insert without RETURNING (cheaper for millions of rows),
    # then total what was inserted: from the good rows when none was a duplicate, else from the
    # loaded rows of this upload.
    loaded = execute(insert.rsplit("RETURNING", 1)[0])
    if inventory:
        source = (
            f"{ident(run.norm)} WHERE cardinality(errs) = 0"
            if loaded == good
            else f"posdata_inventorysnapshot WHERE tenant_id = {run.tenant_id} AND upload_id IN ({_upload_ids(run)})"
        )
        column = "q_on_hand" if loaded == good else "on_hand"
        ((quantity,),) = execute(f"SELECT coalesce(sum({column}), 0) FROM {source}")
        _refresh_inventory(run)
        return Moved(good=good, loaded=loaded, quantity=int(quantity), amounts={})
    if loaded == good:
        lines = f"""SELECT cur AS fx_cur, d_invoice_date AS fx_day, amt AS fx_amount, line AS fx_line,
                           q_base AS fx_qty
                    FROM {ident(run.norm)} WHERE cardinality(errs) = 0"""
        # Every good row went in: the rollups take them from the normalised table, as inserted.
        added = f"""SELECT {run.partner_id} AS partner_id, product_id, d_invoice_date AS invoice_date,
                           cur AS currency, tx_type AS transaction_type, q_base::int AS quantity, amt AS amount
                    FROM {ident(run.norm)} WHERE cardinality(errs) = 0"""
    else:
        loaded_from = f"""FROM posdata_posline p
                    WHERE p.tenant_id = {run.tenant_id} AND p.upload_id IN ({_upload_ids(run)})"""
        lines = f"SELECT {posline_columns} {loaded_from}"
        added = f"SELECT {_ROLLUP_COLUMNS} {loaded_from}"
    pos_rollups_add(run.tenant_id, added)
    quantity, amounts = _totals(lines)
    return Moved(good=good, loaded=loaded, quantity=quantity, amounts=amounts, lines=lines)


_ROLLUP_COLUMNS = ", ".join(f"p.{c}" for c in POS_SOURCE_COLUMNS.split(", "))


def _refresh_inventory(run: Run) -> None:
    """The partner's inventory rollup of the months the good rows fall in, recomputed."""
    inventory_months_refresh(
        run.tenant_id,
        run.partner_id,
        f"SELECT DISTINCT date_trunc('month', d_snapshot_date)::date FROM {ident(run.norm)} "
        "WHERE cardinality(errs) = 0",
    )


def loaded_lines_by_day(lines: str) -> str:
    """The loaded lines summed per currency and day (with their first line): what a conversion
    looks rates up for, once per distinct pair and day."""
    return f"""SELECT fx_cur, fx_day, sum(fx_amount) AS fx_amount, min(fx_line) AS fx_line
               FROM ({lines}) l GROUP BY fx_cur, fx_day"""


def good_products(norm: str) -> str:
    """SELECT of the distinct products of a pass's good rows (what a load may have changed the
    stock or the sales of): the stock-out check after a load looks at these only."""
    return f"SELECT DISTINCT product_id FROM {ident(norm)} WHERE cardinality(errs) = 0 AND product_id IS NOT NULL"
