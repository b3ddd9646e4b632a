"""Deal registrations and leads from a funded activity are linked to it (its return): the partner
links its own through the request's page, once each; another partner's is not found, and the
service refuses it even to staff; only an approved (or completed) activity has a return. Each
fund's page shows the return of its own activities only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from deals.models import Lead
from deals.services.review import registration_approve
from funds.models import ActivityLink
from funds.services.requests import activity_link
from prm.audit.models import AuditEvent
from prm.workflow import DomainError
from tests.deals.helpers import register
from tests.funds.helpers import allocate, approved, fund, period, request, tiers

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(cast):
    """P1's approved event request (fund MDF-26), P1's and P2's deal registrations, P1's lead."""
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        allocate(cast, period(cast, f), "10000.00")
        return {
            "fund": f,
            "request": approved(cast, f),
            "mine": register(cast, "p1_user", "Hooli Water", domain="hooli.example"),
            "theirs": register(cast, "p2_user", "Initrode Works", domain="initrode.example"),
            "lead": Lead.objects.create(
                company="Lead Co",
                country="US",
                product_interest="pumps",
                currency="USD",
                partner=cast.a.partners["p1"],
            ),
        }


def _link(cast, activity, **data):
    url = reverse("funds:request_link", args=[activity["request"].pk])
    return cast.a.client("p1_admin").post(url, data, follow=True).content.decode()


def test_the_partner_links_its_registration_and_lead_once_each(cast, activity):
    assert "Linked to" in _link(cast, activity, registration=activity["mine"].pk)
    assert "Linked to" in _link(cast, activity, lead=activity["lead"].pk)
    assert "already linked" in _link(cast, activity, registration=activity["mine"].pk)
    with cast.a.context():
        links = ActivityLink.objects.filter(request=activity["request"])
        assert {(link.registration_id, link.lead_id) for link in links} == {
            (activity["mine"].pk, None),
            (None, activity["lead"].pk),
        }
        assert AuditEvent.objects.filter(action="fund_request.link").count() == 2


def test_another_partners_registration_is_not_found_and_the_service_refuses_it_to_staff(cast, activity):
    assert "No such registration or lead of yours" in _link(
        cast, activity, registration=activity["theirs"].pk
    )
    with cast.a.context():
        with pytest.raises(DomainError, match="partner's own"):
            activity_link(
                request=activity["request"],
                acting_membership=cast.a.memberships["admin"],
                registration=activity["theirs"],
            )
        assert not ActivityLink.objects.exists()


def test_only_an_approved_activity_has_a_return(cast, activity):
    with cast.a.context():
        pending = request(cast, activity["fund"], title="Later roadshow")
        with pytest.raises(DomainError, match="approved activities"):
            activity_link(
                request=pending,
                acting_membership=cast.a.memberships["p1_admin"],
                registration=activity["mine"],
            )
        assert not ActivityLink.objects.exists()


def test_each_funds_page_shows_the_return_of_its_own_activities(cast, activity):
    with cast.a.context():
        other = fund(cast, "MDF-OTHER")
        registration_approve(registration=activity["mine"], acting_membership=cast.a.memberships["admin"])
        activity_link(
            request=activity["request"],
            acting_membership=cast.a.memberships["admin"],
            registration=activity["mine"],
        )
    client = cast.a.client("marketing")
    own = client.get(reverse("funds:fund_detail", args=[activity["fund"].pk])).context["report"]
    elsewhere = client.get(reverse("funds:fund_detail", args=[other.pk])).context["report"]
    # register(): one line of "pumps" worth 1,000.00; nothing claimed yet (no ratio).
    assert own.rows[0][:4] == ["Event", "0.00", "1000.00", "0.00"]
    assert elsewhere.rows[0][:4] == ["Event", "0.00", "0.00", "0.00"]
