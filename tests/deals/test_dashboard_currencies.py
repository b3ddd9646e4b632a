"""The pipeline dashboard and the home panel with registrations in several currencies: values are
converted into the tenant's currency at the rate of each registration's day, or, when a rate is
missing, shown per currency with the missing pair and date named. Never added up unconverted."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deals.models import DealRegistration
from deals.services.drafts import registration_create
from deals.services.review import registration_approve
from deals.services.submission import registration_submit
from prm.finance.models import FxRate
from prm.lib.money import Money
from tests.deals.helpers import customer_data

pytestmark = pytest.mark.django_db

D = datetime.date


def _register(cast, value: str, currency: str, day: datetime.date, name: str, who: str = "p1_user"):
    membership = cast.a.memberships[who]
    registration = registration_create(
        acting_membership=membership,
        data={**customer_data(name, domain=f"{name.lower()}.example"), "currency": currency},
        lines=[{"product_line": "pumps", "quantity": 1, "value": Decimal(value)}],
    )
    registration = registration_submit(registration=registration, acting_membership=membership)
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    DealRegistration.objects.filter(pk=registration.pk).update(first_submitted_at=moment, submitted_at=moment)
    return registration


def _rate(base, quote, day, rate):
    FxRate.objects.create(
        base_currency=base, quote_currency=quote, rate_date=day, rate=Decimal(rate), source="ECB"
    )


@pytest.fixture
def mixed(cast):
    with cast.a.context():
        _rate("EUR", "USD", D(2026, 1, 1), "1.10")
        _rate("EUR", "USD", D(2026, 2, 1), "1.20")
        _rate("USD", "JPY", D(2026, 1, 1), "150")  # stored the other way round: used inverted
        usd = _register(cast, "1000.00", "USD", D(2026, 1, 5), "Alpha")
        eur_jan = _register(cast, "1000.00", "EUR", D(2026, 1, 20), "Beta")
        eur_feb = _register(cast, "500.00", "EUR", D(2026, 2, 3), "Gamma", who="p2_user")
        yen = _register(cast, "300000", "JPY", D(2026, 2, 10), "Delta", who="p2_user")
        registration_approve(registration=usd, acting_membership=cast.a.memberships["manager"])
    return {"usd": usd, "eur_jan": eur_jan, "eur_feb": eur_feb, "yen": yen}


def test_dashboard_converts_each_registration_at_its_own_days_rate(cast, mixed):
    response = cast.a.client("manager").get(reverse("deals:dashboard"))
    figures = response.context["figures"]
    assert figures["converted"] and figures["missing_rates"] == []
    # 1000 USD (approved) + 1000 EUR x 1.10 + 500 EUR x 1.20 + 300000 JPY / 150
    stages = {s["status"]: s["totals"] for s in figures["stages"]}
    assert stages["approved"] == [Money(Decimal("1000.00"), "USD")]
    assert stages["submitted"] == [Money(Decimal("3700.00"), "USD")]  # 1100 + 600 + 2000
    partners = {p["code"]: p["totals"] for p in figures["by_partner"]}
    assert partners == {
        "D100": [Money(Decimal("2100.00"), "USD")],
        "D200": [Money(Decimal("2600.00"), "USD")],
    }
    assert [p["code"] for p in figures["by_partner"]] == ["D200", "D100"]  # by converted value
    assert figures["open_value"] == [Money(Decimal("3700.00"), "USD")]
    assert figures["open_by_currency"] == [
        Money(Decimal("1500.00"), "EUR"),
        Money(Decimal("300000"), "JPY"),
    ]
    html = response.content.decode()
    assert "$3,700.00" in html and "converted at the exchange rate" in html
    chart = json.loads(
        html.split('id="deals-dashboard-data" type="application/json">')[1].split("</script>")[0]
    )
    assert chart["partners"]["values"] == ["2600.00", "2100.00"]


def test_a_missing_rate_shows_values_per_currency_and_names_the_pair_and_date(cast, mixed):
    with cast.a.context():
        _register(cast, "200.00", "GBP", D(2026, 2, 14), "Epsilon")
    response = cast.a.client("manager").get(reverse("deals:dashboard"))
    figures = response.context["figures"]
    assert not figures["converted"]
    assert len(figures["missing_rates"]) == 1
    assert "GBP" in figures["missing_rates"][0] and "2026-02-14" in figures["missing_rates"][0]
    stages = {s["status"]: s["totals"] for s in figures["stages"]}
    assert stages["submitted"] == [
        Money(Decimal("1500.00"), "EUR"),
        Money(Decimal("200.00"), "GBP"),
        Money(Decimal("300000"), "JPY"),
    ]
    html = response.content.decode()
    assert "an exchange rate is missing" in html and "2026-02-14" in html
    chart = json.loads(
        html.split('id="deals-dashboard-data" type="application/json">')[1].split("</script>")[0]
    )
    assert chart["partners"]["values"] == [3, 2] and chart["partners"]["label"] == "Registrations"


def test_the_home_panel_converts_the_open_pipeline_value(cast, mixed):
    response = cast.a.client("manager").get("/")
    panel = next(p for p in response.context["panels"] if p.template == "deals/panels/deals.html")
    assert panel.context["open_value"] == [Money(Decimal("4700.00"), "USD")]  # approved counts as open here
    assert "$4,700.00" in response.content.decode()
    with cast.a.context():
        FxRate.objects.filter(quote_currency="JPY").delete()
    response = cast.a.client("manager").get("/")
    panel = next(p for p in response.context["panels"] if p.template == "deals/panels/deals.html")
    assert not panel.context["converted"]
    assert panel.context["open_value"] == [
        Money(Decimal("1500.00"), "EUR"),
        Money(Decimal("300000"), "JPY"),
        Money(Decimal("1000.00"), "USD"),
    ]


def test_the_dashboard_runs_the_same_number_of_queries_for_more_registrations(cast, mixed):
    client = cast.a.client("manager")
    client.get(reverse("deals:dashboard"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("deals:dashboard"))
    with cast.a.context():
        for i in range(12):
            _register(cast, "10.00", "EUR", D(2026, 1, 2) + datetime.timedelta(days=i), f"More{i}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("deals:dashboard"))
    assert len(many) == len(few)


def test_pipeline_export_rounds_values_to_each_currency(cast, mixed):
    response = cast.a.client("manager").get(reverse("deals:list"), {"export": "csv"})
    content = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    values = {line.split(",")[4]: line.split(",")[8:10] for line in content[1:]}
    assert values["Delta"] == ["300000", "JPY"] and values["Alpha"] == ["1000.00", "USD"]
