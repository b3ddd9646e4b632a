"""Calculation runs: start one (a job on the calculation queue, or in this process for the
command), execute it (one set-based statement), and read its result as the command prints it.
Runs of one program are serialised by a lock on the program row, so two at once cannot read
each other's half-written state; a redelivered job finds its run finished and does nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from posdata.watermark import pos_lines_watermark
from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.jobs.models import Job
from prm.jobs.services import (
    job_create,
    job_enqueue,
    job_fail,
    job_fail_unexpected,
    job_progress,
    job_start,
    job_succeed,
)
from prm.lib.money import format_amount_str
from prm.roles import Perm
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError, check_transition
from rebates.calculation import RunScope, SimulatedAccrual, execute_run, simulate
from rebates.definition import Definition, definition_of
from rebates.models import Accrual, Basis, CalculationRun, ProgramVersion, RebateProgram
from rebates.services.programs import _require, _user, current_definition

R = CalculationRun.Status
JOB_KIND = "rebates:calculate"


def run_start(
    *,
    program: RebateProgram,
    acting_membership: Membership | None = None,
    as_of: datetime.date | None = None,
    enqueue: bool = True,
) -> CalculationRun:
    """Queue a calculation of the program's current version over the data loaded so far."""
    _require(acting_membership, Perm.REBATE_MANAGE)
    if program.status != RebateProgram.Status.ACTIVE:
        raise DomainError(
            _("Program %(code)s is %(status)s: only active programs are calculated (simulate a draft).")
            % {"code": program.code, "status": program.get_status_display().lower()}
        )
    user = _user(acting_membership)
    as_of = min(as_of or program.end_date, program.end_date)
    if as_of < program.start_date:
        as_of = program.start_date
    with transaction.atomic():
        job = job_create(kind=JOB_KIND, acting_user=user, params={})
        run = CalculationRun.objects.create(
            program=program,
            version=program.version,
            currency=program.currency,
            as_of=as_of,
            job=job,
            created_by=user,
        )
        job.params = {"run_id": run.pk, "program": program.code}
        job.save(update_fields=["params"])
        audit(
            actor=user,
            action="rebate_run.start",
            obj=run,
            after={"program": program.code, "version": run.version},
        )
        if enqueue:
            job_enqueue(job, "rebates.calculate")
    return run


def _scope(run: CalculationRun, definition: Definition, pos_lines_to: int | None) -> RunScope:
    return RunScope(
        tenant_id=require_tenant().pk,
        program_id=run.program_id,
        definition=definition,
        as_of=run.as_of,
        pos_lines_to=pos_lines_to,
    )


def _fail(run: CalculationRun, job: Job, message: str) -> None:
    CalculationRun.objects.filter(pk=run.pk).update(
        status=R.FAILED, error=message[:4000], finished_at=timezone.now()
    )
    job_fail(job, message)


def run_execute(job: Job) -> dict[str, Any]:
    """The job: compute and store the accruals of the run. Re-running it is safe."""
    if not job_start(job):
        return job.result
    run = CalculationRun.objects.select_related("program").get(pk=job.params["run_id"])
    if run.status in (R.SUCCEEDED, R.FAILED):
        job_succeed(job, run_result(run)) if run.status == R.SUCCEEDED else job_fail(job, run.error)
        return job.result
    job_progress(job, 5)
    try:
        definition = definition_of(
            ProgramVersion.objects.get(program_id=run.program_id, version=run.version).definition
        )
        # Before the run's transaction: the watermark briefly holds the tenant's POS loads back.
        lines_to = None if definition.is_deal_based else pos_lines_watermark()
        with transaction.atomic():
            RebateProgram.objects.select_for_update().get(pk=run.program_id)  # one run of a program at a time
            locked = CalculationRun.objects.select_for_update().get(pk=run.pk)
            if locked.status != R.QUEUED:
                return job.result
            check_transition(CalculationRun.TRANSITIONS, locked.status, R.RUNNING, what=_("The run"))
            job_progress(job, 20)
            summary = execute_run(_scope(locked, definition, lines_to), run_id=locked.pk)
            locked.status = R.SUCCEEDED
            locked.pos_lines_to = lines_to
            locked.partners = summary.accruals
            locked.source_lines = summary.source_lines
            locked.total_earned = summary.earned
            locked.total_due = summary.due
            locked.fx_rates = summary.fx_rates
            locked.finished_at = timezone.now()
            locked.save(
                update_fields=[
                    "status",
                    "pos_lines_to",
                    "partners",
                    "source_lines",
                    "total_earned",
                    "total_due",
                    "fx_rates",
                    "finished_at",
                ]
            )
            audit(
                actor=None,
                action="rebate_run.finish",
                obj=locked,
                after={"partners": summary.accruals, "earned": str(summary.earned), "due": str(summary.due)},
            )
    except DomainError as exc:
        _fail(run, job, str(exc))
        job.refresh_from_db()
        return job.result
    except Exception as exc:  # the user sees a reference, the log the detail
        message = job_fail_unexpected(job, exc, what=f"rebate run {run.pk}")
        CalculationRun.objects.filter(pk=run.pk).update(
            status=R.FAILED, error=message, finished_at=timezone.now()
        )
        job.refresh_from_db()
        return job.result
    run.refresh_from_db()
    result = run_result(run)
    job_succeed(job, result)
    return result


def run_give_up(job: Job, message: str) -> None:
    """The stuck-job sweep gave the run's job up: the run fails with the same message."""
    run_id = (job.params or {}).get("run_id")
    if run_id:
        CalculationRun.objects.filter(pk=run_id, status__in=[R.QUEUED, R.RUNNING]).update(
            status=R.FAILED, error=message[:4000], finished_at=timezone.now()
        )


def run_now(*, program: RebateProgram, as_of: datetime.date | None = None) -> CalculationRun:
    """Start and execute a run in this process (the command, the seed, tests)."""
    run = run_start(program=program, as_of=as_of, enqueue=False)
    assert run.job is not None
    run_execute(run.job)
    run.refresh_from_db()
    return run


def _measure(value: Decimal, basis: str, currency: str) -> Any:
    if basis in (Basis.QUANTITY, Basis.DEAL_COUNT):
        return int(value)
    return format_amount_str(value, currency)


def run_result(run: CalculationRun) -> dict[str, Any]:
    """The ``rebates_calculate`` JSON: every partner (and rep) of the run, sorted by code."""
    program = run.program
    currency = run.currency
    rows = (
        Accrual.objects.filter(run=run)
        .order_by("partner__code", "payee_user__email")
        .values_list("partner__code", "payee_user__email", "measure", "earned", "paid_before", "due")
    )
    partners = []
    total = Decimal("0")
    for code, payee, measure, earned, paid_before, due in rows:
        entry: dict[str, Any] = {
            "partner": code,
            "measure": _measure(measure, program.basis, currency),
            "earned": format_amount_str(earned, currency),
            "paid_before": format_amount_str(paid_before, currency),
            "due": format_amount_str(due, currency),
        }
        if payee:
            entry["payee"] = payee
        partners.append(entry)
        total += due
    return {
        "program": program.code,
        "currency": currency,
        "partners": partners,
        "total_due": format_amount_str(total, currency),
    }


def program_simulate(
    *, program: RebateProgram, definition: Definition, as_of: datetime.date | None = None
) -> list[SimulatedAccrual]:
    """What-if: the accruals ``definition`` (a draft, or changed tiers) would give over the data
    loaded so far, beside nothing written (the ledger stays untouched)."""
    as_of = min(as_of or definition.end, definition.end)
    scope = RunScope(
        tenant_id=require_tenant().pk,
        program_id=program.pk,
        definition=definition,
        as_of=max(as_of, definition.start),
    )
    return simulate(scope)


def current_simulation(program: RebateProgram) -> list[SimulatedAccrual]:
    return program_simulate(program=program, definition=current_definition(program))
