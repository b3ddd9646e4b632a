"""Reading the agreement page writes nothing; the partner's copy is made by a POST, once."""

from __future__ import annotations

import pytest

from partners.models import Agreement
from prm.audit.models import AuditEvent
from tests.partners.helpers import program_with_partners

pytestmark = pytest.mark.django_db


def _counts(cast):
    with cast.a.context():
        partner = cast.a.partners["p1"]
        return (
            Agreement.objects.filter(partner=partner).count(),
            AuditEvent.objects.filter(action="agreement.prepare").count(),
        )


def test_the_page_writes_nothing_and_opening_makes_the_copy_once(cast):
    with cast.a.context():
        program_with_partners(cast)
    client = cast.a.client("p1_admin")
    before = _counts(cast)
    page = client.get("/partners/agreement/")
    assert page.status_code == 200
    assert page.context["template"] is not None and page.context["agreement"] is None
    assert b'data-testid="open-agreement"' in page.content
    assert _counts(cast) == before
    response = client.post("/partners/agreement/open/")
    assert response.status_code == 302
    assert _counts(cast) == (before[0] + 1, before[1] + 1)
    client.post("/partners/agreement/open/")  # a second click makes nothing more
    assert _counts(cast) == (before[0] + 1, before[1] + 1)
    page = client.get("/partners/agreement/")
    assert b'data-testid="sign-form"' in page.content


def test_staff_and_other_tenants_cannot_open_a_partner_copy(cast):
    assert cast.a.client("admin").post("/partners/agreement/open/").status_code == 404
