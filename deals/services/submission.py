"""Submission: the conflict decision. Under the customer's lock, the server's submission time
decides who was first; lines added after approval are checked again the same way."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.conflicts import (
    find_matches,
    flag_for,
    lock_customer,
    record_matches,
)
from deals.eligibility import require_eligible, require_eligible_product_lines
from deals.models import (
    Conflict,
    Customer,
    DealLine,
    DealRegistration,
    DealSettings,
)
from deals.selectors import missing_for_submit, territory_id_for
from deals.services.common import (
    AUDIT_FIELDS,
    S,
    locked_registration,
    notify_partner,
    notify_reviewers,
    publish_registration,
    refreshed,
    require_partner_member,
)
from deals.services.drafts import clean_lines, sync_totals
from deals.services.two_tier import share_with_distributor
from partners.selectors import require_active_partner, require_signed_agreement
from prm.accounts.models import Membership
from prm.audit.services import audit, snapshot
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError, check_transition


def registration_submit(*, registration: DealRegistration, acting_membership: Membership) -> DealRegistration:
    """Submit a complete registration. Under the customer's lock, the server's submission time
    decides who was first; matches with earlier active registrations of other partners and with
    earlier direct opportunities are recorded as conflicts for the reviewer."""
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
        require_eligible(current, day=timezone.localdate())
        require_signed_agreement(current.partner)
        # Lock the customer's identity before reading anything the decision depends on.
        lock_customer(
            country=current.country,
            name_normalised=current.customer_name_normalised,
            domain=current.customer_domain,
        )
        locked = locked_registration(current)
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
        locked.territory_id = territory_id_for(locked)
        share_with_distributor(locked)
        locked.save(
            update_fields=[
                "territory",
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
        # A registration may be submitted again after an information request: each submission
        # is its own occurrence.
        publish_registration(
            locked,
            "deal.submitted",
            key=f"{locked.pk}:{locked.submitted_at.isoformat()}",
            resubmission=resubmission,
            conflict=locked.conflict_flag,
        )
        exact = locked.conflict_flag == DealRegistration.ConflictFlag.EXACT
        notify_partner(
            locked,
            "deal.submitted",
            lambda: (
                (
                    _(
                        "%(ref)s was submitted. It conflicts with an earlier registration for the same customer; a reviewer will decide."
                    )
                    if exact
                    else _("%(ref)s was submitted for review.")
                )
                % {"ref": locked.reference}
            ),
        )
        notify_reviewers(
            locked,
            "deal.review_needed",
            lambda: (
                _("%(ref)s (%(customer)s) awaits review%(conflict)s.")
                % {
                    "ref": locked.reference,
                    "customer": locked.customer_name,
                    "conflict": _(" — conflict detected")
                    if locked.conflict_flag != DealRegistration.ConflictFlag.NONE
                    else "",
                }
            ),
        )
    return refreshed(registration)


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
        cleaned = clean_lines(lines, current.currency)
        if not cleaned:
            raise DomainError(_("Add at least one product line."))
        require_eligible_product_lines(x["product_line"] for x in cleaned)
        lock_customer(
            country=current.country,
            name_normalised=current.customer_name_normalised,
            domain=current.customer_domain,
        )
        locked = locked_registration(current)
        before = snapshot(locked, [*AUDIT_FIELDS, "product_lines"])
        new_product_lines = sorted({x["product_line"] for x in cleaned} - set(locked.product_lines))
        tenant = require_tenant()
        DealLine.objects.bulk_create(
            [DealLine(tenant=tenant, registration=locked, added_after_approval=True, **x) for x in cleaned]
        )
        sync_totals(locked, [{"product_line": x.product_line, "value": x.value} for x in locked.lines.all()])
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
            notify_reviewers(
                locked,
                "deal.conflict",
                lambda: (
                    _("Lines added to %(ref)s conflict with an earlier registration.")
                    % {"ref": locked.reference}
                ),
            )
    registration.refresh_from_db()
    return conflicts
