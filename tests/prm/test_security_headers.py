"""Security headers: strict CSP with a nonce for scripts, no framing, CSRF on every POST."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.parametrize(
    ("who", "path"), [("p1_user", "/"), (None, "/accounts/login/"), ("admin", "/audit/")]
)
def test_pages_carry_a_strict_content_security_policy_with_a_script_nonce(cast, who, path):
    response = cast.a.client(who).get(path)
    assert response.status_code == 200
    csp = _directives(response["Content-Security-Policy"])
    script_src = csp["script-src"]
    assert "'self'" in script_src
    nonces = [s for s in script_src if s.startswith("'nonce-")]
    assert len(nonces) == 1
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "'unsafe-inline'" not in csp.get("style-src", [])
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    # Every script tag in the page carries the nonce of this response.
    nonce = nonces[0][len("'nonce-") : -1]
    tags = re.findall(rb"<script\b[^>]*>", response.content)
    assert tags
    assert all(f'nonce="{nonce}"'.encode() in tag for tag in tags)


def test_the_nonce_changes_per_response(cast):
    client = cast.a.client("p1_user")
    first = client.get("/")["Content-Security-Policy"]
    second = client.get("/")["Content-Security-Policy"]
    assert first != second


def test_pages_have_no_inline_scripts_styles_or_event_handlers(cast):
    content = cast.a.client("admin").get("/").content
    assert not re.search(rb"<script\b(?![^>]*\bsrc=)[^>]*>\s*\S", content)
    assert b" style=" not in content
    assert not re.search(rb"\son[a-z]+=", content)


@pytest.mark.parametrize("host", ["acme.localhost", "localhost"])
def test_framing_is_denied_and_content_types_not_sniffed(cast, host):
    response = Client(HTTP_HOST=host).get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_csrf_is_enforced_on_post(cast):
    client = Client(HTTP_HOST=cast.a.host, enforce_csrf_checks=True)
    client.force_login(cast.a.users["admin"])
    response = client.post("/people/invite/", {"email": "x@example.test", "role": "finance"})
    assert response.status_code == 403
    response = client.post("/notifications/read-all/")
    assert response.status_code == 403
    from prm.accounts.models import Invitation

    with cast.a.context():
        assert not Invitation.objects.exists()


def test_post_with_the_csrf_token_is_accepted(cast):
    client = Client(HTTP_HOST=cast.a.host, enforce_csrf_checks=True)
    client.force_login(cast.a.users["admin"])
    client.get("/people/invite/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/people/invite/", {"email": "x@example.test", "role": "finance", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_login_form_is_csrf_protected(cast):
    client = Client(HTTP_HOST=cast.a.host, enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"login": "p1_user@acme.test", "password": "x"})
    assert response.status_code == 403
