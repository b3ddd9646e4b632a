from __future__ import annotations

from tests.sweep import Entry

ENTRIES = {
    "insights:forecast": Entry(notes="partners see their own partner's series only"),
    "insights:forecast_recompute": Entry(methods=("POST",)),
    "insights:league": Entry(notes="staff only: partners get 403"),
    "insights:my_benchmarks": Entry(notes="own figures against anonymous peer medians; never a peer's name"),
}
