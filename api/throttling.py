"""Rate limits per key (``PRM_API_RATE_LIMIT``, e.g. ``600/min``), counted in the shared Redis
cache; a refused request gets 429 with ``Retry-After``."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiKey


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_rate(self) -> str:
        # Read on every request (not frozen at import): the setting can differ per deployment and test.
        return settings.PRM_API_RATE_LIMIT

    def get_cache_key(self, request, view) -> str | None:
        key = request.auth
        if not isinstance(key, ApiKey):
            return None
        # The prefix is random: a new test database's key never inherits an old count.
        return f"api-throttle:{key.pk}:{key.prefix}"
