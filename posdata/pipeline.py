"""The loader: stream a partner file into an UNLOGGED staging table with COPY, infer the date
and number formats of each column from its values, normalise and validate every row in one
set-based statement, keep the bad rows with line, column, code and message, and move the good
ones into their table with one INSERT ... ON CONFLICT DO NOTHING.

Everything here runs on Django's own connection (psycopg 3), inside the tenant context, so
row-level security applies to the staging tables as to every other tenant table. The staging
tables live in the staging schema (prm/jobs/staging.py names and sweeps them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from psycopg import sql as pgsql

from posdata.fields import PRODUCT_IDENTIFIERS, field_names
from posdata.models import Kind, StagingRow
from posdata.reader import FileLayout, _open_text
from prm.files import MAX_COLUMNS, UploadRejected, iter_csv_records, iter_xlsx_rows
from prm.tenancy.rls import policy_sql

STAGE_FIELDS = [
    f.column
    for f in StagingRow._meta.fields
    if f.column not in ("id", "tenant_id", "upload_id", "line", "ref")
]
NUMBER_FIELDS = {
    Kind.POS: ("quantity", "unit_price", "extended_amount", "invoice_line"),
    Kind.INVENTORY: ("on_hand", "on_order", "in_transit", "received", "sold", "returned"),
}
DATE_FIELD = {Kind.POS: "invoice_date", Kind.INVENTORY: "snapshot_date"}
QUANTITY_LIMIT = 2_000_000_000
COPY_CHUNK_ROWS = 250_000
AMOUNT_LIMIT = 10**13

EACH_UNITS = (
    "EA", "EACH", "EA.", "PC", "PCS", "PCE", "PIECE", "PIECES", "UNIT", "UNITS", "UN", "U", "ST", "STK",
    "STCK", "STUECK", "STÜCK", "NOS", "NO", "ITEM", "ITEMS",
)  # fmt: skip
CASE_UNITS = ("CS", "CASE", "CASES", "CA", "CTN", "CARTON", "CARTONS", "KARTON", "KT", "BX", "BOX")
DOZEN_UNITS = ("DZ", "DOZ", "DOZEN")
TRANSACTION_TYPES = {
    "sale": ("SALE", "SALES", "S", "INVOICE", "INV", "SOLD", "SHIPMENT", "SHIP"),
    "return": ("RETURN", "RETURNS", "R", "RET", "CREDIT", "CR", "CREDIT MEMO", "CREDITMEMO", "RMA", "CM"),
    "drop_ship": ("DROP SHIP", "DROPSHIP", "DROP_SHIP", "DROP-SHIP", "DS"),
    "ship_and_debit": (
        "SHIP AND DEBIT", "SHIP_AND_DEBIT", "SHIP-AND-DEBIT", "SHIP & DEBIT", "SHIP&DEBIT", "SAD", "S&D", "SD",
        "SHIP-AND-DEBIT SALE", "SHIP AND DEBIT SALE",
    ),
}  # fmt: skip
CURRENCY_SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "C$": "CAD", "CA$": "CAD"}


def lit(value: Any) -> str:
    """A SQL literal (the loader's statements carry no placeholders, so '%' stays literal)."""
    return pgsql.Literal(value).as_string(raw_connection())


def ident(name: str) -> str:
    """A quoted identifier; ``schema.table`` names (the staging tables) are quoted part by part."""
    return pgsql.Identifier(*name.split(".")).as_string(raw_connection())


def raw_connection():
    connection.ensure_connection()
    return connection.connection


def _execute(statement: str) -> Any:
    with raw_connection().cursor() as cursor:
        cursor.execute(statement.encode())
        return cursor.fetchall() if cursor.description else cursor.rowcount


@dataclass
class Summary:
    status: str = "loaded"
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    quantity_total: int = 0
    amount_total: Decimal = Decimal("0")
    replaced_rows: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


# --- Staging --------------------------------------------------------------------------------------


def create_table_like_staging(table: str) -> None:
    """A fresh UNLOGGED table with the staging columns, private to one load and dropped after it.

    PostgreSQL refuses ``COPY FROM`` into a table under row-level security, so the staging table
    has no policy: it carries ``tenant_id`` explicitly, only the job that created it reads it,
    and every row leaves it through INSERT ... SELECT into tables whose policies check the tenant.
    """
    statements = [
        f"DROP TABLE IF EXISTS {ident(table)}",
        f"CREATE UNLOGGED TABLE {ident(table)} (LIKE posdata_stagingrow INCLUDING DEFAULTS)",
        f"ALTER TABLE {ident(table)} DROP COLUMN id",
    ]
    for statement in statements:
        _execute(statement)


def drop_table(table: str) -> None:
    _execute(f"DROP TABLE IF EXISTS {ident(table)}")


def _records(
    path: Path, layout: FileLayout, progress: Callable[[float], None] | None
) -> Iterator[tuple[int, list[str]]]:
    if layout.format == "xlsx":
        for number, cells in iter_xlsx_rows(path, width=len(layout.headers) or MAX_COLUMNS):
            if number > layout.header_row:
                yield number, cells
        return
    import csv

    size = max(path.stat().st_size, 1)
    text, counter = _open_text(path, layout.encoding or "utf-8")
    try:
        header_row = layout.header_row
        count = 0
        for start, cells in iter_csv_records(text, delimiter=layout.delimiter or ","):
            if start > header_row:
                yield start, cells
                count += 1
                if progress is not None and not count % 100_000:
                    progress(counter.count / size)
    except UnicodeDecodeError as exc:
        raise UploadRejected(f"The file's text encoding could not be read: {exc}") from exc
    except csv.Error as exc:
        raise UploadRejected(f"The CSV file is malformed: {exc}") from exc
    finally:
        text.close()


def stage_file(
    *,
    table: str,
    tenant_id: int,
    upload_id: int,
    path: Path,
    layout: FileLayout,
    mapping: dict[str, str],
    kind: str,
    progress: Callable[[float], None] | None = None,
) -> int:
    """COPY the file's mapped columns (raw text) into ``table``; return the data rows read.
    Memory stays bounded: one record at a time goes from the reader into the COPY stream."""
    fields = [f for f in field_names(kind) if f in mapping]
    position = {h: i for i, h in enumerate(layout.headers)}
    indexes = [position[mapping[f]] for f in fields]
    width = max(indexes, default=0) + 1
    pick = itemgetter(*indexes) if len(indexes) > 1 else (lambda cells: (cells[indexes[0]],))
    columns = ", ".join(["tenant_id", "upload_id", "line", *fields])
    statement = f"COPY {ident(table)} ({columns}) FROM STDIN".encode()
    records = _records(path, layout, None)
    rows = 0
    size = max(path.stat().st_size, 1)
    done = False
    # One COPY per chunk: the connection is busy during a COPY, and progress is written between.
    while not done:
        done = True
        with raw_connection().cursor() as cursor, cursor.copy(statement) as copy:
            write = copy.write_row
            chunk_end = rows + COPY_CHUNK_ROWS
            for line, cells in records:
                if len(cells) >= width:
                    values = pick(cells)
                else:
                    if not any(cells):
                        continue
                    values = pick(cells + [""] * (width - len(cells)))
                if not any(values) and not any(cells):
                    continue
                write((tenant_id, upload_id, line, *values))
                rows += 1
                if rows >= chunk_end:
                    done = False
                    break
        if progress is not None:
            progress(_position(records, size))
    return rows


def _position(records, size: int) -> float:
    frame = getattr(records, "gi_frame", None)
    counter = frame.f_locals.get("counter") if frame is not None else None
    return (counter.count / size) if counter is not None else -1.0


def stage_rows(*, table: str, rows: Iterable[tuple[int, int, int, dict[str, str]]], kind: str) -> int:
    """COPY rows given as (upload id, line, ref, {field: text}) (re-processing kept rows)."""
    fields = field_names(kind)
    columns = ", ".join(["tenant_id", "upload_id", "line", "ref", *fields])
    from prm.tenancy.context import require_tenant

    tenant_id = require_tenant().pk
    count = 0
    statement = f"COPY {ident(table)} ({columns}) FROM STDIN".encode()
    with raw_connection().cursor() as cursor, cursor.copy(statement) as copy:
        for upload_id, line, ref, data in rows:
            copy.write_row((tenant_id, upload_id, line, ref, *(data.get(f) for f in fields)))
            count += 1
    return count


# --- Format inference -------------------------------------------------------------------------------


def infer_date_order(table: str, column: str, *, country: str, european_numbers: bool) -> str:
    """'dmy' or 'mdy' for a column's d/m/y-looking dates, decided from all its distinct values: a
    first part above 12 proves day-first, a second part above 12 proves month-first; ambiguous
    columns follow the separator ('.' is European), then the partner's country and number style."""
    ((first, second, dotted, _total),) = _execute(
        f"""
        SELECT count(*) FILTER (WHERE m[1]::int > 12), count(*) FILTER (WHERE m[3]::int > 12),
               count(*) FILTER (WHERE m[2] = '.'), count(m)
        FROM (SELECT regexp_match(v, '^([0-9]{{1,2}})([-/.])([0-9]{{1,2}})[-/.]([0-9]{{4}}|[0-9]{{2}})') AS m
              FROM (SELECT DISTINCT btrim({ident(column)}) AS v FROM {ident(table)}) d) x
        """
    )
    if first or second:
        return "dmy" if first >= second else "mdy"
    if dotted:
        return "dmy"
    if country.upper() in {"US", "PH", "FM", "PW", "MH"}:
        return "mdy"
    if european_numbers:
        return "dmy"
    return "mdy" if country == "" else "dmy"


def decimal_evidence(table: str, column: str) -> tuple[int, int]:
    """(values proving a decimal comma, values proving a decimal point) among the column's first
    50,000 values that contain a separator."""
    c = "translate(v, E' \\t$€£¥''' || chr(160) || chr(8239), '')"
    ((comma, point),) = _execute(
        f"""
        SELECT
          count(*) FILTER (WHERE {c} ~ '^[^.,]*[0-9],([0-9]{{1,2}}|[0-9]{{4,}})[^0-9.,]*$'
                             OR {c} ~ '[0-9]\\.[0-9]{{3}},[0-9]' OR {c} ~ '^[^0-9]*0,[0-9]'
                             OR {c} ~ '[0-9]\\.[0-9]{{3}}\\.[0-9]{{3}}'),
          count(*) FILTER (WHERE {c} ~ '^[^.,]*[0-9]\\.([0-9]{{1,2}}|[0-9]{{4,}})[^0-9.,]*$'
                             OR {c} ~ '[0-9],[0-9]{{3}}\\.[0-9]' OR {c} ~ '^[^0-9]*0\\.[0-9]'
                             OR {c} ~ '[0-9],[0-9]{{3}},[0-9]{{3}}')
        FROM (SELECT DISTINCT v FROM (
                SELECT {ident(column)} AS v FROM {ident(table)}
                WHERE strpos({ident(column)}, ',') > 0 OR strpos({ident(column)}, '.') > 0 LIMIT 50000) s) d
        """
    )
    return comma, point


def infer_formats(*, table: str, kind: str, mapping: dict[str, str], delimiter: str, country: str) -> dict:
    """Per mapped column: the decimal separator of number columns and the day/month order of the
    date column. A column without evidence follows the file's other columns."""
    evidence = {f: decimal_evidence(table, f) for f in NUMBER_FIELDS[Kind(kind)] if f in mapping}
    total_comma = sum(c for c, _p in evidence.values())
    total_point = sum(p for _c, p in evidence.values())
    file_default = (
        "," if total_comma > total_point or (total_comma == total_point and delimiter == ";") else "."
    )
    decimal: dict[str, str] = {}
    for name, (comma, point) in evidence.items():
        decimal[name] = "," if comma > point else "." if point > comma else file_default
    dates: dict[str, str] = {}
    date_field = DATE_FIELD[Kind(kind)]
    if date_field in mapping:
        dates[date_field] = infer_date_order(
            table, date_field, country=country, european_numbers=file_default == ","
        )
    if (
        file_default == "."
        and total_comma == total_point
        and dates.get(date_field) == "dmy"
        and not total_point
    ):
        # No number evidence at all: a day-first date column suggests European numbers.
        decimal = {
            name: ("," if comma == point else decimal[name]) for name, (comma, point) in evidence.items()
        }
    return {"decimal": decimal, "dates": dates}


# --- SQL building blocks -------------------------------------------------------------------------------

_N = r"([0-9]+\.?[0-9]*|\.[0-9]+)"


def _num_text(column: str, dec: str) -> str:
    s1 = f"translate({column}, E' \\t$€£¥''' || chr(160) || chr(8239), '')"
    s2 = (
        f"(CASE WHEN upper({s1}) <> lower({s1}) "
        f"THEN regexp_replace({s1}, '^[A-Za-z]{{3}}|[A-Za-z]{{3}}$', '', 'g') ELSE {s1} END)"
    )
    if dec == ",":
        return f"replace(translate({s2}, '.', ''), ',', '.')"
    return f"translate({s2}, ',', '')"


def _num_value(t: str) -> str:
    return (
        f"(CASE WHEN {t} ~ '^[+-]?{_N}$' THEN {t}::numeric "
        f"WHEN {t} ~ '^\\({_N}\\)$' THEN -(btrim({t}, '()')::numeric) "
        f"WHEN {t} ~ '^{_N}-$' THEN -(rtrim({t}, '-')::numeric) END)"
    )


def _text_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")"


def _factor_sql(uom: str, base: str, per_case: str) -> str:
    each = _text_list(EACH_UNITS)
    return (
        f"(CASE WHEN {uom} IS NULL OR {uom} = upper({base}) THEN 1 "
        f"WHEN {uom} IN {each} AND upper({base}) IN {each} THEN 1 "
        f"WHEN {uom} IN {_text_list(CASE_UNITS)} THEN {per_case} "
        f"WHEN {uom} IN {_text_list(DOZEN_UNITS)} AND upper({base}) IN {each} THEN 12 END)"
    )


def _transaction_type_sql(column: str) -> str:
    branches = " ".join(
        f"WHEN upper({column}) IN {_text_list(names)} THEN {lit(value)}"
        for value, names in TRANSACTION_TYPES.items()
    )
    return f"(CASE WHEN {column} IS NULL THEN NULL {branches} ELSE '?' END)"


def _currency_sql(column: str, default: str) -> str:
    symbols = " ".join(f"WHEN {column} = {lit(s)} THEN {lit(c)}" for s, c in CURRENCY_SYMBOLS.items())
    return (
        f"(CASE WHEN {column} IS NULL THEN {lit(default)} {symbols} "
        f"WHEN {column} ~ '^[A-Za-z]{{3}}$' THEN upper({column}) END)"
    )


def _keys_cte(tenant_id: int, partner_id: int) -> str:
    return f"""
    keys AS (
      SELECT DISTINCT ON (k, v) k, v, product_id FROM (
        SELECT 'X' AS k, upper(btrim(x.partner_sku)) AS v, x.product_id FROM posdata_skuxref x
         WHERE x.tenant_id = {tenant_id} AND x.partner_id = {partner_id}
        UNION ALL
        SELECT 'S', upper(btrim(p.sku)), p.id FROM prm_product p WHERE p.tenant_id = {tenant_id}
        UNION ALL
        SELECT 'G', ltrim(btrim(p.gtin), '0'), p.id FROM prm_product p
         WHERE p.tenant_id = {tenant_id} AND btrim(p.gtin) <> ''
      ) k ORDER BY k, v, product_id
    )"""


def _resolve_joins(alias: str) -> tuple[str, str]:
    """LEFT JOINs resolving the product (partner SKU via cross-reference, vendor SKU, GTIN, then the
    same codes given in the other column) and the coalesced product id expression."""
    joins = f"""
      LEFT JOIN keys k1 ON k1.k = 'X' AND k1.v = upper({alias}.r_partner_sku)
      LEFT JOIN keys k2 ON k2.k = 'S' AND k2.v = upper({alias}.r_sku)
      LEFT JOIN keys k3 ON k3.k = 'G' AND k3.v = ltrim({alias}.r_gtin, '0')
      LEFT JOIN keys k4 ON k4.k = 'X' AND k4.v = upper({alias}.r_sku)
      LEFT JOIN keys k5 ON k5.k = 'S' AND k5.v = upper({alias}.r_partner_sku)"""
    return joins, "coalesce(k1.product_id, k2.product_id, k3.product_id, k4.product_id, k5.product_id)"


def _first_mapped(mapping: dict[str, str], names: Iterable[str]) -> str:
    names = list(names)
    return next((n for n in names if n in mapping), names[0])


def _id_error(mapping: dict[str, str]) -> str:
    missing = lit("MISSING_FIELD:" + _first_mapped(mapping, ("sku", "partner_sku", "gtin")))
    return f"""CASE WHEN r_partner_sku IS NULL AND r_sku IS NULL AND r_gtin IS NULL THEN {missing}
             WHEN product_id IS NULL THEN 'UNKNOWN_PRODUCT:' ||
               CASE WHEN r_partner_sku IS NOT NULL THEN 'partner_sku' WHEN r_sku IS NOT NULL THEN 'sku' ELSE 'gtin' END
        END"""


def _number_error(
    name: str, *, required: bool, whole_expr: str | None = None, allow_negative: bool = True
) -> str:
    parts = []
    if required:
        parts.append(f"WHEN r_{name} IS NULL THEN 'MISSING_FIELD:{name}'")
    parts.append(f"WHEN r_{name} IS NOT NULL AND n_{name} IS NULL THEN 'INVALID_NUMBER:{name}'")
    if not allow_negative:
        parts.append(f"WHEN n_{name} < 0 THEN 'INVALID_NUMBER:{name}:negative'")
    if whole_expr:
        parts.append(
            f"WHEN {whole_expr} IS NOT NULL AND ({whole_expr} <> trunc({whole_expr}) OR abs({whole_expr}) >= {QUANTITY_LIMIT}) "
            f"THEN 'INVALID_NUMBER:{name}:whole'"
        )
    return "CASE " + " ".join(parts) + " END"


# --- Normalise + validate ---------------------------------------------------------------------------


@dataclass
class Run:
    """One pass of the loader over a staging table."""

    tenant_id: int
    partner_id: int
    kind: str
    mapping: dict[str, str]  # canonical field -> file header (for error columns)
    formats: dict
    currency: str
    stage: str
    norm: str
    replace_start: Any = None
    replace_end: Any = None
    all_fields: bool = False  # staged from kept rows: every field may carry a value
    needs_position: bool = True  # some rows have no invoice line: number them within the invoice


def normalise(run: Run) -> None:
    """Build the normalised table: parsed values, resolved product, converted quantity and the
    list of problems of each row (empty for a good row)."""
    if Kind(run.kind) == Kind.INVENTORY:
        statement = _normalise_inventory_sql(run)
    else:
        if "invoice_line" in run.mapping or run.all_fields:
            run.needs_position = _execute(
                f"SELECT EXISTS (SELECT 1 FROM {ident(run.stage)} WHERE nullif(btrim(invoice_line), '') IS NULL)"
            )[0][0]
        statement = _normalise_pos_sql(run)
    drop_table(run.norm)
    with transaction.atomic():
        # Transaction-local: behind a transaction pooler a session setting would stay with the
        # server connection and follow another client.
        _execute("SET LOCAL work_mem = '256MB'")
        _execute(statement)
        for policy in policy_sql(run.norm):
            _execute(policy)


def _raw_columns(kind: str, mapped) -> str:
    """Trimmed text of the mapped fields; NULL for the others (not evaluated per row)."""
    return ",\n".join(
        f"nullif(btrim(s.{f}), '') AS r_{f}" if f in mapped else f"NULL::text AS r_{f}"
        for f in field_names(kind)
    )


def _date_cte(run: Run, name: str) -> str:
    order = run.formats.get("dates", {}).get(name, "dmy")
    return f"""
    dates AS (
      SELECT v, posdata_date(v, {lit(order)}) AS d
      FROM (SELECT DISTINCT nullif(btrim({name}), '') AS v FROM {ident(run.stage)}) x WHERE v IS NOT NULL
    )"""


def _period_check(run: Run, date_col: str, name: str) -> str:
    if run.replace_start is None:
        return ""
    return (
        f"WHEN {date_col} NOT BETWEEN {lit(run.replace_start)}::date AND {lit(run.replace_end)}::date "
        f"THEN 'OUTSIDE_PERIOD:{name}'"
    )


def _normalise_pos_sql(run: Run) -> str:
    dec = run.formats.get("decimal", {})
    numbers = ("quantity", "unit_price", "extended_amount", "invoice_line")
    mapped = set(run.mapping)
    if run.all_fields:
        mapped = set(field_names(run.kind))
    num_texts = ",\n".join(
        f"{_num_text(f'r_{n}', dec.get(n, '.'))} AS t_{n}" if n in mapped else f"NULL::text AS t_{n}"
        for n in numbers
    )
    num_values = ",\n".join(
        f"{_num_value(f't_{n}')} AS n_{n}" if n in mapped else f"NULL::numeric AS n_{n}" for n in numbers
    )
    joins, product_expr = _resolve_joins("a")
    position = 'row_number() OVER (PARTITION BY r_invoice_number COLLATE "C" ORDER BY line)'
    if not run.needs_position:
        position = "NULL::bigint"
    return f"""
    CREATE UNLOGGED TABLE {ident(run.norm)} AS
    WITH {_keys_cte(run.tenant_id, run.partner_id)},
    {_date_cte(run, "invoice_date")},
    raw AS (
      SELECT s.tenant_id, s.upload_id, s.line, s.ref, {_raw_columns(Kind.POS, mapped)}
      FROM {ident(run.stage)} s OFFSET 0
    ),
    a AS (SELECT raw.*, {num_texts}, upper(r_unit_of_measure) AS u_uom FROM raw OFFSET 0),
    b AS (
      SELECT a.*, {num_values}, dt.d AS d_invoice_date, {product_expr} AS product_id
      FROM a LEFT JOIN dates dt ON dt.v = a.r_invoice_date {joins}
      OFFSET 0
    ),
    c AS (
      SELECT b.*, p.unit_of_measure AS base_uom,
        {_factor_sql("b.u_uom", "p.unit_of_measure", "p.units_per_case")} AS factor,
        coalesce(CASE WHEN n_invoice_line = trunc(n_invoice_line) AND n_invoice_line BETWEEN 1 AND {QUANTITY_LIMIT}
                      THEN n_invoice_line::int END, {position}) AS inv_line,
        {_currency_sql("b.r_currency", run.currency)} AS cur,
        {_transaction_type_sql("b.r_transaction_type")} AS ttype
      FROM b LEFT JOIN prm_product p ON p.tenant_id = {run.tenant_id} AND p.id = b.product_id
      OFFSET 0
    ),
    d AS (
      SELECT c.*, n_quantity * factor AS q_base,
        CASE WHEN n_extended_amount IS NOT NULL THEN abs(n_extended_amount) * sign(n_quantity)
             ELSE n_quantity * n_unit_price END AS amt
      FROM c OFFSET 0
    )
    , e AS (SELECT d.*,
      CASE WHEN n_unit_price IS NOT NULL AND factor > 0 THEN round(n_unit_price / factor, 4)
           WHEN q_base <> 0 THEN round(abs(amt) / abs(q_base), 4) END AS unit_price_base,
      CASE WHEN ttype IS NULL OR ttype = '?' THEN CASE WHEN n_quantity < 0 THEN 'return' ELSE 'sale' END
           WHEN ttype = 'sale' AND n_quantity < 0 THEN 'return' ELSE ttype END AS tx_type,
      array_remove(ARRAY[
        CASE WHEN r_invoice_number IS NULL THEN 'MISSING_FIELD:invoice_number'
             WHEN length(r_invoice_number) > 64 THEN 'INVALID_VALUE:invoice_number' END,
        CASE WHEN r_invoice_line IS NOT NULL AND (n_invoice_line IS NULL OR n_invoice_line <> trunc(n_invoice_line)
                  OR n_invoice_line < 1 OR n_invoice_line > {QUANTITY_LIMIT}) THEN 'INVALID_NUMBER:invoice_line' END,
        CASE WHEN r_invoice_date IS NULL THEN 'MISSING_FIELD:invoice_date'
             WHEN d_invoice_date IS NULL THEN 'INVALID_DATE:invoice_date'
             {_period_check(run, "d_invoice_date", "invoice_date")} END,
        {_id_error(run.mapping)},
        CASE WHEN r_quantity IS NULL THEN 'MISSING_FIELD:quantity'
             WHEN n_quantity IS NULL THEN 'INVALID_NUMBER:quantity'
             WHEN n_quantity = 0 THEN 'ZERO_QUANTITY:quantity'
             WHEN q_base IS NOT NULL AND (q_base <> trunc(q_base) OR abs(q_base) >= {QUANTITY_LIMIT})
               THEN 'INVALID_NUMBER:quantity:whole' END,
        CASE WHEN product_id IS NOT NULL AND factor IS NULL THEN 'UNKNOWN_UNIT:unit_of_measure' END,
        CASE WHEN r_unit_price IS NOT NULL AND n_unit_price IS NULL THEN 'INVALID_NUMBER:unit_price' END,
        CASE WHEN r_extended_amount IS NOT NULL AND n_extended_amount IS NULL THEN 'INVALID_NUMBER:extended_amount'
             WHEN amt IS NOT NULL AND abs(amt) >= {AMOUNT_LIMIT} THEN 'INVALID_NUMBER:extended_amount:large' END,
        CASE WHEN r_unit_price IS NULL AND r_extended_amount IS NULL
             THEN {lit("MISSING_FIELD:" + _first_mapped(run.mapping, ("unit_price", "extended_amount")))} END,
        CASE WHEN cur IS NULL THEN 'INVALID_VALUE:currency' END,
        CASE WHEN ttype = '?' THEN 'INVALID_VALUE:transaction_type' END
      ], NULL) AS errs
    FROM d OFFSET 0)
    SELECT tenant_id, upload_id, line, ref, errs, base_uom, product_id,
      CASE WHEN cardinality(errs) > 0 THEN {_data_sql(Kind.POS)} END AS data,
      r_invoice_number AS invoice_number, inv_line, d_invoice_date, left(coalesce(r_partner_sku, ''), 64) AS partner_sku,
      q_base, left(coalesce(u_uom, ''), 16) AS uom, unit_price_base, round(amt, 4) AS amt, cur,
      coalesce(r_end_customer, '') AS end_customer, coalesce(upper(r_country), '') AS country,
      coalesce(r_postal_code, '') AS postal_code, tx_type, coalesce(r_agreement_number, '') AS agreement_number
    FROM e
    """


def _normalise_inventory_sql(run: Run) -> str:
    dec = run.formats.get("decimal", {})
    numbers = NUMBER_FIELDS[Kind.INVENTORY]
    mapped = set(run.mapping)
    if run.all_fields:
        mapped = set(field_names(run.kind))
    num_texts = ",\n".join(
        f"{_num_text(f'r_{n}', dec.get(n, '.'))} AS t_{n}" if n in mapped else f"NULL::text AS t_{n}"
        for n in numbers
    )
    num_values = ",\n".join(
        f"{_num_value(f't_{n}')} AS n_{n}" if n in mapped else f"NULL::numeric AS n_{n}" for n in numbers
    )
    joins, product_expr = _resolve_joins("a")
    base = ", ".join(f"n_{n} * factor AS q_{n}" for n in numbers)
    checks = ",\n".join(
        _number_error(n, required=(n == "on_hand"), whole_expr=f"q_{n}", allow_negative=False)
        for n in numbers
    )
    return f"""
    CREATE UNLOGGED TABLE {ident(run.norm)} AS
    WITH {_keys_cte(run.tenant_id, run.partner_id)},
    {_date_cte(run, "snapshot_date")},
    raw AS (
      SELECT s.tenant_id, s.upload_id, s.line, s.ref, {_raw_columns(Kind.INVENTORY, mapped)}
      FROM {ident(run.stage)} s OFFSET 0
    ),
    a AS (SELECT raw.*, {num_texts}, upper(r_unit_of_measure) AS u_uom FROM raw OFFSET 0),
    b AS (
      SELECT a.*, {num_values}, dt.d AS d_snapshot_date, {product_expr} AS product_id
      FROM a LEFT JOIN dates dt ON dt.v = a.r_snapshot_date {joins}
      OFFSET 0
    ),
    c AS (
      SELECT b.*, p.unit_of_measure AS base_uom,
        {_factor_sql("b.u_uom", "p.unit_of_measure", "p.units_per_case")} AS factor
      FROM b LEFT JOIN prm_product p ON p.tenant_id = {run.tenant_id} AND p.id = b.product_id
      OFFSET 0
    ),
    d AS (SELECT c.*, {base} FROM c OFFSET 0)
    , e AS (SELECT d.*,
      array_remove(ARRAY[
        CASE WHEN r_snapshot_date IS NULL THEN 'MISSING_FIELD:snapshot_date'
             WHEN d_snapshot_date IS NULL THEN 'INVALID_DATE:snapshot_date'
             {_period_check(run, "d_snapshot_date", "snapshot_date")} END,
        {_id_error(run.mapping)},
        CASE WHEN product_id IS NOT NULL AND factor IS NULL THEN 'UNKNOWN_UNIT:unit_of_measure' END,
        {checks}
      ], NULL) AS errs
    FROM d OFFSET 0)
    SELECT tenant_id, upload_id, line, ref, errs, base_uom, product_id,
      CASE WHEN cardinality(errs) > 0 THEN {_data_sql(Kind.INVENTORY)} END AS data,
      d_snapshot_date, q_on_hand, q_on_order, q_in_transit, q_received, q_sold, q_returned
    FROM e
    """


# --- Rejected rows ------------------------------------------------------------------------------------


def _messages_sql(run: Run) -> str:
    """jsonb array of {column, code, message} for the row's ``errs`` (in the file's header names)."""
    mapping = lit(json.dumps(run.mapping))
    col = f"coalesce({mapping}::jsonb ->> split_part(e, ':', 2), split_part(e, ':', 2))"
    val = "(data ->> split_part(e, ':', 2))"
    period = ""
    if run.replace_start is not None:
        period = f"{run.replace_start.isoformat()} – {run.replace_end.isoformat()}"
    order = run.formats.get("dates", {}).get(DATE_FIELD[Kind(run.kind)], "dmy")
    date_hint = {"dmy": "day before month", "mdy": "month before day"}.get(order, "")
    message = f"""CASE split_part(e, ':', 1)
      WHEN 'MISSING_FIELD' THEN CASE split_part(e, ':', 2)
          WHEN 'sku' THEN 'No product identifier (vendor SKU, partner SKU or GTIN).'
          WHEN 'partner_sku' THEN 'No product identifier (vendor SKU, partner SKU or GTIN).'
          WHEN 'gtin' THEN 'No product identifier (vendor SKU, partner SKU or GTIN).'
          WHEN 'unit_price' THEN 'Neither a unit price nor an extended amount.'
          WHEN 'extended_amount' THEN 'Neither a unit price nor an extended amount.'
          ELSE format('%s is empty; a value is required.', {col}) END
      WHEN 'INVALID_DATE' THEN format('"%s" is not a valid date ({date_hint}).', {val})
      WHEN 'INVALID_NUMBER' THEN CASE split_part(e, ':', 3)
          WHEN 'whole' THEN format('"%s" %s is not a whole number of base units (%s).', {val},
                               coalesce(data ->> 'unit_of_measure', ''), coalesce(base_uom, ''))
          WHEN 'negative' THEN format('"%s" cannot be negative.', {val})
          WHEN 'large' THEN 'The amount is too large.'
          ELSE format('"%s" is not a number.', {val}) END
      WHEN 'ZERO_QUANTITY' THEN 'The quantity is zero.'
      WHEN 'UNKNOWN_PRODUCT' THEN format('"%s" matches no product, partner SKU cross-reference or GTIN.', {val})
      WHEN 'UNKNOWN_UNIT' THEN format('The unit "%s" cannot be converted to the base unit %s.', {val}, base_uom)
      WHEN 'OUTSIDE_PERIOD' THEN format('The date "%s" is outside the replaced period {period}.', {val})
      WHEN 'INVALID_VALUE' THEN CASE split_part(e, ':', 2)
          WHEN 'currency' THEN format('"%s" is not a currency code.', {val})
          WHEN 'transaction_type' THEN format('"%s" is not a transaction type (sale, return, drop ship, ship-and-debit).', {val})
          ELSE format('"%s" is too long.', {val}) END
      ELSE split_part(e, ':', 1) END"""
    return f"""(SELECT jsonb_agg(jsonb_build_object('column', {col}, 'code', split_part(e, ':', 1),
                                                'message', {message}) ORDER BY o)
               FROM unnest(errs) WITH ORDINALITY u(e, o))"""


def _data_sql(kind: str) -> str:
    pairs = [f"{lit(f)}, r_{f}" for f in field_names(kind) if f != "invoice_line"]
    if Kind(kind) == Kind.POS:
        pairs.append("'invoice_line', coalesce(r_invoice_line, inv_line::text)")
    return "jsonb_strip_nulls(jsonb_build_object(" + ", ".join(pairs) + "))"


def insert_rejected(run: Run) -> int:
    """Keep every bad row of a file (first load) with its problems and values."""
    return _execute(
        f"""
        INSERT INTO posdata_rejectedrow
          (tenant_id, upload_id, partner_id, line, code, errors, data, unknown_product, product_key, resolution)
        SELECT tenant_id, upload_id, {run.partner_id}, line, split_part(errs[1], ':', 1), {_messages_sql(run)}, data,
               unknown, CASE WHEN unknown THEN left(coalesce(data ->> 'partner_sku', data ->> 'sku', data ->> 'gtin', ''), 64)
                             ELSE '' END, ''
        FROM (SELECT n.*,
                     EXISTS (SELECT 1 FROM unnest(errs) e WHERE e LIKE 'UNKNOWN_PRODUCT%') AS unknown
              FROM {ident(run.norm)} n WHERE cardinality(errs) > 0 AND ref IS NULL) x
        """
    )


def update_rejected(run: Run) -> None:
    """Re-processed rows that still fail: record their current problems."""
    _execute(
        f"""
        UPDATE posdata_rejectedrow r
        SET code = split_part(x.errs[1], ':', 1), errors = x.msgs, unknown_product = x.unknown
        FROM (SELECT n.ref, n.errs, {_messages_sql(run)} AS msgs,
                     EXISTS (SELECT 1 FROM unnest(errs) e WHERE e LIKE 'UNKNOWN_PRODUCT%') AS unknown
              FROM {ident(run.norm)} n
              WHERE cardinality(n.errs) > 0 AND n.ref IS NOT NULL) x
        WHERE r.tenant_id = {run.tenant_id} AND r.id = x.ref
        """
    )


def first_errors(upload_id: int, limit: int) -> list[dict[str, Any]]:
    """The upload's problems in file order (line, then column order of the checks)."""
    rows = _execute(
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
    if Kind(run.kind) == Kind.INVENTORY:
        table, column = "posdata_inventorysnapshot", "snapshot_date"
    else:
        table, column = "posdata_posline", "invoice_date"
    return _execute(
        f"""DELETE FROM {table} WHERE tenant_id = {run.tenant_id} AND partner_id = {run.partner_id}
            AND {column} BETWEEN {lit(run.replace_start)}::date AND {lit(run.replace_end)}::date"""
    )


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
    rows = _execute(
        f"SELECT fx_cur, sum(fx_amount), coalesce(sum(fx_qty), 0) FROM ({lines}) l GROUP BY fx_cur ORDER BY fx_cur"
    )
    return sum(int(q) for _c, _a, q in rows), {currency: Decimal(amount) for currency, amount, _q in rows}


def _upload_ids(run: Run) -> str:
    rows = _execute(f"SELECT DISTINCT upload_id FROM {ident(run.norm)}")
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
    ((good,),) = _execute(f"SELECT count(*) FROM {ident(run.norm)} WHERE cardinality(errs) = 0")
    reprocess = _execute(f"SELECT EXISTS (SELECT 1 FROM {ident(run.norm)} WHERE ref IS NOT NULL)")[0][0]
    posline_columns = (
        "p.currency AS fx_cur, p.invoice_date AS fx_day, p.amount AS fx_amount, p.source_line AS fx_line, "
        "p.quantity AS fx_qty"
    )
    if reprocess:
        ((loaded, quantity),) = _execute(
            f"""
            WITH ins AS ({insert}),
            upd AS (
              UPDATE posdata_rejectedrow r SET resolution = 'loaded', resolved_at = now()
              FROM ins, {ident(run.norm)} n
              WHERE n.upload_id = ins.upload_id AND n.line = ins.source_line
                AND r.tenant_id = {run.tenant_id} AND r.id = n.ref
              RETURNING r.id)
            SELECT count(*), coalesce(sum(quantity), 0) FROM ins
            """
        )
        _execute(
            f"""UPDATE posdata_rejectedrow r SET resolution = 'duplicate', resolved_at = now()
                FROM {ident(run.norm)} n
                WHERE r.tenant_id = {run.tenant_id} AND r.id = n.ref AND cardinality(n.errs) = 0
                  AND r.resolution = ''"""
        )
        if inventory:
            return Moved(good=good, loaded=loaded, quantity=int(quantity), amounts={})
        # The lines this pass loaded: kept rows come back with their upload and line.
        lines = f"""SELECT {posline_columns} FROM posdata_posline p JOIN {ident(run.norm)} n
                    ON p.tenant_id = {run.tenant_id} AND p.partner_id = {run.partner_id}
                       AND p.upload_id = n.upload_id AND p.source_line = n.line
                    WHERE n.ref IS NOT NULL AND cardinality(n.errs) = 0"""
        return Moved(good=good, loaded=loaded, quantity=int(quantity), amounts=_totals(lines)[1], lines=lines)
    # A first load has one upload id: insert without RETURNING (cheaper for millions of rows),
    # then total what was inserted: from the good rows when none was a duplicate, else from the
    # loaded rows of this upload.
    loaded = _execute(insert.rsplit("RETURNING", 1)[0])
    if inventory:
        source = (
            f"{ident(run.norm)} WHERE cardinality(errs) = 0"
            if loaded == good
            else f"posdata_inventorysnapshot WHERE tenant_id = {run.tenant_id} AND upload_id IN ({_upload_ids(run)})"
        )
        column = "q_on_hand" if loaded == good else "on_hand"
        ((quantity,),) = _execute(f"SELECT coalesce(sum({column}), 0) FROM {source}")
        return Moved(good=good, loaded=loaded, quantity=int(quantity), amounts={})
    if loaded == good:
        lines = f"""SELECT cur AS fx_cur, d_invoice_date AS fx_day, amt AS fx_amount, line AS fx_line,
                           q_base AS fx_qty
                    FROM {ident(run.norm)} WHERE cardinality(errs) = 0"""
    else:
        lines = f"""SELECT {posline_columns} FROM posdata_posline p
                    WHERE p.tenant_id = {run.tenant_id} AND p.upload_id IN ({_upload_ids(run)})"""
    quantity, amounts = _totals(lines)
    return Moved(good=good, loaded=loaded, quantity=quantity, amounts=amounts, lines=lines)


def loaded_lines_by_day(lines: str) -> str:
    """The loaded lines summed per currency and day (with their first line): what a conversion
    looks rates up for, once per distinct pair and day."""
    return f"""SELECT fx_cur, fx_day, sum(fx_amount) AS fx_amount, min(fx_line) AS fx_line
               FROM ({lines}) l GROUP BY fx_cur, fx_day"""


def count_rejected(norm: str) -> int:
    return _execute(f"SELECT count(*) FROM {ident(norm)} WHERE cardinality(errs) > 0")[0][0]


def identifier_fields() -> tuple[str, ...]:
    return PRODUCT_IDENTIFIERS
