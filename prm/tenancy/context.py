"""The current tenant: one context variable, mirrored into the PostgreSQL session setting that
row-level security policies read (``app.tenant_id``).

Every web request, Celery task and management command that touches tenant data runs inside
``tenant_context(tenant)``. Outside of one, tenant-scoped managers raise and RLS returns no rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.db import connection

if TYPE_CHECKING:
    from prm.models import Tenant

_current_tenant: ContextVar[Tenant | None] = ContextVar("prm_current_tenant", default=None)
_current_user_id: ContextVar[int | None] = ContextVar("prm_current_user_id", default=None)


class TenantContextMissing(RuntimeError):
    """Tenant-owned data was reached without a tenant context: fail closed instead of guessing."""


def current_tenant() -> Tenant | None:
    return _current_tenant.get()


def require_tenant() -> Tenant:
    tenant = _current_tenant.get()
    if tenant is None:
        raise TenantContextMissing(
            "No tenant context: wrap the code in prm.tenancy.context.tenant_context(tenant)."
        )
    return tenant


def _apply_db_settings() -> None:
    """Write the context into the connection's session settings (read by RLS policies).

    Session-level (not transaction-local) because Django runs in autocommit mode: each query
    outside ``atomic`` is its own transaction. The context manager always restores the previous
    value, and a new connection starts empty, so nothing carries over between requests.
    """
    tenant = _current_tenant.get()
    user_id = _current_user_id.get()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('app.tenant_id', %s, false), set_config('app.user_id', %s, false)",
            [str(tenant.pk) if tenant else "", str(user_id) if user_id else ""],
        )


@contextmanager
def tenant_context(tenant: Tenant | None, *, user_id: int | None = None) -> Iterator[None]:
    tenant_token = _current_tenant.set(tenant)
    user_token = _current_user_id.set(user_id)
    _apply_db_settings()
    try:
        yield
    finally:
        _current_tenant.reset(tenant_token)
        _current_user_id.reset(user_token)
        _apply_db_settings()


@contextmanager
def user_context(user_id: int | None) -> Iterator[None]:
    """Let the RLS policy on memberships show this user's memberships in every tenant (switcher)."""
    token = _current_user_id.set(user_id)
    _apply_db_settings()
    try:
        yield
    finally:
        _current_user_id.reset(token)
        _apply_db_settings()
