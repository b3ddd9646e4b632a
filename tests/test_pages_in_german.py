"""The portal speaks German to a German browser: pages of every app, for the vendor and for a
partner, show their German wording from the compiled catalogue and no English sentence of it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from deals.models import DealRegistration, Lead
from deals.seed import seed_deals
from partners.models import Partner
from tests.german import english_sentences, german_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(cast):
    with cast.a.context():
        # The readers chose German (the switcher saves it): what happens afterwards, notifications
        # included, is written to them in German.
        for key in ("manager", "p1_admin"):
            cast.a.users[key].language = "de"
            cast.a.users[key].save(update_fields=["language"])
        seed_deals(cast.a.tenant)
        Partner.objects.update(status="active")
    return cast


def _assert_german(client, pages: dict[str, str]) -> None:
    sentences = english_sentences()
    for url, german in pages.items():
        body = german_page(client, url)
        assert body is not None, url
        assert german in body, (url, german)
        leaks = sorted(s for s in sentences if s in body)
        assert not leaks, (url, leaks)


def test_vendor_pages_render_in_german(seeded):
    cast = seeded
    with cast.a.context():
        conflicted = DealRegistration.objects.filter(conflicts__isnull=False).first()
        lead = Lead.objects.filter(status="new").first()
    _assert_german(
        cast.a.client("manager"),
        {
            "/": "Prüfwarteschlange",
            reverse("deals:list"): "Deal-Pipeline",
            reverse("deals:review", args=[conflicted.pk]): "Überschneidende Produktlinien",
            reverse("deals:dashboard"): "Alter der Registrierungen, die auf eine Entscheidung warten",
            reverse("deals:lead_detail", args=[lead.pk]): "Routing-Vorschau",
            reverse("deals:routing_rules"): "Regeln für das Lead-Routing",
            reverse("partners:list"): "Stufenvorschläge",
            reverse("partners:programs"): "Partnerprogramme",
            reverse("posdata:uploads"): "Datenqualität nach Monat",
            reverse(
                "posdata:inventory"
            ): "Reichweite in Wochen = Bestand / durchschnittlicher wöchentlicher Nettoabsatz",
        },
    )


def test_import_kinds_are_offered_in_the_language_of_the_request(cast):
    """Apps register their import kinds once at start-up; the labels follow each request."""
    client = cast.a.client("manager")
    client.cookies["django_language"] = "de"
    german = dict(client.get("/imports/").context["form"].fields["kind"].choices)
    client.cookies["django_language"] = "en"
    english = dict(client.get("/imports/").context["form"].fields["kind"].choices)
    assert german["partners"] == "Partner" and english["partners"] == "Partners"
    assert german["direct_opportunities"] == "Direkte Opportunities"
    assert german["sku_xref"] == "Artikelnummer-Querverweise"


def test_partner_pages_render_in_german(seeded):
    cast = seeded
    with cast.a.context():
        approved = DealRegistration.objects.filter(partner=cast.a.partners["p1"], status="approved").first()
    _assert_german(
        cast.a.client("p1_admin"),
        {
            "/": "Ihre Partnerschaft",
            reverse("deals:list"): "Meine Deal-Registrierungen",
            reverse("deals:detail", args=[approved.pk]): "Geschützt bis",
            reverse("deals:new"): "Deal registrieren",
            reverse("posdata:upload_new"): "Abverkaufs- oder Bestandsdaten hochladen",
        },
    )
