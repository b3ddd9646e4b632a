"""Fund claims: after the activity and before the deadline the partner files actual cost,
results and proof of performance; the reviewer approves (the reimbursement formula), approves
partially, rejects or returns it. Approval posts "claimed", releases the unused commitment and
creates the payable; the payment posts "paid" once finance has paid it."""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from funds.models import REQUIRED_PROOF, EntryKind, FundClaim, FundRequest, LedgerEntry, ProofFile, ProofKind
from funds.selectors import request_open_commitment, unpaid_claimed_by_claim
from funds.services.ledger import lock_account, post, require_covered
from funds.services.requests import _in_scope, _notify_partner
from prm.accounts.models import Membership
from prm.audit.services import audit, audit_each
from prm.files import UploadRejected, check_zip_sizes, store_document
from prm.finance.models import Payable
from prm.finance.services import payable_create
from prm.lib.money import check_minor_units, format_amount_str, quantize_money
from prm.notifications.services import notify
from prm.roles import Perm, Role, membership_has
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError, check_transition, require

if TYPE_CHECKING:
    from prm.tenancy.models import Tenant

C = FundClaim.Status
R = FundRequest.Status
ZERO = Decimal("0")
PAYMENT_TERM_DAYS = 30
MB = 1024 * 1024

# What each kind of proof may be (checked on the bytes, never the name) and how large.
PROOF_TYPES: dict[str, tuple[str, ...]] = {
    ProofKind.INVOICE: ("pdf", "png", "jpeg"),
    ProofKind.SCREENSHOT: ("png", "jpeg", "pdf"),
    ProofKind.PHOTO: ("jpeg", "png"),
    ProofKind.ATTENDEES: ("text", "office", "pdf"),
    ProofKind.TEAR_SHEET: ("pdf", "jpeg", "png"),
    ProofKind.OTHER: ("pdf", "png", "jpeg", "office", "text"),
}
PROOF_MAX_BYTES: dict[str, int] = {
    ProofKind.INVOICE: 10 * MB,
    ProofKind.SCREENSHOT: 10 * MB,
    ProofKind.PHOTO: 20 * MB,
    ProofKind.ATTENDEES: 5 * MB,
    ProofKind.TEAR_SHEET: 20 * MB,
    ProofKind.OTHER: 10 * MB,
}


def reimbursement(
    *, actual_cost: Decimal, participation_pct: Decimal, approved: Decimal, available: Decimal, currency: str
) -> Decimal:
    """min(actual cost x participation %, approved amount, available balance), the share of the
    cost rounded half-up to the currency's minor unit."""
    share = quantize_money(actual_cost * participation_pct / 100, currency, "half_up")
    return max(min(share, approved, available), ZERO)


def claim_window(request: FundRequest) -> tuple[datetime.date, datetime.date]:
    """The first and the last day a claim can be filed: after the activity, by the deadline."""
    return request.end_date + datetime.timedelta(days=1), request.claim_deadline


def _check_window(request: FundRequest, today: datetime.date) -> None:
    first, last = claim_window(request)
    if today < first:
        raise DomainError(
            _("A claim can be filed once the activity is over (from %(day)s).") % {"day": first.isoformat()}
        )
    if today > last:
        raise DomainError(
            _(
                "The claim deadline for %(ref)s was %(day)s (%(n)d days after the activity): the claim is late."
            )
            % {"ref": request.reference, "day": last.isoformat(), "n": request.fund.claim_deadline_days}
        )


def claim_create(
    *,
    request: FundRequest,
    acting_membership: Membership,
    actual_cost: Decimal,
    leads: int = 0,
    attendees: int = 0,
    impressions: int = 0,
    notes: str = "",
) -> FundClaim:
    """Start the claim of an approved request (proof is added next, then it is submitted)."""
    require(membership_has(acting_membership, Perm.FUND_REQUEST))
    _in_scope(acting_membership, request.partner)
    fund = request.fund
    actual_cost = check_minor_units(Decimal(actual_cost), fund.currency)
    if actual_cost <= 0:
        raise DomainError(_("The actual cost is a positive amount."))
    if min(leads, attendees, impressions) < 0:
        raise DomainError(_("Results are counts of zero or more."))
    try:
        with transaction.atomic():
            locked = (
                FundRequest.objects.select_for_update(of=("self",)).select_related("fund").get(pk=request.pk)
            )
            if locked.status != R.APPROVED:
                raise DomainError(_("Only an approved request can be claimed."))
            _check_window(locked, timezone.localdate())
            claim = FundClaim.objects.create(
                request=locked,
                partner_id=locked.partner_id,
                status=C.DRAFT,
                actual_cost=actual_cost,
                currency=fund.currency,
                leads=leads,
                attendees=attendees,
                impressions=impressions,
                notes=notes,
                created_by=acting_membership.user,
            )
            audit(
                actor=acting_membership.user,
                action="fund_claim.create",
                obj=claim,
                after={
                    "request": locked.reference,
                    "actual_cost": format_amount_str(actual_cost, fund.currency),
                },
            )
    except IntegrityError as exc:
        raise DomainError(_("This request has a claim already.")) from exc
    return claim


def safe_name(name: str) -> str:
    """The file name a partner gave, reduced to a harmless display name (no folders, no control
    characters); files are stored under generated names whatever this says."""
    name = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?;]", "", name).strip().lstrip(".")
    return name[:150] or "file"


def proof_upload(
    *,
    claim: FundClaim,
    requirement: str,
    upload: IO[bytes],
    original_name: str,
    acting_membership: Membership,
    captured_on: datetime.date | None = None,
) -> ProofFile:
    """Add a proof-of-performance file: checked by content (magic bytes), size and the types its
    requirement allows; an office file's archive is bounded (zip bombs); stored under a generated
    name in the tenant's area."""
    require(membership_has(acting_membership, Perm.FUND_REQUEST))
    _in_scope(acting_membership, claim.partner)
    if requirement not in PROOF_TYPES:
        raise DomainError(_("Choose what the file proves."))
    if claim.status not in (C.DRAFT, C.RETURNED):
        raise DomainError(_("Proof can be added while the claim is a draft or returned for more proof."))
    request = claim.request
    if requirement == ProofKind.SCREENSHOT:
        if captured_on is None:
            raise DomainError(_("Give the date the screenshot shows."))
        if not (request.start_date <= captured_on <= request.end_date):
            raise DomainError(
                _("The screenshot must be dated within the activity (%(a)s to %(b)s).")
                % {"a": request.start_date.isoformat(), "b": request.end_date.isoformat()}
            )
    stored = store_document(
        upload, area="funds/proof", kinds=PROOF_TYPES[requirement], max_bytes=PROOF_MAX_BYTES[requirement]
    )
    absolute = Path(settings.MEDIA_ROOT) / str(stored["path"])
    try:
        if str(stored["path"]).endswith((".docx", ".xlsx", ".pptx")):
            check_zip_sizes(absolute, what=_("document")).close()
        with transaction.atomic():
            locked = FundClaim.objects.select_for_update().get(pk=claim.pk)
            if locked.status not in (C.DRAFT, C.RETURNED):
                raise DomainError(
                    _("Proof can be added while the claim is a draft or returned for more proof.")
                )
            proof = ProofFile.objects.create(
                claim=locked,
                requirement=requirement,
                original_name=safe_name(original_name),
                path=str(stored["path"]),
                content_type=str(stored["content_type"]),
                size=int(stored["size"]),
                sha256=str(stored["sha256"]),
                captured_on=captured_on if requirement == ProofKind.SCREENSHOT else None,
                uploaded_by=acting_membership.user,
            )
            audit(
                actor=acting_membership.user,
                action="fund_claim.proof",
                obj=locked,
                after={
                    "requirement": requirement,
                    "name": proof.original_name,
                    "size": proof.size,
                    "sha256": proof.sha256,
                },
            )
    except (UploadRejected, DomainError):
        absolute.unlink(missing_ok=True)
        raise
    return proof


def missing_proof(claim: FundClaim) -> list[str]:
    have = set(claim.proofs.values_list("requirement", flat=True))
    return [kind for kind in REQUIRED_PROOF[claim.request.activity_type] if kind not in have]


def claim_submit(*, claim: FundClaim, acting_membership: Membership) -> FundClaim:
    """Send the claim for review: refused when late (first submission after the deadline) or
    when required proof is missing, naming what."""
    require(membership_has(acting_membership, Perm.FUND_REQUEST))
    _in_scope(acting_membership, claim.partner)
    with transaction.atomic():
        locked = (
            FundClaim.objects.select_for_update(of=("self",)).select_related("request__fund").get(pk=claim.pk)
        )
        check_transition(FundClaim.TRANSITIONS, locked.status, C.SUBMITTED, what=_("The claim"))
        if locked.submitted_at is None:  # a claim returned for more proof was filed in time already
            _check_window(locked.request, timezone.localdate())
        missing = missing_proof(locked)
        if missing:
            raise DomainError(
                _("Proof of performance is missing: %(m)s.")
                % {"m": ", ".join(str(ProofKind(m).label).lower() for m in missing)}
            )
        before = locked.status
        locked.status = C.SUBMITTED
        locked.submitted_at = locked.submitted_at or timezone.now()
        locked.save(update_fields=["status", "submitted_at"])
        audit(
            actor=acting_membership.user,
            action="fund_claim.submit",
            obj=locked,
            before={"status": before},
            after={"status": C.SUBMITTED},
        )
        reviewers = [
            m.user
            for m in Membership.objects.filter(
                role__in=[Role.MARKETING_MANAGER, Role.VENDOR_ADMIN], is_active=True, partner__isnull=True
            ).select_related("user")
        ]
        notify(
            recipients=reviewers,
            verb="fund_claim.submitted",
            message=lambda: (
                _("%(ref)s for %(req)s from %(p)s waits for review.")
                % {"ref": locked.reference, "req": locked.request.reference, "p": claim.partner.name}
            ),
            url=reverse("funds:claim_detail", args=[locked.pk]),
        )
    claim.refresh_from_db()
    return claim


def _lock_for_review(claim: FundClaim, acting_membership: Membership) -> FundClaim:
    require(membership_has(acting_membership, Perm.FUND_CLAIM_REVIEW))
    _in_scope(acting_membership, claim.partner)
    return (
        FundClaim.objects.select_for_update(of=("self",))
        .select_related("request", "request__fund", "request__account", "partner")
        .get(pk=claim.pk)
    )


def claim_approve(
    *, claim: FundClaim, acting_membership: Membership, amount: Decimal | None = None, reason: str = ""
) -> FundClaim:
    """Approve: reimbursement = min(actual cost x participation %, approved amount, available
    balance), or a lower amount with a reason (partial approval). Posts "claimed" for it,
    releases the rest of the commitment and creates the payable, in one transaction."""
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = _lock_for_review(claim, acting_membership)
        request = FundRequest.objects.select_for_update().select_related("fund").get(pk=locked.request_id)
        fund = request.fund
        account, balances = lock_account(request.account)
        committed = request_open_commitment(request)
        due = reimbursement(
            actual_cost=locked.actual_cost,
            participation_pct=fund.participation_pct,
            approved=request.approved_amount or ZERO,
            available=committed + max(balances.available, ZERO),
            currency=fund.currency,
        )
        if amount is None:
            amount, target = due, C.APPROVED
        else:
            amount = check_minor_units(Decimal(amount), fund.currency)
            if amount > due:
                raise DomainError(
                    _("At most %(due)s %(c)s can be reimbursed.")
                    % {"due": format_amount_str(due, fund.currency), "c": fund.currency}
                )
            target = C.APPROVED if amount == due else C.PARTIALLY_APPROVED
            if target == C.PARTIALLY_APPROVED and not reason:
                raise DomainError(_("Say why only part is reimbursed."))
        if amount <= 0:
            raise DomainError(_("Nothing can be reimbursed: reject the claim with a reason instead."))
        check_transition(FundClaim.TRANSITIONS, locked.status, target, what=_("The claim"))
        extra = amount - committed
        if extra > 0:  # the commitment shrank since approval: the rest must be available now
            require_covered(balances, extra, fund.currency)
            post(
                account,
                EntryKind.COMMITTED,
                extra,
                acting_user=acting_membership.user,
                request=request,
                claim=locked,
            )
        post(
            account,
            EntryKind.CLAIMED,
            amount,
            acting_user=acting_membership.user,
            request=request,
            claim=locked,
            detail={
                "actual_cost": format_amount_str(locked.actual_cost, fund.currency),
                "participation_pct": str(fund.participation_pct),
                "approved_amount": format_amount_str(request.approved_amount or ZERO, fund.currency),
                "available": format_amount_str(committed + max(balances.available, ZERO), fund.currency),
                "formula": format_amount_str(due, fund.currency),
                "reason": reason,
            },
        )
        rest = max(committed, ZERO) + max(extra, ZERO) - amount
        if rest > 0:
            post(
                account,
                EntryKind.RELEASED,
                rest,
                acting_user=acting_membership.user,
                request=request,
                claim=locked,
                memo=_("Unused commitment of %(ref)s") % {"ref": request.reference},
            )
        payable, _created = payable_create(
            source_type="fund_claim",
            source_id=locked.pk,
            partner=locked.partner,
            amount=amount,
            currency=fund.currency,
            due_date=timezone.localdate() + datetime.timedelta(days=PAYMENT_TERM_DAYS),
            description=_("Fund claim %(ref)s: %(title)s")
            % {"ref": locked.reference, "title": request.title[:120]},
            acting_user=acting_membership.user,
        )
        before = locked.status
        locked.status = target
        locked.reimbursement = amount
        locked.decision_reason = reason
        locked.payable = payable
        locked.reviewed_by = acting_membership.user
        locked.reviewed_at = timezone.now()
        locked.save(
            update_fields=[
                "status",
                "reimbursement",
                "decision_reason",
                "payable",
                "reviewed_by",
                "reviewed_at",
            ]
        )
        check_transition(FundRequest.TRANSITIONS, request.status, R.COMPLETED, what=_("The request"))
        request.status = R.COMPLETED
        request.save(update_fields=["status"])
        audit(
            actor=acting_membership.user,
            action="fund_claim.approve",
            obj=locked,
            before={"status": before},
            after={
                "status": target,
                "reimbursement": format_amount_str(amount, fund.currency),
                "formula": format_amount_str(due, fund.currency),
                "released": format_amount_str(max(rest, ZERO), fund.currency),
                "payable": payable.pk,
                "reason": reason,
            },
        )
        _notify_partner(
            request,
            lambda: (
                _("Claim %(ref)s was approved: %(amount)s %(c)s will be paid.")
                % {
                    "ref": locked.reference,
                    "amount": format_amount_str(amount, fund.currency),
                    "c": fund.currency,
                }
            ),
        )
    claim.refresh_from_db()
    return claim


def claim_reject(*, claim: FundClaim, acting_membership: Membership, reason: str) -> FundClaim:
    """Reject with a reason: nothing is paid, the commitment goes back to the balance."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason."))
    with transaction.atomic():
        locked = _lock_for_review(claim, acting_membership)
        check_transition(FundClaim.TRANSITIONS, locked.status, C.REJECTED, what=_("The claim"))
        request = FundRequest.objects.select_for_update().get(pk=locked.request_id)
        account, _balances = lock_account(request.account)
        committed = request_open_commitment(request)
        if committed > 0:
            post(
                account,
                EntryKind.RELEASED,
                committed,
                acting_user=acting_membership.user,
                request=request,
                claim=locked,
                memo=_("Claim %(ref)s rejected") % {"ref": locked.reference},
            )
        locked.status = C.REJECTED
        locked.decision_reason = reason
        locked.reviewed_by = acting_membership.user
        locked.reviewed_at = timezone.now()
        locked.save(update_fields=["status", "decision_reason", "reviewed_by", "reviewed_at"])
        check_transition(FundRequest.TRANSITIONS, request.status, R.COMPLETED, what=_("The request"))
        request.status = R.COMPLETED
        request.save(update_fields=["status"])
        audit(
            actor=acting_membership.user,
            action="fund_claim.reject",
            obj=locked,
            before={"status": C.SUBMITTED},
            after={"status": C.REJECTED, "reason": reason, "released": str(committed)},
        )
        _notify_partner(
            request,
            lambda: _("Claim %(ref)s was rejected: %(reason)s") % {"ref": locked.reference, "reason": reason},
        )
    claim.refresh_from_db()
    return claim


def claim_return(*, claim: FundClaim, acting_membership: Membership, reason: str) -> FundClaim:
    """Send the claim back for more proof (the commitment stays)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say what proof is missing."))
    with transaction.atomic():
        locked = _lock_for_review(claim, acting_membership)
        check_transition(FundClaim.TRANSITIONS, locked.status, C.RETURNED, what=_("The claim"))
        locked.status = C.RETURNED
        locked.decision_reason = reason
        locked.save(update_fields=["status", "decision_reason"])
        audit(
            actor=acting_membership.user,
            action="fund_claim.return",
            obj=locked,
            before={"status": C.SUBMITTED},
            after={"status": C.RETURNED, "reason": reason},
        )
        _notify_partner(
            locked.request,
            lambda: (
                _("Claim %(ref)s needs more proof: %(reason)s") % {"ref": locked.reference, "reason": reason}
            ),
        )
    claim.refresh_from_db()
    return claim


def claims_mark_paid(claim_ids: Iterable[int] | None = None) -> int:
    """Post "paid" for the approved claims whose payables finance has paid, and mark them paid:
    ``claim_ids`` only (finance's on_paid hook names the claims of a payment), or every such
    claim (the nightly safety net). Set-based; re-running posts nothing twice (the claims are
    locked and leave "approved"; each "paid" entry is keyed by its claim). Returns the claims paid."""
    claims = FundClaim.objects.filter(
        status__in=[C.APPROVED, C.PARTIALLY_APPROVED], payable__status=Payable.Status.PAID
    )
    if claim_ids is not None:
        claims = claims.filter(pk__in=list(claim_ids))
    with transaction.atomic():
        # The claim locks are enough: "paid" moves claimed money on, it never touches the available
        # balance, and a claim's "claimed" entries are only written under its lock (approval).
        locked = list(
            claims.select_for_update(of=("self",))
            .order_by("pk")
            .values_list(
                "pk",
                "status",
                "request_id",
                "request__account_id",
                "request__fund_id",
                "partner_id",
                "currency",
            )
        )
        if not locked:
            return 0
        before = {pk: status for pk, status, *_rest in locked}
        for status in set(before.values()):
            check_transition(FundClaim.TRANSITIONS, status, C.PAID, what=_("The claim"))
        unpaid = unpaid_claimed_by_claim(before)
        tenant, today = require_tenant(), timezone.localdate()
        entries = [
            LedgerEntry(
                tenant=tenant,
                account_id=account_id,
                fund_id=fund_id,
                partner_id=partner_id,
                request_id=request_id,
                claim_id=pk,
                kind=EntryKind.PAID,
                amount=unpaid[pk],
                currency=currency,
                effective_on=today,
                key=f"paid:{pk}",
            )
            for pk, _status, request_id, account_id, fund_id, partner_id, currency in locked
            if unpaid.get(pk, ZERO) > 0
        ]
        LedgerEntry.objects.bulk_create(entries, ignore_conflicts=True)
        FundClaim.objects.filter(pk__in=list(before)).update(status=C.PAID)
        paid = {entry.claim_id: format_amount_str(entry.amount, entry.currency) for entry in entries}
        audit_each(
            actor=None,
            action="fund_claim.paid",
            object_type="funds.fundclaim",
            rows=(
                (pk, f"FC-{pk:06d}", {"status": status}, {"status": C.PAID, "paid": paid.get(pk, "0")})
                for pk, status in before.items()
            ),
        )
    return len(before)


def fund_claims_paid(tenant: Tenant, source_ids: list[str]) -> int:
    """Finance's on_paid hook (prm.finance.registry): the payables of these claims were paid."""
    return claims_mark_paid(int(source_id) for source_id in source_ids)
