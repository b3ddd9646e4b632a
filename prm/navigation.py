"""Navigation by role, grouped by area. Apps add their entries through ``register_nav`` in their
AppConfig.ready() (the lower layer never imports the higher one).

Every entry belongs to one of the fixed ``AREAS`` (Partners, Deals and leads, ...); the shell
shows an area only when the member may open at least one of its entries, and marks the area of
the page being shown. An entry without an area (the home page) stands above the areas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from prm.roles import Perm, membership_has

# The areas in the order the shell shows them. Fixed on purpose: an app files its entries under
# one of these, it does not invent a new top-level group.
AREAS: dict[str, str | Promise] = {
    "partners": _("Partners"),
    "deals": _("Deals and leads"),
    "channel_data": _("Channel data"),
    "incentives": _("Incentives"),
    "funds": _("Funds"),
    "finance": _("Finance"),
    "admin": _("Administration"),
}


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    perm: Perm
    # Kept for entries registered before areas existed: "admin" files them under Administration.
    section: str = "main"  # main | admin
    audience: str = "all"  # all | staff | partner
    order: int = 100
    area: str = ""  # a key of AREAS; "" = above the areas (home)

    @property
    def area_key(self) -> str:
        if self.area:
            return self.area
        return "admin" if self.section == "admin" else ""


_REGISTRY: list[NavItem] = [
    NavItem(_("Home"), "home", Perm.DASHBOARD_VIEW, order=0),
    NavItem(_("Products"), "products", Perm.PRODUCT_VIEW, order=80, area="channel_data"),
    NavItem(_("Tenant settings"), "tenant_settings", Perm.TENANT_SETTINGS, order=5, area="admin"),
    NavItem(_("People"), "people", Perm.STAFF_VIEW, section="admin", order=10, area="admin"),
    NavItem(_("Imports"), "imports", Perm.DATA_IMPORT, section="admin", order=20, area="admin"),
    NavItem(_("Jobs"), "jobs", Perm.JOB_VIEW, section="admin", order=30, area="admin"),
    NavItem(_("Audit log"), "audit", Perm.AUDIT_VIEW, section="admin", order=40, area="admin"),
]


class NavEntry(TypedDict):
    """One entry as the shell renders it."""

    label: str | Promise
    url: str
    section: str
    area: str
    order: int
    active: bool


class NavArea(TypedDict):
    key: str
    label: str | Promise
    items: list[NavEntry]
    active: bool


def register_nav(item: NavItem) -> None:
    if item.area and item.area not in AREAS:
        raise ValueError(f"Navigation entry {item.url_name!r} names an unknown area {item.area!r}.")
    if item not in _REGISTRY:
        _REGISTRY.append(item)


def _matches(path: str, url: str) -> bool:
    return path == url if url == "/" else path.startswith(url)


def navigation_for(membership, path: str = "") -> list[NavEntry]:
    """The entries the member may open, by area then ``order``; the one entry whose URL
    is the longest prefix of ``path`` is marked active."""
    items: list[NavEntry] = []
    for item in _REGISTRY:
        if not membership_has(membership, item.perm):
            continue
        if item.audience == ("partner" if membership.is_staff_member else "staff"):
            continue
        area = item.area_key
        items.append(
            NavEntry(
                label=item.label,
                url=reverse(item.url_name),
                section="admin" if area == "admin" else "main",
                area=area,
                order=item.order,
                active=False,
            )
        )
    area_rank = {key: rank for rank, key in enumerate(["", *AREAS])}
    items.sort(key=lambda i: (area_rank[i["area"]], i["order"]))
    current = [i for i in items if _matches(path, i["url"])]
    if current:
        max(current, key=lambda i: len(i["url"]))["active"] = True
    return items


def navigation_areas(items: list[NavEntry]) -> list[NavArea]:
    """The areas that hold at least one of ``items`` (from ``navigation_for``), each with its
    entries and whether the current page is one of them."""
    areas: list[NavArea] = []
    for key, label in AREAS.items():
        entries = [i for i in items if i["area"] == key]
        if entries:
            active = any(i["active"] for i in entries)
            areas.append(NavArea(key=key, label=label, items=entries, active=active))
    return areas
