"""The POS line watermark: the id up to which every line of the tenant is committed.

Lines are never updated; ids come from one sequence. A reader that records the watermark and
counts only lines with ``id <= watermark`` (a rebate calculation run) can list exactly those lines
again later: lines loaded afterwards have higher ids. Deleted lines (a replaced period) are gone
from both, which the reader detects by comparing counts.

An id alone is not enough while loads run: a load that took its ids before another one may
commit after it, so lines below the highest committed id can still appear. Every load therefore
holds the tenant's lines lock, shared, from its first change to its commit
(``hold_lines_lock``); the watermark takes the same lock exclusively, which waits for the loads in
flight, and reads the highest id. Loads of other tenants are not held up, and loads of the same
tenant wait only while the watermark is read, never for the reader's whole calculation.
"""

from __future__ import annotations

from django.db import connection, transaction

from prm.tenancy.context import require_tenant

# The first key of the two-key advisory locks: a space of its own ("POS"), keyed by tenant.
LINES_LOCK_SPACE = 0x504F53


def hold_lines_lock(tenant_id: int) -> None:
    """Hold the tenant's lines lock, shared, until the transaction ends (call it inside the
    transaction that inserts or deletes lines, before it does)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", [LINES_LOCK_SPACE, tenant_id])


def hold_lines_lock_exclusive(tenant_id: int) -> None:
    """Hold the tenant's lines lock exclusively until the transaction ends: waits for the loads in
    flight and holds new ones back (the rollup rebuild of ``pos_rollups_check --fix``)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LINES_LOCK_SPACE, tenant_id])


def pos_lines_watermark() -> int:
    """The highest POS line id of the current tenant such that every line up to it is committed
    (0 without lines). Call it outside a long transaction: the exclusive lock lasts until the
    surrounding transaction ends and holds the tenant's loads back meanwhile."""
    tenant_id = require_tenant().pk
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LINES_LOCK_SPACE, tenant_id])
        # A statement after the lock: in READ COMMITTED its snapshot sees the loads it waited for.
        cursor.execute("SELECT coalesce(max(id), 0) FROM posdata_posline WHERE tenant_id = %s", [tenant_id])
        (watermark,) = cursor.fetchone()
    return int(watermark)
