"""Demo data of rebates (filled in below)."""

from __future__ import annotations

from typing import Any


def seed_rebates(tenant: Any, stdout: Any = None) -> None:
    return None
