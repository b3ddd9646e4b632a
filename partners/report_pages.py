"""The partner directory as a schedulable report (``prm.reports.ReportKind``): the directory page
filters its partners here and a scheduled e-mail builds its table here too, with the columns of
the directory's CSV/XLSX export (one code path, the recipient's scope at send time)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners.models import Partner
from partners.resources import partner_export_table
from partners.selectors import channel_manager_memberships, managed_partner_ids, partner_directory
from prm.accounts.models import Membership
from prm.reports import LIST_ROW_CAP, ReportKind, ReportTables, check_params, list_report
from prm.roles import Perm

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
