"""Payout details: encrypted at rest, shown masked, audited with masked values, finance notified."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from partners.models import PayoutDetails
from partners.services.onboarding import iban_is_valid, payout_details_update
from prm.audit.models import AuditEvent
from prm.notifications.models import Notification
from prm.workflow import DomainError

pytestmark = pytest.mark.django_db
IBAN = "DE89 3704 0044 0532 0130 00"


def _update(cast, **overrides):
    kwargs = {
        "partner": cast.a.partners["p1"],
        "acting_membership": cast.a.memberships["p1_admin"],
        "account_holder": "Northwind GmbH",
        "account_number": IBAN,
        "bank_code": "COBADEFFXXX",
        "tax_id": "DE123456789",
    }
    kwargs.update(overrides)
    return payout_details_update(**kwargs)


def test_raw_database_values_are_not_the_plaintext(cast):
    with cast.a.context():
        details = _update(cast)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT account_holder, account_number, tax_id FROM partners_payoutdetails WHERE id = %s",
                [details.pk],
            )
            raw = cursor.fetchone()
        assert (
            "Northwind" not in raw[0]
            and "DE89370400440532013000" not in raw[1]
            and "DE123456789" not in raw[2]
        )
        fresh = PayoutDetails.objects.get(pk=details.pk)
        assert (fresh.account_holder, fresh.account_number, fresh.tax_id) == (
            "Northwind GmbH",
            "DE89370400440532013000",
            "DE123456789",
        )


def test_change_is_audited_masked_and_finance_is_notified(cast):
    with cast.a.context():
        _update(cast)
        _update(cast, account_number="GB82 WEST 1234 5698 7654 32")
        events = list(AuditEvent.objects.filter(action="payout_details.update").order_by("id"))
        assert len(events) == 2
        assert (
            events[1].before["account_number"] == "•••• 3000"
            and events[1].after["account_number"] == "•••• 5432"
        )
        assert all("DE89370400440532013000" not in str(e.after) + str(e.before) for e in events)
        assert (
            Notification.objects.filter(
                recipient=cast.a.users["finance"], verb="payout_details.changed"
            ).count()
            == 2
        )


def test_invalid_iban_is_refused_and_nothing_is_written(cast):
    assert iban_is_valid(IBAN) and not iban_is_valid("DE89 3704 0044 0532 0130 01")
    with cast.a.context():
        events = AuditEvent.objects.count()
        with pytest.raises(DomainError):
            _update(cast, account_number="DE89 3704 0044 0532 0130 01")
        assert not PayoutDetails.objects.exists() and AuditEvent.objects.count() == events


def test_only_the_partners_admin_enters_payout_details(cast):
    with cast.a.context():
        for who in ("p1_user", "p2_admin", "finance", "admin"):
            with pytest.raises(PermissionDenied):
                _update(cast, acting_membership=cast.a.memberships[who])
        assert not PayoutDetails.objects.exists()


def test_payout_page_shows_masked_values_to_finance(cast):
    with cast.a.context():
        _update(cast)
    body = cast.a.client("finance").get(f"/partners/{cast.a.partners['p1'].pk}/payout/").content.decode()
    assert "•••• 3000" in body and "DE89370400440532013000" not in body and "DE123456789" not in body
    assert cast.a.client("p1_user").get(f"/partners/{cast.a.partners['p1'].pk}/payout/").status_code == 403
    assert (
        cast.a.client("finance").post(f"/partners/{cast.a.partners['p1'].pk}/payout/", {}).status_code == 403
    )
