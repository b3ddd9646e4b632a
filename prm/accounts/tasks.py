from __future__ import annotations

from django.template.loader import render_to_string

from prm.accounts.models import Invitation
from prm.celery import tenant_task
from prm.lib.mail import send_portal_mail
from prm.tenancy.context import require_tenant


@tenant_task(name="prm.accounts.send_invitation_email")
def send_invitation_email(*, invitation_id: int) -> bool:
    tenant = require_tenant()
    invitation = Invitation.objects.select_related("partner", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_usable:
        return False
    context = {
        "tenant": tenant,
        "invitation": invitation,
        "accept_url": tenant.portal_url(f"/invitations/{invitation.token}/"),
    }
    send_portal_mail(
        tenant,
        subject=render_to_string("prm/email/invitation_subject.txt", context),
        body=render_to_string("prm/email/invitation_body.txt", context),
        to=[invitation.email],
    )
    return True
