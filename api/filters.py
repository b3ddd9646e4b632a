"""Filters the API's lists share."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time, compared in UTC: an offset PostgreSQL cannot take (beyond
    ±15:59) or a moment outside the calendar is invalid input, not a server error."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(datetime.UTC)
        except (OverflowError, ValueError) as exc:
            raise forms.ValidationError(_("Enter a valid date and time (ISO 8601)."), code="invalid") from exc


class SinceFilter(django_filters.IsoDateTimeFilter):
    """``?updated_since=2026-11-30T08:00:00Z``: rows changed at or after that moment."""

    field_class = UtcDateTimeField

    def __init__(self, field_name: str = "updated_at", **kwargs) -> None:
        kwargs.setdefault("lookup_expr", "gte")
        super().__init__(field_name=field_name, **kwargs)
