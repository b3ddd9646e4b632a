"""Navigation by role. Apps add their entries through ``register_nav`` in their AppConfig.ready()
(the lower layer never imports the higher one)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from prm.roles import Perm, membership_has


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    perm: Perm
    section: str = "main"  # main | admin
    audience: str = "all"  # all | staff | partner
    order: int = 100


_REGISTRY: list[NavItem] = [
    NavItem(_("Home"), "home", Perm.DASHBOARD_VIEW, order=0),
    NavItem(_("Products"), "products", Perm.PRODUCT_VIEW, order=80),
    NavItem(_("People"), "people", Perm.STAFF_VIEW, section="admin", order=10),
    NavItem(_("Imports"), "imports", Perm.DATA_IMPORT, section="admin", order=20),
    NavItem(_("Jobs"), "jobs", Perm.JOB_VIEW, section="admin", order=30),
    NavItem(_("Audit log"), "audit", Perm.AUDIT_VIEW, section="admin", order=40),
]


def register_nav(item: NavItem) -> None:
    if item not in _REGISTRY:
        _REGISTRY.append(item)


def navigation_for(membership, path: str = "") -> list[dict]:
    items = []
    for item in sorted(_REGISTRY, key=lambda i: (i.section, i.order)):
        if not membership_has(membership, item.perm):
            continue
        if item.audience == ("partner" if membership.is_staff_member else "staff"):
            continue
        url = reverse(item.url_name)
        active = path == url if url == "/" else path.startswith(url)
        items.append({"label": item.label, "url": url, "section": item.section, "active": active})
    return items
