"""Notifying people: an in-app row now, an e-mail after the transaction commits."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone, translation

from prm.notifications.models import Notification
from prm.notifications.tasks import send_notification_emails
from prm.tenancy.context import require_tenant
from prm.tenancy.locale import person_language

# A message is best given as a function that builds it (``lambda: _("...") % {...}``): it is then
# written in each recipient's own language. A plain string is stored as it is, in the language
# active when the event happened (the acting person's).
Message = str | Callable[[], str]


def render_message(message: Message, user, tenant) -> str:
    """``message`` in ``user``'s language (their saved one, else the tenant's default)."""
    if not callable(message):
        return str(message)
    with translation.override(person_language(user, tenant)):
        return str(message())


def notify(
    *, recipients: Iterable, verb: str, message: Message, url: str = "", email: bool = True
) -> list[int]:
    """Create in-app notifications for ``recipients`` and e-mail them once the caller commits."""

    tenant = require_tenant()
    rows = Notification.objects.bulk_create(
        [
            Notification(
                tenant=tenant,
                recipient=user,
                verb=verb,
                message=render_message(message, user, tenant)[:500],
                url=url,
            )
            for user in {u.pk: u for u in recipients if u is not None}.values()
        ]
    )
    ids = [n.pk for n in rows]
    if email and ids:
        transaction.on_commit(
            lambda: send_notification_emails.delay(tenant_id=tenant.pk, notification_ids=ids)
        )
    return ids


def notification_mark_read(*, notification: Notification, acting_user) -> None:
    if notification.recipient_id != acting_user.pk:
        raise PermissionError("Only the recipient can mark a notification read.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


def notifications_mark_all_read(*, acting_user) -> int:
    return Notification.objects.filter(recipient=acting_user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
