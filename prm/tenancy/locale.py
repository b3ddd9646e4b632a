"""Language and time zone of each request: the user's choice, else the tenant's defaults.

Replaces Django's LocaleMiddleware, which would follow the browser's Accept-Language header: a
vendor that runs its portal in German wants a new visitor (the sign-in page included) to see
German, whatever the browser sends. What a person chooses wins over the tenant's defaults.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers


def supported_language(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def valid_time_zone(name: str | None) -> zoneinfo.ZoneInfo | None:
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def request_language(request: HttpRequest) -> str:
    """The language cookie (set by the language switcher), then the signed-in user's saved
    language, then the tenant's default language, then the project default."""
    user: Any = getattr(request, "user", None)
    tenant: Any = getattr(request, "tenant", None)
    candidates = [
        request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME),
        getattr(user, "language", "") if user is not None and user.is_authenticated else "",
        getattr(tenant, "default_language", ""),
    ]
    for code in candidates:
        language = supported_language(code)
        if language:
            return language
    return settings.LANGUAGE_CODE


def person_language(user: Any, tenant: Any) -> str:
    """The language to write to someone outside a request of theirs (notifications, e-mails):
    their saved language, then the tenant's default, then the project default."""
    for code in (getattr(user, "language", ""), getattr(tenant, "default_language", "")):
        language = supported_language(code)
        if language:
            return language
    return settings.LANGUAGE_CODE


def request_time_zone(request: HttpRequest) -> zoneinfo.ZoneInfo:
    """The signed-in user's time zone, then the tenant's, then the project default (UTC)."""
    user: Any = getattr(request, "user", None)
    tenant: Any = getattr(request, "tenant", None)
    candidates = [
        getattr(user, "time_zone", "") if user is not None and user.is_authenticated else "",
        getattr(tenant, "time_zone", ""),
    ]
    for name in candidates:
        zone = valid_time_zone(name)
        if zone is not None:
            return zone
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


class TenantLocaleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
        timezone.activate(request_time_zone(request))
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
