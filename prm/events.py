"""The event bus: the one way a service says "this happened" to systems outside the PRM.

A service calls ``publish(tenant, "deal.approved", data)`` inside the transaction that makes the
change. The event and one delivery per subscribed webhook endpoint are written in that transaction
(an outbox), and the deliveries start once it commits: a rolled-back change sends nothing, and a
committed one cannot lose its event to a crash between the commit and the send.

``data`` is the resource's key fields, JSON-ready (strings for amounts and dates) and always with
its ``id``. ``key`` names the occurrence when one resource can have the event more than once (a
registration submitted again after an information request, a partner changing tier twice); it
defaults to the resource's id. Publishing the same (event, key) again records nothing new, so a
re-run job never sends an event twice. The envelope receivers get is documented in
``docs/webhooks.md``.

The core imports no app: the names are listed here, the apps publish them from their services.
What records an event subscribes from ``PrmConfig.ready()`` (the webhooks' outbox), so this module
imports none of its subscribers.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

    from prm.tenancy.models import Tenant

# Every event a tenant can subscribe to, with what it means (shown when choosing events).
EVENT_TYPES: dict[str, StrPromise] = {
    "deal.submitted": _("A partner submitted a deal registration (again, after an information request)."),
    "deal.approved": _("A deal registration was approved and is protected."),
    "deal.expired": _("The protection of an approved registration ended without a win or loss."),
    "lead.offered": _("A lead was offered to a partner."),
    "lead.accepted": _("A partner accepted a lead (a draft registration was created)."),
    "claim.validated": _("A ship-and-debit claim was checked and awaits review."),
    "claim.approved": _("A ship-and-debit claim was approved."),
    "payable.created": _("Money owed to a partner was recorded (a claim, rebate or fund claim)."),
    "batch.exported": _("A payout batch was exported for payment."),
    "partner.tier_changed": _("A partner moved to another tier."),
    "pos_upload.completed": _("A POS or inventory file was loaded."),
}


Subscriber = Callable[..., object]
_SUBSCRIBERS: list[Subscriber] = []


class UnknownEvent(ValueError):
    """A service published a name that is not in ``EVENT_TYPES`` (a programming error)."""


def subscribe(subscriber: Subscriber) -> None:
    """``subscriber(tenant=..., event_type=..., data=..., key=...)`` runs inside the publishing
    transaction for every event."""
    if subscriber not in _SUBSCRIBERS:
        _SUBSCRIBERS.append(subscriber)


def iso(value: datetime.date | datetime.datetime | None) -> str | None:
    """A date as ``YYYY-MM-DD``, a moment as UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (None stays None):
    the one way event data spells time."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def partner_ref(partner: Any) -> dict[str, Any]:
    """How event data names a partner: its id and code."""
    return {"id": partner.pk, "code": partner.code}


def publish(tenant: Tenant, event_name: str, data: dict[str, Any], *, key: str | None = None) -> None:
    """Record that ``event_name`` happened to the resource ``data`` describes, for delivery to
    the tenant's subscribed endpoints once the current transaction commits."""
    if event_name not in EVENT_TYPES:
        raise UnknownEvent(f"Unknown event {event_name!r}; add it to prm.events.EVENT_TYPES first.")
    if "id" not in data:
        raise ValueError(f"The data of {event_name} needs the resource's id.")
    for subscriber in _SUBSCRIBERS:
        subscriber(tenant=tenant, event_type=event_name, data=data, key=key or str(data["id"]))
