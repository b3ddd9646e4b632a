"""Deal registration workflow: one service per transition (draft -> submitted -> under_review ->
approved | rejected | info_requested; approved -> won | lost | expired), extensions, lines added
after approval, attachments."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.conflicts import (
    blocking_conflicts,
    find_matches,
    flag_for,
    lock_customer,
    record_matches,
)
from deals.models import (
    Conflict,
    Customer,
    DealAttachment,
    DealExtension,
    DealLine,
    DealRegistration,
    DealSettings,
)
from deals.policy import protection_days_for, registration_discount_for
from partners.selectors import require_active_partner
from prm.accounts.models import Membership
from prm.audit.services import audit, snapshot
from prm.lib.money import check_minor_units, quantize_money
from prm.lib.names import normalise_domain, normalise_name
from prm.notifications.services import notify
from prm.roles import Perm, Role, membership_has
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError, check_transition, require

S = DealRegistration.Status
DRAFT_FIELDS = (
    "customer_name",
    "customer_domain",
    "country",
    "address",
    "contact_name",
    "contact_email",
    "contact_phone",
    "currency",
    "expected_close_date",
    "deal_type",
    "competitors",
    "notes",
)
AUDIT_FIELDS = ["status", "conflict_flag", "protection_until", "discount_pct", "value"]


# --- who may do what, who hears about it ---------------------------------------------------------


def _is_own_partner(membership: Membership, registration: DealRegistration) -> bool:
    return membership.is_partner and membership.partner_id == registration.partner_id


def require_partner_member(membership: Membership, registration: DealRegistration) -> None:
    require(membership_has(membership, Perm.DEAL_REGISTER) and _is_own_partner(membership, registration))


def require_reviewer(membership: Membership, registration: DealRegistration) -> None:
    from partners.selectors import partners_for_membership

    require(membership_has(membership, Perm.DEAL_REVIEW))
    require(partners_for_membership(membership).filter(pk=registration.partner_id).exists())


def partner_people(registration: DealRegistration) -> list:
    """The registration's creator and owner, and the partner's admins."""
    admins = [
        m.user
        for m in Membership.objects.select_related("user").filter(
            partner_id=registration.partner_id, role=Role.PARTNER_ADMIN, is_active=True
        )
    ]
    return [u for u in [registration.created_by, registration.owner, *admins] if u is not None]


def reviewers_for(
    partner_id: int, *, roles: Iterable[str] = (Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER)
) -> list:
    """Vendor staff who review this partner's registrations (restricted managers: if assigned)."""
    from partners.selectors import managed_partner_ids

    people = []
    for m in Membership.objects.select_related("user").filter(role__in=list(roles), is_active=True):
        if (
            m.assigned_partners_only
            and not managed_partner_ids(m.user).filter(content_object_id=partner_id).exists()
        ):
            continue
        people.append(m.user)
    return people


def _url(registration: DealRegistration) -> str:
    return reverse("deals:detail", kwargs={"pk": registration.pk})


def _notify_partner(registration: DealRegistration, verb: str, message: str) -> None:
    notify(recipients=partner_people(registration), verb=verb, message=message, url=_url(registration))


def _notify_reviewers(registration: DealRegistration, verb: str, message: str) -> None:
    notify(
        recipients=reviewers_for(registration.partner_id),
        verb=verb,
        message=message,
        url=reverse("deals:review", kwargs={"pk": registration.pk}),
    )


def _locked(registration: DealRegistration) -> DealRegistration:
    return DealRegistration.objects.select_for_update().get(pk=registration.pk)


def _refresh(target: DealRegistration, source: DealRegistration) -> DealRegistration:
    target.refresh_from_db()
    return target


# --- drafts -------------------------------------------------------------------------------------------


def _line_value(value: Decimal, currency: str) -> Decimal:
    """A line value in the registration's currency: as many decimals as the currency has (JPY
    none, KWD three), refused with a message rather than rounded."""
    if not currency:
        if value:
            raise DomainError(_("Choose the registration's currency before entering values."))
        return value
    return quantize_money(check_minor_units(value, currency), currency)


def _clean_lines(lines: Sequence[dict[str, Any]], currency: str) -> list[dict[str, Any]]:
    cleaned = []
    for line in lines:
        product_line = str(line.get("product_line") or "").strip()
        if not product_line:
            continue
        quantity = int(line.get("quantity") or 1)
        value = Decimal(str(line.get("value") or "0"))
        if quantity < 1:
            raise DomainError(_("A quantity must be at least 1."))
        if value < 0:
            raise DomainError(_("A value cannot be negative."))
        cleaned.append(
            {"product_line": product_line, "quantity": quantity, "value": _line_value(value, currency)}
        )
    return cleaned


def _apply_fields(registration: DealRegistration, data: dict[str, Any]) -> list[str]:
    changed = []
    for name in DRAFT_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, str):
            value = value.strip()
        if name == "country" and value:
            value = value.upper()
        if name == "currency" and value:
            value = value.upper()
        if name == "customer_domain":
            value = normalise_domain(value or "")
        if getattr(registration, name) != value:
            setattr(registration, name, value)
            changed.append(name)
    registration.customer_name_normalised = normalise_name(registration.customer_name)
    return changed


def _replace_lines(registration: DealRegistration, lines: list[dict[str, Any]]) -> None:
    tenant = require_tenant()
    registration.lines.all().delete()
    DealLine.objects.bulk_create(
        [DealLine(tenant=tenant, registration=registration, **line) for line in lines]
    )
    _sync_totals(registration, lines)


def _sync_totals(registration: DealRegistration, lines: Iterable[dict[str, Any]]) -> None:
    items = list(lines)
    registration.value = sum((line["value"] for line in items), Decimal("0"))
    registration.product_lines = sorted({line["product_line"] for line in items})


def registration_create(
    *, acting_membership: Membership, data: dict[str, Any], lines: Sequence[dict[str, Any]] = (), lead=None
) -> DealRegistration:
    """Start a draft registration for the member's partner. Drafts reserve nothing."""
    require(
        membership_has(acting_membership, Perm.DEAL_REGISTER) and acting_membership.partner_id is not None
    )
    require_active_partner(acting_membership.partner)
    data = {"currency": require_tenant().base_currency, **data}
    with transaction.atomic():
        registration = DealRegistration(
            partner_id=acting_membership.partner_id,
            created_by=acting_membership.user,
            owner=acting_membership.user,
            status=S.DRAFT,
            lead=lead,
        )
        _apply_fields(registration, data)
        registration.save()
        _replace_lines(registration, _clean_lines(lines, registration.currency))
        registration.save(update_fields=["value", "product_lines", "updated_at"])
        audit(
            actor=acting_membership.user,
            action="deal.create",
            obj=registration,
            after=snapshot(registration, ["status", "customer_name", "country", "value"]),
        )
    return registration


def registration_update_draft(
    *,
    registration: DealRegistration,
    acting_membership: Membership,
    data: dict[str, Any],
    lines: Sequence[dict[str, Any]] | None = None,
) -> DealRegistration:
    """Save a draft (or a registration sent back for information): fields and, if given, lines."""
    with transaction.atomic():
        locked = _locked(registration)
        require_partner_member(acting_membership, locked)
        if locked.status not in DealRegistration.EDITABLE:
            raise DomainError(_("Only drafts and registrations sent back for information can be edited."))
        before = snapshot(locked, [*list(DRAFT_FIELDS), "value"])
        changed = _apply_fields(locked, data)
        if lines is None and "currency" in changed:
            # The values already entered must fit the new currency's minor unit.
            for line in locked.lines.all():
                _line_value(line.value, locked.currency)
        if lines is not None:
            cleaned = _clean_lines(lines, locked.currency)
            current = [(line.product_line, line.quantity, line.value) for line in locked.lines.all()]
            if current != [(x["product_line"], x["quantity"], x["value"]) for x in cleaned]:
                _replace_lines(locked, cleaned)
                changed += ["value", "product_lines"]
        if changed:
            locked.save(update_fields=[*set(changed), "customer_name_normalised", "updated_at"])
            audit(
                actor=acting_membership.user,
                action="deal.update",
                obj=locked,
                before=before,
                after=snapshot(locked, [*list(DRAFT_FIELDS), "value"]),
            )
    return _refresh(registration, locked)


def missing_for_submit(registration: DealRegistration) -> list[str]:
    """What a complete submission still lacks (labels of the missing parts)."""
    missing = []
    for name in (
        "customer_name",
        "country",
        "address",
        "contact_name",
        "contact_email",
        "currency",
        "expected_close_date",
    ):
        if not getattr(registration, name):
            missing.append(str(getattr(DealRegistration._meta.get_field(name), "verbose_name", name)))
    if not registration.lines.exists():
        missing.append(_("at least one product line"))
    elif not any(line.value > 0 for line in registration.lines.all()):
        missing.append(_("a product line with a value"))
    return missing


# --- submit: the conflict decision ----------------------------------------------------------------


def registration_submit(*, registration: DealRegistration, acting_membership: Membership) -> DealRegistration:
    """Submit a complete registration. Under the customer's lock, the server's submission time
    decides who was first; matches with earlier active registrations of other partners and with
    earlier direct opportunities are recorded as conflicts for the reviewer."""
    from partners.selectors import require_signed_agreement

    with transaction.atomic():
        current = DealRegistration.objects.get(pk=registration.pk)
        require_partner_member(acting_membership, current)
        require_active_partner(current.partner)
        check_transition(
            DealRegistration.TRANSITIONS, current.status, S.SUBMITTED, what=_("The registration")
        )
        missing = missing_for_submit(current)
        if missing:
            raise DomainError(
                _("Complete the registration first: %(missing)s.") % {"missing": ", ".join(missing)}
            )
        if current.expected_close_date and current.expected_close_date < timezone.localdate():
            raise DomainError(_("The expected close date is in the past."))
        require_signed_agreement(current.partner)
        # Lock the customer's identity before reading anything the decision depends on.
        lock_customer(
            country=current.country,
            name_normalised=current.customer_name_normalised,
            domain=current.customer_domain,
        )
        locked = _locked(current)
        check_transition(DealRegistration.TRANSITIONS, locked.status, S.SUBMITTED, what=_("The registration"))
        before = snapshot(locked, AUDIT_FIELDS)
        resubmission = locked.status == S.INFO_REQUESTED
        now = timezone.now()
        later_ids = list(
            Conflict.objects.filter(other_registration=locked).values_list("registration_id", flat=True)
        )
        locked.conflicts.all().delete()
        matches = find_matches(registration=locked, exclude_ids=later_ids, now=now)
        record_matches(locked, matches)
        settings = DealSettings.current()
        locked.status = S.SUBMITTED
        locked.submitted_at = now
        locked.first_submitted_at = locked.first_submitted_at or now
        locked.review_due_at = now + timedelta(hours=settings.review_sla_hours)
        locked.reminded_at = locked.escalated_at = None
        locked.conflict_flag = flag_for(matches)
        locked.customer = _customer_for(locked)
        locked.save(
            update_fields=[
                "status",
                "submitted_at",
                "first_submitted_at",
                "review_due_at",
                "reminded_at",
                "escalated_at",
                "conflict_flag",
                "customer",
                "updated_at",
            ]
        )
        audit(
            actor=acting_membership.user,
            action="deal.resubmit" if resubmission else "deal.submit",
            obj=locked,
            before=before,
            after={**snapshot(locked, AUDIT_FIELDS), "conflicts": len(matches)},
        )
        exact = locked.conflict_flag == DealRegistration.ConflictFlag.EXACT
        partner_message = (
            _(
                "%(ref)s was submitted. It conflicts with an earlier registration for the same customer; a reviewer will decide."
            )
            if exact
            else _("%(ref)s was submitted for review.")
        ) % {"ref": locked.reference}
        _notify_partner(locked, "deal.submitted", partner_message)
        _notify_reviewers(
            locked,
            "deal.review_needed",
            _("%(ref)s (%(customer)s) awaits review%(conflict)s.")
            % {
                "ref": locked.reference,
                "customer": locked.customer_name,
                "conflict": _(" — conflict detected")
                if locked.conflict_flag != DealRegistration.ConflictFlag.NONE
                else "",
            },
        )
    return _refresh(registration, locked)


def _customer_for(registration: DealRegistration) -> Customer:
    """The partner's record of this end customer (created on first submission, then reused by
    the customer look-up)."""
    customer, created = Customer.objects.get_or_create(
        partner_id=registration.partner_id,
        country=registration.country,
        name_normalised=registration.customer_name_normalised,
        defaults={
            "legal_name": registration.customer_name,
            "domain": registration.customer_domain,
            "address": registration.address,
            "contact_name": registration.contact_name,
            "contact_email": registration.contact_email,
            "contact_phone": registration.contact_phone,
        },
    )
    if not created:
        updates = {
            "legal_name": registration.customer_name,
            "address": registration.address,
            "contact_name": registration.contact_name,
            "contact_email": registration.contact_email,
            "contact_phone": registration.contact_phone,
            "domain": registration.customer_domain or customer.domain,
        }
        for key, value in updates.items():
            setattr(customer, key, value)
        customer.save(update_fields=list(updates))
    return customer


# --- review -----------------------------------------------------------------------------------------


def _move(
    locked: DealRegistration,
    target: str,
    *,
    actor,
    action: str,
    extra: dict[str, Any] | None = None,
    fields: Sequence[str] = (),
) -> None:
    check_transition(DealRegistration.TRANSITIONS, locked.status, target, what=_("The registration"))
    before = snapshot(locked, AUDIT_FIELDS)
    locked.status = target
    for name, value in (extra or {}).items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", *(extra or {}).keys(), *fields, "updated_at"])
    audit(actor=actor, action=action, obj=locked, before=before, after=snapshot(locked, AUDIT_FIELDS))


def _ensure_under_review(locked: DealRegistration, acting_membership: Membership) -> None:
    """A reviewer acting on a submitted registration takes it into review first (its own step)."""
    if locked.status == S.SUBMITTED:
        _move(
            locked,
            S.UNDER_REVIEW,
            actor=acting_membership.user,
            action="deal.start_review",
            extra={"reviewer": acting_membership.user},
        )


def registration_start_review(
    *, registration: DealRegistration, acting_membership: Membership
) -> DealRegistration:
    """A reviewer takes a submitted registration into review."""
    with transaction.atomic():
        locked = _locked(registration)
        require_reviewer(acting_membership, locked)
        _move(
            locked,
            S.UNDER_REVIEW,
            actor=acting_membership.user,
            action="deal.start_review",
            extra={"reviewer": acting_membership.user},
        )
        _notify_partner(
            locked, "deal.under_review", _("%(ref)s is now under review.") % {"ref": locked.reference}
        )
    return _refresh(registration, locked)


def registration_approve(
    *,
    registration: DealRegistration,
    acting_membership: Membership,
    protection_days: int | None = None,
    discount_pct: Decimal | None = None,
    note: str = "",
) -> DealRegistration:
    """Approve: the partner is protected for the period (default from policy) and gets the
    registration discount (default from its tier). Refused while an earlier exact match is in force."""
    with transaction.atomic():
        locked = _locked(registration)
        require_reviewer(acting_membership, locked)
        require_active_partner(locked.partner)
        _ensure_under_review(locked, acting_membership)
        check_transition(DealRegistration.TRANSITIONS, locked.status, S.APPROVED, what=_("The registration"))
        if blocking_conflicts(locked):
            raise DomainError(
                _(
                    "Another registration or a direct opportunity for this customer came first and is "
                    "still active: reject this one, or decide the earlier one first."
                )
            )
        days = protection_days if protection_days is not None else protection_days_for(locked.partner)
        if days < 1 or days > 3650:
            raise DomainError(_("The protection period must be between 1 and 3650 days."))
        discount = discount_pct if discount_pct is not None else registration_discount_for(locked.partner)
        if discount < 0 or discount > 100:
            raise DomainError(_("The discount must be between 0 and 100%."))
        now = timezone.now()
        _move(
            locked,
            S.APPROVED,
            actor=acting_membership.user,
            action="deal.approve",
            extra={
                "protection_days": days,
                "protection_until": timezone.localdate() + timedelta(days=days),
                "discount_pct": discount,
                "decided_at": now,
                "reviewer": acting_membership.user,
                "info_request": note or locked.info_request,
            },
        )
        _notify_partner(
            locked,
            "deal.approved",
            _("%(ref)s was approved: protected until %(until)s.")
            % {"ref": locked.reference, "until": str(locked.protection_until)},
        )
    return _refresh(registration, locked)


def registration_reject(
    *, registration: DealRegistration, acting_membership: Membership, code: str, reason: str
) -> DealRegistration:
    """Reject with a reason code and an explanation the partner sees."""
    if code not in DealRegistration.RejectionCode.values:
        raise DomainError(_("Choose a rejection reason."))
    if not reason.strip():
        raise DomainError(_("Explain the rejection to the partner."))
    with transaction.atomic():
        locked = _locked(registration)
        require_reviewer(acting_membership, locked)
        _ensure_under_review(locked, acting_membership)
        _move(
            locked,
            S.REJECTED,
            actor=acting_membership.user,
            action="deal.reject",
            extra={
                "rejection_code": code,
                "rejection_reason": reason.strip(),
                "decided_at": timezone.now(),
                "reviewer": acting_membership.user,
            },
        )
        _notify_partner(
            locked,
            "deal.rejected",
            _("%(ref)s was rejected: %(reason)s")
            % {"ref": locked.reference, "reason": locked.get_rejection_code_display()},
        )
    return _refresh(registration, locked)


def registration_request_info(
    *, registration: DealRegistration, acting_membership: Membership, message: str
) -> DealRegistration:
    """Send the registration back to the partner with a question; it is submitted again after."""
    if not message.strip():
        raise DomainError(_("Say what information is needed."))
    with transaction.atomic():
        locked = _locked(registration)
        require_reviewer(acting_membership, locked)
        _ensure_under_review(locked, acting_membership)
        _move(
            locked,
            S.INFO_REQUESTED,
            actor=acting_membership.user,
            action="deal.request_info",
            extra={"info_request": message.strip(), "reviewer": acting_membership.user},
        )
        _notify_partner(
            locked,
            "deal.info_requested",
            _("%(ref)s: more information is needed: %(msg)s")
            % {"ref": locked.reference, "msg": locked.info_request},
        )
    return _refresh(registration, locked)


# --- after approval ---------------------------------------------------------------------------------


def _require_owner_or_reviewer(membership: Membership, registration: DealRegistration) -> None:
    if membership.is_partner:
        require_partner_member(membership, registration)
    else:
        require_reviewer(membership, registration)


def registration_mark_won(
    *, registration: DealRegistration, acting_membership: Membership, closed_value: Decimal, closed_on: date
) -> DealRegistration:
    """The partner (or its reviewer) reports the deal won, with the closed value and date."""
    try:
        closed_value = Decimal(str(closed_value))
    except ArithmeticError as exc:
        raise DomainError(_("Enter the closed value.")) from exc
    if closed_value <= 0:
        raise DomainError(_("Enter the closed value."))
    check_minor_units(closed_value, registration.currency)
    if closed_on is None or closed_on > timezone.localdate():
        raise DomainError(_("The close date cannot be in the future."))
    with transaction.atomic():
        locked = _locked(registration)
        _require_owner_or_reviewer(acting_membership, locked)
        _move(
            locked,
            S.WON,
            actor=acting_membership.user,
            action="deal.won",
            extra={
                "closed_value": quantize_money(Decimal(closed_value), locked.currency),
                "closed_on": closed_on,
            },
        )
        message = _("%(ref)s was won.") % {"ref": locked.reference}
        _notify_partner(locked, "deal.won", message)
        _notify_reviewers(locked, "deal.won", message)
    return _refresh(registration, locked)


def registration_mark_lost(
    *, registration: DealRegistration, acting_membership: Membership, reason: str
) -> DealRegistration:
    if not reason.strip():
        raise DomainError(_("Say why the deal was lost."))
    with transaction.atomic():
        locked = _locked(registration)
        _require_owner_or_reviewer(acting_membership, locked)
        _move(
            locked,
            S.LOST,
            actor=acting_membership.user,
            action="deal.lost",
            extra={"lost_reason": reason.strip(), "closed_on": timezone.localdate()},
        )
        message = _("%(ref)s was lost.") % {"ref": locked.reference}
        _notify_partner(locked, "deal.lost", message)
        _notify_reviewers(locked, "deal.lost", message)
    return _refresh(registration, locked)


def registration_expire(*, registration: DealRegistration) -> bool:
    """End of protection (beat job): approved and neither won nor lost by ``protection_until``."""
    with transaction.atomic():
        locked = _locked(registration)
        if locked.status != S.APPROVED or locked.protection_until is None:
            return False
        if locked.protection_until >= timezone.localdate():
            return False
        _move(locked, S.EXPIRED, actor=None, action="deal.expire")
        _notify_partner(
            locked, "deal.expired", _("The protection of %(ref)s has ended.") % {"ref": locked.reference}
        )
    return True


def registration_add_lines(
    *, registration: DealRegistration, acting_membership: Membership, lines: Sequence[dict[str, Any]]
) -> list[Conflict]:
    """Add product lines to an approved registration; the conflict check runs again for the added
    product lines (only those not already registered) under the customer's lock."""
    with transaction.atomic():
        current = DealRegistration.objects.get(pk=registration.pk)
        require_partner_member(acting_membership, current)
        if current.status != S.APPROVED:
            raise DomainError(
                _("Lines can be added this way only to approved registrations; edit the draft instead.")
            )
        cleaned = _clean_lines(lines, current.currency)
        if not cleaned:
            raise DomainError(_("Add at least one product line."))
        lock_customer(
            country=current.country,
            name_normalised=current.customer_name_normalised,
            domain=current.customer_domain,
        )
        locked = _locked(current)
        before = snapshot(locked, [*AUDIT_FIELDS, "product_lines"])
        new_product_lines = sorted({x["product_line"] for x in cleaned} - set(locked.product_lines))
        tenant = require_tenant()
        DealLine.objects.bulk_create(
            [DealLine(tenant=tenant, registration=locked, added_after_approval=True, **x) for x in cleaned]
        )
        _sync_totals(locked, [{"product_line": x.product_line, "value": x.value} for x in locked.lines.all()])
        matches = find_matches(registration=locked, lines=new_product_lines) if new_product_lines else []
        # Only matches on the added lines that this registration does not already know about.
        known = set(locked.conflicts.values_list("other_registration_id", "direct_opportunity_id"))
        matches = [m for m in matches if (m.other_registration_id, m.direct_opportunity_id) not in known]
        conflicts = record_matches(locked, matches)
        locked.conflict_flag = flag_for(matches, locked.conflict_flag)
        locked.save(update_fields=["value", "product_lines", "conflict_flag", "updated_at"])
        audit(
            actor=acting_membership.user,
            action="deal.add_lines",
            obj=locked,
            before=before,
            after={**snapshot(locked, [*AUDIT_FIELDS, "product_lines"]), "conflicts": len(matches)},
        )
        if any(m.kind == Conflict.Kind.EXACT for m in matches):
            _notify_reviewers(
                locked,
                "deal.conflict",
                _("Lines added to %(ref)s conflict with an earlier registration.")
                % {"ref": locked.reference},
            )
    registration.refresh_from_db()
    return conflicts


# --- extensions -------------------------------------------------------------------------------------


def extension_request(
    *, registration: DealRegistration, acting_membership: Membership, reason: str, days: int | None = None
) -> DealExtension:
    """The partner asks for more protection time (at most ``max_extensions`` per registration)."""
    settings = DealSettings.current()
    if not reason.strip():
        raise DomainError(_("Say why you need more time."))
    with transaction.atomic():
        locked = _locked(registration)
        require_partner_member(acting_membership, locked)
        if locked.status != S.APPROVED:
            raise DomainError(_("Only approved registrations can be extended."))
        used = locked.extensions.exclude(status=DealExtension.Status.REFUSED).count()
        if used >= settings.max_extensions:
            raise DomainError(
                _("This registration has already used its %(n)d extension(s).")
                % {"n": settings.max_extensions}
            )
        extension = DealExtension.objects.create(
            registration=locked,
            requested_by=acting_membership.user,
            reason=reason.strip(),
            days=days or settings.extension_days,
        )
        audit(
            actor=acting_membership.user,
            action="deal.extension_request",
            obj=extension,
            after=snapshot(extension, ["status", "days"]),
        )
        _notify_reviewers(
            locked,
            "deal.extension_requested",
            _("%(ref)s: extension of %(days)d days requested.")
            % {"ref": locked.reference, "days": extension.days},
        )
    return extension


def _decide_extension(
    *, extension: DealExtension, acting_membership: Membership, approve: bool, note: str
) -> DealExtension:
    with transaction.atomic():
        locked_ext = DealExtension.objects.select_for_update().get(pk=extension.pk)
        registration = _locked(locked_ext.registration)
        require_reviewer(acting_membership, registration)
        if locked_ext.status != DealExtension.Status.PENDING:
            raise DomainError(_("This extension request was already decided."))
        if approve and registration.status != S.APPROVED:
            raise DomainError(_("Only approved registrations can be extended."))
        locked_ext.status = DealExtension.Status.APPROVED if approve else DealExtension.Status.REFUSED
        locked_ext.decided_by = acting_membership.user
        locked_ext.decided_at = timezone.now()
        locked_ext.note = note.strip()
        locked_ext.save(update_fields=["status", "decided_by", "decided_at", "note"])
        audit(
            actor=acting_membership.user,
            action="deal.extension_approve" if approve else "deal.extension_refuse",
            obj=locked_ext,
            after=snapshot(locked_ext, ["status", "days"]),
        )
        if approve:
            before = snapshot(registration, AUDIT_FIELDS)
            base = registration.protection_until or timezone.localdate()
            registration.protection_until = base + timedelta(days=locked_ext.days)
            registration.extension_count += 1
            registration.expiry_warned_at = None
            registration.save(
                update_fields=["protection_until", "extension_count", "expiry_warned_at", "updated_at"]
            )
            audit(
                actor=acting_membership.user,
                action="deal.extend",
                obj=registration,
                before=before,
                after=snapshot(registration, AUDIT_FIELDS),
            )
            message = _("%(ref)s: extension approved, protected until %(until)s.") % {
                "ref": registration.reference,
                "until": str(registration.protection_until),
            }
        else:
            message = _("%(ref)s: extension refused.") % {"ref": registration.reference}
        _notify_partner(registration, "deal.extension_decided", message)
    extension.refresh_from_db()
    return extension


def extension_approve(
    *, extension: DealExtension, acting_membership: Membership, note: str = ""
) -> DealExtension:
    return _decide_extension(
        extension=extension, acting_membership=acting_membership, approve=True, note=note
    )


def extension_refuse(
    *, extension: DealExtension, acting_membership: Membership, note: str = ""
) -> DealExtension:
    return _decide_extension(
        extension=extension, acting_membership=acting_membership, approve=False, note=note
    )


# --- attachments ------------------------------------------------------------------------------------


def attachment_add(
    *, registration: DealRegistration, acting_membership: Membership, upload
) -> DealAttachment:
    """Attach a document (PDF, image, office file, text) checked by content, stored per tenant."""
    from prm.files import store_document

    require_partner_member(acting_membership, registration)
    if registration.status in (S.REJECTED, S.EXPIRED, S.LOST):
        raise DomainError(_("Closed registrations take no more files."))
    stored = store_document(upload, area="deals", max_bytes=20 * 1024 * 1024)
    with transaction.atomic():
        attachment = DealAttachment.objects.create(
            registration=registration,
            filename=(getattr(upload, "name", "") or "file")[-200:],
            path=str(stored["path"]),
            content_type=str(stored["content_type"]),
            size=int(stored["size"]),
            sha256=str(stored["sha256"]),
            uploaded_by=acting_membership.user,
        )
        audit(
            actor=acting_membership.user,
            action="deal.attach",
            obj=attachment,
            after={"registration": registration.pk, "sha256": attachment.sha256},
        )
    return attachment
