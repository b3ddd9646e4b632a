"""Direct opportunities and leads imported from CSV through the shared import machinery."""

from __future__ import annotations

import contextlib
import json
from io import StringIO

import pytest
from django.core.management import call_command

from deals.models import DealRegistration, DirectOpportunity, Lead
from tests.deals.helpers import register

pytestmark = pytest.mark.django_db


def _import(cast, tmp_path, kind: str, text: str) -> dict:
    path = tmp_path / f"{kind}.csv"
    path.write_text(text, encoding="utf-8")
    out = StringIO()
    with contextlib.suppress(SystemExit):
        call_command("import_data", "--tenant", "acme", "--kind", kind, str(path), "--json", stdout=out)
    return json.loads(out.getvalue())


def test_direct_opportunities_import_and_then_conflict_with_registrations(cast, tmp_path):
    report = _import(
        cast,
        tmp_path,
        "direct_opportunities",
        "reference,customer_name,customer_domain,country,product_lines,value,currency,expected_close_date\n"
        "OPP-1,Acme Incorporated,https://acme.com,us,pumps; valves,5000,usd,2027-01-31\n",
    )
    assert report["created"] == 1 and report["errors"] == []
    with cast.a.context():
        opportunity = DirectOpportunity.objects.get(reference="OPP-1")
        assert (opportunity.customer_name_normalised, opportunity.customer_domain, opportunity.country) == (
            "acme",
            "acme.com",
            "US",
        )
        assert opportunity.product_lines == ["pumps", "valves"]
        registration = register(cast)
        assert registration.conflict_flag == DealRegistration.ConflictFlag.EXACT


def test_invalid_rows_import_nothing_and_report_line_and_column(cast, tmp_path):
    report = _import(
        cast,
        tmp_path,
        "direct_opportunities",
        "reference,customer_name,country,product_lines,value\nOPP-1,Good,US,pumps,1\nOPP-2,Bad,USA,,x\n",
    )
    assert report["created"] == 0
    columns = {(e["line"], e["column"]) for e in report["errors"]}
    assert {(3, "country"), (3, "product_lines"), (3, "value")} <= columns
    with cast.a.context():
        assert not DirectOpportunity.objects.exists()


def test_leads_import_into_the_vendor_queue(cast, tmp_path):
    report = _import(
        cast,
        tmp_path,
        "leads",
        "reference,company,country,region,product_interest,value\nW-1,Prospect Co,us,West,pumps,1200\n",
    )
    assert report["created"] == 1
    with cast.a.context():
        lead = Lead.objects.get(reference="W-1")
        assert lead.status == Lead.Status.NEW and lead.country == "US" and lead.currency == "USD"


def test_a_lead_file_sets_postal_code_and_industry_and_one_without_them_keeps_them(cast, tmp_path):
    header = "reference,company,country,product_interest"
    _import(
        cast,
        tmp_path,
        "leads",
        f"{header},postal_code,industry\nW-2,Prospect Co,us,pumps, 94105 ,Healthcare\n",
    )
    report = _import(cast, tmp_path, "leads", f"{header}\nW-2,Prospect Company,us,pumps\n")
    assert report["updated"] == 1 and report["errors"] == []
    with cast.a.context():
        lead = Lead.objects.get(reference="W-2")
        assert (lead.company, lead.postal_code, lead.industry) == ("Prospect Company", "94105", "Healthcare")


def test_a_postal_code_too_long_names_its_line_and_column_and_imports_nothing(cast, tmp_path):
    report = _import(
        cast,
        tmp_path,
        "leads",
        "reference,company,country,product_interest,postal_code\n"
        "W-3,Fine Co,us,pumps,94105\n"
        f"W-4,Long Co,us,pumps,{'9' * 21}\n",
    )
    assert report["created"] == 0
    assert [(e["line"], e["column"]) for e in report["errors"]] == [(3, "postal_code")]
    with cast.a.context():
        assert not Lead.objects.filter(reference__in=["W-3", "W-4"]).exists()
