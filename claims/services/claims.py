"""Writes of claims: submit (file, portal lines or the command), validate (the job), override a
line, approve (one payable for the approved total)."""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from claims import pipeline
from claims.fields import REQUIRED, detect_mapping, header_score
from claims.models import AgreementLine, Claim, ClaimLine
from claims.selectors import (
    NOT_VALIDATED,
    claim_settings,
    claim_window_days,
    earlier_claim_not_validated,
    first_claim_not_validated,
)
from partners.models import Partner
from partners.selectors import (
    partner_admins,
    partners_for_membership,
    require_active_partner,
    require_signed_agreement,
)
from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.events import iso, partner_ref, publish
from prm.files import store_upload
from prm.finance.services import payable_create
from prm.jobs.models import Job
from prm.jobs.services import (
    TRANSIENT_ERRORS,
    job_create,
    job_enqueue,
    job_fail,
    job_progress,
    job_start,
    job_succeed,
    unexpected_failure_message,
)
from prm.lib.money import format_amount_str, minor_units, quantize_money
from prm.notifications.services import Message, notify
from prm.reader import inspect_file
from prm.roles import Perm, membership_has
from prm.tenancy.context import require_tenant, tenant_context
from prm.tenancy.models import Tenant
from prm.workflow import DomainError, check_transition, require

logger = logging.getLogger(__name__)
C = Claim.Status
L = ClaimLine.Status
COUNTED = (L.ACCEPTED, L.ADJUSTED)


def _check_partner(acting_membership: Membership | None, partner: Partner) -> None:
    if acting_membership is None:  # the command line acts for the tenant
        return
    if not partners_for_membership(acting_membership).filter(pk=partner.pk).exists():
        raise DomainError(_("You cannot act for this partner."))


def _check_resubmissions(partner: Partner, lines: list[dict[str, Any]]) -> None:
    """A resubmitted line names a rejected line of the same partner."""
    ids = [int(line["resubmission_of"]) for line in lines if line.get("resubmission_of")]
    if not ids:
        return
    found = set(
        ClaimLine.objects.filter(pk__in=ids, partner=partner, status=L.REJECTED).values_list("pk", flat=True)
    )
    missing = sorted(set(ids) - found)
    if missing:
        raise DomainError(_("Only rejected lines of your own claims can be resubmitted."))


def claim_submit(
    *,
    partner: Partner,
    number: str,
    claim_date: datetime.date,
    acting_membership: Membership | None = None,
    acting_user=None,
    file: IO[bytes] | None = None,
    original_name: str = "",
    lines: list[dict[str, Any]] | None = None,
    source: str | None = None,
    enqueue: bool = True,
) -> Claim:
    """File a debit memo: a file (CSV/XLSX with the INTERFACES.md columns) or lines entered in the
    portal (each may name the rejected line it resubmits). Validation runs as a job."""
    if acting_membership is not None:
        require(membership_has(acting_membership, Perm.CLAIM_SUBMIT))
        acting_user = acting_membership.user
    _check_partner(acting_membership, partner)
    require_active_partner(partner)
    require_signed_agreement(partner)
    number = (number or "").strip()
    if not number or len(number) > 64:
        raise DomainError(_("The debit memo number is 1 to 64 characters."))
    if (file is None) == (lines is None):
        raise DomainError(_("Send a file or enter lines."))
    if lines is not None:
        lines = [
            line
            for line in lines
            if any(str(v or "").strip() for k, v in line.items() if k != "resubmission_of")
        ]
        if not lines:
            raise DomainError(_("Enter at least one line."))
        _check_resubmissions(partner, lines)
    if Claim.objects.filter(partner=partner, number__iexact=number).exclude(status=C.FAILED).exists():
        raise DomainError(_("Debit memo %(n)s was already submitted.") % {"n": number})
    path, fmt = "", ""
    if file is not None:
        stored, fmt, _sha = store_upload(file, area="claims")
        path = str(stored)
    tenant = require_tenant()
    try:
        with transaction.atomic():
            # Submissions of one partner queue on its row: the submission times (the order in which
            # quantity is consumed) are the commit order, so a validation that starts after its
            # claim committed sees every claim submitted before it.
            list(Partner.objects.select_for_update(no_key=True).filter(pk=partner.pk).values_list("pk"))
            claim = Claim.objects.create(
                partner=partner,
                number=number,
                claim_date=claim_date,
                status=C.SUBMITTED,
                source=source or (Claim.Source.FILE if file is not None else Claim.Source.PORTAL),
                currency=tenant.base_currency,
                original_name=(original_name or "")[:255],
                path=path,
                format=fmt,
                entered_lines=lines or [],
                created_by=acting_user,
                submitted_at=timezone.now(),
            )
            job = job_create(
                kind="claims:validate",
                acting_user=acting_user,
                params={"claim_id": claim.pk},
                partner=partner,
            )
            claim.job = job
            claim.save(update_fields=["job"])
            audit(
                actor=acting_user,
                action="claim.submit",
                obj=claim,
                after={
                    "partner": partner.code,
                    "number": number,
                    "claim_date": claim_date,
                    "source": claim.source,
                },
            )
            if enqueue:
                job_enqueue(job, "claims.validate_claim")
    except IntegrityError as exc:  # a concurrent submission of the same number won
        if path:
            Path(path).unlink(missing_ok=True)
        raise DomainError(_("Debit memo %(n)s was already submitted.") % {"n": number}) from exc
    return claim


# --- Validation (the job) ----------------------------------------------------------------------------


def _move(claim: Claim, target: str, **fields: Any) -> Claim:
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        check_transition(Claim.TRANSITIONS, locked.status, target, what=_("The claim"))
        locked.status = target
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", *fields])
    return locked


def _stage(claim: Claim, job: Job, stage: str) -> bool:
    """COPY the claim's rows into the scratch table; True when the file uses decimal commas."""
    tenant_id = require_tenant().pk
    pipeline.create_stage_table(stage)
    if not claim.path:
        pipeline.stage_entered(table=stage, tenant_id=tenant_id, claim_id=claim.pk, lines=claim.entered_lines)
        return False
    path = Path(claim.path)
    layout = inspect_file(path, claim.format, header_score)
    mapping = detect_mapping(layout.headers)
    missing = [name for name in REQUIRED if name not in mapping]
    if missing:
        raise DomainError(
            _("The file has no column for: %(f)s (found: %(h)s).")
            % {"f": ", ".join(missing), "h": ", ".join(layout.headers)}
        )
    size = max(path.stat().st_size, 1)
    rows = pipeline.stage_file(
        table=stage,
        tenant_id=tenant_id,
        claim_id=claim.pk,
        path=path,
        layout=layout,
        mapping=mapping,
        progress=lambda count: job_progress(
            job, min(60, 5 + count * 100 // max(size // 60, 1)), {"rows": count}
        ),
    )
    if rows == 0:
        raise DomainError(_("The file has no data rows below its header."))
    return layout.delimiter == ";"


def claim_totals(claim: Claim) -> dict[str, Any]:
    return ClaimLine.objects.filter(claim=claim).aggregate(
        claimed=Sum("claimed_amount", default=Decimal("0")),
        approved=Sum("amount", filter=Q(status__in=COUNTED), default=Decimal("0")),
        lines=Count("id"),
        accepted=Count("id", filter=Q(status=L.ACCEPTED)),
        adjusted=Count("id", filter=Q(status=L.ADJUSTED)),
        rejected=Count("id", filter=Q(status=L.REJECTED)),
    )


def _store_totals(claim: Claim, totals: dict[str, Any] | None = None) -> dict[str, Any]:
    """Keep the claim's totals in step with its lines (``totals``: already computed)."""
    if totals is None:
        totals = claim_totals(claim)
    claim.claimed_total = totals["claimed"]
    claim.approved_total = totals["approved"]
    claim.line_count = totals["lines"]
    claim.save(update_fields=["claimed_total", "approved_total", "line_count"])
    return totals


def job_summary(claim: Claim, totals: dict[str, Any]) -> dict[str, Any]:
    return {
        "claim_number": claim.number,
        "status": claim.status,
        "lines": totals["lines"],
        "accepted": totals["accepted"],
        "adjusted": totals["adjusted"],
        "rejected": totals["rejected"],
        "totals": {
            "claimed": format_amount_str(totals["claimed"], claim.currency),
            "approved": format_amount_str(totals["approved"], claim.currency),
        },
    }


def claim_validate(claim: Claim, *, norm: str, used: str) -> dict[str, Any]:
    """Check every staged line against every rule and store the verdicts, consuming quantity
    under a lock on the agreement lines (in line order), in one transaction."""
    with transaction.atomic():
        locked = Claim.objects.select_for_update(of=("self",)).select_related("partner").get(pk=claim.pk)
        if locked.status != C.VALIDATING:  # a redelivered job: already done
            return job_summary(locked, claim_totals(locked))
        run = pipeline.Run(
            tenant_id=locked.tenant_id,
            claim_id=locked.pk,
            partner_id=locked.partner_id,
            claim_date=locked.claim_date.isoformat(),
            window_days=claim_window_days(),
            currency=locked.currency,
            norm=norm,
            used=used,
        )
        pipeline.lock_agreement_lines(run)
        totals = pipeline.validate_and_insert(run)
        pipeline.consume(run)
        check_transition(Claim.TRANSITIONS, locked.status, C.IN_REVIEW, what=_("The claim"))
        locked.status = C.IN_REVIEW
        locked.validated_at = timezone.now()
        locked.save(update_fields=["status", "validated_at"])
        totals = _store_totals(locked, totals)
        summary = job_summary(locked, totals)
        audit(actor=None, action="claim.validate", obj=locked, after=summary)
        publish(
            require_tenant(),
            "claim.validated",
            {
                **claim_event_data(locked),
                "accepted": totals["accepted"],
                "adjusted": totals["adjusted"],
                "rejected": totals["rejected"],
            },
        )
        _start_next_on_commit(locked)
        _notify_partner(
            locked,
            verb="claim.validated",
            message=lambda: (
                _("Claim %(n)s was checked: %(a)d accepted, %(d)d adjusted, %(r)d rejected.")
                % {
                    "n": locked.number,
                    "a": totals["accepted"],
                    "d": totals["adjusted"],
                    "r": totals["rejected"],
                }
            ),
        )
    return summary


def claim_event_data(claim: Claim) -> dict[str, Any]:
    """The key fields of a claim in claim.* events (docs/webhooks.md)."""
    return {
        "id": claim.pk,
        "number": claim.number,
        "status": claim.status,
        "partner": partner_ref(claim.partner),
        "claim_date": iso(claim.claim_date),
        "currency": claim.currency,
        "lines": claim.line_count,
        "claimed_total": format_amount_str(claim.claimed_total, claim.currency),
        "approved_total": format_amount_str(claim.approved_total, claim.currency),
        "validated_at": iso(claim.validated_at),
        "approved_at": iso(claim.approved_at),
    }


def _start_next_on_commit(claim: Claim) -> None:
    """Once this claim is validated (or failed), start the validation of the partner's next claim
    in submission order, which may be waiting for it. It is looked up after the commit: a claim
    submitted meanwhile is found either here or, by its own validation, done."""
    tenant, partner_id = require_tenant(), claim.partner_id
    transaction.on_commit(lambda: _start_next(tenant, partner_id))


def _start_next(tenant: Tenant, partner_id: int) -> None:
    with tenant_context(tenant):  # run on commit, maybe after the caller left the tenant's context
        waiting = first_claim_not_validated(partner_id)
        # A queued job only: a running one is being validated (or, if its worker died, the
        # stuck-job sweep starts it again once its time limit has passed).
        if waiting is not None and waiting.job is not None and waiting.job.status == Job.Status.QUEUED:
            job_enqueue(waiting.job, "claims.validate_claim")


def _notify_partner(claim: Claim, *, verb: str, message: Message) -> None:
    recipients = partner_admins(claim.partner)
    if claim.created_by is not None:
        recipients.append(claim.created_by)
    notify(recipients=recipients, verb=verb, message=message, url=reverse("claims:detail", args=[claim.pk]))


def claim_validate_run(job: Job, *, retry_transient: bool = False, resumed: bool = False) -> dict[str, Any]:
    """The validation job: read the file (or the entered lines), parse, validate. Re-running it
    changes nothing twice. A file that cannot be read fails the claim with the reason.

    A partner's claims consume quantity in submission order: while an earlier claim of the
    partner is still submitted or validating, this one waits (its job stays queued, its counts
    name the claim it waits for) and that claim starts it again when it is done. Only one run of
    a job works at a time (a second message for it does nothing); ``resumed`` is the same run
    going on: a retry after a transient error, or its message handed out again by the broker
    after its worker died (the broker's visibility clock starts before the run began, so the
    redelivered message may come while the job still looks alive)."""
    claim = Claim.objects.get(pk=job.params["claim_id"])
    if claim.status in NOT_VALIDATED:
        earlier = earlier_claim_not_validated(claim)
        if earlier is not None:
            job_progress(job, 0, {"waiting_for": earlier.number})
            return {"waiting_for": earlier.number}
    if not job_start(job, exclusive=not resumed):
        return job.result
    claim.refresh_from_db()
    if claim.status in (C.IN_REVIEW, C.APPROVED):
        result = job_summary(claim, claim_totals(claim))
        job_succeed(job, result)
        return result
    stage, norm, names, used = pipeline.scratch_names(job)
    try:
        if claim.status == C.SUBMITTED:
            claim = _move(claim, C.VALIDATING)
        job_progress(job, 2)
        decimal_comma = _stage(claim, job, stage)
        job_progress(job, 65)
        pipeline.normalise(stage=stage, norm=norm, names=names, decimal_comma=decimal_comma)
        job_progress(job, 80)
        result = claim_validate(claim, norm=norm, used=used)
    except DomainError as exc:
        _fail(claim, job, str(exc))
        return job.result
    except TRANSIENT_ERRORS as exc:
        if retry_transient:
            raise
        _fail(claim, job, unexpected_failure_message(exc, what=f"validating claim {claim.pk}"))
        return job.result
    except Exception as exc:
        _fail(claim, job, unexpected_failure_message(exc, what=f"validating claim {claim.pk}"))
        return job.result
    finally:
        try:
            for table in (stage, norm, names, used):
                pipeline.drop_table(table)
        except Exception:  # the connection may be broken; the staging sweep drops them later
            logger.warning("could not drop the scratch tables of claim %s", claim.pk)
    job_succeed(job, result)
    return result


def claim_validation_give_up(job: Job, message: str) -> None:
    """The stuck-job sweep gave up on a validation (prm.jobs.registry): the claim fails with the
    message, like a validation that failed, and the partner may submit it again."""
    claim = Claim.objects.filter(pk=job.params.get("claim_id")).first()
    if claim is not None:
        _fail(claim, job, message)


def _fail(claim: Claim, job: Job, message: str) -> None:
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if locked.status in (C.SUBMITTED, C.VALIDATING):
            locked.status = C.FAILED
            locked.error = message[:4000]
            locked.save(update_fields=["status", "error"])
            audit(actor=None, action="claim.fail", obj=locked, after={"error": message[:500]})
            _start_next_on_commit(locked)
    job_fail(job, message)
    job.refresh_from_db()


# --- Review -------------------------------------------------------------------------------------------


def _require_review(acting_membership: Membership, claim: Claim) -> None:
    require(membership_has(acting_membership, Perm.CLAIM_REVIEW))
    _check_partner(acting_membership, claim.partner)


def claim_line_override(
    *,
    line: ClaimLine,
    acting_membership: Membership,
    accept: bool,
    reason: str,
    accepted_quantity: int | None = None,
) -> ClaimLine:
    """A reviewer's verdict on one line, with a reason: accept (all or part of the quantity, at
    the allowed debit) or reject. The agreement line's consumption follows; audited."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason for the override."))
    with transaction.atomic():
        claim = Claim.objects.select_for_update(of=("self",)).select_related("partner").get(pk=line.claim_id)
        _require_review(acting_membership, claim)
        if claim.status != C.IN_REVIEW:
            raise DomainError(_("Only lines of a claim in review can be overridden."))
        locked = ClaimLine.objects.select_for_update().get(pk=line.pk)
        agreement_line = (
            AgreementLine.objects.select_for_update().get(pk=locked.agreement_line_id)
            if locked.agreement_line_id
            else None
        )
        before = {
            "status": locked.status,
            "accepted_quantity": locked.accepted_quantity,
            "amount": str(locked.amount),
        }
        counted_before = locked.accepted_quantity if locked.status in COUNTED else 0
        if accept:
            if agreement_line is None or locked.quantity_base is None or locked.claimed_unit_debit is None:
                raise DomainError(
                    _("This line names no usable agreement line, SKU or quantity; it cannot be accepted.")
                )
            quantity = locked.quantity_base if accepted_quantity is None else int(accepted_quantity)
            if quantity <= 0 or quantity > locked.quantity_base:
                raise DomainError(
                    _("The accepted quantity must be between 1 and the claimed %(q)d.")
                    % {"q": locked.quantity_base}
                )
            available = agreement_line.authorized_quantity - agreement_line.consumed_quantity + counted_before
            if quantity > available:
                raise DomainError(
                    _("Only %(n)d of the authorised quantity remain for this agreement line.")
                    % {"n": max(available, 0)}
                )
            allowed = agreement_line.allowed_debit
            unit = min(locked.claimed_unit_debit, allowed)
            locked.accepted_quantity = quantity
            locked.allowed_unit_debit = allowed
            locked.amount = quantize_money(unit * quantity, claim.currency)
            full = quantity == locked.quantity_base and locked.claimed_unit_debit <= allowed
            locked.status = L.ACCEPTED if full else L.ADJUSTED
            counted_after = quantity
        else:
            locked.accepted_quantity = 0
            locked.amount = Decimal("0")
            locked.status = L.REJECTED
            counted_after = 0
        if agreement_line is not None and counted_after != counted_before:
            agreement_line.consumed_quantity += counted_after - counted_before
            agreement_line.save(update_fields=["consumed_quantity"])
        locked.override_reason = reason
        locked.overridden_by = acting_membership.user
        locked.overridden_at = timezone.now()
        locked.save(
            update_fields=[
                "accepted_quantity",
                "allowed_unit_debit",
                "amount",
                "status",
                "override_reason",
                "overridden_by",
                "overridden_at",
            ]
        )
        _store_totals(claim)
        audit(
            actor=acting_membership.user,
            action="claim.line_override",
            obj=locked,
            before=before,
            after={
                "status": locked.status,
                "accepted_quantity": locked.accepted_quantity,
                "amount": str(locked.amount),
                "reason": reason,
                "claim": claim.number,
                "line": locked.line,
            },
        )
    line.refresh_from_db()
    return line


def claim_approve(*, claim: Claim, acting_membership: Membership) -> Claim:
    """Approve a reviewed claim: one payable (a credit to the distributor) for the sum of the
    accepted and adjusted amounts. A second approval is refused (the payable exists once)."""
    with transaction.atomic():
        locked = Claim.objects.select_for_update(of=("self",)).select_related("partner").get(pk=claim.pk)
        _require_review(acting_membership, locked)
        check_transition(Claim.TRANSITIONS, locked.status, C.APPROVED, what=_("The claim"))
        totals = _store_totals(locked)
        total = quantize_money(totals["approved"], locked.currency)
        if total != totals["approved"]:
            raise DomainError(_("The line amounts are not in %(c)s minor units.") % {"c": locked.currency})
        if total > 0:
            payable, _created = payable_create(
                source_type="claim",
                source_id=locked.pk,
                partner=locked.partner,
                amount=total,
                currency=locked.currency,
                due_date=timezone.localdate() + datetime.timedelta(days=claim_settings().payment_term_days),
                description=_("Ship-and-debit claim %(n)s") % {"n": locked.number},
                acting_user=acting_membership.user,
            )
            locked.payable = payable
        locked.status = C.APPROVED
        locked.approved_by = acting_membership.user
        locked.approved_at = timezone.now()
        locked.save(update_fields=["status", "approved_by", "approved_at", "payable"])
        audit(
            actor=acting_membership.user,
            action="claim.approve",
            obj=locked,
            before={"status": C.IN_REVIEW},
            after={"status": C.APPROVED, "approved_total": format_amount_str(total, locked.currency)},
        )
        credit = locked.payable
        publish(
            require_tenant(),
            "claim.approved",
            {
                **claim_event_data(locked),
                "payable": {"id": credit.pk, "reference": credit.reference} if credit is not None else None,
            },
        )
        _notify_partner(
            locked,
            verb="claim.approved",
            message=lambda: (
                _("Claim %(n)s was approved: %(amount)s %(c)s will be credited.")
                % {
                    "n": locked.number,
                    "amount": format_amount_str(total, locked.currency),
                    "c": locked.currency,
                }
            ),
        )
    claim.refresh_from_db()
    return claim


# --- Results -----------------------------------------------------------------------------------------


def claim_result(claim: Claim) -> dict[str, Any]:
    """The claim_import JSON (INTERFACES.md): every line with its verdict, and the totals."""
    places = minor_units(claim.currency)
    lines = [
        {
            "line": line,
            "status": status,
            "codes": list(codes),
            "accepted_quantity": int(quantity),
            "amount": format(Decimal(amount).quantize(Decimal(1).scaleb(-places)), "f"),
        }
        for line, status, codes, quantity, amount in ClaimLine.objects.filter(claim=claim)
        .order_by("line")
        .values_list("line", "status", "codes", "accepted_quantity", "amount")
        .iterator(chunk_size=10_000)
    ]
    totals = claim_totals(claim)
    return {
        "claim_number": claim.number,
        "status": claim.status,
        "lines": lines,
        "totals": {
            "claimed": format_amount_str(totals["claimed"], claim.currency),
            "approved": format_amount_str(totals["approved"], claim.currency),
        },
    }


def claim_file_submit(
    *, partner: Partner, path: Path, number: str, claim_date: datetime.date, acting_user=None
) -> Claim:
    """Submit a claim file and validate it in this process (command line, seed)."""
    with path.open("rb") as handle:
        claim = claim_submit(
            partner=partner,
            number=number,
            claim_date=claim_date,
            acting_user=acting_user,
            file=handle,
            original_name=path.name,
            source=Claim.Source.COMMAND,
            enqueue=False,
        )
    assert claim.job is not None  # claim_submit always creates the job
    claim_validate_run(claim.job)
    claim.refresh_from_db()
    return claim
