from __future__ import annotations

from tests.sweep import Entry


def _world(cast):
    """A program with P1's sales, one run and a pending close (inside tenant A's context)."""
    from rebates.models import Settlement
    from rebates.services.settlements import settlement_close
    from tests.rebates.helpers import calculate, definition, load, pos

    existing = Settlement.objects.first()
    if existing is not None:
        return existing
    pos(cast.a.partners["p1"], [("2026-01-15", 3, "1000")])
    program = load(definition(code="SWEEP", method="flat", tiers=[{"from": "0", "rate": "0.1"}]))
    run = calculate(program)
    return settlement_close(program=program, run=run, acting_membership=cast.a.memberships["finance"])


def _program(cast):
    return {"pk": _world(cast).program_id}


def _run(cast):
    return {"pk": _world(cast).run_id}


def _settlement(cast):
    return {"pk": _world(cast).pk}


def _line(cast):
    return {"pk": _world(cast).lines.get().pk}


def _accrual(cast):
    return {"pk": _world(cast).run.accruals.get().pk}


ENTRIES = {
    "rebates:statements": Entry(),
    "rebates:statement": Entry(kwargs=_accrual, partner_owned=True),
    "rebates:statement_lines": Entry(kwargs=_accrual, partner_owned=True),
    "rebates:statement_csv": Entry(kwargs=_accrual, partner_owned=True),
    "rebates:statement_pdf": Entry(kwargs=_accrual, partner_owned=True),
    "rebates:rep_opt_in": Entry(methods=("GET", "POST")),
    "rebates:programs": Entry(),
    "rebates:program_new": Entry(methods=("GET", "POST")),
    "rebates:program_load": Entry(methods=("GET", "POST")),
    "rebates:program_detail": Entry(kwargs=_program),
    "rebates:program_edit": Entry(kwargs=_program, methods=("GET", "POST")),
    "rebates:program_export": Entry(kwargs=_program),
    "rebates:program_activate": Entry(kwargs=_program, methods=("POST",)),
    "rebates:program_archive": Entry(kwargs=_program, methods=("POST",)),
    "rebates:program_calculate": Entry(kwargs=_program, methods=("POST",)),
    "rebates:program_simulate": Entry(kwargs=_program),
    "rebates:program_close": Entry(kwargs=_program, methods=("POST",)),
    "rebates:run_detail": Entry(kwargs=_run),
    "rebates:settlement_detail": Entry(kwargs=_settlement),
    "rebates:settlement_approve": Entry(kwargs=_settlement, methods=("POST",)),
    "rebates:settlement_reject": Entry(kwargs=_settlement, methods=("POST",)),
    "rebates:settlement_line": Entry(kwargs=_line, partner_owned=True),
    "rebates:dashboard": Entry(),
}
