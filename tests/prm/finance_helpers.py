"""Helpers of the finance tests: a payable source kind registered by the test itself (as claims,
rebates and funds will from their apps), and a way to create payables for it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from prm.finance.registry import register_payable_source, unregister_payable_source
from prm.finance.services import payable_create

SOURCE = "test_claim_line"


@pytest.fixture
def fake_source():
    register_payable_source(
        SOURCE, label="Test claim line", url=lambda source_id: f"/test-claims/lines/{source_id}/"
    )
    yield SOURCE
    unregister_payable_source(SOURCE)


def make_payable(
    side, partner_key="p1", source_id="1", amount="100.00", currency="USD", source_type=SOURCE, **kwargs
):
    """Create a payable for ``side``'s partner inside its tenant context; (payable, created)."""
    with side.context():
        return payable_create(
            source_type=source_type,
            source_id=source_id,
            partner=side.partners[partner_key],
            amount=Decimal(amount),
            currency=currency,
            due_date=kwargs.pop("due_date", datetime.date(2026, 12, 31)),
            **kwargs,
        )


def payout_details(side, partner_key="p1", *, verified=True):
    """Payout details for ``side``'s partner, verified by finance unless ``verified`` is False."""
    from django.utils import timezone

    from partners.models import PayoutDetails

    with side.context():
        return PayoutDetails.objects.create(
            partner=side.partners[partner_key],
            account_holder=f"{side.partners[partner_key].name} Ltd",
            account_number="DE89370400440532013000",
            bank_code="COBADEFFXXX",
            tax_id="DE123456789",
            updated_by=side.users["admin"],
            verified_by=side.users["finance"] if verified else None,
            verified_at=timezone.now() if verified else None,
        )


def second_finance(side, key="finance2"):
    """A second finance user (the checker of maker-checker), enrolled in MFA like the first."""
    from prm.roles import Role
    from tests.conftest import _member

    if key not in side.users:
        with side.context():
            _member(side, key, Role.FINANCE)
    return side.memberships[key]
