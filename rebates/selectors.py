"""Reads of rebates, scoped to what a member may see: vendor staff see the programs and every
accrual of their partners; partner admins their partner's statements; partner users their own
SPIF statements (accruals payable to them) and their partner's partner-level statements."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from partners.selectors import partners_for_membership
from prm.accounts.models import Membership
from prm.tenancy.context import require_tenant
from rebates.models import Accrual, CalculationRun, RebateProgram, RepOptIn, Settlement, SettlementLine


def programs_for_staff() -> QuerySet[RebateProgram]:
    return RebateProgram.objects.all()


def get_program_or_404(pk: int) -> RebateProgram:
    return get_object_or_404(RebateProgram, pk=pk)


def runs_of(program: RebateProgram) -> QuerySet[CalculationRun]:
    return CalculationRun.objects.filter(program=program).select_related("created_by", "job")


def get_run_or_404(pk: int) -> CalculationRun:
    return get_object_or_404(CalculationRun.objects.select_related("program", "job"), pk=pk)


def latest_run(program: RebateProgram) -> CalculationRun | None:
    return (
        CalculationRun.objects.filter(program=program, status=CalculationRun.Status.SUCCEEDED)
        .order_by("-created_at", "-id")
        .first()
    )


def accruals_for_membership(membership: Membership) -> QuerySet[Accrual]:
    """Accruals a member may see: partner users only partner-level ones and those payable to them."""
    qs = Accrual.objects.filter(partner__in=partners_for_membership(membership))
    if membership.is_partner and membership.role == "partner_user":
        qs = qs.filter(Q(payee_user__isnull=True) | Q(payee_user=membership.user))
    return qs.select_related("partner", "payee_user", "run", "program")


def accrual_list(qs: QuerySet[Accrual]) -> QuerySet[Accrual]:
    """For lists: without the source line ids (thousands per accrual; the statement reads them)."""
    return qs.defer("source_ids", "bands")


def get_accrual_for_membership_or_404(membership: Membership, pk: int) -> Accrual:
    return get_object_or_404(accruals_for_membership(membership), pk=pk)


def latest_run_ids() -> QuerySet:
    """The latest successful run of every program (one query)."""
    return (
        CalculationRun.objects.filter(status=CalculationRun.Status.SUCCEEDED)
        .order_by("program_id", "-created_at", "-id")
        .distinct("program_id")
        .values("id")
    )


def statement_accruals(membership: Membership) -> QuerySet[Accrual]:
    """The latest run's accrual of each program for each payee the member may see: one
    statement per program and partner (or rep)."""
    return accrual_list(
        accruals_for_membership(membership)
        .filter(run_id__in=latest_run_ids())
        .exclude(program__status=RebateProgram.Status.DRAFT)
        .order_by("program__code", "partner__code", "payee_user_id")
    )


def settlements_of(program: RebateProgram) -> QuerySet[Settlement]:
    return Settlement.objects.filter(program=program).select_related("run", "closed_by", "decided_by")


def get_settlement_or_404(pk: int) -> Settlement:
    return get_object_or_404(Settlement.objects.select_related("program", "run"), pk=pk)


def settlement_lines(settlement: Settlement) -> QuerySet[SettlementLine]:
    return settlement.lines.select_related("partner", "payee_user", "payable").order_by("partner__code", "id")


def get_settlement_line_for_membership_or_404(membership: Membership, pk: int) -> SettlementLine:
    qs = SettlementLine.objects.filter(partner__in=partners_for_membership(membership))
    if membership.is_partner and membership.role == "partner_user":
        qs = qs.filter(Q(payee_user__isnull=True) | Q(payee_user=membership.user))
    return get_object_or_404(qs, pk=pk)


def settled_lines_for(accrual: Accrual) -> QuerySet[SettlementLine]:
    """The settlement lines of the same program and payee (the history of what was settled)."""
    return (
        SettlementLine.objects.filter(
            program_id=accrual.program_id, partner_id=accrual.partner_id, payee_user_id=accrual.payee_user_id
        )
        .select_related("settlement", "payable")
        .order_by("settlement__closed_at", "id")
    )


def rep_opt_in(partner_id: int) -> bool:
    row = RepOptIn.objects.filter(partner_id=partner_id).first()
    return bool(row and row.enabled)


def approved_rebates_ledger() -> tuple[str, list[Any]]:
    """What finance's reconciliation compares with the payables of kind "rebate": every line of
    an approved settlement with a due amount (clawbacks negative)."""
    sql = (
        "SELECT sl.id::text, sl.due, sl.currency FROM rebates_settlementline sl"
        " JOIN rebates_settlement s ON s.tenant_id = sl.tenant_id AND s.id = sl.settlement_id"
        " WHERE sl.tenant_id = %s AND s.status = 'approved' AND sl.due <> 0"
    )
    return sql, [require_tenant().pk]
