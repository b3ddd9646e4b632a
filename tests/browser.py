"""Helpers for real-browser journeys (pytest-playwright + Debian's chromium + live_server).

Tenant portals are reached at ``http://<slug>.localhost:<port>``: Chromium sends ``*.localhost``
to the loopback interface, so the live server sees the tenant host.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from tests.factories import PASSWORD


def portal_url(live_server, slug: str, path: str = "/") -> str:
    port = urlsplit(live_server.url).port
    return f"http://{slug}.localhost:{port}{path}"


def totp_now(secret: str) -> str:
    """The current TOTP code, as allauth checks it.

    allauth accepts only the current 30-second window (no tolerance), so a code read in the last
    moments of a window may arrive in the next one and be refused. Near the edge, wait for the next
    window first: a browser round trip can take a few seconds on a busy CI machine.
    """
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    period = app_settings.TOTP_PERIOD
    remaining = period - time.time() % period
    if remaining < 5:
        time.sleep(remaining + 0.05)
    counter = int(time.time()) // period
    return format_hotp_value(hotp_value(secret, counter))


def login(page, live_server, slug: str, email: str, password: str = PASSWORD, totp_secret: str | None = None):
    page.goto(portal_url(live_server, slug, "/accounts/login/"))
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("[data-testid=auth-form] button[type=submit]")
    if totp_secret:
        page.wait_for_selector("input[name=code]")
        page.fill("input[name=code]", totp_now(totp_secret))
        page.click("[data-testid=auth-form] button[type=submit]")
    # Attached, not visible: on a phone the user menu sits behind the menu button.
    page.wait_for_selector("[data-testid=user-menu]", state="attached")
