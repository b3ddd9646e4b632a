"""The role matrix: who may see and do what. The one place that answers "may this role ...?".

Object scoping (which partner's rows a user sees) lives in the selectors; this module answers
whether a role may use a capability at all. ``docs/roles.md`` is generated from ``MATRIX``
(``manage.py role_matrix``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from prm.accounts.models import Membership


class Role(models.TextChoices):
    VENDOR_ADMIN = "vendor_admin", _("Vendor admin")
    CHANNEL_MANAGER = "channel_manager", _("Channel manager")
    MARKETING_MANAGER = "marketing_manager", _("Marketing manager")
    FINANCE = "finance", _("Finance")
    PARTNER_ADMIN = "partner_admin", _("Partner admin")
    PARTNER_USER = "partner_user", _("Partner user")


STAFF_ROLES = frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.MARKETING_MANAGER, Role.FINANCE})
PARTNER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_USER})
MFA_REQUIRED_ROLES = frozenset({Role.VENDOR_ADMIN, Role.FINANCE})


class Perm(StrEnum):
    DASHBOARD_VIEW = "dashboard.view"
    PARTNER_VIEW = "partner.view"  # partners list and profiles (partner roles: their own only)
    PARTNER_MANAGE = "partner.manage"  # create, edit, import partners; assign managers
    PRODUCT_VIEW = "product.view"
    PRODUCT_MANAGE = "product.manage"  # edit and import the catalog
    STAFF_VIEW = "staff.view"  # the tenant's people and memberships
    STAFF_INVITE = "staff.invite"  # invite vendor staff
    COLLEAGUE_INVITE = "colleague.invite"  # invite colleagues into one's own partner
    AUDIT_VIEW = "audit.view"
    JOB_VIEW = "job.view"  # background jobs one started, or all jobs for staff
    DATA_IMPORT = "data.import"  # reference data imports (partners, products)


_ALL = frozenset(Role)
_STAFF = STAFF_ROLES
MATRIX: dict[Perm, frozenset[Role]] = {
    Perm.DASHBOARD_VIEW: _ALL,
    Perm.PARTNER_VIEW: _ALL,
    Perm.PARTNER_MANAGE: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER}),
    Perm.PRODUCT_VIEW: _ALL,
    Perm.PRODUCT_MANAGE: frozenset({Role.VENDOR_ADMIN}),
    Perm.STAFF_VIEW: frozenset({Role.VENDOR_ADMIN, Role.PARTNER_ADMIN}),
    Perm.STAFF_INVITE: frozenset({Role.VENDOR_ADMIN}),
    Perm.COLLEAGUE_INVITE: frozenset({Role.PARTNER_ADMIN}),
    Perm.AUDIT_VIEW: frozenset({Role.VENDOR_ADMIN}),
    Perm.JOB_VIEW: _ALL,
    Perm.DATA_IMPORT: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER}),
}

PERM_DESCRIPTIONS: dict[Perm, str] = {
    Perm.DASHBOARD_VIEW: "See the home dashboard of one's role",
    Perm.PARTNER_VIEW: "See partner profiles (partner roles: their own partner only; restricted managers: assigned partners)",
    Perm.PARTNER_MANAGE: "Create, edit and import partners",
    Perm.PRODUCT_VIEW: "See the product catalog",
    Perm.PRODUCT_MANAGE: "Edit and import the product catalog",
    Perm.STAFF_VIEW: "See people and memberships (partner admins: their own partner's)",
    Perm.STAFF_INVITE: "Invite vendor staff into the tenant",
    Perm.COLLEAGUE_INVITE: "Invite colleagues into one's own partner",
    Perm.AUDIT_VIEW: "Browse and filter the audit log",
    Perm.JOB_VIEW: "Follow background jobs (one's own; vendor staff: the tenant's)",
    Perm.DATA_IMPORT: "Import reference data files",
}


def role_has(role: str | None, perm: Perm) -> bool:
    return role is not None and Role(role) in MATRIX[perm]


def membership_has(membership: Membership | None, perm: Perm) -> bool:
    return membership is not None and role_has(membership.role, perm)


def is_staff_role(role: str | None) -> bool:
    return role in STAFF_ROLES


def mfa_required(user, membership: Membership | None) -> bool:
    """Vendor admins and finance must use MFA; so must platform operators."""
    if user.is_superuser:
        return True
    return membership is not None and membership.role in MFA_REQUIRED_ROLES


def matrix_markdown() -> str:
    roles = list(Role)
    header = "| capability | " + " | ".join(r.value for r in roles) + " |"
    lines = [header, "|---|" + "---|" * len(roles)]
    for perm, allowed in MATRIX.items():
        cells = " | ".join("yes" if r in allowed else "" for r in roles)
        lines.append(f"| `{perm.value}`: {PERM_DESCRIPTIONS[perm]} | {cells} |")
    return "\n".join(lines)
