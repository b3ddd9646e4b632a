"""A registration's page shows its own history (its events, its extension requests' and files')
to the vendor's staff; a partner's people do not see the audit trail."""

from __future__ import annotations

import pytest

from deals.models import DealExtension
from prm.audit.services import audit
from tests.deals.helpers import register

pytestmark = pytest.mark.django_db


def test_staff_see_the_registrations_own_history(cast):
    with cast.a.context():
        mine = register(cast, "p1_user", "Acme Inc.")
        other = register(cast, "p2_user", "Other Corp", domain="other.com")
        extension = DealExtension.objects.create(
            registration=mine, requested_by=cast.a.users["p1_user"], reason="more time", days=30
        )
        audit(actor=cast.a.users["p1_user"], action="deal.extension_request", obj=extension)
        audit(actor=cast.a.users["manager"], action="deal.note_only_on_other", obj=other)
    html = cast.a.client("manager").get(f"/deals/{mine.pk}/").content.decode()
    history = html.split('data-testid="registration-history"')[1].split("</section>")[0]
    assert "deal.submit" in history  # recorded by the submission service
    assert "deal.extension_request" in history
    assert "deal.note_only_on_other" not in history


def test_the_partner_sees_no_audit_trail(cast):
    with cast.a.context():
        mine = register(cast, "p1_user", "Acme Inc.")
    html = cast.a.client("p1_user").get(f"/deals/{mine.pk}/").content.decode()
    assert 'data-testid="registration-history"' not in html
