"""Period close and settlement: approval creates payables through prm.finance, true-ups and
clawbacks are new lines of the difference, finance reconciliation covers rebates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from posdata.models import PosLine
from prm.audit.models import AuditEvent
from prm.finance.models import Payable
from prm.finance.reports import reconciliation_report
from prm.workflow import DomainError
from rebates.models import Settlement
from rebates.services.settlements import settlement_approve, settlement_close, settlement_reject
from tests.rebates.helpers import calculate, definition, load, pos

pytestmark = pytest.mark.django_db

FLAT = {"method": "flat", "tiers": [{"from": "0", "rate": "0.1"}]}


def _close_and_approve(cast, program, run):
    settlement = settlement_close(program=program, run=run, acting_membership=cast.a.memberships["finance"])
    return settlement_approve(settlement=settlement, acting_membership=cast.a.memberships["admin"])


def test_approving_a_close_creates_one_payable_per_due_line(cast):
    with cast.a.context():
        p1, p2 = cast.a.partners["p1"], cast.a.partners["p2"]
        pos(p1, [("2026-01-15", 1, "1000")])
        pos(p2, [("2026-01-15", 1, "0")])
        program = load(definition(**FLAT))
        run = calculate(program)
        settlement = settlement_close(
            program=program, run=run, acting_membership=cast.a.memberships["finance"]
        )
        run.refresh_from_db()
        assert run.frozen and settlement.status == Settlement.Status.PENDING
        assert not Payable.objects.exists()  # nothing before approval
        settlement = settlement_approve(settlement=settlement, acting_membership=cast.a.memberships["admin"])
        line = settlement.lines.get()  # p2 earned nothing: no line
        payable = Payable.objects.get()
        assert (payable.source_type, payable.source_id) == ("rebate", str(line.pk))
        assert (payable.partner, payable.amount, payable.currency) == (p1, Decimal("100.00"), "USD")
        assert AuditEvent.objects.filter(action="rebate_settlement.approve").count() == 1
        assert reconciliation_report().balanced


def test_late_data_settles_only_the_difference_and_a_decrease_is_a_clawback(cast):
    with cast.a.context():
        p1 = cast.a.partners["p1"]
        first_lines = pos(p1, [("2026-01-15", 1, "1000")])
        program = load(definition(**FLAT))
        _close_and_approve(cast, program, calculate(program))
        pos(p1, [("2026-02-15", 1, "500")])  # late sale
        run = calculate(program)
        accrual = run.accruals.get()
        assert (accrual.earned, accrual.paid_before, accrual.due) == (
            Decimal("150.00"),
            Decimal("100.00"),
            Decimal("50.00"),
        )
        _close_and_approve(cast, program, run)
        PosLine.objects.filter(pk=first_lines[0].pk).update(
            amount=Decimal("-1000"), quantity=-1
        )  # turned into a return
        run = calculate(program)
        accrual = run.accruals.get()
        assert (accrual.earned, accrual.paid_before, accrual.due) == (
            Decimal("0.00"),
            Decimal("150.00"),
            Decimal("-150.00"),
        )
        _close_and_approve(cast, program, run)
        amounts = list(Payable.objects.order_by("id").values_list("amount", flat=True))
        assert amounts == [Decimal("100.00"), Decimal("50.00"), Decimal("-150.00")]
        assert reconciliation_report().balanced


def test_close_refuses_an_outdated_run_and_a_second_pending_close(cast):
    with cast.a.context():
        pos(cast.a.partners["p1"], [("2026-01-15", 1, "1000")])
        program = load(definition(**FLAT))
        old, new = calculate(program), calculate(program)
        finance = cast.a.memberships["finance"]
        with pytest.raises(DomainError, match="newer"):
            settlement_close(program=program, run=old, acting_membership=finance)
        settlement_close(program=program, run=new, acting_membership=finance)
        with pytest.raises(DomainError, match="awaits approval"):
            settlement_close(program=program, run=new, acting_membership=finance)


def test_a_rejected_close_pays_nothing_and_approval_twice_is_refused(cast):
    with cast.a.context():
        pos(cast.a.partners["p1"], [("2026-01-15", 1, "1000")])
        program = load(definition(**FLAT))
        finance = cast.a.memberships["finance"]
        settlement = settlement_close(program=program, run=calculate(program), acting_membership=finance)
        settlement_reject(settlement=settlement, acting_membership=finance, reason="Q1 data incomplete")
        with pytest.raises(DomainError):
            settlement_approve(settlement=settlement, acting_membership=cast.a.memberships["admin"])
        assert not Payable.objects.exists()


def test_only_finance_and_vendor_admins_close(cast):
    from django.core.exceptions import PermissionDenied

    with cast.a.context():
        pos(cast.a.partners["p1"], [("2026-01-15", 1, "1000")])
        program = load(definition(**FLAT))
        run = calculate(program)
        with pytest.raises(PermissionDenied):
            settlement_close(program=program, run=run, acting_membership=cast.a.memberships["manager"])
        assert not Settlement.objects.exists()


def test_whoever_closed_the_period_cannot_approve_it(cast):
    """Maker-checker, as for payout batches: the closer's approval is refused and writes nothing;
    another finance user or vendor admin approves, and the audit names both."""
    with cast.a.context():
        pos(cast.a.partners["p1"], [("2026-01-15", 1, "1000")])
        program = load(definition(**FLAT))
        finance, admin = cast.a.memberships["finance"], cast.a.memberships["admin"]
        settlement = settlement_close(program=program, run=calculate(program), acting_membership=finance)
        with pytest.raises(DomainError, match="You closed this period"):
            settlement_approve(settlement=settlement, acting_membership=finance)
        settlement.refresh_from_db()
        assert settlement.status == Settlement.Status.PENDING and settlement.decided_by is None
        assert not Payable.objects.exists()
        assert not AuditEvent.objects.filter(action="rebate_settlement.approve").exists()

        settlement_approve(settlement=settlement, acting_membership=admin)
        event = AuditEvent.objects.get(action="rebate_settlement.approve")
        assert event.actor == admin.user and event.after["closed_by"] == finance.user_id
        assert Payable.objects.get().amount == Decimal("100.00")


def test_the_closer_may_still_reject_their_own_close(cast):
    """Sending a close back pays nothing, so it needs no second pair of eyes."""
    with cast.a.context():
        pos(cast.a.partners["p1"], [("2026-01-15", 1, "1000")])
        program = load(definition(**FLAT))
        finance = cast.a.memberships["finance"]
        settlement = settlement_close(program=program, run=calculate(program), acting_membership=finance)
        settlement = settlement_reject(settlement=settlement, acting_membership=finance, reason="Wrong run")
        assert settlement.status == Settlement.Status.REJECTED
