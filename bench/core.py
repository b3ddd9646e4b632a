"""What suites and the harness share."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    name: str
    rows: int
    ours: float
    baseline: float
    unit: str
    ratio: float = 0.0
    notes: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        self.ratio = round(self.ours / self.baseline, 4) if self.baseline else 0.0


@dataclass
class Context:
    scale: float
    database_url: str  # the scratch database, as the app's runtime role
    owner_database_url: str  # the same, as the owner role (schema changes, TRUNCATE, baselines)
    workdir: Path
    notes: list[str] = field(default_factory=list)

    def rows(self, full: int, minimum: int = 1000) -> int:
        return max(minimum, int(full * self.scale))

    def wants(self, name: str) -> bool:
        """BENCH_ONLY=name,name runs a subset (results merge into the existing results.json)."""
        only = [n.strip() for n in os.environ.get("BENCH_ONLY", "").split(",") if n.strip()]
        return not only or name in only

    def child_env(self) -> dict[str, str]:
        # The 10x memory file outgrows the portal's default upload limit; the bench lifts it.
        return {
            "PRM_UPLOAD_MAX_BYTES": str(64 * 1024**3),
            **os.environ,
            "DATABASE_URL": self.database_url,
            "PYTHONPATH": str(ROOT),
        }
