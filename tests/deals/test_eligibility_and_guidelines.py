"""Registration guidelines (rich text, sanitised with nh3) set in the deal settings and shown on the
partner's registration form; deal eligibility rules (minimum value, product lines, countries)
checked at submission with a message naming the rule."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from deals.models import DealRegistration, DealSettings
from deals.services.drafts import registration_create
from deals.services.review import registration_approve
from deals.services.submission import registration_add_lines, registration_submit
from prm.audit.models import AuditEvent
from prm.finance.models import FxRate
from prm.lib.html import sanitize_html
from prm.workflow import DomainError
from tests.deals.helpers import customer_data, register
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

HOSTILE = (
    '<p onclick="steal()">Register <b style="color:red">within 30 days</b> of first contact.'
    '<script>alert(1)</script><img src=x onerror="alert(2)"><iframe src="https://evil.example"></iframe>'
    ' <a href="javascript:alert(3)">bad</a> <a href="https://acme.example/rules">rules</a></p>'
    "<ul><li>Named contact</li></ul>"
)


@pytest.fixture
def rules(cast):
    """Minimum 5,000 USD, pumps and valves only, customers in the US and Canada."""
    with cast.a.context():
        ProductFactory(sku="VLV-1", category="valves", currency="USD")
        ProductFactory(sku="HTR-1", category="heaters", currency="USD")
        settings = DealSettings.current()
        settings.min_deal_value = Decimal("5000")
        settings.eligible_product_lines = ["pumps", "valves"]
        settings.eligible_countries = ["US", "CA"]
        settings.save()
    return cast


def _draft(cast, *, country="US", currency="USD", lines=(("pumps", 2, "6000.00"),), who="p1_user"):
    data = {**customer_data("Eligible Inc.", domain="eligible.test", country=country), "currency": currency}
    return registration_create(
        acting_membership=cast.a.memberships[who],
        data=data,
        lines=[{"product_line": pl, "quantity": q, "value": Decimal(v)} for pl, q, v in lines],
    )


def _refusal(cast, registration) -> str:
    with pytest.raises(DomainError) as caught:
        registration_submit(registration=registration, acting_membership=cast.a.memberships["p1_user"])
    registration.refresh_from_db()
    assert registration.status == DealRegistration.Status.DRAFT and registration.submitted_at is None
    assert not AuditEvent.objects.filter(action="deal.submit", object_id=str(registration.pk)).exists()
    return str(caught.value)


def test_a_registration_within_every_rule_is_submitted(rules):
    with rules.a.context():
        registration = _draft(rules, country="CA", lines=(("pumps", 1, "3000.00"), ("valves", 1, "2000.00")))
        submitted = registration_submit(
            registration=registration, acting_membership=rules.a.memberships["p1_user"]
        )
    assert submitted.status == DealRegistration.Status.SUBMITTED


def test_a_value_below_the_minimum_is_refused_naming_the_rule(rules):
    with rules.a.context():
        message = _refusal(rules, _draft(rules, lines=(("pumps", 1, "4999.99"),)))
    assert message == (
        "Not eligible for registration: The deal value 4999.99 USD is below the minimum of 5000.00 USD "
        "(rule: minimum deal value)."
    )


def test_a_value_in_another_currency_is_converted_at_the_days_rate(rules):
    today = timezone.localdate()
    with rules.a.context():
        FxRate.objects.create(
            base_currency="EUR",
            quote_currency="USD",
            rate_date=today - timedelta(days=3),
            rate=Decimal("1.10"),
        )
        enough = _draft(rules, currency="EUR", lines=(("pumps", 1, "4600.00"),))  # 5,060 USD
        registration_submit(registration=enough, acting_membership=rules.a.memberships["p1_user"])
        short = _draft(rules, currency="EUR", lines=(("pumps", 1, "4500.00"),))  # 4,950 USD
        message = _refusal(rules, short)
    assert "The deal value 4500.00 EUR (4950.00 USD) is below the minimum of 5000.00 USD" in message


def test_without_an_exchange_rate_the_minimum_cannot_be_checked_and_the_registration_waits(rules):
    with rules.a.context():
        message = _refusal(rules, _draft(rules, currency="GBP", lines=(("pumps", 1, "9000.00"),)))
    assert (
        "The minimum deal value of 5000.00 USD cannot be checked: No exchange rate from GBP to USD" in message
    )


def test_a_product_line_outside_the_eligible_ones_is_refused_naming_the_rule(rules):
    with rules.a.context():
        message = _refusal(rules, _draft(rules, lines=(("pumps", 1, "6000.00"), ("heaters", 1, "100.00"))))
    assert "heaters cannot be registered (rule: eligible product lines — pumps, valves)." in message


def test_a_customer_in_another_country_is_refused_naming_the_rule(rules):
    with rules.a.context():
        message = _refusal(rules, _draft(rules, country="FR"))
    assert "Customers in FR cannot be registered (rule: eligible customer countries — US, CA)." in message


def test_every_broken_rule_is_named_at_once(rules):
    with rules.a.context():
        message = _refusal(rules, _draft(rules, country="FR", lines=(("heaters", 1, "10.00"),)))
    assert "minimum deal value" in message and "eligible product lines" in message
    assert "eligible customer countries" in message


def test_without_rules_anything_complete_is_submitted(cast):
    with cast.a.context():
        registration = register(
            cast, "p1_user", "Tiny Deal", domain="tiny.test", country="FR", lines=(("pumps", 1, "1.00"),)
        )
    assert registration.status == DealRegistration.Status.SUBMITTED


def test_lines_added_after_approval_must_be_eligible_too(rules):
    with rules.a.context():
        registration = registration_submit(
            registration=_draft(rules), acting_membership=rules.a.memberships["p1_user"]
        )
        registration_approve(registration=registration, acting_membership=rules.a.memberships["manager"])
        with pytest.raises(DomainError, match="heaters cannot be registered"):
            registration_add_lines(
                registration=registration,
                acting_membership=rules.a.memberships["p1_user"],
                lines=[{"product_line": "heaters", "quantity": 1, "value": Decimal("10")}],
            )
        assert registration.lines.count() == 1


def test_submitting_through_the_form_shows_the_rule_and_keeps_the_draft(rules):
    client = rules.a.client("p1_user")
    data = {
        "customer_name": "Formco SARL",
        "customer_domain": "formco.fr",
        "country": "fr",
        "address": "Rue 1",
        "contact_name": "Ann",
        "contact_email": "ann@formco.fr",
        "currency": "USD",
        "expected_close_date": (timezone.localdate() + timedelta(days=20)).isoformat(),
        "deal_type": "new",
        "competitors": "",
        "notes": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product_line": "pumps",
        "lines-0-quantity": "3",
        "lines-0-value": "9000",
        "action": "submit",
    }
    response = client.post(reverse("deals:new"), data, follow=True)
    with rules.a.context():
        registration = DealRegistration.objects.get(customer_name="Formco SARL")
    assert registration.status == DealRegistration.Status.DRAFT
    assert response.redirect_chain[-1][0] == reverse("deals:edit", args=[registration.pk])
    assert "Customers in FR cannot be registered (rule: eligible customer countries — US, CA)." in (
        response.content.decode()
    )


def test_vendor_admin_sets_guidelines_and_rules_sanitised_and_audited(cast):
    with cast.a.context():
        ProductFactory(sku="VLV-1", category="valves", currency="USD")
        current = DealSettings.current()
    form = cast.a.client("admin").get(reverse("deals:settings")).context["form"]
    data = {name: form.initial.get(name) for name in form.fields if form.initial.get(name) is not None}
    data.update(
        registration_guidelines=HOSTILE,
        min_deal_value="2500.50",
        eligible_product_lines=["valves"],
        eligible_countries="us, ca, US",
    )
    response = cast.a.client("admin").post(reverse("deals:settings"), data)
    assert response.status_code == 302, response.context["form"].errors
    with cast.a.context():
        stored = DealSettings.objects.get(pk=current.pk)
        event = AuditEvent.objects.filter(action="deal_settings.update").latest("pk")
    assert stored.min_deal_value == Decimal("2500.50")
    assert stored.eligible_product_lines == ["valves"] and stored.eligible_countries == ["US", "CA"]
    for gone in ("<script", "onclick", "onerror", "style=", "<iframe", "javascript:", "<img"):
        assert gone not in stored.registration_guidelines, gone
    assert "<b>within 30 days</b>" in stored.registration_guidelines
    assert '<a href="https://acme.example/rules" rel="noopener noreferrer nofollow">rules</a>' in (
        stored.registration_guidelines
    )
    assert event.after["registration_guidelines"] == stored.registration_guidelines
    assert event.after["eligible_countries"] == ["US", "CA"] and event.before["eligible_countries"] == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("eligible_countries", "US, XX, Germany", "Not an ISO country code: XX, GERMANY."),
        ("min_deal_value", "10.005", "USD amounts take at most 2 decimals."),
        ("min_deal_value", "-1", "Ensure this value is greater than or equal to 0."),
    ],
)
def test_bad_rules_are_refused_next_to_their_field(cast, field, value, message):
    form = cast.a.client("admin").get(reverse("deals:settings")).context["form"]
    data = {name: form.initial.get(name) for name in form.fields if form.initial.get(name) is not None}
    data[field] = value
    response = cast.a.client("admin").post(reverse("deals:settings"), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])


def test_the_partners_registration_form_shows_the_guidelines_and_rules(rules):
    with rules.a.context():
        DealSettings.objects.update(registration_guidelines=sanitize_html(HOSTILE))
    body = rules.a.client("p1_user").get(reverse("deals:new")).content.decode()
    assert 'data-testid="registration-guidelines"' in body
    assert "<b>within 30 days</b>" in body and "<li>Named contact</li>" in body
    rules_text = body.split('data-testid="eligibility-rules"', 1)[1].split("</ul>", 1)[0]
    assert "$5,000.00" in rules_text and "pumps, valves" in rules_text and "US, CA" in rules_text
    with rules.a.context():
        draft = _draft(rules)
    assert (
        'data-testid="registration-guidelines"'
        in rules.a.client("p1_user").get(reverse("deals:edit", args=[draft.pk])).content.decode()
    )


def test_guidelines_are_sanitised_again_when_shown_whatever_was_stored(cast):
    with cast.a.context():
        DealSettings.current()
        DealSettings.objects.update(registration_guidelines=HOSTILE)  # written around the service
    body = cast.a.client("p1_user").get(reverse("deals:new")).content.decode()
    guidelines = body.split('data-testid="guidelines-text"', 1)[1].split("</div>", 1)[0]
    assert "<script" not in guidelines and "onclick" not in guidelines and "javascript:" not in guidelines
    assert "within 30 days" in guidelines


def test_no_guidelines_and_no_rules_show_no_box(cast):
    body = cast.a.client("p1_user").get(reverse("deals:new")).content.decode()
    assert 'data-testid="registration-guidelines"' not in body
