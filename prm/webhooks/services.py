"""Managing webhook endpoints (vendor admins) and replaying deliveries: every change locked,
checked, audited. The sending itself is ``prm.webhooks.delivery``."""

from __future__ import annotations

import base64
import datetime
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.decisions import Notice, decide, lock_for_transition
from prm.events import EVENT_TYPES
from prm.jobs.services import task_enqueue
from prm.notifications.recipients import staff_members
from prm.roles import Perm, Role, require_staff
from prm.webhooks.guard import check_url
from prm.webhooks.models import WebhookDelivery, WebhookEndpoint
from prm.workflow import DomainError, check_transition

E = WebhookEndpoint.Status
D = WebhookDelivery.Status
DELIVER_TASK = "prm.webhooks.deliver"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32
# After a rotation the previous secret signs as well for this long (two signatures per request),
# so a receiver can switch to the new one without refusing deliveries in between.
PREVIOUS_SECRET_OVERLAP = datetime.timedelta(hours=24)
ENDPOINT_FIELDS = ["url", "description", "events"]


def new_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _require_manager(acting_membership: Membership) -> None:
    require_staff(acting_membership, Perm.WEBHOOK_MANAGE)


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = sorted(set(events))
    unknown = [name for name in chosen if name not in EVENT_TYPES]
    if unknown:
        raise DomainError(_("Unknown events: %(names)s.") % {"names": ", ".join(unknown)})
    if not chosen:
        raise DomainError(_("Choose at least one event."))
    return chosen


def _snapshot(endpoint: WebhookEndpoint) -> dict:
    return {"url": endpoint.url, "description": endpoint.description, "events": list(endpoint.events)}


def endpoint_create(
    *, acting_membership: Membership, url: str, events: Iterable[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for ``events``; its URL must be https and resolve to public
    addresses. Returns the endpoint and its signing secret, which is shown this once."""
    _require_manager(acting_membership)
    chosen = _clean_events(events)
    url = url.strip()
    check_url(url)
    secret = new_secret()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            url=url,
            description=description.strip()[:200],
            events=chosen,
            secret=secret,
            created_by=acting_membership.user,
        )
        audit(
            actor=acting_membership.user,
            action="webhook_endpoint.create",
            obj=endpoint,
            after=_snapshot(endpoint),
        )
    return endpoint, secret


def endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    acting_membership: Membership,
    url: str,
    events: Iterable[str],
    description: str = "",
) -> WebhookEndpoint:
    """Change where an endpoint is and what it receives (checked like a new one)."""
    _require_manager(acting_membership)
    chosen = _clean_events(events)
    url = url.strip()
    check_url(url)
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        before = _snapshot(locked)
        locked.url, locked.events, locked.description = url, chosen, description.strip()[:200]
        locked.save(update_fields=[*ENDPOINT_FIELDS, "updated_at"])
        audit(
            actor=acting_membership.user,
            action="webhook_endpoint.update",
            obj=locked,
            before=before,
            after=_snapshot(locked),
        )
    return locked


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, acting_membership: Membership) -> str:
    """A new signing secret (returned, shown once); the previous one keeps signing alongside it
    for ``PREVIOUS_SECRET_OVERLAP``."""
    _require_manager(acting_membership)
    secret = new_secret()
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        until = timezone.now() + PREVIOUS_SECRET_OVERLAP
        locked.previous_secret, locked.previous_secret_until, locked.secret = locked.secret, until, secret
        locked.save(update_fields=["previous_secret", "previous_secret_until", "secret", "updated_at"])
        audit(
            actor=acting_membership.user,
            action="webhook_endpoint.rotate_secret",
            obj=locked,
            after={"previous_secret_until": until.isoformat()},
        )
    return secret


def endpoint_url(endpoint: WebhookEndpoint) -> str:
    return reverse("webhooks:endpoint_detail", kwargs={"pk": endpoint.pk})


def endpoint_disable(
    *, endpoint: WebhookEndpoint, acting_membership: Membership | None, reason: str = ""
) -> WebhookEndpoint:
    """Stop sending to an endpoint: by a vendor admin, or (``acting_membership`` None) by the
    delivery service after ``PRM_WEBHOOKS_DISABLE_AFTER`` failed deliveries in a row, when the
    tenant's vendor admins are told. Pending deliveries stop at their next attempt."""
    if acting_membership is not None:
        _require_manager(acting_membership)
    automatic = acting_membership is None
    reason = (reason or "").strip()[:300] or (_("Disabled automatically.") if automatic else "")
    notices = []
    if automatic:
        notices.append(
            Notice(
                recipients=staff_members([Role.VENDOR_ADMIN]),
                verb="webhook.disabled",
                message=lambda: (
                    _("Webhooks to %(url)s were stopped: %(reason)s Fix the receiver, then enable it again.")
                    % {"url": endpoint.url, "reason": reason}
                ),
                url=endpoint_url(endpoint),
            )
        )
    with transaction.atomic():
        locked = lock_for_transition(
            WebhookEndpoint,
            endpoint.pk,
            transitions=WebhookEndpoint.TRANSITIONS,
            target=E.DISABLED,
            what=_("The endpoint"),
        )
        return decide(
            locked,
            E.DISABLED,
            transitions=WebhookEndpoint.TRANSITIONS,
            what=_("The endpoint"),
            actor=acting_membership.user if acting_membership is not None else None,
            action="webhook_endpoint.disable",
            changes={"disabled_reason": reason, "disabled_at": timezone.now()},
            decided_by=None,
            decided_at=None,
            detail={"reason": reason, "automatic": automatic},
            notices=notices,
        )


def endpoint_enable(*, endpoint: WebhookEndpoint, acting_membership: Membership) -> WebhookEndpoint:
    """Send to the endpoint again (its URL checked again); the failure count starts afresh.
    Deliveries that failed meanwhile are replayed one by one from the log."""
    _require_manager(acting_membership)
    check_url(endpoint.url)
    with transaction.atomic():
        locked = lock_for_transition(
            WebhookEndpoint,
            endpoint.pk,
            transitions=WebhookEndpoint.TRANSITIONS,
            target=E.ENABLED,
            what=_("The endpoint"),
        )
        return decide(
            locked,
            E.ENABLED,
            transitions=WebhookEndpoint.TRANSITIONS,
            what=_("The endpoint"),
            actor=acting_membership.user,
            action="webhook_endpoint.enable",
            changes={"disabled_reason": "", "disabled_at": None, "consecutive_failures": 0},
            decided_by=None,
            decided_at=None,
        )


def endpoint_delete(*, endpoint: WebhookEndpoint, acting_membership: Membership) -> None:
    """Remove an endpoint with its delivery log (the audit log keeps that it existed)."""
    _require_manager(acting_membership)
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        audit(
            actor=acting_membership.user,
            action="webhook_endpoint.delete",
            obj=locked,
            before=_snapshot(locked),
        )
        locked.delete()


def delivery_replay(*, delivery: WebhookDelivery, acting_membership: Membership) -> WebhookDelivery:
    """Send a finished delivery again: a new round of attempts with the same ``webhook-id`` and
    body, so a receiver that already has it can tell."""
    _require_manager(acting_membership)
    with transaction.atomic():
        locked = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .get(pk=delivery.pk)
        )
        if locked.status == D.PENDING:
            raise DomainError(_("This delivery is still being sent; wait for its outcome."))
        if not locked.endpoint.is_enabled:
            raise DomainError(_("The endpoint is disabled: enable it first."))
        check_transition(WebhookDelivery.TRANSITIONS, locked.status, D.PENDING, what=_("The delivery"))
        before = {"status": locked.status, "attempts": locked.attempts}
        locked.status = D.PENDING
        locked.round_attempts = 0
        locked.next_attempt_at = timezone.now()
        locked.completed_at = None
        locked.claimed_until = None
        locked.claimed_by = ""
        locked.save(
            update_fields=[
                "status",
                "round_attempts",
                "next_attempt_at",
                "completed_at",
                "claimed_until",
                "claimed_by",
            ]
        )
        audit(
            actor=acting_membership.user,
            action="webhook_delivery.replay",
            obj=locked,
            before=before,
            after={"status": D.PENDING},
        )
        task_enqueue(DELIVER_TASK, delivery_id=locked.pk)
    return locked


def disable_after() -> int:
    return int(settings.PRM_WEBHOOKS_DISABLE_AFTER)
