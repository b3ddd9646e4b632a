"""Payout details are kept encrypted (the field lives in the core, prm/fields.py; migrations name it
here) and shown masked."""

from __future__ import annotations

from prm.fields import EncryptedTextField

__all__ = ["EncryptedTextField", "mask"]


def mask(value: str | None, visible: int = 4) -> str:
    """'DE89 3704 0044 0532 0130 00' -> '•••• 3000' style: only the last characters show."""
    if not value:
        return ""
    compact = "".join(value.split())
    if len(compact) <= visible:
        return "•" * len(compact)
    return "•••• " + compact[-visible:]
