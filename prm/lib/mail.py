"""E-mail helpers."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage

SUBJECT_LIMIT = 150


def subject_line(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """One line of text for a Subject header: user text (a company name with a line break) would
    otherwise make Django refuse the whole message (BadHeaderError) and the e-mail would be lost."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def send_portal_mail(
    tenant,
    *,
    subject: str,
    body: str,
    to: list[str],
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> None:
    """Send one of a tenant portal's e-mails: from the platform's own address (a tenant's domain
    would fail the receivers' sender checks), replies to the tenant's notification e-mails.
    ``attachments``: (file name, content, MIME type)."""
    reply_to = list(getattr(tenant, "notification_reply_to", None) or [])
    message = EmailMessage(subject_line(subject), body, None, to, reply_to=reply_to or None)
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    message.send()
