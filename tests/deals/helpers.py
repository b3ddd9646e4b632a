"""Builders for deals tests (call inside the tenant context)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from deals.services.drafts import registration_create
from deals.services.submission import registration_submit


def customer_data(name: str = "Acme Inc.", *, domain: str = "acme.com", country: str = "US") -> dict:
    return {
        "customer_name": name,
        "customer_domain": domain,
        "country": country,
        "address": "1 Main Street",
        "contact_name": "Pat Buyer",
        "contact_email": "pat@customer.test",
        "currency": "USD",
        "expected_close_date": timezone.localdate() + timedelta(days=30),
        "deal_type": "new",
    }


def register(
    cast,
    who: str = "p1_user",
    name: str = "Acme Inc.",
    *,
    domain: str = "acme.com",
    country: str = "US",
    lines=(("pumps", 2, "1000.00"),),
    submit: bool = True,
):
    membership = cast.a.memberships[who]
    registration = registration_create(
        acting_membership=membership,
        data=customer_data(name, domain=domain, country=country),
        lines=[{"product_line": pl, "quantity": q, "value": Decimal(v)} for pl, q, v in lines],
    )
    if submit:
        registration = registration_submit(registration=registration, acting_membership=membership)
    return registration
