"""The URL sweep's registry: one entry per named URL pattern of the portal and the platform.

Each app adds its entries in ``tests/<app>/sweep_entries.py`` (``ENTRIES`` dict keyed by the URL
name, namespaced like ``partners:detail``). ``tests/test_url_sweep.py`` fails for any pattern
without an entry.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entry:
    # Build URL kwargs naming objects of tenant A (inside tenant A's context); partner-owned
    # objects must belong to partner P1. None: the URL takes no arguments.
    kwargs: Callable[[Any], dict[str, Any]] | None = None
    methods: tuple[str, ...] = ("GET",)
    # The object named by kwargs belongs to partner P1: P2's user must get 404.
    partner_owned: bool = False
    # Reachable without signing in (login page, public application form, invitation link).
    public: bool = False
    # Platform-domain URL (bare base domain) instead of a tenant portal URL.
    platform: bool = False
    # A REST API endpoint: reached with API keys, not sessions (tests/api/test_api_url_sweep.py
    # sweeps these; the session sweeps leave them out).
    api: bool = False
    notes: str = field(default="", compare=False)


def session_entries() -> dict[str, Entry]:
    """The entries of pages people open (everything but the REST API)."""
    return {name: entry for name, entry in all_entries().items() if not entry.api}


def all_entries() -> dict[str, Entry]:
    import tests

    entries: dict[str, Entry] = {}
    for module in pkgutil.iter_modules(tests.__path__):
        if not module.ispkg:
            continue
        try:
            mod = importlib.import_module(f"tests.{module.name}.sweep_entries")
        except ModuleNotFoundError:
            continue
        entries.update(mod.ENTRIES)
    return entries
