"""Home dashboards per role. Each app contributes panels through ``register_panel`` in its
AppConfig.ready(); a panel returns None when it has nothing for this member."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from prm.accounts.models import Invitation, Membership
from prm.audit.models import AuditEvent
from prm.jobs.selectors import jobs_for_membership
from prm.notifications.models import Notification
from prm.roles import Perm, membership_has


@dataclass
class Panel:
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


PanelProvider = Callable[[Membership], Panel | None]
_PROVIDERS: list[PanelProvider] = []


def register_panel(provider: PanelProvider) -> PanelProvider:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def panels_for(membership: Membership) -> list[Panel]:
    panels = [p for provider in _PROVIDERS if (p := provider(membership)) is not None]
    return sorted(panels, key=lambda p: p.order)


@register_panel
def people_panel(membership: Membership) -> Panel | None:
    if not membership_has(membership, Perm.STAFF_VIEW):
        return None
    members = Membership.objects.all()
    invitations = Invitation.objects.filter(status=Invitation.Status.PENDING)
    if membership.is_partner:
        members = members.filter(partner_id=membership.partner_id)
        invitations = invitations.filter(partner_id=membership.partner_id)
    counts = members.aggregate(
        total=Count("id", filter=Q(is_active=True)),
        staff=Count("id", filter=Q(is_active=True, partner__isnull=True)),
        partner_users=Count("id", filter=Q(is_active=True, partner__isnull=False)),
    )
    counts["pending_invitations"] = invitations.count()
    return Panel(_("People"), "prm/panels/people.html", {"counts": counts}, order=50)


@register_panel
def notifications_panel(membership: Membership) -> Panel | None:

    notes = list(Notification.objects.filter(recipient=membership.user)[:6])
    unread = Notification.objects.filter(recipient=membership.user, read_at__isnull=True).count()
    return Panel(
        _("Notifications"), "prm/panels/notifications.html", {"notes": notes, "unread": unread}, order=80
    )


@register_panel
def jobs_panel(membership: Membership) -> Panel | None:

    jobs = list(jobs_for_membership(membership)[:5])
    if not jobs:
        return None
    return Panel(_("Recent jobs"), "prm/panels/jobs.html", {"jobs": jobs}, order=85)


@register_panel
def recent_activity_panel(membership: Membership) -> Panel | None:
    if not membership_has(membership, Perm.AUDIT_VIEW):
        return None
    events = list(AuditEvent.objects.select_related("actor")[:8])
    return Panel(_("Recent activity"), "prm/panels/activity.html", {"events": events}, order=90)
