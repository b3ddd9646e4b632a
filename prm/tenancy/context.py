"""The current tenant: one context variable, bound into every database transaction as the
setting that row-level security policies read (``app.tenant_id``, transaction-local).

Every web request, Celery task and management command that touches tenant data runs inside
``tenant_context(tenant)``. Outside of one, tenant-scoped managers raise and RLS returns no rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prm.models import Tenant

_current_tenant: ContextVar[Tenant | None] = ContextVar("prm_current_tenant", default=None)
_current_user_id: ContextVar[int | None] = ContextVar("prm_current_user_id", default=None)


class TenantContextMissing(RuntimeError):
    """Tenant-owned data was reached without a tenant context: fail closed instead of guessing."""


def current_tenant() -> Tenant | None:
    return _current_tenant.get()


def current_user_id() -> int | None:
    """The signed-in user of the current request (set with user_context), if any."""
    return _current_user_id.get()


def require_tenant() -> Tenant:
    tenant = _current_tenant.get()
    if tenant is None:
        raise TenantContextMissing(
            "No tenant context: wrap the code in prm.tenancy.context.tenant_context(tenant)."
        )
    return tenant


def db_binding() -> tuple[str, str]:
    """The values of ``app.tenant_id`` and ``app.user_id`` that the current context asks for.

    The database backend (prm/db/base.py) sets them transaction-locally in front of every
    transaction that runs under the context, so this module never touches a connection: entering
    or leaving a context cannot fail half-way, and no setting outlives its transaction.
    """
    tenant = _current_tenant.get()
    user_id = _current_user_id.get()
    return (str(tenant.pk) if tenant else "", str(user_id) if user_id else "")


@contextmanager
def tenant_context(tenant: Tenant | None, *, user_id: int | None = None) -> Iterator[None]:
    tenant_token = _current_tenant.set(tenant)
    try:
        user_token = _current_user_id.set(user_id)
        try:
            yield
        finally:
            _current_user_id.reset(user_token)
    finally:
        _current_tenant.reset(tenant_token)


@contextmanager
def user_context(user_id: int | None) -> Iterator[None]:
    """Let the RLS policy on memberships show this user's memberships in every tenant (switcher)."""
    token = _current_user_id.set(user_id)
    try:
        yield
    finally:
        _current_user_id.reset(token)
