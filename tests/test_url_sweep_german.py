"""Every portal page a channel manager, a partner admin or an anonymous visitor can open renders in
German for a German browser with no English sentence of the catalogue on it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from prm.tenancy.context import tenant_context
from tests.german import english_sentences, german_page
from tests.sweep import all_entries, session_entries

pytestmark = pytest.mark.django_db

GET_PAGES = sorted(n for n, e in session_entries().items() if not e.platform and "GET" in e.methods)


@pytest.fixture(scope="module")
def sentences() -> set[str]:
    return english_sentences()


@pytest.mark.parametrize("name", GET_PAGES)
def test_no_english_sentence_on_a_german_page(name, cast, sentences):
    entry = all_entries()[name]
    # The objects behind the page are made by German-speaking people: what the system writes into
    # them (default onboarding steps, version notes) is German, as for a German vendor.
    with tenant_context(cast.a.tenant), translation.override("de"):
        url = reverse(name, kwargs=entry.kwargs(cast) if entry.kwargs else {})
    leaks = {}
    for who in ("manager", "p1_admin", None):
        body = german_page(cast.a.client(who), url)
        found = sorted(s for s in sentences if body is not None and s in body)
        if found:
            leaks[who or "anonymous"] = found
    assert not leaks, f"English on the German page {url}: {leaks}"
