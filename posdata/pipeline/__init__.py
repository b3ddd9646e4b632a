"""The loader of POS and inventory files: stream a partner file into an UNLOGGED staging table
with COPY (``stage``), infer the date and number formats of each column from its values
(``infer``), normalise and validate every row in one set-based statement (``sql``), keep the bad
rows with line, column, code and message, and move the good ones into their table with one
INSERT ... ON CONFLICT DO NOTHING (``load``).

Everything runs on Django's own connection (psycopg 3), inside the tenant context, so row-level
security applies to the normalised tables as to every other tenant table. The staging tables live
in the staging schema (prm/jobs/staging.py names and sweeps them).

Callers use the names below (``from posdata import pipeline``; ``pipeline.stage_file(...)``).
"""

from posdata.pipeline.infer import infer_formats
from posdata.pipeline.load import (
    Moved,
    count_rejected,
    delete_period,
    first_errors,
    good_products,
    insert_rejected,
    loaded_lines_by_day,
    move_good_rows,
    normalise,
    update_rejected,
    usual_currency,
)
from posdata.pipeline.sql import Run
from posdata.pipeline.stage import create_table_like_staging, drop_table, stage_file, stage_rows

__all__ = [
    "Moved",
    "Run",
    "count_rejected",
    "create_table_like_staging",
    "delete_period",
    "drop_table",
    "first_errors",
    "good_products",
    "infer_formats",
    "insert_rejected",
    "loaded_lines_by_day",
    "move_good_rows",
    "normalise",
    "stage_file",
    "stage_rows",
    "update_rejected",
    "usual_currency",
]
