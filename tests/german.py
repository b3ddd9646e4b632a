"""Helpers for tests that read pages as a German browser does."""

from __future__ import annotations

import html
from pathlib import Path

from babel.messages.pofile import read_po
from django.conf import settings
from django.test import Client

PO = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES" / "django.po"


def english_sentences() -> set[str]:
    """Catalogue phrases of three words or more whose German differs and that hold no
    placeholder (a rendered placeholder is replaced, so only fixed phrases show verbatim). One of
    them on a German page means a string translated at import time instead of lazily, or a
    django.mo older than the .po."""
    with PO.open("rb") as f:
        catalog = read_po(f)
    return {
        m.id
        for m in catalog
        if isinstance(m.id, str)
        and len(m.id.split()) >= 3
        and "%" not in m.id
        and "{" not in m.id
        and m.string
        and m.string != m.id
    }


def german_page(client: Client, url: str) -> str | None:
    """The unescaped HTML of a page requested by someone who chose German (the language switcher's
    cookie); None for anything else (a redirect, a 403, a download)."""
    client.cookies["django_language"] = "de"
    response = client.get(url)
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
        return None
    body = html.unescape(response.content.decode())
    assert "<html" not in body or '<html lang="de">' in body, url
    return body
