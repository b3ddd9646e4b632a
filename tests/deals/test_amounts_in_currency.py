"""JPY and KWD amounts through the deal forms, services, pages and exports: each currency takes its
own number of decimals (JPY none, KWD three); more is refused with a message, never rounded away."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from deals.models import DealRegistration
from deals.services.review import registration_approve

pytestmark = pytest.mark.django_db


def _form(currency: str, value: str, **extra) -> dict:
    return {
        "customer_name": f"Yen {currency} KK",
        "customer_domain": f"{currency.lower()}.example",
        "country": "JP",
        "address": "1-1 Chiyoda",
        "contact_name": "Aiko",
        "contact_email": "aiko@example.jp",
        "currency": currency,
        "expected_close_date": (timezone.localdate() + timedelta(days=20)).isoformat(),
        "deal_type": "new",
        "competitors": "",
        "notes": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product_line": "pumps",
        "lines-0-quantity": "1",
        "lines-0-value": value,
        **extra,
    }


@pytest.mark.parametrize(
    "currency,value,stored,shown",
    [
        ("JPY", "1250000", Decimal("1250000"), "¥1,250,000"),
        ("KWD", "1234.125", Decimal("1234.125"), "KWD1,234.125"),
    ],
)
def test_jpy_and_kwd_values_are_stored_and_shown_with_their_decimals(cast, currency, value, stored, shown):
    client = cast.a.client("p1_user")
    response = client.post(reverse("deals:new"), _form(currency, value))
    assert response.status_code == 302
    with cast.a.context():
        registration = DealRegistration.objects.get(currency=currency)
        assert registration.value == stored
        assert registration.lines.get().value == stored
    page = client.get(reverse("deals:detail", args=[registration.pk])).content.decode().replace("\xa0", "")
    assert shown in page


@pytest.mark.parametrize(
    "currency,value,message",
    [
        ("JPY", "1250000.5", "JPY amounts take no decimals."),
        ("KWD", "10.1234", "KWD amounts take at most 3 decimals."),
        ("USD", "10.001", "USD amounts take at most 2 decimals."),
    ],
)
def test_a_value_with_too_many_decimals_is_refused_with_a_message(cast, currency, value, message):
    response = cast.a.client("p1_user").post(reverse("deals:new"), _form(currency, value))
    assert response.status_code == 200
    assert message in response.content.decode()
    with cast.a.context():
        assert not DealRegistration.objects.exists()


def test_the_line_value_input_steps_by_the_currencys_minor_unit(cast):
    client = cast.a.client("p1_user")
    client.post(reverse("deals:new"), _form("KWD", "5.125"))
    with cast.a.context():
        registration = DealRegistration.objects.get()
    html = client.get(reverse("deals:edit", args=[registration.pk])).content.decode()
    assert 'name="lines-0-value" value="5.125" min="0" step="0.001"' in html


def test_won_value_in_jpy_takes_no_decimals(cast):
    client = cast.a.client("p1_user")
    client.post(reverse("deals:new"), _form("JPY", "500000", action="submit"))
    with cast.a.context():
        registration = DealRegistration.objects.get()
        registration_approve(registration=registration, acting_membership=cast.a.memberships["manager"])
    url = reverse("deals:won", args=[registration.pk])
    today = timezone.localdate().isoformat()
    response = client.post(url, {"closed_value": "480000.50", "closed_on": today}, follow=True)
    assert "JPY amounts take no decimals." in response.content.decode()
    client.post(url, {"closed_value": "480000", "closed_on": today})
    with cast.a.context():
        registration.refresh_from_db()
    assert (registration.status, registration.closed_value) == ("won", Decimal("480000"))


def test_changing_the_currency_refuses_values_that_no_longer_fit(cast):
    client = cast.a.client("p1_user")
    client.post(reverse("deals:new"), _form("USD", "100.50"))
    with cast.a.context():
        registration = DealRegistration.objects.get()
    # The partner switches the currency to JPY while the line still says 100.50.
    response = client.post(
        reverse("deals:autosave", args=[registration.pk]), _form("JPY", "100.50"), HTTP_HX_REQUEST="true"
    )
    assert "JPY amounts take no decimals." in response.content.decode()
    with cast.a.context():
        registration.refresh_from_db()
        assert (registration.currency, registration.lines.get().value) == ("USD", Decimal("100.50"))
    client.post(
        reverse("deals:autosave", args=[registration.pk]), _form("JPY", "100"), HTTP_HX_REQUEST="true"
    )
    with cast.a.context():
        registration.refresh_from_db()
        assert (registration.currency, registration.value) == ("JPY", Decimal("100"))
