"""Host names: which tenant a request's host serves, and URLs of tenant portals."""

from __future__ import annotations

from django.conf import settings


def normalise_host(host: str) -> str:
    """Lower-case host without port or trailing dot."""
    host = host.strip().lower()
    if host.startswith("["):  # IPv6 literal
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0].rstrip(".")


def default_tenant_host(slug: str) -> str:
    return f"{slug}.{settings.PRM_BASE_DOMAIN}"


def is_platform_host(host: str) -> bool:
    return normalise_host(host) in {settings.PRM_BASE_DOMAIN, "testserver"}


def absolute_url(host: str, path: str = "/") -> str:
    port = settings.PRM_PORTAL_PORT
    default_port = {"http": 80, "https": 443}[settings.PRM_PORTAL_SCHEME]
    netloc = host if not port or port == default_port else f"{host}:{port}"
    return f"{settings.PRM_PORTAL_SCHEME}://{netloc}{path}"
