"""The OpenAPI schema: every operation also answers with problem details (RFC 9457), and the docs
page that shows it (Swagger UI from the sidecar's static files; no inline script or style)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from api.problems import CONTENT_TYPE

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string", "example": "urn:prm:problem:validation"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"pointer": {"type": "string"}, "detail": {"type": "string"}},
                "required": ["pointer", "detail"],
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}
DESCRIPTIONS = {
    "400": "Invalid input (`errors` points at each field)",
    "401": "No API key, or not a live key of this portal",
    "403": "The key's scopes or role do not allow it",
    "404": "No such object, or not the key's to see",
    "409": "Not possible in the object's current state",
    "413": "The request body is too large",
    "415": "Unsupported media type",
    "422": "Refused by a business rule, or an Idempotency-Key reused for another request",
    "429": "Rate limit reached (see Retry-After)",
    "default": "Any other error, in the same shape",
}
READ_CODES = ("400", "401", "403", "404", "429", "default")
WRITE_CODES = ("400", "401", "403", "404", "409", "413", "415", "422", "429", "default")
IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "Run this POST at most once: a retry with the same key gets the stored answer.",
}


def add_problem_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular post-processing hook: the Problem component, its responses on every
    operation, and the Idempotency-Key header on every POST."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    ref = {CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = READ_CODES if method == "get" else WRITE_CODES
            for code in codes:
                operation["responses"].setdefault(code, {"description": DESCRIPTIONS[code], "content": ref})
            if method == "post":
                operation.setdefault("parameters", []).append(IDEMPOTENCY_HEADER)
    return result


def api_docs(request: HttpRequest) -> HttpResponse:
    """The interactive documentation of the schema at /api/schema/ (public, like the schema)."""
    return render(request, "api/docs.html")
