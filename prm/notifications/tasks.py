from __future__ import annotations

from prm.celery import tenant_task
from prm.lib.mail import send_portal_mail, subject_line
from prm.notifications.models import Notification
from prm.tenancy.context import require_tenant
from prm.tenancy.hosts import absolute_url


@tenant_task(name="prm.notifications.send_emails")
def send_notification_emails(*, notification_ids: list[int]) -> int:
    tenant = require_tenant()
    host = tenant.primary_domain()
    sent = 0
    for note in Notification.objects.select_related("recipient").filter(pk__in=notification_ids):
        link = absolute_url(host, note.url) if note.url else ""
        body = f"{note.message}\n\n{link}".strip()
        subject = subject_line(f"[{tenant.brand_name}] {subject_line(note.message, 80)}")
        send_portal_mail(tenant, subject=subject, body=body, to=[note.recipient.email])
        sent += 1
    return sent
