"""The partner directory, the territories and the business plans as schedulable reports
(``prm.reports.ReportKind``): each page filters its rows here and a scheduled e-mail builds its
table here too (the directory with the columns of its CSV/XLSX export), in the recipient's scope
at send time (one code path)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners.models import BusinessPlan, Partner, Territory
from partners.registries import TerritoryMetric, territory_metrics
from partners.resources import partner_export_table
from partners.selectors import (
    channel_manager_memberships,
    managed_partner_ids,
    partner_directory,
    plans_for_membership,
)
from prm.accounts.models import Membership
from prm.reports import LIST_ROW_CAP, Report, ReportKind, ReportTables, check_params, list_report
from prm.roles import Perm
from prm.tenancy.context import require_tenant

SORTS = {
    "code": "code",
    "name": "name",
    "country": "country",
    "region": "region",
    "status": "status",
    "tier": "current_tier__rank",
    "program": "program__name",
    "type": "type",
}
FILTER_FIELDS = ("type", "status", "country", "region")


def directory_queryset(membership: Membership, params: Mapping[str, Any]) -> QuerySet[Partner]:
    """The directory's partners in the member's scope, filtered and sorted as ``params`` say."""
    qs = partner_directory(membership)
    q = str(params.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    for field in FILTER_FIELDS:
        value = str(params.get(field) or "").strip()
        if value:
            qs = qs.filter(**{f"{field}__iexact": value})
    tier = str(params.get("tier") or "").strip()
    if tier:
        qs = qs.filter(tier__iexact=tier)
    program = str(params.get("program") or "").strip()
    if program.isdigit():
        qs = qs.filter(program_id=int(program))
    manager = str(params.get("manager") or "").strip()
    if manager.isdigit():
        membership_of = channel_manager_memberships().filter(user_id=int(manager)).first()
        qs = qs.filter(pk__in=managed_partner_ids(membership_of.user)) if membership_of else qs.none()
    sort = str(params.get("sort") or "code")
    key = SORTS.get(sort.lstrip("-"), "code")
    return qs.order_by(("-" if sort.startswith("-") else "") + key, "code")


def partner_list_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    check_params(
        params,
        integers=("program", "manager"),
        choices={"type": Partner.Type.values, "status": Partner.Status.values},
    )
    qs = directory_queryset(membership, params)

    def build():
        headers, rows = partner_export_table(qs[:LIST_ROW_CAP])
        return list_report("partners", _("Partners"), headers, rows)

    return {"partners": build}


PARTNER_LIST = ReportKind(
    key="partners.list",
    label=gettext_lazy("Partners"),
    perm=Perm.PARTNER_VIEW,
    url_name="partners:list",
    tables=partner_list_tables,
)


# --- Territories (vendor staff) ------------------------------------------------------------------


def territory_rows(currency: str) -> tuple[list[Territory], list[TerritoryMetric], list[dict[str, Any]]]:
    """The territories in precedence order with the dashboard figures the apps register (a fixed
    number of queries whatever the number of territories)."""
    territories = list(
        Territory.objects.prefetch_related("owners__membership__user", "members__partner").order_by(
            "precedence", "pk"
        )
    )
    columns, values = territory_metrics(territories, currency)
    rows = [{"t": t, "cells": [values.get(t.pk, {}).get(c.key, "—") for c in columns]} for t in territories]
    return territories, columns, rows


def territory_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    def build() -> Report:
        _territories, columns, rows = territory_rows(require_tenant().base_currency)
        headers = [
            _("Precedence"),
            _("Territory"),
            _("Owners"),
            _("Partners"),
            *(str(c.label) for c in columns),
        ]
        table = [
            [
                row["t"].precedence,
                row["t"].name,
                ", ".join(str(o.membership.user) for o in row["t"].owners.all()),
                ", ".join(m.partner.code for m in row["t"].members.all()),
                *(str(cell) for cell in row["cells"]),
            ]
            for row in rows
        ]
        return Report("territories", _("Territories"), headers, table)

    return {"territories": build}


# --- Business plans --------------------------------------------------------------------------------


def plan_list_queryset(membership: Membership, params: Mapping[str, Any]) -> QuerySet[BusinessPlan]:
    """The member's business plans by year, status and (vendor staff) partner."""
    qs = plans_for_membership(membership)
    year = str(params.get("year") or "").strip()
    if year.isdigit():
        qs = qs.filter(year=int(year))
    status = str(params.get("status") or "").strip()
    if status in BusinessPlan.Status.values:
        qs = qs.filter(status=status)
    partner = str(params.get("partner") or "").strip()
    if partner.isdigit() and membership.is_staff_member:
        qs = qs.filter(partner_id=int(partner))
    return qs.order_by("-year", "partner__code")


PLAN_HEADERS = [
    "partner_code",
    "partner",
    "year",
    "status",
    "vendor_signed_by",
    "vendor_signed_at",
    "partner_signed_by",
    "partner_signed_at",
    "updated_at",
]


def _signer(user) -> str:
    return (user.full_name or user.email) if user else ""


def _local(moment):
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def plan_list_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    check_params(params, integers=("year", "partner"), choices={"status": BusinessPlan.Status.values})
    qs = plan_list_queryset(membership, params)
    rows = (
        [
            plan.partner.code,
            plan.partner.name,
            plan.year,
            plan.get_status_display(),
            _signer(plan.vendor_signed_by),
            _local(plan.vendor_signed_at),
            _signer(plan.partner_signed_by),
            _local(plan.partner_signed_at),
            _local(plan.updated_at),
        ]
        for plan in qs[:LIST_ROW_CAP]
    )
    return {"plans": lambda: list_report("plans", _("Business plans"), PLAN_HEADERS, rows)}


TERRITORIES = ReportKind(
    key="partners.territories",
    label=gettext_lazy("Territories"),
    perm=Perm.TERRITORY_VIEW,
    url_name="partners:territories",
    tables=territory_tables,
)
PLAN_LIST = ReportKind(
    key="partners.plans",
    label=gettext_lazy("Business plans"),
    perm=Perm.PLAN_VIEW,
    url_name="partners:plans",
    tables=plan_list_tables,
)
