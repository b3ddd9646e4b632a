"""Messages to the platform operators (active superusers): things no tenant user can fix."""

from __future__ import annotations

import logging

from django.core.mail import send_mail

from prm.accounts.models import User

logger = logging.getLogger(__name__)


def notify_operators(subject: str, body: str) -> int:
    """E-mail every platform operator; the log carries the subject too. Returns the recipients."""
    recipients = list(
        User.objects.filter(is_superuser=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    logger.error("operator notified: %s", subject)
    if recipients:
        send_mail(f"[PRM operations] {subject}", body, None, recipients)
    return len(recipients)
