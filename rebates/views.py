"""Pages of rebates: the back office (programs with their tiers as an editable table, JSON load
and export, versions, calculation runs with progress, what-if simulation, period close and
settlement approval) and the statements partners and reps see (earned, paid, due, the next tier,
the progress over the period, the contributing lines, CSV and PDF)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from partners.models import Partner
from partners.selectors import partners_for_membership
from prm.access import portal_view
from prm.actions import run_action
from prm.exports import export_response
from prm.http import PortalRequest
from prm.pdf import render_pdf
from prm.reports import report_download
from prm.roles import Perm, membership_has
from prm.views import paginate
from prm.workflow import DomainError
from rebates import reports, selectors
from rebates.definition import DefinitionError, definition_from_data
from rebates.forms import LoadForm, ProgramForm, ReasonForm, TierFormSet, tier_initial, tier_rows
from rebates.list_reports import program_list_queryset, program_status
from rebates.models import Accrual, CalculationRun, RebateProgram
from rebates.services.programs import (
    current_definition,
    program_activate,
    program_archive,
    program_export,
    program_load,
    program_save,
)
from rebates.services.runs import program_simulate, run_start
from rebates.services.settlements import (
    closed_by_member,
    rep_opt_in_set,
    settlement_approve,
    settlement_close,
    settlement_reject,
)
from rebates.statements import (
    DEAL_HEADERS,
    LINE_HEADERS,
    progress_by_month,
    source_check,
    source_lines,
    statement_for,
)

LINES_PER_PAGE = 50


# --- Programs (back office) ---------------------------------------------------------------------------


@portal_view(Perm.REBATE_PROGRAM_VIEW)
def programs(request: PortalRequest) -> HttpResponse:
    qs = program_list_queryset(request.GET)
    status = program_status(request.GET)
    return render(
        request,
        "rebates/programs.html",
        {
            "page": paginate(request, qs),
            "status": status,
            "statuses": RebateProgram.Status.choices,
            "can_manage": membership_has(request.membership, Perm.REBATE_MANAGE),
        },
    )


@portal_view(Perm.REBATE_PROGRAM_VIEW)
def program_detail(request: PortalRequest, pk: int) -> HttpResponse:
    program = selectors.get_program_or_404(pk)
    latest = selectors.latest_run(program)
    return render(
        request,
        "rebates/program_detail.html",
        {
            "program": program,
            "definition": current_definition(program),
            "versions": program.versions.select_related("created_by").order_by("-version")[:20],
            "runs": selectors.runs_of(program)[:10],
            "latest": latest,
            "settlements": selectors.settlements_of(program)[:10],
            "can_manage": membership_has(request.membership, Perm.REBATE_MANAGE),
            "can_close": membership_has(request.membership, Perm.REBATE_CLOSE),
        },
    )


def _program_form(request: PortalRequest, program: RebateProgram | None) -> HttpResponse:
    edit = program is not None
    if request.method == "POST":
        form = ProgramForm(request.POST, edit=edit, initial={"code": program.code} if program else None)
        tiers = TierFormSet(request.POST, prefix="tiers")
        if form.is_valid() and tiers.is_valid():
            data = form.definition_data(tier_rows(tiers))
            if program is not None:
                data["code"] = program.code
            try:
                definition = definition_from_data(data)
                saved, changed = program_save(
                    definition=definition,
                    acting_membership=request.membership,
                    note=form.cleaned_data.get("note") or "",
                )
            except DefinitionError as exc:
                for problem in exc.problems:
                    form.add_error(None, f"{problem.path}: {problem.message}")
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                if changed:
                    messages.success(
                        request,
                        _("Program %(code)s saved as version %(v)d.")
                        % {"code": saved.code, "v": saved.version},
                    )
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect("rebates:program_detail", pk=saved.pk)
    else:
        if program is not None:
            d = current_definition(program)
            form = ProgramForm(initial=ProgramForm.initial_from(d), edit=True)
            tiers = TierFormSet(initial=tier_initial(d), prefix="tiers")
        else:
            form = ProgramForm()
            tiers = TierFormSet(initial=[{"start": Decimal("0"), "rate": Decimal("0")}], prefix="tiers")
    return render(request, "rebates/program_form.html", {"form": form, "tiers": tiers, "program": program})


@portal_view(Perm.REBATE_MANAGE)
@require_http_methods(["GET", "POST"])
def program_new(request: PortalRequest) -> HttpResponse:
    return _program_form(request, None)


@portal_view(Perm.REBATE_MANAGE)
@require_http_methods(["GET", "POST"])
def program_edit(request: PortalRequest, pk: int) -> HttpResponse:
    return _program_form(request, selectors.get_program_or_404(pk))


@portal_view(Perm.REBATE_MANAGE)
@require_http_methods(["GET", "POST"])
def program_load_view(request: PortalRequest) -> HttpResponse:
    form = LoadForm(request.POST or None, request.FILES or None)
    problems: list[Any] = []
    if request.method == "POST" and form.is_valid():
        try:
            program, changed = program_load(
                text=form.cleaned_data["content"], acting_membership=request.membership
            )
        except DefinitionError as exc:
            problems = exc.problems
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            if changed:
                messages.success(
                    request,
                    _("Program %(code)s is at version %(v)d.") % {"code": program.code, "v": program.version},
                )
            else:
                messages.info(request, _("The definition is the current version already: nothing changed."))
            return redirect("rebates:program_detail", pk=program.pk)
    return render(request, "rebates/program_load.html", {"form": form, "problems": problems})


@portal_view(Perm.REBATE_PROGRAM_VIEW)
def program_export_view(request: PortalRequest, pk: int) -> HttpResponse:
    program = selectors.get_program_or_404(pk)
    try:
        version = int(request.GET.get("version") or program.version)
    except ValueError:
        version = program.version
    if not program.versions.filter(version=version).exists():
        raise Http404
    body = json.dumps(program_export(program, version=version), indent=2, ensure_ascii=False)
    response = HttpResponse(body + "\n", content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{program.code}-v{version}.json"'
    return response


def _action(request: PortalRequest, pk: int, action, done: str) -> HttpResponse:
    program = selectors.get_program_or_404(pk)
    return run_action(
        request,
        lambda: action(program=program, acting_membership=request.membership),
        success=done,
        redirect_to=reverse("rebates:program_detail", args=[program.pk]),
    )


@portal_view(Perm.REBATE_MANAGE)
@require_POST
def program_activate_view(request: PortalRequest, pk: int) -> HttpResponse:
    return _action(request, pk, program_activate, _("The program is active."))


@portal_view(Perm.REBATE_MANAGE)
@require_POST
def program_archive_view(request: PortalRequest, pk: int) -> HttpResponse:
    return _action(request, pk, program_archive, _("The program is archived."))


@portal_view(Perm.REBATE_MANAGE)
@require_POST
def program_calculate(request: PortalRequest, pk: int) -> HttpResponse:
    program = selectors.get_program_or_404(pk)
    try:
        run = run_start(program=program, acting_membership=request.membership)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("rebates:program_detail", pk=program.pk)
    return redirect("rebates:run_detail", pk=run.pk)


@portal_view(Perm.REBATE_MANAGE)
def program_simulate_view(request: PortalRequest, pk: int) -> HttpResponse:
    """What-if (reads only, so a GET): the current version beside changed tiers or method."""
    program = selectors.get_program_or_404(pk)
    current = current_definition(program)
    submitted = "tiers-TOTAL_FORMS" in request.GET
    tiers = TierFormSet(request.GET if submitted else None, initial=tier_initial(current), prefix="tiers")
    method = request.GET.get("method") or current.method
    error = ""
    comparison: dict[str, Any] | None = None
    try:
        base = program_simulate(program=program, definition=current)
        changed = None
        if submitted and tiers.is_valid():
            data = current.as_json()
            data["tiers"] = tier_rows(tiers) or data["tiers"]
            data["method"] = method
            changed = program_simulate(program=program, definition=definition_from_data(data))
        comparison = _comparison(base, changed, current.tiers)
    except DefinitionError as exc:
        error = "; ".join(f"{p.path}: {p.message}" for p in exc.problems)
    except DomainError as exc:
        error = str(exc)
    return render(
        request,
        "rebates/simulate.html",
        {
            "program": program,
            "definition": current,
            "tiers": tiers,
            "method": method,
            "methods": RebateProgram._meta.get_field("method").choices,
            "comparison": comparison,
            "error": error,
        },
    )


def _comparison(base, changed, tiers) -> dict[str, Any]:
    partners = {
        p.pk: p for p in Partner.objects.filter(pk__in={s.partner_id for s in base + (changed or [])})
    }
    rows: dict[tuple, dict[str, Any]] = {}
    for label, results in (("current", base), ("changed", changed or [])):
        for s in results:
            row = rows.setdefault(
                (s.partner_id, s.payee_id), {"partner": partners.get(s.partner_id), "measure": s.measure}
            )
            row[label] = s.earned
            row[f"{label}_tier"] = s.tier

    def distribution(results) -> list[dict[str, Any]]:
        counts: dict[int | None, list[Decimal]] = {}
        for s in results:
            counts.setdefault(s.tier, []).append(s.earned)
        return [
            {"tier": tier, "partners": len(v), "earned": sum(v, start=Decimal("0"))}
            for tier, v in sorted(counts.items(), key=lambda kv: -1 if kv[0] is None else kv[0])
        ]

    return {
        "rows": sorted(rows.values(), key=lambda r: r["partner"].code if r["partner"] else ""),
        "total_current": sum((s.earned for s in base), start=Decimal("0")),
        "total_changed": sum((s.earned for s in changed), start=Decimal("0"))
        if changed is not None
        else None,
        "dist_current": distribution(base),
        "dist_changed": distribution(changed) if changed is not None else None,
        "has_changed": changed is not None,
    }


@portal_view(Perm.REBATE_CLOSE)
@require_POST
def program_close(request: PortalRequest, pk: int) -> HttpResponse:
    program = selectors.get_program_or_404(pk)
    run = selectors.latest_run(program)
    if run is None:
        messages.error(request, _("Calculate the program before closing its period."))
        return redirect("rebates:program_detail", pk=program.pk)
    try:
        settlement = settlement_close(
            program=program, run=run, acting_membership=request.membership, note=request.POST.get("note", "")
        )
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("rebates:program_detail", pk=program.pk)
    messages.success(
        request, _("Period closed on %(run)s: the settlement awaits approval.") % {"run": run.reference}
    )
    return redirect("rebates:settlement_detail", pk=settlement.pk)


@portal_view(Perm.REBATE_PROGRAM_VIEW)
def run_detail(request: PortalRequest, pk: int) -> HttpResponse:
    run = selectors.get_run_or_404(pk)
    accruals = selectors.accrual_list(
        run.accruals.select_related("partner", "payee_user").order_by("partner__code", "payee_user_id")
    )
    return render(
        request,
        "rebates/run_detail.html",
        {
            "run": run,
            "program": run.program,
            "page": paginate(request, accruals),
            "finished": run.status in (CalculationRun.Status.SUCCEEDED, CalculationRun.Status.FAILED),
        },
    )


# --- Settlements ----------------------------------------------------------------------------------------


@portal_view(Perm.REBATE_PROGRAM_VIEW)
def settlement_detail(request: PortalRequest, pk: int) -> HttpResponse:
    settlement = selectors.get_settlement_or_404(pk)
    return render(
        request,
        "rebates/settlement_detail.html",
        {
            "settlement": settlement,
            "lines": selectors.settlement_lines(settlement),
            "can_decide": membership_has(request.membership, Perm.REBATE_CLOSE)
            and settlement.status == "pending",
            "closer": closed_by_member(settlement, request.membership),
            "reject_form": ReasonForm(),
        },
    )


@portal_view(Perm.REBATE_CLOSE)
@require_POST
def settlement_approve_view(request: PortalRequest, pk: int) -> HttpResponse:
    settlement = selectors.get_settlement_or_404(pk)
    return run_action(
        request,
        lambda: settlement_approve(settlement=settlement, acting_membership=request.membership),
        success=_("Settlement approved: the payables are created."),
        redirect_to=reverse("rebates:settlement_detail", args=[settlement.pk]),
    )


@portal_view(Perm.REBATE_CLOSE)
@require_POST
def settlement_reject_view(request: PortalRequest, pk: int) -> HttpResponse:
    settlement = selectors.get_settlement_or_404(pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the settlement is rejected."))
        return redirect("rebates:settlement_detail", pk=settlement.pk)
    try:
        settlement_reject(
            settlement=settlement, acting_membership=request.membership, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("rebates:settlement_detail", pk=settlement.pk)


@portal_view(Perm.REBATE_VIEW)
def settlement_line(request: PortalRequest, pk: int) -> HttpResponse:
    """Where a rebate payable points: the statement the line settled (scoped like statements)."""
    line = selectors.get_settlement_line_for_membership_or_404(request.membership, pk)
    if line.accrual_id is None:
        raise Http404
    return redirect("rebates:statement", pk=line.accrual_id)


# --- Dashboard --------------------------------------------------------------------------------------------


@portal_view(Perm.REBATE_REPORTS)
def dashboard(request: PortalRequest) -> HttpResponseBase:
    download = report_download(request, reports.tables(request.membership, request.GET), prefix="rebates")
    if download is not None:
        return download
    built, chart = reports.dashboard(request.membership)
    return render(request, "rebates/dashboard.html", {"reports": built, "chart": chart})


# --- Statements (partners, reps and staff) ----------------------------------------------------------------


@portal_view(Perm.REBATE_VIEW)
def statements(request: PortalRequest) -> HttpResponse:
    qs = selectors.statement_accruals(request.membership)
    return render(
        request,
        "rebates/statements.html",
        {
            "page": paginate(request, qs),
            "can_opt_in": membership_has(request.membership, Perm.REBATE_REP_OPT_IN),
            "can_programs": membership_has(request.membership, Perm.REBATE_PROGRAM_VIEW),
        },
    )


def _statement(request: PortalRequest, pk: int):
    accrual = selectors.get_accrual_for_membership_or_404(request.membership, pk)
    return accrual, statement_for(accrual)


@portal_view(Perm.REBATE_VIEW)
def statement(request: PortalRequest, pk: int) -> HttpResponse:
    accrual, st = _statement(request, pk)
    chart = progress_by_month(accrual, st.definition)
    return render(
        request,
        "rebates/statement.html",
        {
            "accrual": accrual,
            "st": st,
            "settled": selectors.settled_lines_for(accrual),
            "chart": {
                "labels": [p["month"] for p in chart],
                "values": [p["value"] for p in chart],
                "thresholds": [str(t.start) for t in st.definition.tiers if t.start > 0],
                "label": _("Cumulative measure"),
            },
            "is_latest": selectors.latest_run(accrual.program) == accrual.run,
        },
    )


@portal_view(Perm.REBATE_VIEW)
def statement_lines(request: PortalRequest, pk: int) -> HttpResponse:
    accrual, st = _statement(request, pk)
    found, total = source_check(accrual, st.definition)
    paginator = Paginator(range(found), LINES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    rows = source_lines(
        accrual, st.definition, offset=page.start_index() - 1 if page.object_list else 0, limit=LINES_PER_PAGE
    )
    return render(
        request,
        "rebates/statement_lines.html",
        {
            "accrual": accrual,
            "page": page,
            "rows": rows,
            "deals": accrual.source == Accrual.Source.DEALS,
            "changed": found != accrual.source_count or total != accrual.measure,
            "found": found,
        },
    )


@portal_view(Perm.REBATE_VIEW)
def statement_csv(request: PortalRequest, pk: int) -> HttpResponse:
    accrual, st = _statement(request, pk)
    headers = DEAL_HEADERS if accrual.source == Accrual.Source.DEALS else LINE_HEADERS
    filename = f"rebate-{accrual.program.code}-{accrual.partner.code}-{accrual.run.reference}.csv"
    return export_response(filename, headers, source_lines(accrual, st.definition))  # type: ignore[return-value]


@portal_view(Perm.REBATE_VIEW)
def statement_pdf(request: PortalRequest, pk: int) -> HttpResponse:
    accrual, st = _statement(request, pk)
    html = render_to_string(
        "rebates/pdf/statement.html",
        {
            "accrual": accrual,
            "st": st,
            "settled": selectors.settled_lines_for(accrual),
            "rows": source_lines(accrual, st.definition, limit=500),
            "more": max(accrual.source_count - 500, 0),
            "deals": accrual.source == Accrual.Source.DEALS,
            "tenant": request.tenant,
        },
        request=request,
    )
    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="rebate-{accrual.program.code}-{accrual.partner.code}.pdf"'
    )
    return response


@portal_view(Perm.REBATE_REP_OPT_IN)
@require_http_methods(["GET", "POST"])
def rep_opt_in_view(request: PortalRequest) -> HttpResponse:
    partner = partners_for_membership(request.membership).filter(pk=request.membership.partner_id).first()
    if partner is None:
        raise PermissionDenied
    if request.method == "POST":
        try:
            rep_opt_in_set(
                partner=partner,
                enabled=request.POST.get("enabled") == "1",
                acting_membership=request.membership,
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Saved."))
        return redirect("rebates:rep_opt_in")
    return render(
        request, "rebates/rep_opt_in.html", {"partner": partner, "enabled": selectors.rep_opt_in(partner.pk)}
    )
