"""The API documentation in a real browser: Swagger UI renders the schema's operations under the
portal's strict CSP without a single violation."""

from __future__ import annotations

import pytest

from tests.browser import portal_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_without_csp_violations(cast, chromium_path, live_server, page):
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.on("pageerror", lambda error: messages.append(str(error)))
    page.goto(portal_url(live_server, "acme", "/api/docs/"))
    page.wait_for_selector("text=/api/v1/partners/")
    assert page.locator(".opblock").count() >= 10
    violations = [m for m in messages if "Content Security Policy" in m or "Refused to" in m]
    assert violations == []
