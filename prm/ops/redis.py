"""One raw Redis client per process for the operations counters and heartbeats.

Not Django's cache: its keys carry the current tenant (prm/tenancy/cache.py) and these values are
platform-wide, shared by every web and worker process (and machine) that uses the same Redis.
"""

from __future__ import annotations

import redis
from django.conf import settings

PREFIX = "prm:ops:"
_clients: dict[str, redis.Redis] = {}


def client() -> redis.Redis:
    """A client of ``settings.REDIS_URL`` with short time-outs: a probe must not hang."""
    url = settings.REDIS_URL
    found = _clients.get(url)
    if found is None:
        found = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        _clients[url] = found
    return found


def key(*parts: str) -> str:
    return PREFIX + ":".join(parts)
