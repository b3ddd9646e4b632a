from __future__ import annotations

from tests.sweep import Entry

ENTRIES = {
    "platform:ops_status": Entry(platform=True),
    "platform:ops_health": Entry(platform=True),
    "platform:ops_metrics": Entry(platform=True),
}
