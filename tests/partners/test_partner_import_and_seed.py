"""`import_data --kind partners` keeps working with tier names, and the demo seed step."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from partners.models import Agreement, Certification, Partner, Scorecard
from tests.partners import helpers

pytestmark = pytest.mark.django_db


def test_import_moves_partners_into_the_named_tier(cast, tmp_path):
    with cast.a.context():
        helpers.program_with_partners(cast)
    path = tmp_path / "partners.csv"
    path.write_text(
        "code,name,type,country,region,tier,email\nD100,Northwind Distribution,distributor,us,West,gold,a@b.test\n"
        "N1,New One,reseller,CA,East,Unknown tier,\n"
    )
    out = StringIO()
    call_command("import_data", "--tenant", "acme", "--kind", "partners", str(path), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert (report["created"], report["updated"], report["errors"]) == (1, 1, [])
    with cast.a.context():
        d100 = Partner.objects.get(code="D100")
        assert (d100.tier, d100.current_tier.name) == ("Gold", "Gold")
        n1 = Partner.objects.get(code="N1")
        assert (n1.tier, n1.current_tier) == ("Unknown tier", None)


def test_seed_step_creates_partners_in_every_tier_with_agreements_and_scorecards(cast, settings):
    from partners.seed import DEMO_PARTNERS, seed_partners

    with cast.a.context():
        named = {spec["code"] for spec in DEMO_PARTNERS[cast.a.tenant.slug]}
        missing = named - set(Partner.objects.values_list("code", flat=True))
        seed_partners(cast.a.tenant)
        seed_partners(cast.a.tenant)  # idempotent
        # The cast's two partners, the named demo partners it lacked, and 36 generated ones.
        assert Partner.objects.count() == 2 + len(missing) + 36
        assert named <= set(Partner.objects.values_list("code", flat=True))
        assert set(Partner.objects.values_list("tier", flat=True)) >= {
            "Registered",
            "Silver",
            "Gold",
            "Platinum",
        }
        assert Agreement.objects.filter(status="signed").count() >= 20
        assert Scorecard.objects.filter(partner__code="S101").count() == 12
        assert Certification.objects.filter(status="valid").exists()
