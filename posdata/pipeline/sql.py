"""The loader's SQL: literals and identifiers, statement execution on Django's connection, and the
one builder of the normalisation statement (POS lines and inventory snapshots share it; each kind
adds its own columns and checks), plus the messages of rejected rows.

The statements carry no placeholders: every value goes in as a quoted literal (``lit``) and every
name as a quoted identifier (``ident``), so '%' in them stays literal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from psycopg import sql as pgsql

from posdata.fields import field_names
from posdata.models import Kind

NUMBER_FIELDS = {
    Kind.POS: ("quantity", "unit_price", "extended_amount", "invoice_line"),
    Kind.INVENTORY: ("on_hand", "on_order", "in_transit", "received", "sold", "returned"),
}
DATE_FIELD = {Kind.POS: "invoice_date", Kind.INVENTORY: "snapshot_date"}
QUANTITY_LIMIT = 2_000_000_000
AMOUNT_LIMIT = 10**13

EACH_UNITS = (
    *("EA", "EACH", "EA.", "PC", "PCS", "PCE", "PIECE", "PIECES", "UNIT", "UNITS", "UN", "U"),
    *("ST", "STK", "STCK", "STUECK", "STÜCK", "NOS", "NO", "ITEM", "ITEMS"),
)
CASE_UNITS = ("CS", "CASE", "CASES", "CA", "CTN", "CARTON", "CARTONS", "KARTON", "KT", "BX", "BOX")
DOZEN_UNITS = ("DZ", "DOZ", "DOZEN")
TRANSACTION_TYPES = {
    "sale": ("SALE", "SALES", "S", "INVOICE", "INV", "SOLD", "SHIPMENT", "SHIP"),
    "return": ("RETURN", "RETURNS", "R", "RET", "CREDIT", "CR", "CREDIT MEMO", "CREDITMEMO", "RMA", "CM"),
    "drop_ship": ("DROP SHIP", "DROPSHIP", "DROP_SHIP", "DROP-SHIP", "DS"),
    "ship_and_debit": (
        *("SHIP AND DEBIT", "SHIP_AND_DEBIT", "SHIP-AND-DEBIT", "SHIP & DEBIT", "SHIP&DEBIT"),
        *("SAD", "S&D", "SD", "SHIP-AND-DEBIT SALE", "SHIP AND DEBIT SALE"),
    ),
}
CURRENCY_SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "C$": "CAD", "CA$": "CAD"}


# --- Literals, identifiers, execution -----------------------------------------------------------


def raw_connection():
    connection.ensure_connection()
    return connection.connection


def lit(value: Any) -> str:
    """A SQL literal (the loader's statements carry no placeholders, so '%' stays literal)."""
    return pgsql.Literal(value).as_string(raw_connection())


def ident(name: str) -> str:
    """A quoted identifier; ``schema.table`` names (the staging tables) are quoted part by part."""
    return pgsql.Identifier(*name.split(".")).as_string(raw_connection())


def execute(statement: str) -> Any:
    """Run one statement on Django's connection: its rows, or the row count of a statement
    without a result."""
    with raw_connection().cursor() as cursor:
        cursor.execute(statement.encode())
        return cursor.fetchall() if cursor.description else cursor.rowcount


# --- One pass of the loader -----------------------------------------------------------------------


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

    @property
    def mapped(self) -> set[str]:
        """The fields that may carry a value (the others are NULL, not evaluated per row)."""
        return set(field_names(self.kind)) if self.all_fields else set(self.mapping)


# --- Building blocks ------------------------------------------------------------------------------

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


def _raw_columns(kind: str, mapped: set[str]) -> str:
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


# --- Checks (each yields one problem code or NULL) -------------------------------------------------


def _date_error(run: Run, name: str) -> str:
    period = ""
    if run.replace_start is not None:
        period = (
            f"WHEN d_{name} NOT BETWEEN {lit(run.replace_start)}::date AND {lit(run.replace_end)}::date "
            f"THEN 'OUTSIDE_PERIOD:{name}'"
        )
    return f"""CASE WHEN r_{name} IS NULL THEN 'MISSING_FIELD:{name}'
             WHEN d_{name} IS NULL THEN 'INVALID_DATE:{name}'
             {period} END"""


def _id_error(mapping: dict[str, str]) -> str:
    missing = lit("MISSING_FIELD:" + _first_mapped(mapping, ("sku", "partner_sku", "gtin")))
    return f"""CASE WHEN r_partner_sku IS NULL AND r_sku IS NULL AND r_gtin IS NULL THEN {missing}
             WHEN product_id IS NULL THEN 'UNKNOWN_PRODUCT:' ||
               CASE WHEN r_partner_sku IS NOT NULL THEN 'partner_sku' WHEN r_sku IS NOT NULL THEN 'sku' ELSE 'gtin' END
        END"""


UNIT_ERROR = "CASE WHEN product_id IS NOT NULL AND factor IS NULL THEN 'UNKNOWN_UNIT:unit_of_measure' END"


def _whole_error(name: str, expr: str) -> str:
    """``expr`` (a quantity in base units) must be a whole number within the limit."""
    return (
        f"WHEN {expr} IS NOT NULL AND ({expr} <> trunc({expr}) OR abs({expr}) >= {QUANTITY_LIMIT}) "
        f"THEN 'INVALID_NUMBER:{name}:whole'"
    )


def _number_error(name: str, *, required: bool, whole_expr: str, allow_negative: bool) -> str:
    parts = []
    if required:
        parts.append(f"WHEN r_{name} IS NULL THEN 'MISSING_FIELD:{name}'")
    parts.append(f"WHEN r_{name} IS NOT NULL AND n_{name} IS NULL THEN 'INVALID_NUMBER:{name}'")
    if not allow_negative:
        parts.append(f"WHEN n_{name} < 0 THEN 'INVALID_NUMBER:{name}:negative'")
    parts.append(_whole_error(name, whole_expr))
    return "CASE " + " ".join(parts) + " END"


# --- The normalisation statement ---------------------------------------------------------------------


@dataclass
class KindSQL:
    """What one kind of file adds to the shared normalisation statement, step by step (each step
    a CTE over the previous one's columns)."""

    resolved: list[str] = field(default_factory=list)  # step c: with the product and its units
    quantities: list[str] = field(default_factory=list)  # step d: quantities in base units, amounts
    derived: list[str] = field(default_factory=list)  # step e: values derived from them
    checks: list[str] = field(default_factory=list)  # the row's problems, in the order reported
    output: list[str] = field(default_factory=list)  # the kind's columns of the normalised table


def _pos_sql(run: Run) -> KindSQL:
    position = 'row_number() OVER (PARTITION BY r_invoice_number COLLATE "C" ORDER BY line)'
    if not run.needs_position:
        position = "NULL::bigint"
    price_or_amount = lit("MISSING_FIELD:" + _first_mapped(run.mapping, ("unit_price", "extended_amount")))
    return KindSQL(
        resolved=[
            f"""coalesce(CASE WHEN n_invoice_line = trunc(n_invoice_line) AND n_invoice_line BETWEEN 1 AND {QUANTITY_LIMIT}
                      THEN n_invoice_line::int END, {position}) AS inv_line""",
            f"{_currency_sql('b.r_currency', run.currency)} AS cur",
            f"{_transaction_type_sql('b.r_transaction_type')} AS ttype",
        ],
        quantities=[
            "n_quantity * factor AS q_base",
            """CASE WHEN n_extended_amount IS NOT NULL THEN abs(n_extended_amount) * sign(n_quantity)
             ELSE n_quantity * n_unit_price END AS amt""",
        ],
        derived=[
            """CASE WHEN n_unit_price IS NOT NULL AND factor > 0 THEN round(n_unit_price / factor, 4)
           WHEN q_base <> 0 THEN round(abs(amt) / abs(q_base), 4) END AS unit_price_base""",
            """CASE WHEN ttype IS NULL OR ttype = '?' THEN CASE WHEN n_quantity < 0 THEN 'return' ELSE 'sale' END
           WHEN ttype = 'sale' AND n_quantity < 0 THEN 'return' ELSE ttype END AS tx_type""",
        ],
        checks=[
            """CASE WHEN r_invoice_number IS NULL THEN 'MISSING_FIELD:invoice_number'
             WHEN length(r_invoice_number) > 64 THEN 'INVALID_VALUE:invoice_number' END""",
            f"""CASE WHEN r_invoice_line IS NOT NULL AND (n_invoice_line IS NULL OR n_invoice_line <> trunc(n_invoice_line)
                  OR n_invoice_line < 1 OR n_invoice_line > {QUANTITY_LIMIT}) THEN 'INVALID_NUMBER:invoice_line' END""",
            _date_error(run, "invoice_date"),
            _id_error(run.mapping),
            f"""CASE WHEN r_quantity IS NULL THEN 'MISSING_FIELD:quantity'
             WHEN n_quantity IS NULL THEN 'INVALID_NUMBER:quantity'
             WHEN n_quantity = 0 THEN 'ZERO_QUANTITY:quantity'
             {_whole_error("quantity", "q_base")} END""",
            UNIT_ERROR,
            "CASE WHEN r_unit_price IS NOT NULL AND n_unit_price IS NULL THEN 'INVALID_NUMBER:unit_price' END",
            f"""CASE WHEN r_extended_amount IS NOT NULL AND n_extended_amount IS NULL THEN 'INVALID_NUMBER:extended_amount'
             WHEN amt IS NOT NULL AND abs(amt) >= {AMOUNT_LIMIT} THEN 'INVALID_NUMBER:extended_amount:large' END""",
            f"CASE WHEN r_unit_price IS NULL AND r_extended_amount IS NULL THEN {price_or_amount} END",
            "CASE WHEN cur IS NULL THEN 'INVALID_VALUE:currency' END",
            "CASE WHEN ttype = '?' THEN 'INVALID_VALUE:transaction_type' END",
        ],
        output=[
            "r_invoice_number AS invoice_number",
            "inv_line",
            "d_invoice_date",
            "left(coalesce(r_partner_sku, ''), 64) AS partner_sku",
            "q_base",
            "left(coalesce(u_uom, ''), 16) AS uom",
            "unit_price_base",
            "round(amt, 4) AS amt",
            "cur",
            "coalesce(r_end_customer, '') AS end_customer",
            "coalesce(upper(r_country), '') AS country",
            "coalesce(r_postal_code, '') AS postal_code",
            "tx_type",
            "coalesce(r_agreement_number, '') AS agreement_number",
        ],
    )


def _inventory_sql(run: Run) -> KindSQL:
    numbers = NUMBER_FIELDS[Kind.INVENTORY]
    return KindSQL(
        quantities=[f"n_{n} * factor AS q_{n}" for n in numbers],
        checks=[
            _date_error(run, "snapshot_date"),
            _id_error(run.mapping),
            UNIT_ERROR,
            *(
                _number_error(n, required=(n == "on_hand"), whole_expr=f"q_{n}", allow_negative=False)
                for n in numbers
            ),
        ],
        output=["d_snapshot_date", *(f"q_{n}" for n in numbers)],
    )


def normalise_sql(run: Run) -> str:
    """CREATE the normalised table of a staging table: parsed numbers and date, the resolved
    product, quantities converted into its base unit, the kind's own values, and the list of
    problems of each row (empty for a good row; the values of a bad row kept as ``data``).
    Every step is a CTE fenced with OFFSET 0 so that PostgreSQL computes it once per row."""
    kind = Kind(run.kind)
    parts = _pos_sql(run) if kind == Kind.POS else _inventory_sql(run)
    date = DATE_FIELD[kind]
    dec = run.formats.get("decimal", {})
    mapped = run.mapped
    numbers = NUMBER_FIELDS[kind]
    num_texts = ",\n".join(
        f"{_num_text(f'r_{n}', dec.get(n, '.'))} AS t_{n}" if n in mapped else f"NULL::text AS t_{n}"
        for n in numbers
    )
    num_values = ",\n".join(
        f"{_num_value(f't_{n}')} AS n_{n}" if n in mapped else f"NULL::numeric AS n_{n}" for n in numbers
    )
    joins, product_expr = _resolve_joins("a")
    factor = _factor_sql("b.u_uom", "p.unit_of_measure", "p.units_per_case")
    checks = ",\n        ".join(parts.checks)
    return f"""
    CREATE UNLOGGED TABLE {ident(run.norm)} AS
    WITH {_keys_cte(run.tenant_id, run.partner_id)},
    {_date_cte(run, date)},
    raw AS (
      SELECT s.tenant_id, s.upload_id, s.line, s.ref, {_raw_columns(kind, mapped)}
      FROM {ident(run.stage)} s OFFSET 0
    ),
    a AS (SELECT raw.*, {num_texts}, upper(r_unit_of_measure) AS u_uom FROM raw OFFSET 0),
    b AS (
      SELECT a.*, {num_values}, dt.d AS d_{date}, {product_expr} AS product_id
      FROM a LEFT JOIN dates dt ON dt.v = a.r_{date} {joins}
      OFFSET 0
    ),
    c AS (
      SELECT {", ".join(["b.*", "p.unit_of_measure AS base_uom", f"{factor} AS factor", *parts.resolved])}
      FROM b LEFT JOIN prm_product p ON p.tenant_id = {run.tenant_id} AND p.id = b.product_id
      OFFSET 0
    ),
    d AS (SELECT {", ".join(["c.*", *parts.quantities])} FROM c OFFSET 0),
    e AS (SELECT {", ".join(["d.*", *parts.derived])},
      array_remove(ARRAY[
        {checks}
      ], NULL) AS errs
    FROM d OFFSET 0)
    SELECT tenant_id, upload_id, line, ref, errs, base_uom, product_id,
      CASE WHEN cardinality(errs) > 0 THEN {data_sql(kind)} END AS data,
      {", ".join(parts.output)}
    FROM e
    """


# --- Rejected rows ----------------------------------------------------------------------------------


def data_sql(kind: str) -> str:
    """jsonb of a bad row's values (the file's text, by canonical field)."""
    pairs = [f"{lit(f)}, r_{f}" for f in field_names(kind) if f != "invoice_line"]
    if Kind(kind) == Kind.POS:
        pairs.append("'invoice_line', coalesce(r_invoice_line, inv_line::text)")
    return "jsonb_strip_nulls(jsonb_build_object(" + ", ".join(pairs) + "))"


def messages_sql(run: Run) -> str:
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
