"""Conflict detection on a table of name / domain / country / product-line cases."""

from __future__ import annotations

import pytest

from deals.models import Conflict, DealRegistration, DealSettings
from deals.services.opportunities import direct_opportunity_create
from deals.services.review import registration_reject
from tests.deals.helpers import register
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

CASES = [
    # (first name, first domain, first country), (second ...), expected (kind, rule) or None
    (("Acme Inc.", "acme.com", "US"), ("ACME Incorporated", "", "US"), ("exact", "name")),
    (("Société Générale S.A.", "", "FR"), ("Societe Generale", "", "FR"), ("exact", "name")),
    (("Müller GmbH", "", "DE"), ("Muller", "", "DE"), ("exact", "name")),
    (("Acme Inc.", "acme.com", "US"), ("Acme Widgets Worldwide", "www.ACME.com", "US"), ("exact", "domain")),
    (
        ("Acme Inc.", "acme.com", "US"),
        ("Acme, Corp.", "https://acme.com/", "US"),
        ("exact", "name_and_domain"),
    ),
    (("Acme Inc.", "acme.com", "US"), ("Acme Inc.", "acme.com", "CA"), None),
    (("Acme", "", "US"), ("Acme Holdings Europe", "", "US"), ("near", "parent_subsidiary")),
    (("Northwind Traders", "", "US"), ("Northwind Trader", "", "US"), ("near", "similar_name")),
    (("Acme Inc.", "", "US"), ("Globex Corp", "", "US"), None),
]


@pytest.mark.parametrize(("first", "second", "expected"), CASES)
def test_second_registration_is_matched_by_the_rules(cast, first, second, expected):
    with cast.a.context():
        register(cast, "p1_user", first[0], domain=first[1], country=first[2])
        later = register(cast, "p2_user", second[0], domain=second[1], country=second[2])
        found = [(c.kind, c.rule) for c in Conflict.objects.filter(registration=later)]
        if expected is None:
            assert found == []
            assert later.conflict_flag == DealRegistration.ConflictFlag.NONE
        else:
            assert found == [expected]
            assert later.conflict_flag == expected[0]


def test_second_registration_for_same_customer_is_flagged_as_conflict(cast):
    with cast.a.context():
        first = register(cast, "p1_user", "Acme Inc.")
        second = register(cast, "p2_user", "ACME, Inc.")
        conflict = Conflict.objects.get(registration=second)
        assert conflict.other_registration_id == first.pk
        assert conflict.score == 1
        assert conflict.product_lines == ["pumps"]
        first.refresh_from_db()
        assert first.conflict_flag == DealRegistration.ConflictFlag.NONE


def test_no_conflict_without_an_overlapping_product_line(cast):
    with cast.a.context():
        ProductFactory(sku="VLV-1", category="valves")
        register(cast, "p1_user", "Acme Inc.", lines=(("pumps", 1, "100"),))
        second = register(cast, "p2_user", "Acme Inc.", lines=(("valves", 1, "100"),))
        assert second.conflict_flag == DealRegistration.ConflictFlag.NONE


def test_same_partner_registering_twice_is_not_a_conflict(cast):
    with cast.a.context():
        register(cast, "p1_user", "Acme Inc.")
        again = register(cast, "p1_admin", "Acme Inc.")
        assert again.conflict_flag == DealRegistration.ConflictFlag.NONE


def test_drafts_reserve_nothing(cast):
    with cast.a.context():
        register(cast, "p1_user", "Acme Inc.", submit=False)
        second = register(cast, "p2_user", "Acme Inc.")
        assert second.conflict_flag == DealRegistration.ConflictFlag.NONE


def test_rejected_registrations_are_not_active_and_do_not_conflict(cast):
    with cast.a.context():
        first = register(cast, "p1_user", "Acme Inc.")
        registration_reject(
            registration=first, acting_membership=cast.a.memberships["manager"], code="other", reason="No"
        )
        second = register(cast, "p2_user", "Acme Inc.")
        assert second.conflict_flag == DealRegistration.ConflictFlag.NONE


def test_earlier_direct_opportunity_conflicts(cast):
    with cast.a.context():
        opportunity = direct_opportunity_create(
            acting_membership=cast.a.memberships["manager"],
            data={
                "reference": "OPP-1",
                "customer_name": "Acme Incorporated",
                "customer_domain": "acme.com",
                "country": "US",
                "product_lines": ["pumps"],
                "value": "5000",
            },
        )
        registration = register(cast, "p1_user", "Acme Inc.")
        conflict = Conflict.objects.get(registration=registration)
        assert conflict.direct_opportunity_id == opportunity.pk
        assert conflict.kind == Conflict.Kind.EXACT


def test_near_match_threshold_is_a_tenant_setting(cast):
    with cast.a.context():
        DealSettings.objects.update_or_create(tenant=cast.a.tenant, defaults={"fuzzy_threshold": "0.95"})
        register(cast, "p1_user", "Northwind Traders", domain="")
        second = register(cast, "p2_user", "Northwind Trader", domain="")
        assert second.conflict_flag == DealRegistration.ConflictFlag.NONE
