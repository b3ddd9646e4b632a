"""Cursor pagination for every list: ``?cursor=`` from the ``next`` / ``previous`` links,
``?page_size=`` up to 500. A cursor stays stable while rows are added (no skipped or repeated rows,
unlike page numbers), and a page costs the same at any depth."""

from __future__ import annotations

from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"


class StableOrdering(OrderingFilter):
    """``?ordering=`` on the fields a list allows; the primary key always breaks ties, so that
    the order (and the cursor) is the same on every request."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not any(field.lstrip("-") in {"id", "pk"} for field in ordering):
            first_descending = bool(ordering) and ordering[0].startswith("-")
            ordering.append("-id" if first_descending or not ordering else "id")
        return ordering
