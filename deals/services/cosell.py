"""Co-selling: a partner asks for vendor help on a registration; the territory's owner is
assigned (a registration in no territory: the partner's account manager), and the assignee or a
reviewer can hand it to a colleague; both sides add notes, next steps and tasks with due
dates to one timeline; tasks are ticked off; the request is closed. One function per change,
each audited, the other side notified."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import CoSellEntry, CoSellRequest, DealRegistration
from deals.selectors import partner_people, registration_reviewers, territory_owners_of
from deals.services.common import require_partner_member
from partners.selectors import account_managers, partners_for_membership, require_active_partner
from prm.accounts.models import Membership
from prm.audit.services import audit, snapshot
from prm.notifications.services import notify
from prm.roles import Perm, Role, membership_has
from prm.workflow import DomainError, check_transition, require

R = CoSellRequest.Status
OPEN_DEAL = (
    DealRegistration.Status.SUBMITTED,
    DealRegistration.Status.UNDER_REVIEW,
    DealRegistration.Status.INFO_REQUESTED,
    DealRegistration.Status.APPROVED,
)


def _url(request: CoSellRequest) -> str:
    return reverse("deals:detail", kwargs={"pk": request.registration_id}) + f"#cosell-{request.pk}"


def _vendor_side(request: CoSellRequest) -> list:
    """The vendor people on the request: the assignee, else the registration's reviewers."""
    if request.assignee is not None:
        return [request.assignee]
    return registration_reviewers(request.registration)


def is_vendor_party(membership: Membership, request: CoSellRequest) -> bool:
    """The assignee, or vendor staff who review the registration's partner."""
    if membership.is_partner:
        return False
    if request.assignee_id == membership.user_id:
        return True
    return (
        membership_has(membership, Perm.DEAL_REVIEW)
        and partners_for_membership(membership).filter(pk=request.registration.partner_id).exists()
    )


def _may_work(membership: Membership, partner_id: int) -> bool:
    """Vendor staff who may work this partner's deals: active, reviewers, the partner in scope."""
    return (
        membership.is_active
        and membership.is_staff_member
        and membership_has(membership, Perm.DEAL_REVIEW)
        and partners_for_membership(membership).filter(pk=partner_id).exists()
    )


def _default_assignee(registration: DealRegistration):
    """Who gets a new request: the first owner of the registration's territory who may work the
    partner's deals; in no territory (or none such), the partner's account manager. Else nobody:
    the vendor admins and channel managers who see the partner are told, and one picks it up."""
    for owner in territory_owners_of(registration):
        if _may_work(owner, registration.partner_id):
            return owner.user
    managers = Membership.objects.select_related("user").filter(
        user__in=[u.pk for u in account_managers(registration.partner)],
        role__in=[Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER],
        is_active=True,
    )
    for manager in managers.order_by("user__email"):
        if _may_work(manager, registration.partner_id):
            return manager.user
    return None


def _require_party(membership: Membership, request: CoSellRequest) -> None:
    if membership.is_partner:
        require_partner_member(membership, request.registration)
    else:
        require(is_vendor_party(membership, request))


def _locked(request: CoSellRequest) -> CoSellRequest:
    return CoSellRequest.objects.select_for_update().select_related("registration").get(pk=request.pk)


def cosell_request(
    *, registration: DealRegistration, acting_membership: Membership, kind: str, message: str
) -> CoSellRequest:
    """The partner asks for help on an open registration; the territory's owner (else the
    partner's account manager) is assigned."""
    if kind not in CoSellRequest.Kind.values:
        raise DomainError(_("Choose the help you need."))
    if not message.strip():
        raise DomainError(_("Say what you need help with."))
    with transaction.atomic():
        locked = DealRegistration.objects.select_for_update().get(pk=registration.pk)
        require_partner_member(acting_membership, locked)
        require_active_partner(locked.partner)
        if locked.status not in OPEN_DEAL:
            raise DomainError(_("Help can be requested on a submitted or approved registration."))
        request = CoSellRequest.objects.create(
            registration=locked,
            kind=kind,
            message=message.strip(),
            requested_by=acting_membership.user,
            assignee=_default_assignee(locked),
        )
        audit(
            actor=acting_membership.user,
            action="cosell.request",
            obj=request,
            after={**snapshot(request, ["kind", "status", "assignee"]), "registration": locked.reference},
        )
        notify(
            recipients=_vendor_side(request),
            verb="cosell.requested",
            message=lambda: (
                _("%(partner)s asks for %(kind)s on %(ref)s (%(customer)s).")
                % {
                    "partner": locked.partner.name,
                    "kind": request.get_kind_display().lower(),
                    "ref": locked.reference,
                    "customer": locked.customer_name,
                }
            ),
            url=_url(request),
        )
    return request


def cosell_assign(
    *, request: CoSellRequest, acting_membership: Membership, assignee: Membership
) -> CoSellRequest:
    """A vendor party hands the request to a colleague (a reviewer of the partner's deals)."""
    with transaction.atomic():
        locked = _locked(request)
        require(is_vendor_party(acting_membership, locked))
        if locked.status == R.CLOSED:
            raise DomainError(_("The request is closed."))
        if not _may_work(assignee, locked.registration.partner_id):
            raise DomainError(_("Choose a colleague who may work this partner's deals."))
        before = snapshot(locked, ["status", "assignee"])
        locked.assignee = assignee.user
        fields = ["assignee"]
        if locked.status == R.REQUESTED:
            check_transition(CoSellRequest.TRANSITIONS, locked.status, R.ACTIVE, what=_("The request"))
            locked.status = R.ACTIVE
            fields.append("status")
        locked.save(update_fields=fields)
        audit(
            actor=acting_membership.user,
            action="cosell.assign",
            obj=locked,
            before=before,
            after=snapshot(locked, ["status", "assignee"]),
        )
        notify(
            recipients=[assignee.user],
            verb="cosell.assigned",
            message=lambda: (
                _("You now work the co-sell request on %(ref)s.") % {"ref": locked.registration.reference}
            ),
            url=_url(locked),
        )
    return locked


def cosell_add_entry(
    *,
    request: CoSellRequest,
    acting_membership: Membership,
    kind: str,
    text: str,
    due_on: date | None = None,
) -> CoSellEntry:
    """Either side adds a note, a next step or a task (a task needs a due date) to the timeline;
    the vendor's first entry takes the request into progress. The other side is notified."""
    if kind not in CoSellEntry.Kind.values:
        raise DomainError(_("Choose note, next step or task."))
    if not text.strip():
        raise DomainError(_("Write the note, next step or task."))
    if kind == CoSellEntry.Kind.TASK and due_on is None:
        raise DomainError(_("A task needs a due date."))
    if due_on is not None and due_on < timezone.localdate() and kind == CoSellEntry.Kind.TASK:
        raise DomainError(_("The due date is in the past."))
    with transaction.atomic():
        locked = _locked(request)
        _require_party(acting_membership, locked)
        if locked.status == R.CLOSED:
            raise DomainError(_("The request is closed."))
        vendor = not acting_membership.is_partner
        if vendor and locked.status == R.REQUESTED:
            locked.status = R.ACTIVE
            if locked.assignee_id is None:
                locked.assignee = acting_membership.user
            locked.save(update_fields=["status", "assignee"])
        entry = CoSellEntry.objects.create(
            request=locked,
            kind=kind,
            text=text.strip(),
            author=acting_membership.user,
            due_on=due_on if kind != CoSellEntry.Kind.NOTE else None,
        )
        audit(
            actor=acting_membership.user,
            action="cosell.entry",
            obj=entry,
            after={**snapshot(entry, ["kind", "due_on"]), "request": locked.pk},
        )
        notify(
            recipients=partner_people(locked.registration) if vendor else _vendor_side(locked),
            verb="cosell.entry",
            message=lambda: (
                _("%(kind)s on %(ref)s: %(text)s")
                % {
                    "kind": entry.get_kind_display(),
                    "ref": locked.registration.reference,
                    "text": entry.text[:200],
                }
            ),
            url=_url(locked),
        )
    return entry


def cosell_task_done(*, entry: CoSellEntry, acting_membership: Membership) -> CoSellEntry:
    """Tick off a task of the timeline (either side)."""
    with transaction.atomic():
        locked = (
            CoSellEntry.objects.select_for_update().select_related("request__registration").get(pk=entry.pk)
        )
        _require_party(acting_membership, locked.request)
        if locked.kind != CoSellEntry.Kind.TASK:
            raise DomainError(_("Only tasks are ticked off."))
        if locked.done_at is not None:
            raise DomainError(_("The task is done already."))
        locked.done_at = timezone.now()
        locked.save(update_fields=["done_at"])
        audit(actor=acting_membership.user, action="cosell.task_done", obj=locked, after={"done": True})
    return locked


def cosell_close(*, request: CoSellRequest, acting_membership: Membership) -> CoSellRequest:
    """Either side closes the request (the help was given or is no longer needed)."""
    with transaction.atomic():
        locked = _locked(request)
        _require_party(acting_membership, locked)
        check_transition(CoSellRequest.TRANSITIONS, locked.status, R.CLOSED, what=_("The request"))
        before = snapshot(locked, ["status"])
        locked.status = R.CLOSED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        audit(
            actor=acting_membership.user,
            action="cosell.close",
            obj=locked,
            before=before,
            after={"status": R.CLOSED},
        )
        others = _vendor_side(locked) if acting_membership.is_partner else partner_people(locked.registration)
        notify(
            recipients=others,
            verb="cosell.closed",
            message=lambda: (
                _("The co-sell request on %(ref)s was closed.") % {"ref": locked.registration.reference}
            ),
            url=_url(locked),
        )
    return locked


def cosell_remind_due_tasks() -> int:
    """Beat job: remind both sides once of every open task due today or overdue. Idempotent:
    ``reminded_at`` is set in the same statement's transaction."""
    today = timezone.localdate()
    count = 0
    due = (
        CoSellEntry.objects.filter(
            kind=CoSellEntry.Kind.TASK,
            done_at__isnull=True,
            reminded_at__isnull=True,
            due_on__lte=today,
            request__status__in=CoSellRequest.OPEN,
        )
        .select_related("request__registration", "request__assignee")
        .order_by("pk")
    )
    for entry in due:
        with transaction.atomic():
            claimed = CoSellEntry.objects.filter(pk=entry.pk, reminded_at__isnull=True).update(
                reminded_at=timezone.now()
            )
            if not claimed:
                continue
            notify(
                recipients=[*partner_people(entry.request.registration), *_vendor_side(entry.request)],
                verb="cosell.task_due",
                message=lambda entry=entry: (
                    _("Task due %(due)s on %(ref)s: %(text)s")
                    % {
                        "due": str(entry.due_on),
                        "ref": entry.request.registration.reference,
                        "text": entry.text[:200],
                    }
                ),
                url=_url(entry.request),
            )
            count += 1
    return count
