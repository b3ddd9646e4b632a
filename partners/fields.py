"""Model fields that keep sensitive values encrypted at rest (Fernet, key from settings)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    try:
        return Fernet(key.encode() if isinstance(key, str) else key)
    except (ValueError, binascii.Error):
        # A configured secret that is not itself a Fernet key still yields a stable 32-byte key.
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(str(key).encode()).digest()))


def fernet() -> Fernet:
    return _fernet(settings.PRM_FIELD_ENCRYPTION_KEY)


def encrypt_text(value: str) -> str:
    return fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ValueError("An encrypted field could not be decrypted with the configured key.") from exc


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token: the database never holds the plaintext. Not searchable."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt_text(str(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return value
        return decrypt_text(value)


def mask(value: str | None, visible: int = 4) -> str:
    """'DE89 3704 0044 0532 0130 00' -> '•••• 3000' style: only the last characters show."""
    if not value:
        return ""
    compact = "".join(value.split())
    if len(compact) <= visible:
        return "•" * len(compact)
    return "•••• " + compact[-visible:]
