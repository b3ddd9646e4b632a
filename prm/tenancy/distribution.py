"""Distribution by tenant: every tenant table is ready for Citus ``create_distributed_table(t, 'tenant_id')``.

Citus can shard a table on ``tenant_id`` only if its primary key and every unique constraint
include ``tenant_id``, and every foreign key between two distributed tables includes
``tenant_id`` on both sides. So, for every table with a ``tenant_id`` column (a *tenant table*,
except the few global tables listed in ``REFERENCE_TABLES_WITH_TENANT``):

* primary key ``(tenant_id, id)``: Django still addresses rows by ``id`` (unique through its
  identity sequence), the database key leads with the tenant;
* foreign keys to other tenant tables ``(tenant_id, x_id) REFERENCES other (tenant_id, id)``,
  with an index leading with ``(tenant_id, x_id)``; the lone ``tenant_id`` index is dropped (the
  primary key leads with it);
* unique constraints lead with ``tenant`` (declared on the models; ``prm.tenancy.checks`` warns).

Two mechanisms keep the schema that way, both keyed on the table's structure (a ``tenant_id``
column), never on a list of models, so a new ``TenantModel`` subclass complies with no extra code:

1. the database backend ``prm.db`` builds the keys in that shape whenever a
   migration creates a table, adds or alters a foreign key;
2. ``make_distributable`` converts what an older schema still has (single-column keys created
   before this backend), before and after every ``migrate``; on a schema already in shape it
   reads the catalogue and changes nothing.

``readiness_violations`` is the check a Citus coordinator would make; a test runs it on the
migrated schema. This module imports no model at import time: the backend loads it early.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connections, transaction

TENANT_COLUMN = "tenant_id"

# Global tables that carry a tenant_id and stay global (Citus reference tables), with the reason.
REFERENCE_TABLES_WITH_TENANT = {
    "prm_domain": "host -> tenant routing, read before any tenant is known",
}

# Global tables without a tenant (Citus reference tables: copied to every node, so distributed
# tables may reference and join them). A new global table must be added here (a test compares
# this list with the schema), so that nobody creates one without deciding where it lives.
REFERENCE_TABLES = {
    "prm_tenant": "the tenants themselves",
    "prm_tenantdeletion": "the operator's tenant deletions, kept after the tenant is gone",
    "prm_user": "people log in once for every tenant",
    "prm_user_groups": "Django's user-group link",
    "prm_user_user_permissions": "Django's user-permission link",
    "auth_group": "Django auth",
    "auth_group_permissions": "Django auth",
    "auth_permission": "Django auth; referenced by the per-object grant tables",
    "django_content_type": "Django content types; referenced by auth_permission",
    "django_admin_log": "platform operators' admin actions",
    "account_emailaddress": "allauth: a user's e-mail addresses",
    "account_emailconfirmation": "allauth",
    "mfa_authenticator": "allauth MFA: a user's TOTP and recovery codes",
    "guardian_userobjectpermission": "django-guardian's generic grant table (unused: grants on "
    "tenant objects use direct foreign-key tables, which are tenant tables)",
    "guardian_groupobjectpermission": "django-guardian's generic grant table (unused)",
}

# Tables that stay on the coordinator only: never joined with tenant tables, no foreign keys.
LOCAL_TABLES = {
    "django_migrations": "the migration history of the coordinator",
    "django_session": "sessions, looked up by key only",
}


def is_tenant_table(table: str, columns: Iterable[str]) -> bool:
    return TENANT_COLUMN in columns and table not in REFERENCE_TABLES_WITH_TENANT


def is_distributed(model: Any) -> bool:
    """True for a model whose table is distributed by tenant: a concrete, managed model with a
    ``tenant_id`` column. Works on migration-state (historical) models too, which do not
    inherit ``TenantModel``."""
    opts = model._meta
    if not opts.managed or opts.proxy or opts.swapped:
        return False
    return is_tenant_table(opts.db_table, (f.column for f in opts.local_concrete_fields))


def is_tenant_relation(model: Any, field: Any) -> bool:
    """A foreign key from one distributed table to another (its key must carry the tenant)."""
    if not (getattr(field, "many_to_one", False) or getattr(field, "one_to_one", False)):
        return False
    if not field.concrete or field.column == TENANT_COLUMN:
        return False
    related = field.remote_field.model
    return not isinstance(related, str) and is_distributed(model) and is_distributed(related)


def is_tenant_indexed(model: Any, field: Any) -> bool:
    """Whether the index Django makes for ``field`` leads with the tenant: on a distributed model,
    every field but the tenant itself and foreign keys to global tables (a user's rows are looked
    up across tenants: their memberships, the rows a deleted user would leave)."""
    # A unique field's "_like" twin follows its (legacy, single-column) unique constraint.
    if not is_distributed(model) or not field.concrete or field.column == TENANT_COLUMN or field.unique:
        return False
    if field.is_relation and not isinstance(field.remote_field.model, str):
        return is_distributed(field.remote_field.model)
    return True


# --- the catalogue ------------------------------------------------------------------------------

_TABLES_SQL = """
SELECT c.relname,
       ARRAY(SELECT a.attname FROM pg_attribute a
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)
  FROM pg_class c
 WHERE c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace
"""

_CONSTRAINTS_SQL = """
SELECT con.conname, con.contype, c.relname,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, pos)
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.pos),
       coalesce(r.relname, ''),
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, pos)
               JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.pos),
       con.confdeltype, con.condeferrable, con.condeferred
  FROM pg_constraint con
  JOIN pg_class c ON c.oid = con.conrelid
  LEFT JOIN pg_class r ON r.oid = con.confrelid
 WHERE c.relnamespace = current_schema()::regnamespace AND con.contype IN ('p', 'u', 'f')
"""

_INDEXES_SQL = """
SELECT ic.relname, c.relname, i.indisunique, i.indisprimary, i.indpred IS NOT NULL,
       ARRAY(SELECT coalesce(a.attname, '') FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(num, pos)
               LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num
              WHERE k.pos <= i.indnkeyatts ORDER BY k.pos),
       ARRAY(SELECT o.opcname FROM unnest(i.indclass::oid[]) WITH ORDINALITY k(opc, pos)
               JOIN pg_opclass o ON o.oid = k.opc ORDER BY k.pos),
       EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.conrelid = c.oid)
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indrelid
  JOIN pg_class ic ON ic.oid = i.indexrelid
 WHERE c.relnamespace = current_schema()::regnamespace
"""

_ON_DELETE = {
    "a": "",
    "r": " ON DELETE RESTRICT",
    "c": " ON DELETE CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}


@dataclass(frozen=True)
class Constraint:
    name: str
    kind: str  # p = primary key, u = unique, f = foreign key
    table: str
    columns: tuple[str, ...]
    to_table: str
    to_columns: tuple[str, ...]
    on_delete: str
    deferrable: bool
    deferred: bool


@dataclass(frozen=True)
class Index:
    name: str
    table: str
    unique: bool
    primary: bool
    partial: bool
    columns: tuple[str, ...]  # '' for an expression
    opclasses: tuple[str, ...]
    backs_constraint: bool


@dataclass
class Catalogue:
    columns: dict[str, tuple[str, ...]]
    constraints: list[Constraint]
    indexes: list[Index]

    @classmethod
    def read(cls, cursor: Any) -> Catalogue:
        cursor.execute(_TABLES_SQL)
        columns = {table: tuple(cols) for table, cols in cursor.fetchall()}
        cursor.execute(_CONSTRAINTS_SQL)
        constraints = [
            Constraint(
                name, kind, table, tuple(cols), to_table, tuple(to_cols), on_delete, deferrable, deferred
            )
            for name, kind, table, cols, to_table, to_cols, on_delete, deferrable, deferred in cursor.fetchall()
        ]
        cursor.execute(_INDEXES_SQL)
        indexes = [
            Index(name, table, unique, primary, partial, tuple(cols), tuple(opclasses), backs)
            for name, table, unique, primary, partial, cols, opclasses, backs in cursor.fetchall()
        ]
        return cls(columns, constraints, indexes)

    @property
    def tenant_tables(self) -> set[str]:
        return {table for table, cols in self.columns.items() if is_tenant_table(table, cols)}

    def foreign_keys(self) -> list[Constraint]:
        return [c for c in self.constraints if c.kind == "f"]

    def has_index_leading_with(self, table: str, columns: tuple[str, ...]) -> bool:
        return any(
            i.table == table and not i.partial and i.columns[: len(columns)] == columns for i in self.indexes
        )


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cols(columns: Iterable[str]) -> str:
    return ", ".join(_q(c) for c in columns)


def foreign_key_sql(fk: Constraint, columns: tuple[str, ...], to_columns: tuple[str, ...]) -> str:
    """ADD CONSTRAINT for ``fk`` on other columns, keeping its name, ON DELETE and deferrability.
    SET NULL / SET DEFAULT name their columns: the tenant column never changes."""
    action = _ON_DELETE[fk.on_delete]
    if action in ("SET NULL", "SET DEFAULT"):
        action = f" ON DELETE {action} ({_cols(c for c in columns if c != TENANT_COLUMN)})"
    deferrable = " DEFERRABLE INITIALLY DEFERRED" if fk.deferred else " DEFERRABLE" if fk.deferrable else ""
    return (
        f"ALTER TABLE {_q(fk.table)} ADD CONSTRAINT {_q(fk.name)} FOREIGN KEY ({_cols(columns)}) "
        f"REFERENCES {_q(fk.to_table)} ({_cols(to_columns)}){action}{deferrable}"
    )


class DistributionError(RuntimeError):
    """The schema cannot be made distributable automatically; the message says what to change."""


def conversion_sql(catalogue: Catalogue, field_index_name: Any) -> list[str]:
    """The statements that bring an older schema into distributable shape (empty when it is).

    ``field_index_name(table, columns, suffix)`` is Django's name for a field index on those
    columns: only indexes with that name (the ones ``db_index=True`` made) are replaced.
    """
    tenant_tables = catalogue.tenant_tables
    single_fks = [
        fk
        for fk in catalogue.foreign_keys()
        if fk.table in tenant_tables and fk.to_table in tenant_tables and TENANT_COLUMN not in fk.columns
    ]
    keys = [
        c
        for c in catalogue.constraints
        if c.kind == "p" and c.table in tenant_tables and TENANT_COLUMN not in c.columns
    ]
    incoming = [
        fk
        for fk in catalogue.foreign_keys()
        if fk.table not in tenant_tables and fk.to_table in {k.table for k in keys}
    ]
    if incoming:
        names = ", ".join(f"{fk.table}.{fk.name} -> {fk.to_table}" for fk in incoming)
        raise DistributionError(
            f"Global tables reference tenant tables ({names}): a reference table cannot point at a "
            "distributed one. Make the referencing model a TenantModel or drop the database constraint."
        )
    statements = [f"ALTER TABLE {_q(fk.table)} DROP CONSTRAINT {_q(fk.name)}" for fk in single_fks]
    for key in keys:
        statements.append(
            f"ALTER TABLE {_q(key.table)} DROP CONSTRAINT {_q(key.name)}, "
            f"ADD CONSTRAINT {_q(key.name)} PRIMARY KEY ({_cols((TENANT_COLUMN, *key.columns))})"
        )
    for fk in single_fks:
        statements.append(foreign_key_sql(fk, (TENANT_COLUMN, *fk.columns), (TENANT_COLUMN, *fk.to_columns)))
    return statements + _field_index_sql(catalogue, field_index_name)


def _field_index_sql(catalogue: Catalogue, field_index_name: Any) -> list[str]:
    """Field indexes Django made on one column (recognised by their generated names, so declared
    indexes are left alone) become (tenant_id, column); the one on tenant_id alone is dropped."""
    tenant_tables = catalogue.tenant_tables
    global_fk_columns = {
        (fk.table, fk.columns[0])
        for fk in catalogue.foreign_keys()
        if len(fk.columns) == 1 and fk.to_table not in tenant_tables
    }
    unique_columns = {(i.table, i.columns[0]) for i in catalogue.indexes if i.unique and len(i.columns) == 1}
    statements = []
    for index in catalogue.indexes:
        if index.table not in tenant_tables or index.unique or index.partial or len(index.columns) != 1:
            continue
        table, column = index.table, index.columns[0]
        if column == TENANT_COLUMN:
            if index.name == field_index_name(table, [column], ""):
                statements.append(f"DROP INDEX {_q(index.name)}")
            continue
        if (table, column) in global_fk_columns or (table, column) in unique_columns:
            continue  # looked up across tenants; or the "_like" twin of a (legacy) unique column
        for suffix, opclass in (("", ""), ("_like", " " + index.opclasses[0])):
            if index.name == field_index_name(table, [column], suffix):
                statements.append(f"DROP INDEX {_q(index.name)}")
                statements.append(
                    f"CREATE INDEX {_q(field_index_name(table, [TENANT_COLUMN, column], suffix))} "
                    f"ON {_q(table)} ({_q(TENANT_COLUMN)}, {_q(column)}{opclass})"
                )
    return statements


def convert(connection: Any) -> list[str]:
    """Run ``conversion_sql`` on the connection's schema; return the statements run."""
    editor = connection.schema_editor(collect_sql=True)  # only for Django's index names
    with connection.cursor() as cursor:
        catalogue = Catalogue.read(cursor)
        statements = conversion_sql(
            catalogue, lambda table, columns, suffix: editor._create_index_name(table, columns, suffix=suffix)
        )
        if statements:
            # Checks deferred by earlier writes in this transaction would block ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for statement in statements:
            cursor.execute(statement)
    return statements


def make_distributable(using: str = "default") -> list[str]:
    """Convert what is not yet distributable (see the module docstring); return the statements run."""

    with transaction.atomic(using=using):
        return convert(connections[using])


def make_distributable_around_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    # pre_migrate and post_migrate fire once per app; the conversion covers every app: run it once.
    if getattr(sender, "name", None) == "prm":
        make_distributable(using)


# --- readiness ----------------------------------------------------------------------------------


def readiness_violations(catalogue: Catalogue) -> list[str]:
    """What would stop ``create_distributed_table(t, 'tenant_id')`` / ``create_reference_table``."""
    tenant_tables = catalogue.tenant_tables
    problems: list[str] = []
    for c in catalogue.constraints:
        if c.table in tenant_tables and c.kind in "pu" and TENANT_COLUMN not in c.columns:
            kind = "primary key" if c.kind == "p" else "unique constraint"
            problems.append(f"{c.table}: {kind} {c.name} {c.columns} does not include tenant_id")
        if c.kind != "f":
            continue
        if c.table in tenant_tables and c.to_table in tenant_tables:
            pairs = dict(zip(c.columns, c.to_columns, strict=True))
            if pairs.get(TENANT_COLUMN) != TENANT_COLUMN:
                problems.append(
                    f"{c.table}: foreign key {c.name} {c.columns} -> {c.to_table}{c.to_columns} "
                    "does not join tenant_id to tenant_id"
                )
        elif c.table not in tenant_tables and c.to_table in tenant_tables:
            problems.append(
                f"{c.table}: global table references the distributed table {c.to_table} ({c.name})"
            )
    for i in catalogue.indexes:
        if (
            i.table in tenant_tables
            and i.unique
            and not i.backs_constraint
            and TENANT_COLUMN not in i.columns
        ):
            problems.append(f"{i.table}: unique index {i.name} {i.columns} does not include tenant_id")
    return problems


def unclassified_tables(catalogue: Catalogue) -> list[str]:
    """Global tables that are neither declared reference tables nor local ones."""
    known = set(REFERENCE_TABLES) | set(LOCAL_TABLES) | set(REFERENCE_TABLES_WITH_TENANT)
    return sorted(t for t in catalogue.columns if t not in catalogue.tenant_tables and t not in known)


# --- the Citus script ---------------------------------------------------------------------------


def _parents_first(tables: set[str], foreign_keys: list[Constraint]) -> list[str]:
    """The tables ordered so that each comes after the tables it references (ties by name)."""
    parents = {
        t: {fk.to_table for fk in foreign_keys if fk.table == t and fk.to_table in tables} - {t}
        for t in tables
    }
    ordered: list[str] = []
    while parents:
        ready = sorted(t for t, needs in parents.items() if not needs - set(ordered))
        if not ready:  # a cycle: Citus accepts it once every table of the cycle is distributed
            ready = sorted(parents)[:1]
        ordered += ready
        for table in ready:
            del parents[table]
    return ordered


def citus_script(catalogue: Catalogue) -> list[str]:
    """The statements that distribute this schema on a Citus coordinator: reference tables, then
    the tenant tables, parents first, all colocated with the first one."""
    foreign_keys = catalogue.foreign_keys()
    reference = set(REFERENCE_TABLES) | set(REFERENCE_TABLES_WITH_TENANT)
    statements = [
        f"SELECT create_reference_table('{table}');"
        for table in _parents_first(reference & set(catalogue.columns), foreign_keys)
    ]
    distributed = _parents_first(catalogue.tenant_tables, foreign_keys)
    for table in distributed:
        colocation = "" if table == distributed[0] else f", colocate_with => '{distributed[0]}'"
        statements.append(f"SELECT create_distributed_table('{table}', '{TENANT_COLUMN}'{colocation});")
    return statements
