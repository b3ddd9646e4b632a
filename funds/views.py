"""Portal pages of funds: partner balances with what expires when, requests and claims with
their next action; the approval queue per level, delegation, fund and period administration
(allocations, accruals, reversals), claim review with proof downloads, and the reports."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from deals.selectors import leads_for_membership, registrations_for_membership
from funds import reports, selectors
from funds.forms import (
    AllocationForm,
    BudgetForm,
    BulkAllocationForm,
    ClaimForm,
    DecisionForm,
    DelegationForm,
    FundForm,
    LinkForm,
    PeriodForm,
    ProofForm,
    RequestForm,
    ReverseForm,
    ReviewForm,
    SettingsForm,
)
from funds.list_reports import claim_list_filters as fund_claim_list_filters
from funds.list_reports import claim_list_queryset as fund_claim_list_queryset
from funds.list_reports import request_list_filters, request_list_queryset
from funds.models import REQUIRED_PROOF, ApprovalLevel, Fund, FundClaim, FundRequest, ProofKind
from funds.services.allocations import allocation_bulk_by_tier, allocation_create
from funds.services.claims import (
    claim_approve,
    claim_create,
    claim_reject,
    claim_return,
    claim_submit,
    claim_window,
    missing_proof,
    proof_upload,
    reimbursement,
)
from funds.services.funds import (
    FundTerms,
    fund_create,
    fund_settings_update,
    fund_update,
    period_create,
    period_set_budget,
)
from funds.services.ledger import entry_reverse
from funds.services.requests import (
    RequestTerms,
    activity_link,
    delegation_create,
    delegation_end,
    request_approve,
    request_ask_changes,
    request_cancel,
    request_create,
    request_reject,
    request_submit,
    request_update,
)
from partners.models import Partner
from partners.selectors import signed_agreement_required
from prm.access import portal_view
from prm.actions import run_action
from prm.files import file_download
from prm.finance.selectors import payables_for_membership
from prm.http import PortalRequest
from prm.jobs.services import job_create, job_enqueue
from prm.reports import report_download
from prm.roles import Perm, membership_has
from prm.views import paginate
from prm.workflow import DomainError

R = FundRequest.Status
C = FundClaim.Status


def _require_request_perm(request: PortalRequest) -> None:
    """Object pages of partners' own actions: the object is looked up first (another tenant's or
    partner's is a 404 whatever the role), then the capability is required (403)."""
    if not membership_has(request.membership, Perm.FUND_REQUEST):
        raise PermissionDenied


# --- Partner and staff home ----------------------------------------------------------------------------


@portal_view(Perm.FUND_VIEW)
def home(request: PortalRequest) -> HttpResponse:
    """Partners: their balance in each fund with what expires when, and what to do next.
    Staff: the funds with their current period's budget and use."""
    membership = request.membership
    today = timezone.localdate()
    if membership.is_partner:
        accounts = list(selectors.accounts_for_membership(membership))
        balances = selectors.balances_of_accounts(accounts)
        schedule = selectors.expiry_schedule([a.pk for a in accounts], start=today)
        rows = [
            {
                "account": a,
                "balances": balances.get(a.pk, selectors.Balances()),
                "expiring": schedule.get(a.pk, []),
                "soon": [s for s in schedule.get(a.pk, []) if (s.day - today).days <= 30],
            }
            for a in accounts
        ]
        open_requests = selectors.requests_for_membership(membership).exclude(
            status__in=[R.REJECTED, R.CANCELLED, R.COMPLETED, R.LAPSED]
        )[:20]
        open_claims = selectors.claims_for_membership(membership).filter(
            status__in=[*FundClaim.OPEN, C.APPROVED, C.PARTIALLY_APPROVED]
        )[:20]
        return render(
            request,
            "funds/home_partner.html",
            {
                "rows": rows,
                "requests": open_requests,
                "claims": open_claims,
                "today": today,
                "can_request": membership_has(membership, Perm.FUND_REQUEST),
                "eligible": selectors.funds_for_membership(membership).filter(is_active=True),
            },
        )
    funds = list(selectors.funds().prefetch_related("eligible_tiers__tier"))
    periods = selectors.current_periods(today)
    granted = selectors.granted_by_period(periods.values())
    rows = [
        {
            "fund": f,
            "period": periods.get(f.pk),
            "granted": granted.get(getattr(periods.get(f.pk), "pk", 0), selectors.ZERO),
        }
        for f in funds
    ]
    return render(
        request,
        "funds/home_staff.html",
        {
            "rows": rows,
            "can_manage": membership_has(membership, Perm.FUND_MANAGE),
            "queue": selectors.approval_queue(membership, today).count()
            if membership_has(membership, Perm.FUND_APPROVE)
            else 0,
            "claims_waiting": selectors.claims_for_membership(membership).filter(status=C.SUBMITTED).count(),
        },
    )


# --- Funds and periods -------------------------------------------------------------------------------


def _terms(form: FundForm, fund: Fund | None = None) -> FundTerms:
    data = form.cleaned_data
    return FundTerms(
        code=fund.code if fund else data["code"],
        name=data["name"],
        currency=fund.currency if fund else data["currency"].upper(),
        kind=fund.kind if fund else data["kind"],
        participation_pct=data["participation_pct"],
        accrual_pct=data.get("accrual_pct") or selectors.ZERO,
        lead_days=data["lead_days"],
        claim_deadline_days=data["claim_deadline_days"],
        activity_types=list(data["activity_types"]),
        tiers=list(data["tiers"]),
    )


@portal_view(Perm.FUND_MANAGE)
@require_http_methods(["GET", "POST"])
def fund_new(request: PortalRequest) -> HttpResponse:
    form = FundForm(request.POST or None, initial={"currency": request.tenant.base_currency})
    if request.method == "POST" and form.is_valid():
        try:
            fund = fund_create(terms=_terms(form), acting_membership=request.membership)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Fund %(c)s created.") % {"c": fund.code})
            return redirect("funds:fund_detail", pk=fund.pk)
    return render(request, "funds/fund_form.html", {"form": form, "fund": None})


@portal_view(Perm.FUND_MANAGE)
@require_http_methods(["GET", "POST"])
def fund_edit(request: PortalRequest, pk: int) -> HttpResponse:
    fund = selectors.get_fund_or_404(pk)
    initial = {
        "code": fund.code,
        "name": fund.name,
        "kind": fund.kind,
        "currency": fund.currency,
        "participation_pct": fund.participation_pct,
        "accrual_pct": fund.accrual_pct,
        "lead_days": fund.lead_days,
        "claim_deadline_days": fund.claim_deadline_days,
        "activity_types": fund.activity_types,
        "tiers": [t.tier_id for t in fund.eligible_tiers.all()],
    }
    form = FundForm(request.POST or None, initial=initial, edit=True)
    if request.method == "POST" and form.is_valid():
        try:
            fund_update(
                fund=fund,
                terms=_terms(form, fund),
                acting_membership=request.membership,
                is_active=request.POST.get("is_active") == "on",
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Fund %(c)s saved.") % {"c": fund.code})
            return redirect("funds:fund_detail", pk=fund.pk)
    return render(request, "funds/fund_form.html", {"form": form, "fund": fund})


@portal_view(Perm.FUND_REPORTS)
def fund_detail(request: PortalRequest, pk: int) -> HttpResponse:
    fund = selectors.get_fund_or_404(pk)
    periods = selectors.periods_of_fund(fund)
    granted = selectors.granted_by_period(periods)
    accounts = (
        selectors.accounts_for_membership(request.membership).filter(fund=fund).order_by("partner__code")
    )
    page = paginate(request, accounts)
    balances = selectors.balances_of_accounts(page)
    return render(
        request,
        "funds/fund_detail.html",
        {
            "fund": fund,
            "tiers": [t.tier for t in fund.eligible_tiers.select_related("tier")],
            "periods": [{"period": p, "granted": granted.get(p.pk, selectors.ZERO)} for p in periods],
            "page": page,
            "rows": [(a, balances.get(a.pk, selectors.Balances())) for a in page],
            "report": reports.return_by_activity(request.membership, fund=fund),
            "can_manage": membership_has(request.membership, Perm.FUND_MANAGE),
            "period_form": PeriodForm(),
        },
    )


@portal_view(Perm.FUND_MANAGE)
@require_http_methods(["GET", "POST"])
def period_new(request: PortalRequest, pk: int) -> HttpResponse:
    fund = selectors.get_fund_or_404(pk)
    form = PeriodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            period = period_create(
                fund=fund,
                name=data["name"],
                start=data["start"],
                end=data["end"],
                budget=data["budget"],
                expires_on=data.get("expires_on"),
                acting_membership=request.membership,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("funds:period_detail", pk=period.pk)
    return render(request, "funds/period_form.html", {"form": form, "fund": fund})


@portal_view(Perm.FUND_REPORTS)
def period_detail(request: PortalRequest, pk: int) -> HttpResponse:
    period = selectors.get_period_or_404(pk)
    fund = period.fund
    granted = selectors.period_granted(period)
    grants = paginate(request, selectors.period_grants_for_membership(request.membership, period))
    tiers = [t.tier for t in fund.eligible_tiers.filter(tier__mdf_eligible=True).select_related("tier")]
    partners = selectors.eligible_partners(fund).filter(
        pk__in=selectors.partners_for_membership(request.membership)
    )
    return render(
        request,
        "funds/period_detail.html",
        {
            "period": period,
            "fund": fund,
            "granted": granted,
            "left": period.budget - granted,
            "page": grants,
            "can_manage": membership_has(request.membership, Perm.FUND_MANAGE),
            "allocation_form": AllocationForm(partners_qs=partners),
            "bulk_form": BulkAllocationForm(tiers=tiers),
            "budget_form": BudgetForm(initial={"budget": period.budget}),
        },
    )


@portal_view(Perm.FUND_MANAGE)
@require_POST
def allocate(request: PortalRequest, pk: int) -> HttpResponse:
    period = selectors.get_period_or_404(pk)
    partners = selectors.eligible_partners(period.fund).filter(
        pk__in=selectors.partners_for_membership(request.membership)
    )
    form = AllocationForm(request.POST, partners_qs=partners)
    if not form.is_valid():
        messages.error(request, _("Choose an eligible partner and an amount."))
    else:
        data = form.cleaned_data
        try:
            allocation_create(
                period=period,
                partner=data["partner"],
                amount=data["amount"],
                expires_on=data.get("expires_on"),
                note=data.get("note", ""),
                acting_membership=request.membership,
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Allocated to %(p)s.") % {"p": data["partner"].name})
    return redirect("funds:period_detail", pk=period.pk)


@portal_view(Perm.FUND_MANAGE)
@require_POST
def allocate_bulk(request: PortalRequest, pk: int) -> HttpResponse:
    period = selectors.get_period_or_404(pk)
    tiers = [
        t.tier for t in period.fund.eligible_tiers.filter(tier__mdf_eligible=True).select_related("tier")
    ]
    form = BulkAllocationForm(request.POST, tiers=tiers)
    if not form.is_valid():
        messages.error(request, _("Enter amounts as numbers."))
    else:
        try:
            result = allocation_bulk_by_tier(
                period=period,
                amounts=form.amounts(),
                expires_on=form.cleaned_data.get("expires_on"),
                note=form.cleaned_data.get("note", ""),
                acting_membership=request.membership,
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Allocated %(total)s %(c)s to %(n)d partners (%(s)d had their tier allocation already).")
                % {
                    "total": result["total"],
                    "c": period.fund.currency,
                    "n": result["partners"],
                    "s": result["skipped"],
                },
            )
    return redirect("funds:period_detail", pk=period.pk)


@portal_view(Perm.FUND_MANAGE)
@require_POST
def accrue(request: PortalRequest, pk: int) -> HttpResponse:
    period = selectors.get_period_or_404(pk)
    if period.fund.kind != Fund.Kind.COOP:
        messages.error(request, _("%(f)s is not a co-op fund.") % {"f": period.fund.name})
        return redirect("funds:period_detail", pk=period.pk)
    job = job_create(kind="funds:accrue", acting_user=request.user, params={"period_id": period.pk})
    job_enqueue(job, "funds.accrue_coop")
    messages.info(request, _("The accrual runs in the background."))
    return redirect("job_detail", pk=job.pk)


@portal_view(Perm.FUND_MANAGE)
@require_POST
def period_budget(request: PortalRequest, pk: int) -> HttpResponse:
    period = selectors.get_period_or_404(pk)
    form = BudgetForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the budget as a number."))
    else:
        try:
            period_set_budget(
                period=period, budget=form.cleaned_data["budget"], acting_membership=request.membership
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Budget saved."))
    return redirect("funds:period_detail", pk=period.pk)


@portal_view(Perm.FUND_MANAGE)
@require_http_methods(["GET", "POST"])
def fund_settings(request: PortalRequest) -> HttpResponse:
    current = selectors.fund_settings()
    form = SettingsForm(
        request.POST or None,
        initial={"level1_limit": current.level1_limit, "level2_limit": current.level2_limit},
    )
    if request.method == "POST" and form.is_valid():
        try:
            fund_settings_update(
                level1_limit=form.cleaned_data["level1_limit"],
                level2_limit=form.cleaned_data["level2_limit"],
                acting_membership=request.membership,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Approval levels saved."))
            return redirect("funds:settings")
    return render(request, "funds/settings.html", {"form": form, "currency": request.tenant.base_currency})


# --- Accounts and the ledger ----------------------------------------------------------------------------


@portal_view(Perm.FUND_VIEW)
def account_detail(request: PortalRequest, pk: int) -> HttpResponse:
    account = selectors.get_account_for_membership_or_404(request.membership, pk)
    today = timezone.localdate()
    return render(
        request,
        "funds/account_detail.html",
        {
            "account": account,
            "balances": selectors.account_balances(account),
            "expiring": selectors.expiry_schedule([account.pk], start=today).get(account.pk, []),
            "page": paginate(request, selectors.entries_for_account(account)),
            "can_manage": membership_has(request.membership, Perm.FUND_MANAGE),
            "reverse_form": ReverseForm(),
        },
    )


@portal_view(Perm.FUND_MANAGE)
@require_POST
def entry_reverse_view(request: PortalRequest, pk: int) -> HttpResponse:
    entry = selectors.get_entry_for_membership_or_404(request.membership, pk)
    form = ReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for the reversal."))
    else:
        try:
            entry_reverse(
                entry=entry,
                acting_membership=request.membership,
                reason=form.cleaned_data["reason"],
                amount=form.cleaned_data.get("amount"),
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Entry reversed."))
    return redirect("funds:account_detail", pk=entry.account_id)


# --- Requests --------------------------------------------------------------------------------------------


@portal_view(Perm.FUND_VIEW)
def request_list(request: PortalRequest) -> HttpResponse:
    membership = request.membership
    qs = request_list_queryset(membership, request.GET)
    filters = request_list_filters(request.GET)
    today = timezone.localdate()
    can_approve = membership_has(membership, Perm.FUND_APPROVE)
    return render(
        request,
        "funds/requests.html",
        {
            "page": paginate(request, qs),
            "status": filters.status,
            "level": filters.level,
            "mine": filters.mine,
            "partner": filters.partner,
            "statuses": R.choices,
            "levels": ApprovalLevel.choices,
            "can_request": membership_has(membership, Perm.FUND_REQUEST),
            "can_approve": can_approve,
            "authority": selectors.authority(membership, today) if can_approve else None,
        },
    )


def _request_terms(data) -> RequestTerms:
    return RequestTerms(
        activity_type=data["activity_type"],
        title=data["title"],
        description=data.get("description", ""),
        start_date=data["start_date"],
        end_date=data["end_date"],
        audience=data.get("audience", ""),
        estimated_cost=data["estimated_cost"],
        requested_amount=data["requested_amount"],
        expected_leads=data.get("expected_leads") or 0,
    )


@portal_view(Perm.FUND_REQUEST)
@signed_agreement_required
@require_http_methods(["GET", "POST"])
def request_new(request: PortalRequest) -> HttpResponse:
    funds_qs = selectors.funds_for_membership(request.membership).filter(is_active=True)
    form = RequestForm(request.POST or None, funds_qs=funds_qs, initial={"fund": request.GET.get("fund")})
    if request.method == "POST" and form.is_valid():
        try:
            fund_request = request_create(
                fund=form.cleaned_data["fund"],
                partner=cast(Partner, request.membership.partner),
                terms=_request_terms(form.cleaned_data),
                acting_membership=request.membership,
                submit=request.POST.get("submit") == "1",
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("funds:request_detail", pk=fund_request.pk)
    return render(request, "funds/request_form.html", {"form": form, "fund_request": None})


@portal_view(Perm.FUND_VIEW)
@require_http_methods(["GET", "POST"])
def request_edit(request: PortalRequest, pk: int) -> HttpResponse:
    fund_request = selectors.get_request_for_membership_or_404(request.membership, pk)
    _require_request_perm(request)
    funds_qs = selectors.funds().filter(pk=fund_request.fund_id)
    initial = {
        name: getattr(fund_request, name)
        for name in (
            "activity_type",
            "title",
            "description",
            "start_date",
            "end_date",
            "audience",
            "estimated_cost",
            "requested_amount",
            "expected_leads",
        )
    }
    initial["fund"] = fund_request.fund_id
    form = RequestForm(request.POST or None, funds_qs=funds_qs, initial=initial, edit=True)
    if request.method == "POST" and form.is_valid():
        try:
            request_update(
                request=fund_request,
                terms=_request_terms(form.cleaned_data),
                acting_membership=request.membership,
            )
            if request.POST.get("submit") == "1":
                request_submit(request=fund_request, acting_membership=request.membership)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("funds:request_detail", pk=fund_request.pk)
    return render(request, "funds/request_form.html", {"form": form, "fund_request": fund_request})


@portal_view(Perm.FUND_VIEW)
def request_detail(request: PortalRequest, pk: int) -> HttpResponse:
    membership = request.membership
    fund_request = selectors.get_request_for_membership_or_404(membership, pk)
    today = timezone.localdate()
    power = selectors.authority(membership, today) if membership_has(membership, Perm.FUND_APPROVE) else None
    claims = list(fund_request.claims.order_by("-id"))
    first, last = claim_window(fund_request)
    links = fund_request.links.select_related("registration", "lead")
    return render(
        request,
        "funds/request_detail.html",
        {
            "r": fund_request,
            "decisions": fund_request.decisions.select_related("actor", "on_behalf_of"),
            "claims": claims,
            "links": links,
            "ledger": fund_request.entries.order_by("id"),
            "can_edit": membership_has(membership, Perm.FUND_REQUEST)
            and fund_request.status in FundRequest.EDITABLE,
            "can_cancel": membership_has(membership, Perm.FUND_REQUEST)
            and fund_request.status in (R.DRAFT, R.CHANGES_REQUESTED, R.APPROVED)
            and not any(c.status != C.REJECTED for c in claims),
            "can_decide": power is not None
            and fund_request.status == R.PENDING
            and power.level >= fund_request.level,
            "authority": power,
            "can_claim": membership_has(membership, Perm.FUND_REQUEST)
            and fund_request.status == R.APPROVED
            and first <= today <= last
            and not any(c.status != C.REJECTED for c in claims),
            "claim_from": first,
            "claim_until": last,
            "can_link": fund_request.status in (R.APPROVED, R.COMPLETED)
            and (
                membership_has(membership, Perm.FUND_REQUEST) or membership_has(membership, Perm.FUND_APPROVE)
            ),
            "decision_form": DecisionForm(),
            "link_form": LinkForm(),
            "required_proof": [ProofKind(k).label for k in REQUIRED_PROOF[fund_request.activity_type]],
        },
    )


@portal_view(Perm.FUND_VIEW)
@require_POST
def request_submit_view(request: PortalRequest, pk: int) -> HttpResponse:
    fund_request = selectors.get_request_for_membership_or_404(request.membership, pk)
    _require_request_perm(request)
    return run_action(
        request,
        lambda: request_submit(request=fund_request, acting_membership=request.membership),
        success=_("%(ref)s submitted for approval.") % {"ref": fund_request.reference},
        redirect_to=reverse("funds:request_detail", args=[fund_request.pk]),
    )


@portal_view(Perm.FUND_VIEW)
@require_POST
def request_cancel_view(request: PortalRequest, pk: int) -> HttpResponse:
    fund_request = selectors.get_request_for_membership_or_404(request.membership, pk)
    _require_request_perm(request)
    return run_action(
        request,
        lambda: request_cancel(
            request=fund_request,
            acting_membership=request.membership,
            reason=request.POST.get("reason", "")[:1000],
        ),
        success=_("%(ref)s cancelled.") % {"ref": fund_request.reference},
        redirect_to=reverse("funds:request_detail", args=[fund_request.pk]),
    )


@portal_view(Perm.FUND_APPROVE)
@require_POST
def request_decide(request: PortalRequest, pk: int) -> HttpResponse:
    fund_request = selectors.get_request_for_membership_or_404(request.membership, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return redirect("funds:request_detail", pk=fund_request.pk)
    data = form.cleaned_data
    try:
        if data["action"] == "approve":
            result = request_approve(
                request=fund_request,
                acting_membership=request.membership,
                amount=data.get("amount"),
                reason=data.get("reason", ""),
            )
            if result.status == R.APPROVED:
                messages.success(
                    request, _("%(ref)s approved; the amount is committed.") % {"ref": result.reference}
                )
            else:
                messages.success(
                    request,
                    _("%(ref)s approved at your level and moved on to the %(role)s.")
                    % {"ref": result.reference, "role": str(ApprovalLevel(result.level).label).lower()},
                )
        elif data["action"] == "reject":
            request_reject(
                request=fund_request, acting_membership=request.membership, reason=data.get("reason", "")
            )
            messages.success(request, _("%(ref)s rejected.") % {"ref": fund_request.reference})
        else:
            request_ask_changes(
                request=fund_request, acting_membership=request.membership, reason=data.get("reason", "")
            )
            messages.success(request, _("%(ref)s returned for changes.") % {"ref": fund_request.reference})
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("funds:request_detail", pk=fund_request.pk)


@portal_view(Perm.FUND_VIEW)
@require_POST
def request_link(request: PortalRequest, pk: int) -> HttpResponse:
    fund_request = selectors.get_request_for_membership_or_404(request.membership, pk)
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a registration or a lead number."))
        return redirect("funds:request_detail", pk=fund_request.pk)
    registration = lead = None
    if form.cleaned_data.get("registration"):
        registration = (
            registrations_for_membership(request.membership)
            .filter(pk=form.cleaned_data["registration"])
            .first()
        )
    if form.cleaned_data.get("lead"):
        lead = leads_for_membership(request.membership).filter(pk=form.cleaned_data["lead"]).first()
    if registration is None and lead is None:
        messages.error(request, _("No such registration or lead of yours."))
        return redirect("funds:request_detail", pk=fund_request.pk)
    return run_action(
        request,
        lambda: activity_link(
            request=fund_request, acting_membership=request.membership, registration=registration, lead=lead
        ),
        success=_("Linked to %(ref)s.") % {"ref": fund_request.reference},
        redirect_to=reverse("funds:request_detail", args=[fund_request.pk]),
    )


# --- Delegation ----------------------------------------------------------------------------------------


@portal_view(Perm.FUND_APPROVE)
@require_http_methods(["GET", "POST"])
def delegations(request: PortalRequest) -> HttpResponse:
    membership = request.membership
    form = DelegationForm(request.POST or None, staff_qs=selectors.delegate_candidates(membership))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            delegation_create(
                delegator=membership,
                delegate=data["delegate"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                acting_membership=membership,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Delegation saved."))
            return redirect("funds:delegations")
    shown = selectors.delegations_for_membership(membership)
    return render(request, "funds/delegations.html", {"form": form, "delegations": shown[:50]})


@portal_view(Perm.FUND_APPROVE)
@require_POST
def delegation_end_view(request: PortalRequest, pk: int) -> HttpResponse:
    delegation = selectors.get_delegation_for_membership_or_404(request.membership, pk)
    return run_action(
        request,
        lambda: delegation_end(delegation=delegation, acting_membership=request.membership),
        success=_("Delegation ended."),
        redirect_to="funds:delegations",
    )


# --- Claims ---------------------------------------------------------------------------------------------


@portal_view(Perm.FUND_VIEW)
def claim_list(request: PortalRequest) -> HttpResponse:
    qs = fund_claim_list_queryset(request.membership, request.GET)
    claim_filters = fund_claim_list_filters(request.GET)
    return render(
        request,
        "funds/claims.html",
        {
            "page": paginate(request, qs),
            "status": claim_filters["status"],
            "statuses": C.choices,
            "partner": claim_filters["partner"],
        },
    )


@portal_view(Perm.FUND_VIEW)
@signed_agreement_required
@require_http_methods(["GET", "POST"])
def claim_new(request: PortalRequest, pk: int) -> HttpResponse:
    fund_request = selectors.get_request_for_membership_or_404(request.membership, pk)
    _require_request_perm(request)
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            claim = claim_create(
                request=fund_request,
                acting_membership=request.membership,
                actual_cost=data["actual_cost"],
                leads=data["leads"],
                attendees=data["attendees"],
                impressions=data["impressions"],
                notes=data.get("notes", ""),
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Now add the proof of performance, then submit the claim."))
            return redirect("funds:claim_detail", pk=claim.pk)
    return render(
        request,
        "funds/claim_form.html",
        {
            "form": form,
            "r": fund_request,
            "required_proof": [ProofKind(k).label for k in REQUIRED_PROOF[fund_request.activity_type]],
        },
    )


@portal_view(Perm.FUND_VIEW)
def claim_detail(request: PortalRequest, pk: int) -> HttpResponse:
    membership = request.membership
    claim = selectors.get_claim_for_membership_or_404(membership, pk)
    fund_request = claim.request
    fund = fund_request.fund
    can_review = membership_has(membership, Perm.FUND_CLAIM_REVIEW) and claim.status == C.SUBMITTED
    formula = None
    if can_review:
        balances = selectors.account_balances(fund_request.account)
        committed = selectors.request_open_commitment(fund_request)
        formula = {
            "share": claim.actual_cost * fund.participation_pct / 100,
            "approved": fund_request.approved_amount,
            "available": committed + max(balances.available, selectors.ZERO),
        }
        formula["due"] = reimbursement(
            actual_cost=claim.actual_cost,
            participation_pct=fund.participation_pct,
            approved=fund_request.approved_amount or selectors.ZERO,
            available=formula["available"],
            currency=fund.currency,
        )
    can_upload = membership_has(membership, Perm.FUND_REQUEST) and claim.status in (C.DRAFT, C.RETURNED)
    return render(
        request,
        "funds/claim_detail.html",
        {
            "claim": claim,
            "r": fund_request,
            "fund": fund,
            "proofs": claim.proofs.select_related("uploaded_by"),
            "missing": [ProofKind(k).label for k in missing_proof(claim)],
            "can_upload": can_upload,
            "can_submit": can_upload,
            "can_review": can_review,
            "formula": formula,
            "proof_form": ProofForm(),
            "review_form": ReviewForm(),
            "payable_visible": claim.payable_id is not None
            and payables_for_membership(membership).filter(pk=claim.payable_id).exists(),
        },
    )


@portal_view(Perm.FUND_VIEW)
@require_POST
def proof_upload_view(request: PortalRequest, pk: int) -> HttpResponse:
    claim = selectors.get_claim_for_membership_or_404(request.membership, pk)
    _require_request_perm(request)
    form = ProofForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose what the file proves and the file."))
    else:
        upload = form.cleaned_data["file"]
        try:
            proof_upload(
                claim=claim,
                requirement=form.cleaned_data["requirement"],
                upload=upload,
                original_name=upload.name,
                captured_on=form.cleaned_data.get("captured_on"),
                acting_membership=request.membership,
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("File added."))
    return redirect("funds:claim_detail", pk=claim.pk)


@portal_view(Perm.FUND_VIEW)
def proof_download(request: PortalRequest, pk: int) -> HttpResponseBase:
    """Always an attachment with the type found in the bytes (nothing is rendered inline)."""
    proof = selectors.get_proof_for_membership_or_404(request.membership, pk)
    suffix = "." + proof.path.rsplit(".", 1)[-1] if "." in proof.path else ""
    stem = proof.original_name.rsplit(".", 1)[0] if "." in proof.original_name else proof.original_name
    return file_download(proof.path, filename=f"{stem or 'proof'}{suffix}", content_type=proof.content_type)


@portal_view(Perm.FUND_VIEW)
@require_POST
def claim_submit_view(request: PortalRequest, pk: int) -> HttpResponse:
    claim = selectors.get_claim_for_membership_or_404(request.membership, pk)
    _require_request_perm(request)
    return run_action(
        request,
        lambda: claim_submit(claim=claim, acting_membership=request.membership),
        success=_("Claim %(ref)s submitted.") % {"ref": claim.reference},
        redirect_to=reverse("funds:claim_detail", args=[claim.pk]),
    )


@portal_view(Perm.FUND_CLAIM_REVIEW)
@require_POST
def claim_review(request: PortalRequest, pk: int) -> HttpResponse:
    claim = selectors.get_claim_for_membership_or_404(request.membership, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return redirect("funds:claim_detail", pk=claim.pk)
    data = form.cleaned_data
    reason = data.get("reason", "")
    try:
        if data["action"] == "approve":
            claim_approve(claim=claim, acting_membership=request.membership, reason=reason)
        elif data["action"] == "partial":
            if data.get("amount") is None:
                raise DomainError(_("Enter the amount to reimburse."))
            claim_approve(
                claim=claim, acting_membership=request.membership, amount=data["amount"], reason=reason
            )
        elif data["action"] == "reject":
            claim_reject(claim=claim, acting_membership=request.membership, reason=reason)
        else:
            claim_return(claim=claim, acting_membership=request.membership, reason=reason)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Claim %(ref)s: decision saved.") % {"ref": claim.reference})
    return redirect("funds:claim_detail", pk=claim.pk)


# --- Reports --------------------------------------------------------------------------------------------


@portal_view(Perm.FUND_REPORTS)
def dashboard(request: PortalRequest) -> HttpResponseBase:
    tables = reports.FUND_REPORTS.tables(request.membership, request.GET)
    download = report_download(request, tables, prefix="funds")
    if download is not None:
        return download
    built = {key: build() for key, build in tables.items()}
    return render(
        request,
        "funds/dashboard.html",
        {"reports": list(built.values()), "chart": reports.quarter_chart(built["quarters"])},
    )
