"""Attachments: documents the partner adds to a registration, checked by content."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from deals.models import (
    DealAttachment,
    DealRegistration,
)
from deals.services.common import (
    S,
    require_partner_member,
)
from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.files import store_document
from prm.workflow import DomainError


def attachment_add(
    *, registration: DealRegistration, acting_membership: Membership, upload
) -> DealAttachment:
    """Attach a document (PDF, image, office file, text) checked by content, stored per tenant."""
    require_partner_member(acting_membership, registration)
    if registration.status in (S.REJECTED, S.EXPIRED, S.LOST):
        raise DomainError(_("Closed registrations take no more files."))
    stored = store_document(upload, area="deals", max_bytes=20 * 1024 * 1024)
    with transaction.atomic():
        attachment = DealAttachment.objects.create(
            registration=registration,
            filename=(getattr(upload, "name", "") or "file")[-200:],
            path=str(stored["path"]),
            content_type=str(stored["content_type"]),
            size=int(stored["size"]),
            sha256=str(stored["sha256"]),
            uploaded_by=acting_membership.user,
        )
        audit(
            actor=acting_membership.user,
            action="deal.attach",
            obj=attachment,
            after={"registration": registration.pk, "sha256": attachment.sha256},
        )
    return attachment
