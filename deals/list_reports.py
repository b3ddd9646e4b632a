"""The deal lists and the pipeline dashboard as schedulable reports (``prm.reports.ReportKind``):
each page filters its rows here, and a scheduled e-mail builds its table here too, for the
recipient's scope at send time (one code path per page)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deals.models import DealRegistration, DirectOpportunity, Lead
from deals.selectors import (
    PIPELINE_EXPORT_HEADERS,
    direct_opportunities,
    filter_pipeline,
    leads_for_membership,
    pipeline_dashboard,
    pipeline_export_rows,
    registrations_for_membership,
    review_queue,
    visible_registrations_for_membership,
)
from prm.accounts.models import Membership
from prm.lib.money import quantize_money
from prm.reports import LIST_ROW_CAP, Report, ReportKind, ReportTables, check_params, list_report
from prm.roles import Perm
from prm.tenancy.context import require_tenant

S = DealRegistration.Status


def _local(moment) -> Any:
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


# --- Deal registrations (the pipeline list) ------------------------------------------------------


def check_pipeline_params(params: Mapping[str, Any]) -> None:
    """The pipeline's filters (the list and the dashboard) that do not parse, refused by name."""
    check_params(
        params,
        dates=("from", "to"),
        decimals=("value_min", "value_max"),
        integers=("partner",),
        choices={
            "status": ["open", *S.values],
            "conflict": DealRegistration.ConflictFlag.values,
        },
    )


def registration_list_queryset(
    membership: Membership, params: Mapping[str, Any]
) -> QuerySet[DealRegistration]:
    """The registrations list: the member's registrations, filtered and sorted as ``params`` say."""
    return filter_pipeline(visible_registrations_for_membership(membership), params)


def registration_list_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    check_pipeline_params(params)
    qs = registration_list_queryset(membership, params)
    return {
        "registrations": lambda: list_report(
            "registrations", _("Deal registrations"), PIPELINE_EXPORT_HEADERS, pipeline_export_rows(qs)
        )
    }


# --- Leads ---------------------------------------------------------------------------------------


def lead_list_queryset(membership: Membership, params: Mapping[str, Any]) -> QuerySet[Lead]:
    """The leads list: the member's leads, filtered by status and company."""
    qs = leads_for_membership(membership)
    status = str(params.get("status") or "")
    if status in Lead.Status.values:
        qs = qs.filter(status=status)
    q = str(params.get("q") or "").strip()
    if q:
        qs = qs.filter(company__icontains=q)
    return qs.order_by("-created_at", "-pk")


def lead_rows(membership: Membership, qs: QuerySet[Lead]):
    """The leads table's rows; a partner sees only the company of a lead passed on to another."""
    for lead in qs[:LIST_ROW_CAP]:
        if membership.is_partner and lead.partner_id != membership.partner_id:
            yield [lead.company, "", "", "", "", "", None, "", _("Passed on"), "", None]
            continue
        yield [
            lead.company,
            lead.country,
            lead.region,
            lead.postal_code,
            lead.industry,
            lead.product_interest,
            quantize_money(lead.value, lead.currency) if lead.value is not None else None,
            lead.currency,
            lead.get_status_display(),
            lead.partner.code if lead.partner else "",
            _local(lead.offer_due_at) if lead.status == Lead.Status.OFFERED else None,
        ]


LEAD_HEADERS = [
    "company",
    "country",
    "region",
    "postal_code",
    "industry",
    "product_line",
    "value",
    "currency",
    "status",
    "partner",
    "answer_by",
]


def lead_list_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    check_params(params, choices={"status": Lead.Status.values})
    qs = lead_list_queryset(membership, params)
    return {"leads": lambda: list_report("leads", _("Leads"), LEAD_HEADERS, lead_rows(membership, qs))}


# --- Direct opportunities (vendor staff) -----------------------------------------------------------

OPPORTUNITY_HEADERS = [
    "reference",
    "customer",
    "domain",
    "country",
    "product_lines",
    "value",
    "currency",
    "expected_close_date",
    "sales_owner",
    "status",
    "created_at",
]


def opportunity_list_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    check_params(params, choices={"status": DirectOpportunity.Status.values})
    qs = direct_opportunities(params)
    rows = (
        [
            o.reference,
            o.customer_name,
            o.customer_domain,
            o.country,
            ", ".join(o.product_lines),
            quantize_money(o.value, o.currency),
            o.currency,
            o.expected_close_date,
            o.sales_owner,
            o.get_status_display(),
            _local(o.created_at),
        ]
        for o in qs[:LIST_ROW_CAP]
    )
    return {
        "opportunities": lambda: list_report(
            "opportunities", _("Direct opportunities"), OPPORTUNITY_HEADERS, rows
        )
    }


# --- Review queue ----------------------------------------------------------------------------------

REVIEW_HEADERS = [
    "reference",
    "partner_code",
    "partner",
    "customer",
    "conflict",
    "country",
    "territory",
    "value",
    "currency",
    "status",
    "submitted_at",
    "review_due_at",
    "overdue",
]


def review_scope(params: Mapping[str, Any]) -> str:
    return "all" if params.get("scope") == "all" else "mine"


def review_queue_queryset(membership: Membership, params: Mapping[str, Any]) -> QuerySet[DealRegistration]:
    """The review queue ("mine" or "all") of the member, with what its table shows."""
    return review_queue(membership, review_scope(params)).select_related("territory", "partner")


def review_queue_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    check_params(params, choices={"scope": ["mine", "all"]})
    qs = review_queue_queryset(membership, params)

    def build() -> Report:
        now = timezone.now()
        rows = (
            [
                r.reference,
                r.partner.code,
                r.partner.name,
                r.customer_name,
                r.get_conflict_flag_display(),
                r.country,
                r.territory.name if r.territory else "",
                quantize_money(r.value, r.currency),
                r.currency,
                r.get_status_display(),
                _local(r.submitted_at),
                _local(r.review_due_at),
                _("yes") if r.review_due_at and r.review_due_at < now else "",
            ]
            for r in qs[:LIST_ROW_CAP]
        )
        return list_report("review_queue", _("Review queue"), REVIEW_HEADERS, rows)

    return {"review_queue": build}


# --- Pipeline dashboard ----------------------------------------------------------------------------


def dashboard_figures(membership: Membership, params: Mapping[str, Any]) -> dict[str, Any]:
    """The pipeline dashboard's figures for the member's registrations filtered as ``params`` say."""
    qs = filter_pipeline(registrations_for_membership(membership), params)
    return pipeline_dashboard(qs, require_tenant().base_currency)


def _amounts(totals) -> str:
    return "; ".join(f"{money.amount} {money.currency}" for money in totals)


def dashboard_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    check_pipeline_params(params)
    figures: dict[str, Any] = {}

    def read() -> dict[str, Any]:
        if not figures:  # the tables come from one read of the figures
            figures.update(dashboard_figures(membership, params))
        return figures

    def summary() -> Report:
        f = read()
        rows = [
            [_("Won"), f["won"]],
            [_("Lost"), f["lost"]],
            [_("Win rate %"), f["win_rate"]],
            [_("Average approval (hours)"), f["avg_approval_hours"]],
            [_("Waiting for a decision"), f["waiting"]],
            [_("Open value"), _amounts(f["open_value"])],
        ]
        return Report("summary", _("Pipeline summary"), [_("Figure"), _("Value")], rows)

    def stages() -> Report:
        rows = [[s["label"], s["n"], _amounts(s["totals"])] for s in read()["stages"]]
        return Report(
            "stages", _("Registrations by status"), [_("Status"), _("Registrations"), _("Value")], rows
        )

    def partners() -> Report:
        rows = [[p["code"], p["name"], p["n"], p["won"], _amounts(p["totals"])] for p in read()["by_partner"]]
        headers = [_("Code"), _("Partner"), _("Registrations"), _("Won"), _("Value")]
        return Report("partners", _("Top partners"), headers, rows)

    def aging() -> Report:
        rows = [[a["label"], a["n"]] for a in read()["aging"]]
        return Report("aging", _("Waiting for a decision, by age"), [_("Age"), _("Registrations")], rows)

    return {"summary": summary, "stages": stages, "partners": partners, "aging": aging}


REGISTRATION_LIST = ReportKind(
    key="deals.registrations",
    label=gettext_lazy("Deal registrations"),
    perm=Perm.DEAL_VIEW,
    url_name="deals:list",
    tables=registration_list_tables,
)
LEAD_LIST = ReportKind(
    key="deals.leads",
    label=gettext_lazy("Leads"),
    perm=Perm.LEAD_VIEW,
    url_name="deals:leads",
    tables=lead_list_tables,
)
OPPORTUNITY_LIST = ReportKind(
    key="deals.opportunities",
    label=gettext_lazy("Direct opportunities"),
    perm=Perm.OPPORTUNITY_MANAGE,
    url_name="deals:opportunities",
    tables=opportunity_list_tables,
)
REVIEW_QUEUE = ReportKind(
    key="deals.review_queue",
    label=gettext_lazy("Review queue"),
    perm=Perm.DEAL_REVIEW,
    url_name="deals:review_queue",
    tables=review_queue_tables,
)
PIPELINE_DASHBOARD = ReportKind(
    key="deals.dashboard",
    label=gettext_lazy("Deal pipeline dashboard"),
    perm=Perm.DEAL_REVIEW,
    url_name="deals:dashboard",
    tables=dashboard_tables,
)
LIST_KINDS = (REGISTRATION_LIST, LEAD_LIST, OPPORTUNITY_LIST, REVIEW_QUEUE, PIPELINE_DASHBOARD)
