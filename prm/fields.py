"""Model fields of the core: text encrypted at rest with the field-encryption keys."""

from __future__ import annotations

from typing import Any

from django.db import models

from prm.lib.crypto import decrypt_text, encrypt_text


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token: the database never holds the plaintext. Not searchable.
    ``manage.py rotate_field_encryption`` re-encrypts every such column with the newest key."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt_text(str(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return value
        return decrypt_text(value)
