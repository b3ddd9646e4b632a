"""PostgreSQL backend that binds the tenant context to every transaction.

Row-level security reads ``app.tenant_id`` (and the memberships policy ``app.user_id``). They are
set with ``set_config(..., true)``: transaction-local, so nothing outlives the transaction that
needed it. Behind a transaction-pooling PgBouncer each transaction may run on another server
connection, and a session-level setting would leak to whichever client gets that connection next.

Every statement passes through ``bound()`` at the psycopg cursor level, which covers the ORM,
``connection.cursor()`` and code that uses the raw psycopg connection (the POS loader's COPY):

* inside a transaction, the binding is (re)applied when the transaction has not got the current
  context's values yet (first statement, context changed, or a rollback to a savepoint undid it);
* in autocommit, a statement under a context is sent as ``SELECT set_config(...); stmt`` in one
  message, which PostgreSQL runs as one implicit transaction (COPY, executemany and server-side
  cursors get an explicit ``BEGIN; set_config`` ... ``COMMIT`` instead); without a context it runs
  as is, and sees no tenant rows.

Long jobs that commit progress in several transactions inside one ``tenant_context`` therefore
keep committing them one by one, each bound.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import psycopg
from django.db.backends.postgresql import base as postgresql
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg import pq
from psycopg import sql as pgsql

from prm.tenancy.backend.features import DatabaseFeatures
from prm.tenancy.backend.schema import DatabaseSchemaEditor
from prm.tenancy.context import db_binding

Binding = tuple[str, str]
UNBOUND: Binding = ("", "")
# A value no context produces: forces the next statement in the transaction to bind again.
UNKNOWN: Binding = ("?", "?")
BIND = "SELECT set_config('app.tenant_id', {}, true), set_config('app.user_id', {}, true)"

# Attribute of a psycopg connection: what its open transaction was bound to.
APPLIED = "_prm_bound_to"


def _wanted() -> Binding:

    return db_binding()


def _run(conn: psycopg.Connection, statement: str) -> None:
    # A plain psycopg cursor: this statement must not pass through bound() again.
    with psycopg.Cursor(conn) as cursor:
        cursor.execute(statement.encode())


def _bind_sql(binding: Binding) -> str:
    return pgsql.SQL(BIND).format(*(pgsql.Literal(v) for v in binding)).as_string(None)


def forget_binding(conn: psycopg.Connection | None) -> None:
    """The transaction's setting may have changed behind our back (rollback to a savepoint)."""
    if conn is not None:
        setattr(conn, APPLIED, UNKNOWN)


@contextmanager
def bound(conn: psycopg.Connection) -> Iterator[None]:
    """Run the enclosed statement with the current context's binding in its transaction."""
    wanted = _wanted()
    status = conn.info.transaction_status
    if status == pq.TransactionStatus.IDLE:
        applied = UNBOUND  # a new transaction starts with the settings unset
    elif status == pq.TransactionStatus.INTRANS:
        applied = getattr(conn, APPLIED, UNKNOWN)
    else:  # a failed transaction refuses the statement anyway; ACTIVE cannot happen here
        yield
        return
    if wanted == applied:
        yield
        return
    if status == pq.TransactionStatus.IDLE and conn.autocommit:
        _run(conn, "BEGIN; " + _bind_sql(wanted))
        setattr(conn, APPLIED, wanted)
        try:
            yield
        except BaseException:
            if not conn.closed and conn.info.transaction_status != pq.TransactionStatus.IDLE:
                _run(conn, "ROLLBACK")
            raise
        _run(conn, "COMMIT")
        return
    # In a transaction (or about to start one: psycopg begins it implicitly).
    _run(conn, _bind_sql(wanted))
    setattr(conn, APPLIED, wanted)
    yield


class TenantBindingMixin:
    """Binds the tenant before each statement of a psycopg cursor."""

    connection: psycopg.Connection

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        with bound(self.connection):
            return super().execute(query, params, **kwargs)  # type: ignore[misc]

    def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> Any:
        with bound(self.connection):
            return super().executemany(query, params_seq, **kwargs)  # type: ignore[misc]

    @contextmanager
    def copy(self, statement: Any, params: Any = None, **kwargs: Any) -> Iterator[Any]:
        with bound(self.connection), super().copy(statement, params, **kwargs) as copy:  # type: ignore[misc]
            yield copy


class Cursor(TenantBindingMixin, postgresql.Cursor):
    """Django's default cursor (client-side binding, simple query protocol)."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        conn = self.connection
        wanted = _wanted()
        if (
            wanted != UNBOUND
            and conn.autocommit
            and conn.info.transaction_status == pq.TransactionStatus.IDLE
        ):
            # One Query message: PostgreSQL runs its statements as one implicit transaction, so the
            # transaction-local binding covers the statement and ends with it, and costs no extra
            # round trip. The cursor then moves on to the statement's own result.
            client = cast(psycopg.ClientCursor, self)
            statement = client.mogrify(query, params)
            super(TenantBindingMixin, self).execute(f"{_bind_sql(wanted)};\n{statement}", None, **kwargs)
            client.nextset()
            return self
        return super().execute(query, params, **kwargs)


class ServerBindingCursor(TenantBindingMixin, postgresql.ServerBindingCursor):
    pass


class ServerSideCursor(TenantBindingMixin, postgresql.ServerSideCursor):
    pass


class DatabaseWrapper(postgresql.DatabaseWrapper):
    # Tenant tables keyed by (tenant_id, id), foreign keys and indexes led by the tenant.
    SchemaEditorClass = DatabaseSchemaEditor
    features_class = DatabaseFeatures

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        server_side = self.settings_dict["OPTIONS"].get("server_side_binding") is True
        params["cursor_factory"] = ServerBindingCursor if server_side else Cursor
        return params

    def create_cursor(self, name: str | None = None) -> Any:
        if name and self.settings_dict["OPTIONS"].get("server_side_binding") is not True:
            # Django's own branch, with the binding cursor class (see postgresql.create_cursor).
            cursor = ServerSideCursor(  # type: ignore[call-arg]
                self.connection, name=name, scrollable=False, withhold=self.connection.autocommit
            )
            tzloader = self.connection.adapters.get_loader(postgresql.TIMESTAMPTZ_OID, pq.Format.TEXT)
            if self.timezone != tzloader.timezone:
                register_tzloader(self.timezone, cursor)
            return cursor
        return super().create_cursor(name)

    def _savepoint_rollback(self, sid: str) -> None:
        super()._savepoint_rollback(sid)
        forget_binding(self.connection)
