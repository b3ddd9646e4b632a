"""The key format and its check: ``prm_<prefix>_<secret>``.

The prefix (12 hex digits) names the key in lists and finds its row; the secret (32 random bytes,
URL-safe base64) is compared as a SHA-256 digest in constant time. A key is looked up in the
tenant of the request's host only, so a key used on another tenant's host is unknown there.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from api.models import ApiKey
from prm.tenancy.context import current_tenant

SCHEME = "prm"
PREFIX_BYTES = 6
SECRET_BYTES = 32
# last_used_at is written at most this often per key: a busy integration costs no write per request.
LAST_USE_RESOLUTION_SECONDS = 60
_UNCHECKED = object()


class InvalidKey(Exception):
    """A credential was sent and is not a live key of this tenant."""


@dataclass(frozen=True)
class Credentials:
    prefix: str
    token: str  # the whole key, shown once
    secret_hash: str


def new_credentials() -> Credentials:
    prefix = secrets.token_hex(PREFIX_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return Credentials(prefix=prefix, token=f"{SCHEME}_{prefix}_{secret}", secret_hash=digest(secret))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_token(token: str) -> tuple[str, str]:
    """(prefix, secret) of a key; raise InvalidKey for anything else."""
    scheme, _sep, rest = token.strip().partition("_")
    prefix, _sep, secret = rest.partition("_")
    if scheme != SCHEME or len(prefix) != 2 * PREFIX_BYTES or not secret:
        raise InvalidKey
    return prefix, secret


def bearer_token(request: HttpRequest) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header; None without the header."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidKey
    return token


def verified_key(request: HttpRequest) -> ApiKey | None:
    """The live key of this tenant the request authenticates with (None: it sends none); raise
    InvalidKey for a wrong, revoked or rotated-away key, or one of another tenant. Checked once
    per request: the body-size limit and the API's authentication both ask."""
    cached = getattr(request, "_prm_api_key", _UNCHECKED)
    if cached is not _UNCHECKED:
        if isinstance(cached, InvalidKey):
            raise cached
        return cached  # type: ignore[return-value]
    try:
        key = _lookup(request)
    except InvalidKey as exc:
        request._prm_api_key = exc  # type: ignore[attr-defined]
        raise
    request._prm_api_key = key  # type: ignore[attr-defined]
    return key


def _lookup(request: HttpRequest) -> ApiKey | None:
    token = bearer_token(request)
    if token is None:
        return None
    if current_tenant() is None:  # the platform host serves no API
        raise InvalidKey
    prefix, secret = parse_token(token)
    key = (
        ApiKey.objects.select_related("tenant", "partner", "service_user")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.secret_hash, digest(secret)):
        raise InvalidKey
    return key


def has_valid_key(request: HttpRequest) -> bool:
    """For the request body limit (prm.request_limits): a verified key counts as signed in."""
    try:
        return verified_key(request) is not None
    except InvalidKey:
        return False


def record_use(key: ApiKey) -> None:
    """Note that ``key`` was used: one UPDATE per key and minute at most (the cache decides)."""
    if cache.add(f"api-key-used:{key.prefix}", 1, timeout=LAST_USE_RESOLUTION_SECONDS):
        now = timezone.now()
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
