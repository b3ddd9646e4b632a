"""Property: whatever text reaches the export writer, no cell of the CSV or XLSX it writes (nor of
the COPY path's SQL escaping) starts a formula, and the original text is kept after the quote."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from prm.exports import FORMULA_PREFIXES, csv_rows, escape_cell, sql_escaped, write_xlsx

# Text biased towards the dangerous first characters, plus anything else Unicode offers.
hostile_text = st.one_of(
    st.text(),
    st.builds(
        lambda p, rest: p + rest,
        st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n", " =", "'="]),
        st.text(),
    ),
)


def _starts_formula(cell) -> bool:
    return isinstance(cell, str) and cell.startswith(FORMULA_PREFIXES)


def _original(cell: str, text: str) -> bool:
    return cell == text or (cell == "'" + text and text.startswith(FORMULA_PREFIXES))


@settings(max_examples=10_000, deadline=None)
@given(hostile_text)
def test_no_csv_cell_starts_a_formula(text):
    body = "".join(csv_rows([text], [[text, text]])).removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(body, newline="")))
    cells = [cell for row in rows for cell in row]
    assert len(cells) == 3
    assert not any(_starts_formula(c) for c in cells)
    assert all(_original(c, text) for c in cells)
    assert not _starts_formula(escape_cell(text))


@settings(max_examples=200, deadline=None)
@given(st.lists(hostile_text, min_size=50, max_size=50))
def test_no_xlsx_cell_starts_a_formula(texts):
    """200 workbooks of 50 strings each: 10,000 strings, read back with openpyxl."""
    buffer = io.BytesIO()
    write_xlsx(buffer, ["text"], [[t] for t in texts])
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0]
    for row in sheet.iter_rows(min_row=2):
        cell = row[0]
        assert cell.data_type != "f"
        assert not _starts_formula(cell.value)


@pytest.mark.django_db
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(hostile_text.map(lambda t: t.replace("\x00", "")), min_size=50, max_size=50))
def test_the_sql_escaping_of_the_copy_path_agrees_with_the_writer(texts):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {sql_escaped('t')} FROM unnest(%s::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n",
            [texts],
        )
        escaped = [row[0] for row in cursor.fetchall()]
    assert escaped == [escape_cell(t) for t in texts]
