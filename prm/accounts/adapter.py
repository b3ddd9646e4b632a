from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter

from prm.lib.crypto import decrypt_text, encrypt_text


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created only through invitations (or the platform operator), never by open
    sign-up: a partner portal is not a public service."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def _get_login_attempts_cache_key(self, request, **credentials: Any) -> str:
        # allauth keys failed logins by host + login; users are global across tenant hosts, so
        # the budget must be too (otherwise every tenant host would grant a fresh one).
        return str(credentials.get("email", credentials.get("username", ""))).lower()


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets and recovery-code seeds are stored encrypted with the field-encryption keys:
    a database dump alone does not let anyone generate a user's codes."""

    def encrypt(self, text: str) -> str:
        return encrypt_text(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_text(encrypted_text)
