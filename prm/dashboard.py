"""Home dashboards per role, and the sections of a partner's 360 page. Each app contributes
panels through ``register_panel`` (home) and ``register_partner_panel`` (one partner) in its
AppConfig.ready(); a provider returns None when it has nothing for this member."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from prm.accounts.models import Invitation, Membership
from prm.audit.models import AuditEvent
from prm.jobs.selectors import jobs_for_membership
from prm.notifications.models import Notification
from prm.reports import Report, ReportKind, ReportTables
from prm.roles import Perm, membership_has


@dataclass(frozen=True)
class ActionItem:
    """Something waiting for the member about one partner ("3 registrations to review"), with the
    page where it is done."""

    label: str
    count: int
    url: str


@dataclass
class Panel:
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100
    # What needs action now (partner 360: gathered at the top of the page).
    actions: list[ActionItem] = field(default_factory=list)
    # The panel's headline figures as (label, value): what the scheduled home dashboard sends
    # (``home_tables``). A panel of lists only (notifications, jobs) has none.
    figures: list[tuple[str, Any]] = field(default_factory=list)


PanelProvider = Callable[[Membership], Panel | None]
_PROVIDERS: list[PanelProvider] = []
# fn(membership, partner) -> the section of one partner's 360 page, or None. A provider reads a
# fixed number of queries whatever the partner's volume (lists are cut, figures aggregated).
PartnerPanelProvider = Callable[[Membership, Any], Panel | None]
_PARTNER_PROVIDERS: list[PartnerPanelProvider] = []


def register_panel(provider: PanelProvider) -> PanelProvider:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def panels_for(membership: Membership) -> list[Panel]:
    panels = [p for provider in _PROVIDERS if (p := provider(membership)) is not None]
    return sorted(panels, key=lambda p: p.order)


def register_partner_panel(provider: PartnerPanelProvider) -> PartnerPanelProvider:
    if provider not in _PARTNER_PROVIDERS:
        _PARTNER_PROVIDERS.append(provider)
    return provider


def partner_panels_for(membership: Membership, partner) -> list[Panel]:
    """The sections of ``partner``'s 360 page that ``membership`` may see. The 360 view is the
    vendor's: a partner's own people get none (their company page shows their profile only)."""
    if not membership.is_staff_member:
        return []
    panels = [p for provider in _PARTNER_PROVIDERS if (p := provider(membership, partner)) is not None]
    return sorted(panels, key=lambda p: p.order)


def pending_actions(panels: list[Panel]) -> list[ActionItem]:
    """What needs action now, across the sections: only items with something waiting."""
    return [item for panel in panels for item in panel.actions if item.count]


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
    figures = [
        (_("active people"), counts["total"]),
        (_("partner users"), counts["partner_users"]),
        (_("pending invitations"), counts["pending_invitations"]),
    ]
    return Panel(_("People"), "prm/panels/people.html", {"counts": counts}, order=50, figures=figures)


@register_panel
def notifications_panel(membership: Membership) -> Panel | None:

    notes = list(Notification.objects.filter(recipient=membership.user)[:6])
    unread = Notification.objects.filter(recipient=membership.user, read_at__isnull=True).count()
    return Panel(
        _("Notifications"),
        "prm/panels/notifications.html",
        {"notes": notes, "unread": unread},
        order=80,
        figures=[(_("Unread"), unread)],
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


# --- The home dashboard as a schedulable report ------------------------------------------------------


def moneys_text(totals: list[Any]) -> str:
    """Amounts of several currencies as one cell ("1,200.00 USD; 300.00 EUR"), never added."""
    return "; ".join(f"{money.amount} {money.currency}" for money in totals)


def home_tables(membership: Membership, params: Any) -> ReportTables:
    """The home dashboard's figures for ``membership`` (its panels, as it sees them now): one
    table of section, figure and value."""

    def build() -> Report:
        rows = [
            [str(panel.title), str(label), moneys_text(value) if isinstance(value, list) else value]
            for panel in panels_for(membership)
            for label, value in panel.figures
        ]
        return Report("figures", _("Dashboard"), [_("Section"), _("Figure"), _("Value")], rows)

    return {"figures": build}


HOME_DASHBOARD = ReportKind(
    key="home.dashboard",
    label=gettext_lazy("Dashboard"),
    perm=Perm.DASHBOARD_VIEW,
    url_name="home",
    tables=home_tables,
)
