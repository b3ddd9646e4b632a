"""Exports are planned for reading every row (hash joins), whatever the table statistics say,
and leave nothing behind on a pooled connection."""

from __future__ import annotations

import pytest
from django.db import connection

from prm.exports import copy_csv_chunks, whole_result_plan

pytestmark = pytest.mark.django_db(transaction=True)


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def test_the_plan_settings_hold_inside_and_are_gone_after():
    assert _setting("enable_nestloop") == "on"
    with whole_result_plan():
        assert _setting("enable_nestloop") == "off"
        assert _setting("cursor_tuple_fraction") == "1"
    assert _setting("enable_nestloop") == "on"
    assert _setting("cursor_tuple_fraction") == "0.1"


def test_a_copy_export_joins_fresh_tables_without_nested_loops():
    """The shape of the payout export: a just-filled table joined to others with no statistics."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE fresh_lines AS SELECT g AS id, g % 50 AS payment FROM generate_series(1, 2000) g"
        )
        cursor.execute("CREATE TEMP TABLE fresh_payments AS SELECT g AS id FROM generate_series(0, 49) g")
    query = "SELECT l.id, p.id FROM fresh_lines l JOIN fresh_payments p ON p.id = l.payment ORDER BY l.id"
    chunks = b"".join(copy_csv_chunks(query, headers=["line", "payment"]))
    assert chunks.count(b"\n") == 2001
    with whole_result_plan(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + query)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Nested Loop" not in plan
    assert _setting("enable_nestloop") == "on"
