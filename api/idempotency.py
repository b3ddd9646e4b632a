"""POST with an ``Idempotency-Key`` header runs once per (tenant, API key, Idempotency-Key).

The request runs in one transaction that first inserts its record (``INSERT ... ON CONFLICT DO
NOTHING``). A concurrent duplicate's insert waits on the unique index until the first transaction
ends: committed, it finds the record and answers with the stored response; rolled back (a server
error), it inserts and runs itself. A retry later gets the stored status and body, marked with
``Idempotent-Replayed: true``; the same key with a different request (method, path or body) is
refused with 422. Responses of 5xx are not stored: the retry runs again. Records are kept for
``PRM_API_IDEMPOTENCY_HOURS`` (a beat task deletes older ones).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from api.models import ApiKey, IdempotencyRecord
from api.problems import IdempotencyKeyReused
from prm.tenancy.context import require_tenant

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


def idempotency_key(request: Request) -> str | None:
    value = request.headers.get(HEADER)
    if value is None:
        return None
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not value.isascii() or not value.isprintable():
        raise ValidationError(
            {HEADER: [_("Use 1 to %(n)d printable ASCII characters (e.g. a UUID).") % {"n": MAX_KEY_LENGTH}]}
        )
    return value


def _canonical(data: Any) -> Any:
    """The parsed request data in a stable form: form and multipart fields sorted by name, files
    by the SHA-256 of their content (a client's retry may use another multipart boundary)."""
    if hasattr(data, "lists"):
        return {name: [_value(v) for v in values] for name, values in sorted(data.lists())}
    return data


def _value(value: Any) -> Any:
    if hasattr(value, "chunks"):
        sha = hashlib.sha256()
        for chunk in value.chunks():
            sha.update(chunk)
        value.seek(0)
        return {"file_sha256": sha.hexdigest()}
    return str(value)


def fingerprint(request: Request) -> str:
    text = json.dumps(
        [request.method, request.path, _canonical(request.data)], sort_keys=True, cls=JSONEncoder
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _insert(key: ApiKey, value: str, digest: str) -> int | None:
    """The new record's id, or None when one exists (waiting for a concurrent insert to end)."""
    table = IdempotencyRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} (tenant_id, api_key_id, "key", fingerprint, created_at) '
            "VALUES (%s, %s, %s, %s, %s) "
            'ON CONFLICT (tenant_id, api_key_id, "key") DO NOTHING RETURNING id',
            [require_tenant().pk, key.pk, value, digest, timezone.now()],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _replay(key: ApiKey, value: str, digest: str) -> Response:
    record = IdempotencyRecord.objects.get(api_key=key, key=value)
    if record.fingerprint != digest:
        raise IdempotencyKeyReused(
            _("This Idempotency-Key was used for a different request; use a new key for a new request.")
        )
    response = Response(record.response, status=record.status_code)
    response[REPLAYED_HEADER] = "true"
    return response


def _jsonable(data: Any) -> Any:
    return json.loads(json.dumps(data, cls=JSONEncoder))


def run_idempotent(
    view: Any, handler: Callable[..., Response], request: Request, *args: Any, **kwargs: Any
) -> Response:
    """Run ``handler`` (the view's POST handler, after authentication) at most once per key."""
    value = idempotency_key(request)
    if value is None:
        return handler(request, *args, **kwargs)
    key: ApiKey = request.auth
    digest = fingerprint(request)
    with transaction.atomic():
        record_id = _insert(key, value, digest)
        if record_id is None:
            return _replay(key, value, digest)
        with transaction.atomic():
            try:
                response = handler(request, *args, **kwargs)
            except Exception as exc:
                # Turned into a problem response here, so that a refusal (4xx) is stored like
                # any answer.
                response = view.handle_exception(exc)
            if response.status_code >= 400:
                # Whatever the refused request wrote goes; the record of its answer stays.
                transaction.set_rollback(True)
        if response.status_code >= 500:
            transaction.set_rollback(True)
            return response
        IdempotencyRecord.objects.filter(pk=record_id).update(
            status_code=response.status_code, response=_jsonable(response.data)
        )
    return response


def purge_expired(now: datetime.datetime | None = None) -> int:
    """Delete the current tenant's records older than the retention; returns how many."""
    limit = (now or timezone.now()) - datetime.timedelta(hours=settings.PRM_API_IDEMPOTENCY_HOURS)
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=limit).delete()
    return deleted
