"""Encryption of secrets at rest (payout details, TOTP secrets) with Fernet keys.

``PRM_FIELD_ENCRYPTION_KEY`` holds one key or a comma-separated list, newest first: new values are
encrypted with the first key and every listed key still decrypts (MultiFernet), so a key is
rotated by putting a new one in front, running ``manage.py rotate_field_encryption`` and then
dropping the old one. A value that is not a Fernet key is refused: it is never turned into one.
"""

from __future__ import annotations

import binascii
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

# The development key (never valid in production): the key earlier versions derived from their
# development default, so development databases keep decrypting.
DEVELOPMENT_KEY = "gjZhs0bHfnVG0AwrUBeShnJ1lf_w6veLsmc8E8r2DlY="
# Keys that were ever published with the project: data encrypted with them is readable by anyone.
KNOWN_KEYS = frozenset({DEVELOPMENT_KEY, "ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLWxvbmchIQ=="})
# A Fernet token always begins with the version byte 0x80, base64url "gAAAAA".
TOKEN_PREFIX = "gAAAAA"  # noqa: S105 - a format marker, not a secret


class EncryptionKeyInvalid(ValueError):
    """The configured encryption key list is missing, malformed or a published key."""


def parse_keys(value: str, *, production: bool) -> tuple[str, ...]:
    """The keys of a comma-separated list, newest first, each checked to be a Fernet key."""
    keys = tuple(part.strip() for part in value.split(",") if part.strip())
    if not keys:
        raise EncryptionKeyInvalid("PRM_FIELD_ENCRYPTION_KEY is empty.")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, binascii.Error):
            raise EncryptionKeyInvalid(
                f"PRM_FIELD_ENCRYPTION_KEY: key {position} is not a Fernet key (32 url-safe "
                "base64-encoded bytes); create one with `make env` or "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
            ) from None
        if production and key in KNOWN_KEYS:
            raise EncryptionKeyInvalid(
                f"PRM_FIELD_ENCRYPTION_KEY: key {position} is the published development key; "
                "production needs a key of its own."
            )
    return keys


@lru_cache(maxsize=4)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:

    return _multi_fernet(tuple(settings.PRM_FIELD_ENCRYPTION_KEYS))


def encrypt_text(value: str) -> str:
    return fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ValueError("An encrypted value could not be decrypted with the configured keys.") from exc


def rotate_token(token: str) -> str:
    """The same plaintext encrypted with the newest key (decrypting with any configured key)."""
    try:
        return fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise ValueError("An encrypted value could not be decrypted with the configured keys.") from exc


def is_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX)
