"""Cache keys carry the tenant: the same key in two tenants never shares a value."""

from __future__ import annotations

from prm.tenancy.context import current_tenant

# Security state that belongs to a user, not to a portal (login rate limits, used TOTP codes)
# stays global, so a code used on one tenant's host cannot be replayed on another's.
GLOBAL_KEY_PREFIXES = ("allauth",)


def make_key(key: str, key_prefix: str, version: int | str) -> str:
    if key.startswith(GLOBAL_KEY_PREFIXES):
        scope = "global"
    else:
        tenant = current_tenant()
        scope = f"t{tenant.pk}" if tenant is not None else "platform"
    return f"{key_prefix}:{version}:{scope}:{key}"
