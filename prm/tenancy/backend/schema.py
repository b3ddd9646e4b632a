"""The schema editor of tenant-distributable tables (``prm.tenancy.distribution``).

On a distributed model (one with a ``tenant_id`` column) it creates the primary key as
``(tenant_id, id)``, every foreign key to another distributed model as
``(tenant_id, x_id) -> (tenant_id, id)``, the index of a field as ``(tenant_id, field)`` (except
foreign keys to global tables such as users, which are looked up across tenants), and no index on
``tenant_id`` alone (the primary key leads with it). Django's own alter and remove operations
find those composite keys and indexes when they look for the ones of ``x_id``, so later migrations
that alter or drop such a field work unchanged. Everything else is Django's PostgreSQL editor.
"""

from __future__ import annotations

from django.db.backends.ddl_references import Columns, ForeignKeyName, Statement, Table
from django.db.backends.postgresql import schema
from django.db.backends.utils import split_identifier

from prm.tenancy.distribution import (
    REFERENCE_TABLES_WITH_TENANT,
    TENANT_COLUMN,
    Catalogue,
    convert,
    is_distributed,
    is_tenant_indexed,
    is_tenant_relation,
)


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    _tenant_column_added = False

    def __exit__(self, exc_type, exc_value, traceback):
        if exc_type is None and self._tenant_column_added and not self.collect_sql:
            self._finish_new_tenant_tables()
        return super().__exit__(exc_type, exc_value, traceback)

    def _finish_new_tenant_tables(self) -> None:
        """Tables that got their tenant column in this migration (an app's first migration creates
        its tables, a later one adds the tenant) were created with single-column keys. Convert
        them (prm.tenancy.distribution), then create the migration's foreign keys in the shape
        the tables now have."""
        foreign_keys = [sql for sql in self.deferred_sql if hasattr(sql, "foreign_key_of")]
        for sql in self.deferred_sql:
            if sql not in foreign_keys:
                self.execute(sql)
        self.deferred_sql = []
        convert(self.connection)
        with self.connection.cursor() as cursor:
            tenant_tables = Catalogue.read(cursor).tenant_tables
        for sql in foreign_keys:
            model, field, suffix = sql.foreign_key_of
            if {model._meta.db_table, field.target_field.model._meta.db_table} <= tenant_tables:
                sql = self._composite_fk_sql(model, field, suffix)
            self.execute(sql)

    def _iter_column_sql(self, column_db_type, params, model, field, field_db_params, include_default):
        parts = super()._iter_column_sql(
            column_db_type, params, model, field, field_db_params, include_default
        )
        for part in parts:
            # The key of a distributed table is added after the table: (tenant_id, id).
            if part == "PRIMARY KEY" and is_distributed(model):
                continue
            yield part

    def create_model(self, model) -> None:
        super().create_model(model)
        if is_distributed(model):
            self.execute(self._create_primary_key_sql(model, model._meta.pk))

    def _create_primary_key_sql(self, model, field):
        if not (is_distributed(model) and field.primary_key):
            return super()._create_primary_key_sql(model, field)
        table = model._meta.db_table
        columns = [TENANT_COLUMN, field.column]
        return Statement(
            self.sql_create_pk,
            table=Table(table, self.quote_name),
            name=self.quote_name(self._create_index_name(table, columns, suffix="_pk")),
            columns=Columns(table, columns, self.quote_name),
        )

    def add_field(self, model, field) -> None:
        if field.column == TENANT_COLUMN and model._meta.db_table not in REFERENCE_TABLES_WITH_TENANT:
            # An existing table becomes a tenant table (e.g. an app's first migration creates its
            # tables, a later one adds the tenant): its keys are converted when the migration ends.
            self._tenant_column_added = True
        target = field.remote_field.model if field.remote_field else None
        if not (is_tenant_relation(model, field) or (target is not None and is_distributed(target))):
            return super().add_field(model, field)
        # PostgreSQL's inline column constraint has one column: add the composite key after it
        # (from deferred_sql, when the table may have become a tenant table in this migration).
        self.sql_create_column_inline_fk = None  # type: ignore[assignment]
        try:
            super().add_field(model, field)
        finally:
            del self.sql_create_column_inline_fk

    def _create_fk_sql(self, model, field, suffix):
        if is_tenant_relation(model, field):
            statement = self._composite_fk_sql(model, field, suffix)
        else:
            statement = super()._create_fk_sql(model, field, suffix)
        statement.foreign_key_of = (model, field, suffix)  # see _finish_new_tenant_tables
        return statement

    def _composite_fk_sql(self, model, field, suffix):
        table = model._meta.db_table
        to_table = field.target_field.model._meta.db_table
        columns = [TENANT_COLUMN, field.column]
        to_columns = [TENANT_COLUMN, field.target_field.column]

        def create_fk_name(*args, **kwargs):
            return self.quote_name(self._create_index_name(*args, **kwargs))

        return Statement(
            self.sql_create_fk,
            table=Table(table, self.quote_name),
            name=ForeignKeyName(
                table, columns, split_identifier(to_table)[1], to_columns, suffix, create_fk_name
            ),
            column=Columns(table, columns, self.quote_name),
            to_table=Table(to_table, self.quote_name),
            to_column=Columns(to_table, to_columns, self.quote_name),
            deferrable=self.connection.ops.deferrable_sql(),
            on_delete_db=self._tenant_on_delete_sql(model, field),
        )

    def _tenant_on_delete_sql(self, model, field) -> str:
        # SET NULL / SET DEFAULT must leave the tenant column alone: name the column.
        sql = self._create_on_delete_sql(model, field)  # type: ignore[attr-defined]  # Django 6.1, not in the stubs
        if sql.endswith(("SET NULL", "SET DEFAULT")):
            sql += f" ({self.quote_name(field.column)})"
        return sql

    def _field_should_be_indexed(self, model, field) -> bool:
        if field.column == TENANT_COLUMN and is_distributed(model):
            return False
        return super()._field_should_be_indexed(model, field)

    def _create_index_sql(self, model, *, fields=None, name=None, **kwargs):
        # The indexes Django makes for one field (db_index=True, foreign keys, the pattern-ops
        # "_like" twin) lead with the tenant: every query on a tenant table filters by it.
        if name is None and fields and len(fields) == 1 and is_tenant_indexed(model, fields[0]):
            fields = [model._meta.get_field("tenant"), fields[0]]
            for option in ("opclasses", "col_suffixes"):
                if kwargs.get(option):
                    kwargs[option] = ("", *kwargs[option])
        return super()._create_index_sql(model, fields=fields, name=name, **kwargs)

    def _constraint_names(
        self,
        model,
        column_names=None,
        unique=None,
        primary_key=None,
        index=None,
        foreign_key=None,
        check=None,
        type_=None,
        exclude=None,
    ):
        names = super()._constraint_names(
            model, column_names, unique, primary_key, index, foreign_key, check, type_, exclude
        )
        # Django looks up the foreign key and the index of x_id by their one column; on a
        # distributed table they are on (tenant_id, x_id). Unique constraints are not mapped.
        if (
            column_names
            and len(column_names) == 1
            and column_names[0] != TENANT_COLUMN
            and (foreign_key or (index and not unique and not primary_key))
            and is_distributed(model)
        ):
            composite = super()._constraint_names(
                model,
                [TENANT_COLUMN, column_names[0]],
                unique=False if index else unique,
                primary_key=False,
                index=index,
                foreign_key=foreign_key,
                check=check,
                type_=type_,
                exclude=exclude,
            )
            names += [name for name in composite if name not in names]
        return names
