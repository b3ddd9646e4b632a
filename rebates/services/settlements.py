"""Period close and settlement: finance closes a program's period on a run (which freezes it);
the settlement lists, per partner (and rep), earned to date, approved before and the difference
due; approving it creates one payable per line through prm.finance (a negative due is a
clawback, netted against the next payment). Nothing approved is rewritten: a later close after
late POS data settles only the difference, as new lines. Also the partner admin's opt-in that
lets reps be paid their own SPIFs."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Partner
from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.finance.services import payable_create
from prm.lib.money import format_amount_str
from prm.notifications.services import notify
from prm.roles import Perm, Role, membership_has
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError, check_transition, require
from rebates.models import CalculationRun, RebateProgram, RepOptIn, Settlement, SettlementLine

ST = Settlement.Status
PAYMENT_TERM_DAYS = 30


def settlement_close(
    *, program: RebateProgram, run: CalculationRun, acting_membership: Membership, note: str = ""
) -> Settlement:
    """Close the program's period on ``run``: freeze the run and put its due amounts up for
    approval. The run must be the program's latest and newer than the last approval (its
    "approved before" figures are then current)."""
    require(membership_has(acting_membership, Perm.REBATE_CLOSE))
    with transaction.atomic():
        locked_program = RebateProgram.objects.select_for_update().get(pk=program.pk)
        locked_run = CalculationRun.objects.select_for_update().get(pk=run.pk, program=locked_program)
        if locked_program.status != RebateProgram.Status.ACTIVE:
            raise DomainError(_("Only an active program's period can be closed."))
        if locked_run.status != CalculationRun.Status.SUCCEEDED:
            raise DomainError(_("Only a finished calculation run can be used to close the period."))
        latest = (
            CalculationRun.objects.filter(program=locked_program, status=CalculationRun.Status.SUCCEEDED)
            .order_by("-created_at", "-id")
            .first()
        )
        if latest is None or latest.pk != locked_run.pk:
            raise DomainError(_("A newer calculation run exists: close the period on the latest run."))
        if locked_run.version != locked_program.version:
            raise DomainError(_("The program has a newer version than this run: calculate again first."))
        if Settlement.objects.filter(program=locked_program, status=ST.PENDING).exists():
            raise DomainError(_("A settlement of this program already awaits approval."))
        last_decided = Settlement.objects.filter(program=locked_program, status=ST.APPROVED).aggregate(
            at=Max("decided_at")
        )["at"]
        if last_decided is not None and last_decided > locked_run.created_at:
            raise DomainError(_("A settlement was approved after this run: calculate again first."))
        settlement = Settlement.objects.create(
            program=locked_program,
            run=locked_run,
            period_end=locked_run.as_of,
            currency=locked_run.currency,
            note=(note or "").strip(),
            closed_by=acting_membership.user,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO rebates_settlementline (tenant_id, settlement_id, program_id, accrual_id, partner_id,
                  payee_user_id, currency, earned, paid_before, due)
                SELECT a.tenant_id, %s, a.program_id, a.id, a.partner_id, a.payee_user_id, a.currency, a.earned,
                       a.paid_before, a.due
                FROM rebates_accrual a
                WHERE a.tenant_id = %s AND a.run_id = %s AND a.due <> 0
                """,
                [settlement.pk, require_tenant().pk, locked_run.pk],
            )
        total = sum((line.due for line in settlement.lines.all()), start=Decimal("0"))
        settlement.total_due = total
        settlement.save(update_fields=["total_due"])
        locked_run.frozen = True
        locked_run.save(update_fields=["frozen"])
        audit(
            actor=acting_membership.user,
            action="rebate_settlement.close",
            obj=settlement,
            after={"program": locked_program.code, "run": locked_run.pk, "total_due": str(total)},
        )
    return settlement


def _payee(line: SettlementLine):
    """A rep is paid only while still an active member of the partner; otherwise the partner is."""
    if line.payee_user_id is None:
        return None
    active = Membership.objects.filter(
        user_id=line.payee_user_id,
        partner_id=line.partner_id,
        is_active=True,
        role__in=[Role.PARTNER_ADMIN, Role.PARTNER_USER],
    ).exists()
    return line.payee_user if active else None


def closed_by_member(settlement: Settlement, membership: Membership) -> bool:
    """Whether ``membership``'s user closed the period (and so may not approve it)."""
    return settlement.closed_by_id is not None and settlement.closed_by_id == membership.user_id


def settlement_approve(*, settlement: Settlement, acting_membership: Membership) -> Settlement:
    """Approve the settlement: one payable per line with a due amount (clawbacks negative).
    Maker-checker, as for payout batches: whoever closed the period cannot approve it."""
    with transaction.atomic():
        locked = Settlement.objects.select_for_update().select_related("program").get(pk=settlement.pk)
        require(membership_has(acting_membership, Perm.REBATE_CLOSE))
        if closed_by_member(locked, acting_membership):
            raise DomainError(
                _("You closed this period: another finance user or vendor admin must approve the settlement.")
            )
        check_transition(Settlement.TRANSITIONS, locked.status, ST.APPROVED, what=_("The settlement"))
        due_date = timezone.localdate() + datetime.timedelta(days=PAYMENT_TERM_DAYS)
        lines = list(locked.lines.select_related("partner", "payee_user").order_by("id"))
        for line in lines:
            if line.due == 0:
                continue
            kind = _("clawback") if line.due < 0 else _("rebate")
            payable, _created = payable_create(
                source_type="rebate",
                source_id=line.pk,
                partner=line.partner,
                payee_user=_payee(line),
                amount=line.due,
                currency=line.currency,
                due_date=due_date,
                description=_("%(program)s %(kind)s to %(day)s")
                % {"program": locked.program.code, "kind": kind, "day": locked.period_end.isoformat()},
                acting_user=acting_membership.user,
            )
            line.payable = payable
            line.save(update_fields=["payable"])
        locked.status = ST.APPROVED
        locked.decided_by = acting_membership.user
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit(
            actor=acting_membership.user,
            action="rebate_settlement.approve",
            obj=locked,
            before={"status": ST.PENDING},
            after={
                "status": ST.APPROVED,
                "lines": len(lines),
                "total_due": str(locked.total_due),
                "closed_by": locked.closed_by_id,
            },
        )
        partner_ids = {line.partner_id for line in lines}
        recipients = [
            m.user
            for m in Membership.objects.filter(
                partner_id__in=partner_ids, role=Role.PARTNER_ADMIN, is_active=True
            ).select_related("user")
        ]
        program = locked.program
        transaction.on_commit(
            lambda: notify(
                recipients=recipients,
                verb="rebate.settled",
                message=lambda: (
                    _("Rebate program %(code)s was settled to %(day)s: see your statement.")
                    % {"code": program.code, "day": locked.period_end.isoformat()}
                ),
                url=reverse("rebates:statements"),
            )
        )
    settlement.refresh_from_db()
    return settlement


def settlement_reject(*, settlement: Settlement, acting_membership: Membership, reason: str) -> Settlement:
    """Send the close back (e.g. data still missing): nothing is paid; the run stays frozen."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the settlement is rejected."))
    with transaction.atomic():
        locked = Settlement.objects.select_for_update().get(pk=settlement.pk)
        require(membership_has(acting_membership, Perm.REBATE_CLOSE))
        check_transition(Settlement.TRANSITIONS, locked.status, ST.REJECTED, what=_("The settlement"))
        locked.status = ST.REJECTED
        locked.note = f"{locked.note}\n{reason}".strip()
        locked.decided_by = acting_membership.user
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "note", "decided_by", "decided_at"])
        audit(
            actor=acting_membership.user,
            action="rebate_settlement.reject",
            obj=locked,
            before={"status": ST.PENDING},
            after={"status": ST.REJECTED, "reason": reason},
        )
    settlement.refresh_from_db()
    return settlement


def rep_opt_in_set(*, partner: Partner, enabled: bool, acting_membership: Membership) -> RepOptIn:
    """The partner admin decides whether the partner's reps are paid their own per-deal SPIFs."""
    require(membership_has(acting_membership, Perm.REBATE_REP_OPT_IN))
    require(acting_membership.partner_id == partner.pk)
    with transaction.atomic():
        row, _created = RepOptIn.objects.select_for_update().get_or_create(partner=partner)
        before = row.enabled
        row.enabled = bool(enabled)
        row.changed_by = acting_membership.user
        row.save(update_fields=["enabled", "changed_by", "changed_at"])
        audit(
            actor=acting_membership.user,
            action="rebate.rep_opt_in",
            obj=row,
            before={"enabled": before},
            after={"enabled": row.enabled},
        )
    return row


def amount_text(amount, currency: str) -> str:
    return f"{format_amount_str(amount, currency)} {currency}"
