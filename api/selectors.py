"""Reads of API keys for the back office."""

from __future__ import annotations

from django.db.models import F, QuerySet
from django.shortcuts import get_object_or_404

from api.models import ApiKey


def api_keys() -> QuerySet[ApiKey]:
    """The tenant's keys, live first, newest first (listed by prefix, never by secret)."""
    return ApiKey.objects.select_related("partner", "created_by", "revoked_by").order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-id"
    )


def get_api_key_or_404(pk: int) -> ApiKey:
    return get_object_or_404(api_keys(), pk=pk)
