from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created only through invitations (or the platform operator), never by open
    sign-up: a partner portal is not a public service."""

    def is_open_for_signup(self, request) -> bool:
        return False
