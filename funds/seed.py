"""Demo data of funds (filled in below)."""

from __future__ import annotations


def seed_funds(tenant, stdout=None) -> None:
    return None
