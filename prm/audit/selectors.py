"""Reading the audit log: the history of one object, of one partner, the filtered log and its
export rows."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q, QuerySet

from prm.audit.models import AuditEvent


def _partner_type() -> str:
    return settings.PRM_PARTNER_MODEL.lower()  # "partners.partner", as AuditEvent.object_type says


def object_history(obj: models.Model) -> QuerySet[AuditEvent]:
    """Every event recorded on ``obj``, newest first."""
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).select_related(
        "actor"
    )


def partner_history(partner_id: int) -> QuerySet[AuditEvent]:
    """Everything recorded about a partner's business, newest first: events on objects of the
    partner (registrations, claims, people, payables, ...) and on the partner record itself
    (events recorded before they named their partner still match the partner record)."""
    own = Q(object_type=_partner_type(), object_id=str(partner_id))
    return AuditEvent.objects.filter(Q(partner_id=partner_id) | own).select_related("actor", "partner")


def filter_events(qs: QuerySet[AuditEvent], data: Mapping[str, Any]) -> QuerySet[AuditEvent]:
    """The audit log's filters (cleaned form data): action, object type and id, partner, actor,
    days. An object id names one object, so it is matched exactly."""
    if data.get("action"):
        qs = qs.filter(action__icontains=data["action"])
    if data.get("object_type"):
        qs = qs.filter(object_type__icontains=data["object_type"])
    if data.get("object_id"):
        qs = qs.filter(object_id=data["object_id"])
    if data.get("partner") is not None:
        partner_id = data["partner"].pk
        qs = qs.filter(Q(partner_id=partner_id) | Q(object_type=_partner_type(), object_id=str(partner_id)))
    if data.get("actor"):
        qs = qs.filter(actor__email__icontains=data["actor"])
    if data.get("date_from"):
        qs = qs.filter(created_at__date__gte=data["date_from"])
    if data.get("date_to"):
        qs = qs.filter(created_at__date__lte=data["date_to"])
    return qs


AUDIT_EXPORT_HEADERS = [
    "when",
    "actor",
    "action",
    "object_type",
    "object_id",
    "object",
    "partner",
    "before",
    "after",
    "ip_address",
]


def audit_export_rows(events: QuerySet[AuditEvent]) -> Iterator[list[Any]]:
    """The events as export rows (newest first), read in chunks: the log can be long. Text that a
    spreadsheet would run is escaped by the export writer (prm.exports)."""
    for e in events.select_related("actor", "partner").iterator(chunk_size=2000):
        yield [
            e.created_at.isoformat(),
            e.actor.email if e.actor else "",
            e.action,
            e.object_type,
            e.object_id,
            e.object_repr,
            e.partner.code if e.partner else "",
            _json(e.before),
            _json(e.after),
            e.ip_address or "",
        ]


def _json(value: Any) -> str:
    return (
        "" if value is None else json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)
    )
