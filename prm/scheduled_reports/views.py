"""Scheduled reports in the portal: "Schedule this report" from a report page (its filters
captured from the page's query string), my scheduled reports (vendor admins: all), one schedule
with its history, edit (the owner), pause/resume, delete and send now."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from prm.access import portal_view
from prm.actions import run_action
from prm.http import PortalRequest
from prm.reports import ReportKind, query_dict, report_kind, report_params
from prm.roles import Perm, membership_has
from prm.scheduled_reports import selectors, services
from prm.scheduled_reports.forms import ScheduleForm
from prm.views import paginate
from prm.workflow import DomainError


def _kind_or_404(key: str) -> ReportKind:
    kind = report_kind(key)
    if kind is None:
        raise Http404
    return kind


def _filters(kind: ReportKind, params: dict[str, str]) -> list[tuple[str, str]]:
    return sorted(params.items())


@portal_view(Perm.REPORT_SCHEDULE)
def schedule_list(request: PortalRequest) -> HttpResponse:
    qs = selectors.scheduled_reports_for_membership(request.membership)
    page = paginate(request, qs)
    kinds = {kind.key: kind for kind in (report_kind(s.report_key) for s in page.object_list) if kind}
    rows = [(s, kinds.get(s.report_key)) for s in page.object_list]
    return render(
        request,
        "scheduled_reports/list.html",
        {
            "page": page,
            "rows": rows,
            "sees_all": membership_has(request.membership, Perm.REPORT_SCHEDULE_ALL),
        },
    )


@portal_view(Perm.REPORT_SCHEDULE)
@require_http_methods(["GET", "POST"])
def schedule_new(request: PortalRequest) -> HttpResponseBase:
    """GET ``?report=<key>&<the page's filters>``: the form, the filters shown and kept in a hidden
    field; POST: save the schedule."""
    source = request.POST if request.method == "POST" else request.GET
    kind = _kind_or_404(source.get("report", ""))
    if not membership_has(request.membership, kind.perm):
        raise PermissionDenied
    if request.method == "POST":
        params = report_params(QueryDict(request.POST.get("params", "")))
    else:
        params = report_params(request.GET)
    choices = selectors.recipient_choices(request.membership)
    form = ScheduleForm(
        request.POST or None,
        recipients_qs=choices,
        initial={"name": str(kind.label), "recipients": [request.membership.pk]},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            schedule = services.scheduled_report_create(
                acting_membership=request.membership,
                report_key=kind.key,
                params=params,
                name=data["name"],
                frequency=data["frequency"],
                weekday=data["weekday"],
                day_of_month=data["day_of_month"],
                format=data["format"],
                recipients=list(data["recipients"]),
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The report is scheduled."))
            return redirect("scheduled_reports:detail", pk=schedule.pk)
    return render(
        request,
        "scheduled_reports/form.html",
        {
            "form": form,
            "kind": kind,
            "filters": _filters(kind, params),
            "params": query_dict(params).urlencode(),
            "page_url": _page_url(kind, params),
        },
    )


def _page_url(kind: ReportKind, params: dict[str, str]) -> str:
    query = query_dict(params).urlencode()
    return reverse(kind.url_name) + (f"?{query}" if query else "")


@portal_view(Perm.REPORT_SCHEDULE)
def schedule_detail(request: PortalRequest, pk: int) -> HttpResponse:
    schedule = selectors.get_scheduled_report_for_membership_or_404(request.membership, pk)
    kind = report_kind(schedule.report_key)
    recipients = [
        row.membership
        for row in schedule.recipient_rows.select_related("membership__user", "membership__partner")
    ]
    return render(
        request,
        "scheduled_reports/detail.html",
        {
            "schedule": schedule,
            "kind": kind,
            "filters": _filters(kind, schedule.params) if kind else sorted(schedule.params.items()),
            "page_url": _page_url(kind, schedule.params) if kind else "",
            "recipients": recipients,
            "runs": selectors.recent_runs(schedule),
            "is_owner": schedule.owner_id == request.membership.pk,
        },
    )


@portal_view(Perm.REPORT_SCHEDULE)
@require_http_methods(["GET", "POST"])
def schedule_edit(request: PortalRequest, pk: int) -> HttpResponseBase:
    schedule = selectors.get_scheduled_report_for_membership_or_404(request.membership, pk)
    if schedule.owner_id != request.membership.pk:
        raise PermissionDenied
    kind = report_kind(schedule.report_key)
    if kind is None:
        raise Http404
    form = ScheduleForm(
        request.POST or None,
        recipients_qs=selectors.recipient_choices(request.membership),
        initial={
            "name": schedule.name,
            "frequency": schedule.frequency,
            "weekday": schedule.weekday,
            "day_of_month": schedule.day_of_month,
            "format": schedule.format,
            "recipients": list(schedule.recipient_rows.values_list("membership_id", flat=True)),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.scheduled_report_update(
                schedule=schedule,
                acting_membership=request.membership,
                name=data["name"],
                frequency=data["frequency"],
                weekday=data["weekday"],
                day_of_month=data["day_of_month"],
                format=data["format"],
                recipients=list(data["recipients"]),
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The scheduled report is saved."))
            return redirect("scheduled_reports:detail", pk=schedule.pk)
    return render(
        request,
        "scheduled_reports/form.html",
        {
            "form": form,
            "kind": kind,
            "schedule": schedule,
            "filters": _filters(kind, schedule.params),
            "page_url": _page_url(kind, schedule.params),
        },
    )


def _action(request: PortalRequest, pk: int, action, success: str, *, to_list: bool = False) -> HttpResponse:
    schedule = selectors.get_scheduled_report_for_membership_or_404(request.membership, pk)
    target = reverse("scheduled_reports:list") if to_list else reverse("scheduled_reports:detail", args=[pk])
    return run_action(
        request,
        lambda: action(schedule),
        success=success,
        redirect_to=target,
        error_redirect_to=reverse("scheduled_reports:detail", args=[pk]),
    )


@portal_view(Perm.REPORT_SCHEDULE)
@require_POST
def schedule_pause(request: PortalRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda s: services.scheduled_report_set_active(
            schedule=s, acting_membership=request.membership, active=False
        ),
        _("The scheduled report is paused."),
    )


@portal_view(Perm.REPORT_SCHEDULE)
@require_POST
def schedule_resume(request: PortalRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda s: services.scheduled_report_set_active(
            schedule=s, acting_membership=request.membership, active=True
        ),
        _("The scheduled report is active again."),
    )


@portal_view(Perm.REPORT_SCHEDULE)
@require_POST
def schedule_delete(request: PortalRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda s: services.scheduled_report_delete(schedule=s, acting_membership=request.membership),
        _("The scheduled report is deleted."),
        to_list=True,
    )


@portal_view(Perm.REPORT_SCHEDULE)
@require_POST
def schedule_send_now(request: PortalRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda s: services.scheduled_report_send_now(schedule=s, acting_membership=request.membership),
        _("The report is being sent; the history below shows each copy."),
    )
