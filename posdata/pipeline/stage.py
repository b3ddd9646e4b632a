"""Staging: stream a partner file (or kept rows being re-processed) into an UNLOGGED staging table
with COPY, raw text only. Memory stays bounded: one record at a time goes from the reader into
the COPY stream."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import itemgetter
from pathlib import Path

from posdata.fields import field_names
from posdata.pipeline.sql import execute, ident, raw_connection
from prm.reader import FileLayout, ReadProgress, iter_records
from prm.tenancy.context import require_tenant

COPY_CHUNK_ROWS = 250_000


def create_table_like_staging(table: str) -> None:
    """A fresh UNLOGGED table with the staging columns, private to one load and dropped after it.

    PostgreSQL refuses ``COPY FROM`` into a table under row-level security, so the staging table
    has no policy: it carries ``tenant_id`` explicitly, only the job that created it reads it,
    and every row leaves it through INSERT ... SELECT into tables whose policies check the tenant.
    """
    statements = [
        f"DROP TABLE IF EXISTS {ident(table)}",
        f"CREATE UNLOGGED TABLE {ident(table)} (LIKE posdata_stagingrow INCLUDING DEFAULTS)",
        f"ALTER TABLE {ident(table)} DROP COLUMN id",
    ]
    for statement in statements:
        execute(statement)


def drop_table(table: str) -> None:
    execute(f"DROP TABLE IF EXISTS {ident(table)}")


def stage_file(
    *,
    table: str,
    tenant_id: int,
    upload_id: int,
    path: Path,
    layout: FileLayout,
    mapping: dict[str, str],
    kind: str,
    progress: Callable[[float], None] | None = None,
) -> int:
    """COPY the file's mapped columns (raw text) into ``table``; return the data rows read.
    ``progress`` is told the fraction of the file read after each chunk (-1.0 when unknown)."""
    fields = [f for f in field_names(kind) if f in mapping]
    position = {h: i for i, h in enumerate(layout.headers)}
    indexes = [position[mapping[f]] for f in fields]
    width = max(indexes, default=0) + 1
    pick = itemgetter(*indexes) if len(indexes) > 1 else (lambda cells: (cells[indexes[0]],))
    columns = ", ".join(["tenant_id", "upload_id", "line", *fields])
    statement = f"COPY {ident(table)} ({columns}) FROM STDIN".encode()
    read = ReadProgress()
    records = iter_records(path, layout, progress=read)
    rows = 0
    done = False
    # One COPY per chunk: the connection is busy during a COPY, and progress is written between.
    while not done:
        done = True
        with raw_connection().cursor() as cursor, cursor.copy(statement) as copy:
            write = copy.write_row
            chunk_end = rows + COPY_CHUNK_ROWS
            for line, cells in records:
                if len(cells) >= width:
                    values = pick(cells)
                else:
                    if not any(cells):
                        continue
                    values = pick(cells + [""] * (width - len(cells)))
                if not any(values) and not any(cells):
                    continue
                write((tenant_id, upload_id, line, *values))
                rows += 1
                if rows >= chunk_end:
                    done = False
                    break
        if progress is not None:
            progress(read.fraction)
    return rows


def stage_rows(*, table: str, rows: Iterable[tuple[int, int, int, dict[str, str]]], kind: str) -> int:
    """COPY rows given as (upload id, line, ref, {field: text}) (re-processing kept rows)."""
    fields = field_names(kind)
    columns = ", ".join(["tenant_id", "upload_id", "line", "ref", *fields])
    tenant_id = require_tenant().pk
    count = 0
    statement = f"COPY {ident(table)} ({columns}) FROM STDIN".encode()
    with raw_connection().cursor() as cursor, cursor.copy(statement) as copy:
        for upload_id, line, ref, data in rows:
            copy.write_row((tenant_id, upload_id, line, ref, *(data.get(f) for f in fields)))
            count += 1
    return count
