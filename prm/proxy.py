"""Trust ``X-Forwarded-Proto`` only from the TLS proxies named in ``PRM_TRUSTED_PROXIES``.

``SECURE_PROXY_SSL_HEADER`` makes Django believe the header; anyone who reaches the app server
directly could send it and pass for HTTPS (secure-only cookies, the SSL redirect, CSRF's referer
check). This middleware runs first and removes the header from every other address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "HTTP_X_FORWARDED_PROTO"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def is_trusted_proxy(address: str | None) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.PRM_TRUSTED_PROXIES)))


class TrustedProxyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if HEADER in request.META and not is_trusted_proxy(request.META.get("REMOTE_ADDR")):
            del request.META[HEADER]
        return self.get_response(request)
