"""Claim validation as set-based SQL: the file (or the lines entered in the portal) is COPYed as
text into a scratch table, parsed in one statement, and every line is checked against every rule
of DOMAIN.md and written with its codes, accepted quantity and amount in one INSERT ... SELECT.
Quantity is consumed under a row lock on the agreement lines, in line order within the claim.

Everything runs on Django's connection inside the tenant context (row-level security applies to
the tables the rows land in)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection
from psycopg import sql as pgsql

from claims.codes import REJECTING
from claims.fields import FIELD_NAMES, REQUIRED
from prm.jobs.staging import staging_tables
from prm.lib.money import minor_units
from prm.lib.names import normalise_name
from prm.reader import FileLayout, iter_rows

COPY_CHUNK_ROWS = 250_000
VALIDATION_WORK_MEM = "256MB"
QUANTITY_LIMIT = 2_000_000_000
EACH_UNITS = (
    "EA",
    "EACH",
    "PC",
    "PCS",
    "PCE",
    "PIECE",
    "PIECES",
    "UNIT",
    "UNITS",
    "UN",
    "U",
    "ST",
    "STK",
    "ITEM",
)
CASE_UNITS = ("CS", "CASE", "CASES", "CA", "CTN", "CARTON", "CARTONS", "BX", "BOX")
DOZEN_UNITS = ("DZ", "DOZ", "DOZEN")
STAGE_COLUMNS = ("tenant_id", "claim_id", "line", "source_line", "resubmission_of_id", *FIELD_NAMES)


def raw_connection():
    connection.ensure_connection()
    return connection.connection


def ident(name: str) -> str:
    return pgsql.Identifier(*name.split(".")).as_string(raw_connection())


def lit(value: Any) -> str:
    return pgsql.Literal(value).as_string(raw_connection())


def execute(statement: str) -> Any:
    with raw_connection().cursor() as cursor:
        cursor.execute(statement.encode())
        return cursor.fetchall() if cursor.description else cursor.rowcount


# --- Scratch tables ---------------------------------------------------------------------------------


def scratch_names(job) -> tuple[str, str, str, str]:
    """The scratch tables of one validation run (raw text, parsed values, customer names, the
    quantity each agreement line gives), in the staging schema and named after the job, so a
    sweep drops what a killed worker left."""
    stage, norm, names, used = staging_tables(job, "stage", "norm", "names", "used")
    return stage, norm, names, used


def create_stage_table(table: str) -> None:
    """A fresh UNLOGGED table for one claim's raw rows, dropped after the validation. COPY is
    refused into a table under row-level security, so it has none: it carries the tenant id and
    only the job that created it reads it; rows leave it through INSERT ... SELECT into tables
    whose policies check the tenant."""
    text_columns = ", ".join(f"{name} text" for name in FIELD_NAMES)
    execute(f"DROP TABLE IF EXISTS {ident(table)}")
    execute(
        f"CREATE UNLOGGED TABLE {ident(table)} (tenant_id int NOT NULL, claim_id int NOT NULL, line int NOT NULL,"
        f" source_line int NOT NULL, resubmission_of_id bigint, {text_columns})"
    )


def drop_table(table: str) -> None:
    execute(f"DROP TABLE IF EXISTS {ident(table)}")


# --- Staging ------------------------------------------------------------------------------------------


def _data_rows(path: Path, layout: FileLayout) -> Iterator[tuple[int, list[str]]]:
    for number, cells in iter_rows(path, layout):
        if number > layout.header_row and any(cells):
            yield number, cells


def stage_file(
    *,
    table: str,
    tenant_id: int,
    claim_id: int,
    path: Path,
    layout: FileLayout,
    mapping: dict[str, str],
    progress: Callable[[int], None] | None = None,
) -> int:
    """COPY the mapped columns of every data row (as text); return the rows read."""
    position = {header: index for index, header in enumerate(layout.headers)}
    indexes = [position.get(mapping.get(name, ""), -1) for name in FIELD_NAMES]
    width = max(indexes) + 1
    columns = ", ".join(STAGE_COLUMNS)
    statement = f"COPY {ident(table)} ({columns}) FROM STDIN".encode()
    rows = _data_rows(path, layout)
    count = 0
    done = False
    # One COPY per chunk: the connection is busy during a COPY, and progress is written between.
    while not done:
        done = True
        with raw_connection().cursor() as cursor, cursor.copy(statement) as copy:
            write = copy.write_row
            for source_line, cells in rows:
                if len(cells) < width:
                    cells = cells + [""] * (width - len(cells))
                count += 1
                write(
                    (
                        tenant_id,
                        claim_id,
                        count,
                        source_line,
                        None,
                        *[cells[i] if i >= 0 else None for i in indexes],
                    )
                )
                if count % COPY_CHUNK_ROWS == 0:
                    done = False
                    break
        if progress is not None:
            progress(count)
    return count


def stage_entered(*, table: str, tenant_id: int, claim_id: int, lines: Iterable[dict[str, Any]]) -> int:
    """COPY lines entered in the portal (field -> text, plus ``resubmission_of``)."""
    statement = f"COPY {ident(table)} ({', '.join(STAGE_COLUMNS)}) FROM STDIN".encode()
    count = 0
    with raw_connection().cursor() as cursor, cursor.copy(statement) as copy:
        for data in lines:
            count += 1
            values = [None if data.get(name) in (None, "") else str(data[name]) for name in FIELD_NAMES]
            copy.write_row((tenant_id, claim_id, count, count, data.get("resubmission_of"), *values))
    return count


# --- Parsing --------------------------------------------------------------------------------------------

_NUMBER = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)"


def _number_sql(column: str, decimal_comma: bool) -> str:
    """Text -> numeric (NULL when unreadable). Plain numbers take the fast path; otherwise
    currency symbols and codes and spaces are dropped, thousands separators recognised, and a
    lone comma is the decimal mark when ``decimal_comma``."""
    t = f"regexp_replace({column}, '[[:space:]$€£¥]|^[A-Za-z]{{3}}|[A-Za-z]{{3}}$', '', 'g')"
    thousands_comma = r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$"
    thousands_dot = r"^[+-]?[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?$"
    lone_comma = r"^[+-]?[0-9]*,[0-9]+$"
    plain = f"^{_NUMBER}$"
    rules = {
        "plain": (plain, f"{t}::numeric"),
        "thousands_comma": (thousands_comma, f"replace({t}, ',', '')::numeric"),
        "thousands_dot": (thousands_dot, f"replace(replace({t}, '.', ''), ',', '.')::numeric"),
        "lone_comma": (lone_comma, f"replace({t}, ',', '.')::numeric"),
    }
    # The fast path (digits and one decimal mark: nearly every cell) checks the characters with
    # translate() and the syntax with pg_input_is_valid(), several times cheaper than a regular
    # expression; anything else takes the rules below.
    if decimal_comma:
        order = ("thousands_dot", "plain", "lone_comma", "thousands_comma")
        fast = (
            f"WHEN translate({column}, '0123456789,', '') = '' AND pg_input_is_valid(replace({column}, ',', '.'), "
            f"'numeric') THEN replace({column}, ',', '.')::numeric"
        )
    else:
        order = ("plain", "thousands_comma", "lone_comma", "thousands_dot")
        fast = (
            f"WHEN translate({column}, '0123456789.', '') = '' AND pg_input_is_valid({column}, 'numeric') "
            f"THEN {column}::numeric"
        )
    slow = " ".join(f"WHEN {t} ~ '{rules[name][0]}' THEN {rules[name][1]}" for name in order)
    return f"(CASE {fast} {slow} END)"


def _problem(column: str, condition: str, message: str) -> str:
    return (
        f"CASE WHEN {condition} THEN jsonb_build_object('column', {lit(column)}, 'value', "
        f"coalesce(r_{column}, ''), 'message', {lit(message)}) END"
    )


def _problem_checks() -> list[tuple[str, str, str]]:
    """(column, condition, message) of every value of a line that cannot be used."""
    checks = [(name, f"r_{name} IS NULL", "A value is required.") for name in REQUIRED]
    checks += [
        (
            "invoice_line",
            "r_invoice_line IS NOT NULL AND v_invoice_line IS NULL",
            "Not a whole number of 1 or more.",
        ),
        ("ship_date", "r_ship_date IS NOT NULL AND v_ship_date IS NULL", "Not a date (use YYYY-MM-DD)."),
        ("quantity", "r_quantity IS NOT NULL AND v_quantity IS NULL", "Not a number."),
        ("quantity", "v_quantity <= 0", "The quantity must be positive."),
        ("claimed_unit_debit", "r_claimed_unit_debit IS NOT NULL AND v_debit IS NULL", "Not a number."),
        ("claimed_unit_debit", "v_debit < 0", "The debit cannot be negative."),
        ("resale_price", "r_resale_price IS NOT NULL AND v_resale IS NULL", "Not a number."),
        ("agreement_number", "length(r_agreement_number) > 64", "Too long (at most 64 characters)."),
        ("invoice_number", "length(r_invoice_number) > 64", "Too long (at most 64 characters)."),
        ("sku", "length(r_sku) > 64", "Too long (at most 64 characters)."),
    ]
    return checks


def _problems_sql() -> str:
    """jsonb array of {column, value, message}: every value of the line that cannot be used. The
    array is built only for lines with a problem (a subquery per line costs more than the rest of
    the parsing); a clean line gets ``[]`` from the one combined condition."""
    checks = _problem_checks()
    any_problem = " OR ".join(f"({condition})" for _column, condition, _message in checks)
    built = ", ".join(_problem(column, condition, message) for column, condition, message in checks)
    return (
        f"CASE WHEN {any_problem} THEN coalesce((SELECT jsonb_agg(x) FROM unnest(ARRAY[{built}]) x"
        " WHERE x IS NOT NULL), '[]'::jsonb) ELSE '[]'::jsonb END"
    )


def normalise(*, stage: str, norm: str, names: str, decimal_comma: bool) -> None:
    """Parse the staged text into typed values and list each line's unusable values (one
    statement writing the parsed table; the end customers' normalised names are joined in).
    ``OFFSET 0`` keeps each step a separate subquery: flattened, PostgreSQL would evaluate a
    parsed value's expression (regular expressions) again wherever a later step uses it."""
    trimmed = ", ".join(f"nullif(btrim(s.{name}), '') AS r_{name}" for name in FIELD_NAMES)
    big = 10**13
    drop_table(norm)
    _normalise_customers(stage, names)
    execute(
        f"""
        CREATE UNLOGGED TABLE {ident(norm)} AS
        WITH dates AS (
          SELECT v, claims_date(v) AS d
          FROM (SELECT DISTINCT nullif(btrim(ship_date), '') AS v FROM {ident(stage)}) x
        ),
        n AS (
          SELECT raw.*,
            {_number_sql("r_quantity", decimal_comma)} AS n_quantity,
            {_number_sql("r_claimed_unit_debit", decimal_comma)} AS n_debit,
            {_number_sql("r_resale_price", decimal_comma)} AS n_resale,
            dt.d AS v_ship_date,
            CASE WHEN length(r_invoice_line) <= 9 AND translate(r_invoice_line, '0123456789', '') = ''
                  AND r_invoice_line::bigint BETWEEN 1 AND {QUANTITY_LIMIT}
                 THEN r_invoice_line::int END AS v_invoice_line
          FROM (SELECT s.tenant_id, s.claim_id, s.line, s.source_line, s.resubmission_of_id, {trimmed}
                FROM {ident(stage)} s OFFSET 0) raw
          LEFT JOIN dates dt ON dt.v = raw.r_ship_date
          OFFSET 0
        ),
        v AS (
          SELECT n.*,
            CASE WHEN abs(n_quantity) < {QUANTITY_LIMIT} THEN n_quantity END AS v_quantity,
            CASE WHEN abs(n_debit) < {big} THEN n_debit END AS v_debit,
            CASE WHEN abs(n_resale) < {big} THEN n_resale END AS v_resale,
            left(coalesce(r_end_customer, ''), 200) AS customer
          FROM n
          OFFSET 0
        )
        SELECT tenant_id, claim_id, line, source_line, resubmission_of_id,
          left(coalesce(r_agreement_number, ''), 64) AS agreement_number,
          left(coalesce(r_invoice_number, ''), 64) AS invoice_number,
          v_invoice_line AS invoice_line, v_ship_date AS ship_date, left(coalesce(r_sku, ''), 64) AS sku,
          v_quantity AS quantity, upper(left(coalesce(r_unit_of_measure, ''), 16)) AS unit_of_measure,
          customer AS end_customer, coalesce(c.norm, '') AS end_customer_normalised,
          v_debit AS claimed_unit_debit, v_resale AS resale_price, {_problems_sql()} AS problems
        FROM v LEFT JOIN {ident(names)} c ON c.name = v.customer
        """
    )
    drop_table(names)
    execute(f"ANALYZE {ident(norm)}")


def _normalise_customers(stage: str, table: str) -> None:
    """The normalised name of each distinct end customer of the file, by the one normaliser deal
    registration uses too (few distinct names per file: one pass in Python over them, COPYed
    into a small table the parse joins)."""
    drop_table(table)
    execute(f"CREATE UNLOGGED TABLE {ident(table)} (name text PRIMARY KEY, norm text NOT NULL)")
    customers = execute(
        f"SELECT DISTINCT left(nullif(btrim(end_customer), ''), 200) FROM {ident(stage)}"
        " WHERE nullif(btrim(end_customer), '') IS NOT NULL"
    )
    with (
        raw_connection().cursor() as cursor,
        cursor.copy(f"COPY {ident(table)} (name, norm) FROM STDIN".encode()) as copy,
    ):
        for (name,) in customers:
            copy.write_row((name, normalise_name(name)[:200]))
    execute(f"ANALYZE {ident(table)}")


# --- Validation ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    tenant_id: int
    claim_id: int
    partner_id: int
    claim_date: str  # ISO
    window_days: int
    currency: str
    norm: str
    used: str  # scratch table: quantity accepted per agreement line (what ``consume`` adds)


def _text_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")"


def _factor_sql() -> str:
    """Units of the claimed quantity per each of the product (NULL: not convertible)."""
    each = _text_list(EACH_UNITS)
    return (
        f"(CASE WHEN n.unit_of_measure = '' OR n.unit_of_measure = upper(pr.unit_of_measure) THEN 1 "
        f"WHEN n.unit_of_measure IN {each} AND upper(pr.unit_of_measure) IN {each} THEN 1 "
        f"WHEN n.unit_of_measure IN {_text_list(CASE_UNITS)} THEN pr.units_per_case "
        f"WHEN n.unit_of_measure IN {_text_list(DOZEN_UNITS)} AND upper(pr.unit_of_measure) IN {each} THEN 12 END)"
    )


def _resolved_sql(run: Run) -> str:
    """Each staged line with its agreement, product and agreement line (where they exist)."""
    return f"""
      SELECT n.*, a.id AS a_id, a.partner_id AS a_partner, a.status AS a_status, a.start_date AS a_start,
             a.end_date AS a_end, a.end_customer_normalised AS a_customer,
             al.id AS al_id, al.book_cost - al.approved_cost AS allowed, al.max_resale_price AS max_resale,
             al.authorized_quantity AS authorized, al.consumed_quantity AS consumed, {_factor_sql()} AS factor
      FROM {ident(run.norm)} n
      LEFT JOIN claims_pricingagreement a
        ON a.tenant_id = {run.tenant_id} AND upper(a.number) = upper(n.agreement_number)
      LEFT JOIN prm_product pr ON pr.tenant_id = {run.tenant_id} AND upper(pr.sku) = upper(n.sku)
      LEFT JOIN claims_agreementline al
        ON al.tenant_id = {run.tenant_id} AND al.agreement_id = a.id AND al.product_id = pr.id
      OFFSET 0"""


def lock_agreement_lines(run: Run) -> list[int]:
    """Lock the agreement lines this claim names (in id order, so concurrent validations never
    deadlock): the consumption read below is then the one this claim adds to."""
    rows = execute(
        f"""SELECT al.id FROM claims_agreementline al
            WHERE al.tenant_id = {run.tenant_id} AND al.id IN (
              SELECT l.id FROM (SELECT DISTINCT upper(agreement_number) AS number, upper(sku) AS sku
                                FROM {ident(run.norm)}) n
              JOIN claims_pricingagreement a ON a.tenant_id = {run.tenant_id} AND upper(a.number) = n.number
              JOIN prm_product pr ON pr.tenant_id = {run.tenant_id} AND upper(pr.sku) = n.sku
              JOIN claims_agreementline l
                ON l.tenant_id = {run.tenant_id} AND l.agreement_id = a.id AND l.product_id = pr.id)
            ORDER BY al.id FOR UPDATE"""
    )
    return [row[0] for row in rows]


TOTALS = ("lines", "claimed", "approved", "accepted", "adjusted", "rejected")


def validate_and_insert(run: Run) -> dict[str, Any]:
    """Insert the claim's lines with their verdicts, and note what each agreement line gives
    (``run.used``), in one statement; return the claim's totals (the keys of ``TOTALS``). Runs
    once per claim: the caller holds the claim's row lock and moves it out of "validating" in
    the same transaction (the unique (claim, line) constraint backs this up)."""
    claim_date = f"{lit(run.claim_date)}::date"
    rejecting_but_quantity = "cardinality(pre) > 0 OR is_dup"
    minor = minor_units(run.currency)
    rejecting = "ARRAY" + _text_list(REJECTING).replace("(", "[", 1)[:-1] + "]::text[]"
    drop_table(run.used)
    execute(
        f"CREATE UNLOGGED TABLE {ident(run.used)} (agreement_line_id bigint NOT NULL, quantity bigint NOT NULL)"
    )
    # The two sorts (duplicates by invoice line, consumption by agreement line) stay in memory
    # for a claim of a few hundred thousand lines instead of spilling to disk.
    execute(f"SET LOCAL work_mem = {lit(VALIDATION_WORK_MEM)}")
    rows = execute(
        f"""
        WITH r AS ({_resolved_sql(run)}),
        b AS (
          SELECT r.*,
            (a_id IS NOT NULL AND a_partner = {run.partner_id}) AS ok,
            CASE WHEN quantity IS NOT NULL AND factor IS NOT NULL THEN quantity * factor END AS qb_raw
          FROM r
          OFFSET 0
        ),
        c AS (
          SELECT b.*,
            CASE WHEN qb_raw = trunc(qb_raw) AND qb_raw > 0 AND qb_raw < {QUANTITY_LIMIT} THEN qb_raw::bigint END AS qb,
            array_remove(ARRAY[
              CASE WHEN jsonb_array_length(problems) > 0 OR (qb_raw IS NOT NULL AND qb_raw <> trunc(qb_raw))
                   THEN 'INVALID_DATA' END,
              CASE WHEN agreement_number <> '' AND a_id IS NULL THEN 'UNKNOWN_AGREEMENT' END,
              CASE WHEN a_id IS NOT NULL AND a_partner <> {run.partner_id} THEN 'AGREEMENT_NOT_FOR_DISTRIBUTOR' END,
              CASE WHEN ok AND a_status = 'cancelled' THEN 'AGREEMENT_CANCELLED' END,
              CASE WHEN ship_date > {claim_date} THEN 'SHIP_DATE_IN_FUTURE' END,
              CASE WHEN ok AND ship_date < a_start THEN 'SHIP_DATE_BEFORE_START' END,
              CASE WHEN ok AND ship_date > a_end THEN 'AGREEMENT_EXPIRED' END,
              CASE WHEN ok AND sku <> '' AND al_id IS NULL THEN 'SKU_NOT_ON_AGREEMENT' END,
              CASE WHEN ok AND al_id IS NOT NULL AND quantity IS NOT NULL AND factor IS NULL
                   THEN 'UOM_NOT_CONVERTIBLE' END,
              CASE WHEN ok AND end_customer_normalised <> '' AND end_customer_normalised <> a_customer
                   THEN 'END_CUSTOMER_MISMATCH' END,
              CASE WHEN {claim_date} - ship_date > {int(run.window_days)} THEN 'CLAIM_PAST_WINDOW' END,
              CASE WHEN ok AND al_id IS NOT NULL AND max_resale IS NOT NULL AND resale_price > max_resale
                   THEN 'RESALE_ABOVE_MAXIMUM' END
            ], NULL) AS pre
          FROM b
          OFFSET 0
        ),
        d AS (
          SELECT c.*,
            -- Duplicate: the same invoice line accepted in another claim (a resubmission ignores
            -- the rejected line it corrects), or a clean line earlier in this claim.
            (invoice_number <> '' AND invoice_line IS NOT NULL AND (
               EXISTS (SELECT 1 FROM claims_claimline o
                       WHERE o.tenant_id = {run.tenant_id} AND o.partner_id = {run.partner_id}
                         AND o.invoice_number = c.invoice_number AND o.invoice_line = c.invoice_line
                         AND o.claim_id <> {run.claim_id} AND o.status IN ('accepted', 'adjusted')
                         AND o.id IS DISTINCT FROM c.resubmission_of_id)
               OR min(line) FILTER (WHERE cardinality(pre) = 0)
                    OVER (PARTITION BY invoice_number, invoice_line) < line)) AS is_dup
          FROM c
        ),
        e AS (
          SELECT d.*, NOT ({rejecting_but_quantity}) AND al_id IS NOT NULL AND qb IS NOT NULL AS consumes
          FROM d
        ),
        f AS (
          SELECT e.*,
            greatest(authorized - consumed - coalesce(sum(qb) FILTER (WHERE consumes) OVER (
              PARTITION BY al_id ORDER BY line ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0), 0) AS remaining
          FROM e
        ),
        g AS (
          SELECT f.*,
            CASE WHEN consumes THEN least(qb, remaining) ELSE 0 END AS accepted,
            pre || array_remove(ARRAY[
              CASE WHEN is_dup THEN 'DUPLICATE_LINE' END,
              CASE WHEN consumes AND remaining = 0 THEN 'NO_QUANTITY_LEFT' END,
              CASE WHEN consumes AND remaining > 0 AND remaining < qb THEN 'QUANTITY_EXCEEDED' END,
              CASE WHEN ok AND al_id IS NOT NULL AND claimed_unit_debit > allowed THEN 'DEBIT_EXCEEDS_ALLOWED' END
            ], NULL) AS all_codes
          FROM f
          OFFSET 0
        ),
        h AS (
          SELECT g.*,
            CASE WHEN all_codes && {rejecting} THEN 'rejected'
                 WHEN cardinality(all_codes) > 0 THEN 'adjusted' ELSE 'accepted' END AS verdict
          FROM g
          OFFSET 0
        ),
        ins AS (
        INSERT INTO claims_claimline (
          tenant_id, claim_id, partner_id, line, source_line, agreement_number, invoice_number, invoice_line,
          ship_date, sku, quantity, unit_of_measure, end_customer, end_customer_normalised, claimed_unit_debit,
          resale_price, problems, resubmission_of_id, agreement_id, agreement_line_id, quantity_base, codes, status,
          accepted_quantity, allowed_unit_debit, claimed_amount, amount, override_reason)
        SELECT tenant_id, claim_id, {run.partner_id}, line, source_line, agreement_number, invoice_number, invoice_line,
          ship_date, sku, quantity, unit_of_measure, end_customer, end_customer_normalised, claimed_unit_debit,
          resale_price, problems, resubmission_of_id, a_id, CASE WHEN ok THEN al_id END, qb, to_jsonb(all_codes), verdict,
          CASE WHEN verdict = 'rejected' THEN 0 ELSE accepted END,
          CASE WHEN ok THEN allowed END,
          coalesce(round(claimed_unit_debit * qb, {minor}), 0),
          CASE WHEN verdict = 'rejected' THEN 0
               ELSE round(least(claimed_unit_debit, allowed) * accepted, {minor}) END,
          ''
        FROM h
        RETURNING agreement_line_id, status, accepted_quantity, claimed_amount, amount
        ),
        used AS (
          INSERT INTO {ident(run.used)} (agreement_line_id, quantity)
          SELECT agreement_line_id, sum(accepted_quantity) FROM ins
          WHERE status IN ('accepted', 'adjusted') AND agreement_line_id IS NOT NULL AND accepted_quantity > 0
          GROUP BY agreement_line_id
        )
        SELECT count(*), coalesce(sum(claimed_amount), 0),
          coalesce(sum(amount) FILTER (WHERE status IN ('accepted', 'adjusted')), 0),
          count(*) FILTER (WHERE status = 'accepted'), count(*) FILTER (WHERE status = 'adjusted'),
          count(*) FILTER (WHERE status = 'rejected')
        FROM ins
        """
    )
    return dict(zip(TOTALS, rows[0], strict=True))


def consume(run: Run) -> None:
    """Add what the claim's lines accepted to their agreement lines (still under the lock)."""
    execute(
        f"""UPDATE claims_agreementline al SET consumed_quantity = al.consumed_quantity + u.quantity
            FROM {ident(run.used)} u
            WHERE al.tenant_id = {run.tenant_id} AND al.id = u.agreement_line_id"""
    )
