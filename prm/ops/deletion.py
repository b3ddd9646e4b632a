"""Deleting a tenant: requested by a platform operator after an export, with the tenant's slug typed
as confirmation; the tenant closes at once (portal, jobs, beat) and its data is purged when the
grace period has passed, unless an operator cancels first.

The purge deletes every row with the tenant's id from every tenant table, the tenant's staging
tables and the tenant row, in one transaction, then its files. It runs as the owner role
(``manage.py purge_tenants``, like ``migrate``): the runtime role may not delete audit events,
and the audit trigger lets the owner delete them only for the tenant named in the transaction's
``prm.purge_tenant`` setting. People's accounts (global) stay; they lose the membership.
"""

from __future__ import annotations

import datetime
import logging
import shutil
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from prm.audit.services import audit
from prm.db.roles import STAGING_SCHEMA, as_owner
from prm.files import tenant_folder
from prm.jobs.staging import quote_table
from prm.ops.models import TenantDeletion
from prm.ops.notify import notify_operators
from prm.ops.tenant_data import latest_export, tenant_tables
from prm.tenancy.context import tenant_context
from prm.tenancy.models import Tenant
from prm.workflow import DomainError, check_transition, require

logger = logging.getLogger(__name__)
D = TenantDeletion.Status


def grace() -> datetime.timedelta:
    return datetime.timedelta(days=settings.PRM_TENANT_DELETION_GRACE_DAYS)


def export_max_age() -> datetime.timedelta:
    return datetime.timedelta(days=settings.PRM_TENANT_DELETION_EXPORT_MAX_AGE_DAYS)


def tenant_deletion_request(*, tenant: Tenant, acting_user, confirmation: str) -> TenantDeletion:
    """Schedule ``tenant``'s deletion: only a platform operator, only after a recent export, only
    with the tenant's slug typed. The tenant is closed now and purged after the grace period."""
    require(bool(acting_user and acting_user.is_superuser))
    if (confirmation or "").strip() != tenant.slug:
        raise DomainError(
            _("Type the tenant's slug (%(slug)s) to confirm the deletion.") % {"slug": tenant.slug}
        )
    with tenant_context(tenant):
        export = latest_export(max_age=export_max_age())
    if export is None:
        raise DomainError(
            _(
                "Export the tenant's data first: a deletion needs an export finished in the last %(days)d days."
            )
            % {"days": settings.PRM_TENANT_DELETION_EXPORT_MAX_AGE_DAYS}
        )
    with transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if TenantDeletion.objects.filter(deleted_tenant_id=locked.pk, status=D.SCHEDULED).exists():
            raise DomainError(_("The deletion of this tenant is already scheduled."))
        deletion = TenantDeletion.objects.create(
            deleted_tenant_id=locked.pk,
            slug=locked.slug,
            name=locked.name,
            export_job_id=export.pk,
            export_file=export.result.get("file", ""),
            requested_by=acting_user,
            due_at=timezone.now() + grace(),
        )
        was_active = locked.is_active
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        with tenant_context(locked):
            audit(
                actor=acting_user,
                action="tenant.deletion_requested",
                obj=locked,
                before={"is_active": was_active},
                after={"is_active": False, "due_at": deletion.due_at, "export_job": export.pk},
            )
        transaction.on_commit(
            lambda: notify_operators(
                f"tenant {deletion.slug} will be deleted on {deletion.due_at:%Y-%m-%d %H:%M} UTC",
                f"{acting_user.email} scheduled the deletion of {deletion.name} ({deletion.slug}) after export job "
                f"{export.pk}. The portal is closed now. Cancel on the operations page before the date, or run "
                "`manage.py purge_tenants` after it.",
            )
        )
    return deletion


def tenant_deletion_cancel(*, deletion: TenantDeletion, acting_user) -> TenantDeletion:
    """Keep the tenant after all (during the grace period): the portal opens again."""
    require(bool(acting_user and acting_user.is_superuser))
    with transaction.atomic():
        locked = TenantDeletion.objects.select_for_update().get(pk=deletion.pk)
        check_transition(TenantDeletion.TRANSITIONS, locked.status, D.CANCELLED, what=_("The deletion"))
        tenant = Tenant.objects.select_for_update().get(pk=locked.deleted_tenant_id)
        locked.status = D.CANCELLED
        locked.cancelled_by = acting_user
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["status", "cancelled_by", "cancelled_at"])
        tenant.is_active = True
        tenant.save(update_fields=["is_active"])
        with tenant_context(tenant):
            audit(
                actor=acting_user, action="tenant.deletion_cancelled", obj=tenant, after={"is_active": True}
            )
    return locked


def due_deletions(now: datetime.datetime | None = None):
    return TenantDeletion.objects.filter(status=D.SCHEDULED, due_at__lte=now or timezone.now()).order_by(
        "due_at"
    )


def _delete_order(tables: list[str]) -> list[str]:
    """Tables that point at others first (the foreign keys are deferred as well)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT src.relname, dst.relname FROM pg_constraint con
            JOIN pg_class src ON src.oid = con.conrelid JOIN pg_class dst ON dst.oid = con.confrelid
            JOIN pg_namespace n ON n.oid = src.relnamespace
            WHERE con.contype = 'f' AND n.nspname = 'public' AND src.oid <> dst.oid
            """
        )
        edges = [(a, b) for a, b in cursor.fetchall() if a in tables and b in tables]
    remaining = set(tables)
    order: list[str] = []
    while remaining:
        # A table nobody left points at can go now.
        free = sorted(t for t in remaining if not any(b == t and a in remaining for a, b in edges))
        if not free:  # a cycle: deferred constraints settle it at commit
            free = sorted(remaining)
        order.extend(free)
        remaining -= set(free)
    return order


def tenant_purge(*, deletion: TenantDeletion, now: datetime.datetime | None = None) -> TenantDeletion:
    """Delete everything of a tenant whose grace period has passed (as the owner role)."""
    now = now or timezone.now()
    if deletion.status != D.SCHEDULED or deletion.due_at > now:
        raise DomainError(_("This deletion is not due."))
    tenant = Tenant.objects.get(pk=deletion.deleted_tenant_id)
    with tenant_context(tenant):
        folder = tenant_folder()
    logo = Path(settings.MEDIA_ROOT) / str(tenant.logo.name) if tenant.logo else None
    counts: dict[str, int] = {}
    with as_owner(), tenant_context(tenant), transaction.atomic():
        locked = TenantDeletion.objects.select_for_update().get(pk=deletion.pk)
        check_transition(TenantDeletion.TRANSITIONS, locked.status, D.PURGED, what=_("The deletion"))
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("SELECT set_config('prm.purge_tenant', %s, true)", [str(tenant.pk)])
            for table in _delete_order([t.name for t in tenant_tables()]):
                cursor.execute(f"DELETE FROM {quote_table(table)} WHERE tenant_id = %s", [tenant.pk])
                counts[table] = cursor.rowcount
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename LIKE %s",
                [STAGING_SCHEMA, f"t{tenant.pk}\\_j%"],
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP TABLE IF EXISTS {quote_table(f'{STAGING_SCHEMA}.{name}')}")
            cursor.execute("DELETE FROM prm_tenant WHERE id = %s", [tenant.pk])
        locked.status = D.PURGED
        locked.purged_at = now
        locked.rows_deleted = counts
        locked.save(update_fields=["status", "purged_at", "rows_deleted"])
    files = _remove_files(folder, logo)
    TenantDeletion.objects.filter(pk=locked.pk).update(files_deleted=files)
    locked.files_deleted = files
    logger.warning(
        "tenant purged", extra={"purged_tenant": deletion.slug, "rows": sum(counts.values()), "files": files}
    )
    return locked


def _remove_files(folder: Path, logo: Path | None) -> int:
    count = 0
    if folder.is_dir():
        count += sum(1 for p in folder.rglob("*") if p.is_file())
        shutil.rmtree(folder)
    if logo is not None and logo.is_file():
        logo.unlink()
        count += 1
    return count
