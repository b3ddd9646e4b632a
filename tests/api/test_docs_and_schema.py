"""The OpenAPI schema and its docs page: public, versioned paths under /api/v1/, every operation
documents its problem responses, the docs page is static files only (no inline script or style)
under the portal's unchanged Content-Security-Policy."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def _schema(client) -> dict:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_schema_is_openapi_3_with_every_path_under_v1(cast):
    schema = _schema(cast.a.client())
    assert schema["openapi"].startswith("3.")
    assert schema["paths"] and all(path.startswith("/api/v1/") for path in schema["paths"])
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key of this portal: `Authorization: Bearer prm_<prefix>_<secret>`.",
    }


def test_every_operation_documents_problem_details_and_posts_take_an_idempotency_key(cast):
    schema = _schema(cast.a.client())
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            for code in ("401", "403", "429", "default"):
                content = responses[code]["content"]
                assert list(content) == ["application/problem+json"], (path, method, code)
            if method == "post":
                assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"]), path


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict] = []
        self.inline_script_text = ""
        self.styles = 0
        self.style_attributes = 0
        self.stylesheets: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "style" in attributes:
            self.style_attributes += 1
        if tag == "script":
            self.scripts.append(attributes)
            self._in_script = True
        elif tag == "style":
            self.styles += 1
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(attributes["href"])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline_script_text += data.strip()


def _csp_without_nonce(response) -> str:
    return re.sub(r" 'nonce-[^']+'", "", response["Content-Security-Policy"])


def test_the_docs_page_loads_static_files_only_under_the_portals_csp(cast):
    client = cast.a.client()
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    tags = _Tags()
    tags.feed(docs.content.decode())
    assert tags.scripts and all(s.get("src", "").startswith("/static/") for s in tags.scripts)
    assert tags.inline_script_text == ""
    assert tags.styles == 0 and tags.style_attributes == 0
    for url in [s["src"] for s in tags.scripts] + tags.stylesheets:
        assert url.startswith("/static/") and "//" not in url[1:]  # same origin, no CDN
        assert finders.find(url.removeprefix("/static/")), url
    login_page = client.get("/accounts/login/")
    assert _csp_without_nonce(docs) == _csp_without_nonce(login_page)
    assert "'unsafe-inline'" not in docs["Content-Security-Policy"]
    assert "'unsafe-eval'" not in docs["Content-Security-Policy"]
