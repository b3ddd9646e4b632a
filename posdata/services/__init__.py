"""Writes of point-of-sale data, one module per transition group: ``uploads`` (receive, read,
confirm a mapping), ``loading`` (the load job and its summary), ``xrefs`` (SKU cross-references),
``exception_queue`` (re-processing rows whose product was unknown) and ``alerts`` (stock-out
alerts after a load, the partners' thresholds).

Services never import ``posdata.tasks``: they start a task by its name (``common.task``) on commit.
"""

from posdata.services.alerts import stockout_alerts_after_load, stockout_threshold_set
from posdata.services.exception_queue import (
    exception_map_and_reprocess,
    exceptions_reprocess_run,
    exceptions_reprocess_start,
)
from posdata.services.loading import (
    pos_file_load,
    summary_dict,
    upload_give_up,
    upload_process,
)
from posdata.services.uploads import (
    PREVIEW_CELL_CHARS,
    parse_mapping_option,
    upload_confirm,
    upload_read,
    upload_receive,
)
from posdata.services.xrefs import sku_xref_create, sku_xref_delete

__all__ = [
    "PREVIEW_CELL_CHARS",
    "exception_map_and_reprocess",
    "exceptions_reprocess_run",
    "exceptions_reprocess_start",
    "parse_mapping_option",
    "pos_file_load",
    "sku_xref_create",
    "sku_xref_delete",
    "stockout_alerts_after_load",
    "stockout_threshold_set",
    "summary_dict",
    "upload_confirm",
    "upload_give_up",
    "upload_process",
    "upload_read",
    "upload_receive",
]
