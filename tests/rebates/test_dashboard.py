"""The vendor's rebate dashboard: accrued liability by program and quarter, top earners, program
cost against revenue covered, with a chart; figures against hand-computed values, exports
through prm.exports, roles and partner scope, and a query count that does not grow with rows."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm

from prm.accounts.models import Membership
from prm.finance.models import FxRate
from rebates.services.settlements import settlement_approve, settlement_close
from tests.factories import PartnerFactory
from tests.rebates.helpers import calculate, definition, load, pos

pytestmark = pytest.mark.django_db
URL = "/rebates/reports/"
ROLES = ("admin", "manager", "finance", "marketing", "p1_admin", "p1_user")


def _scene(cast) -> None:
    """Q1-FLAT (USD, 10% of revenue, Q1 2026): P1 1,800 -> 180.00 (150.00 approved before its
    late 300), P2 200 -> 20.00 (approved). H1-UNITS (EUR, 5 per unit, H1 2026, USD lines at
    1 EUR = 1.25 USD): P1 4 units -> 20.00 on 1,440.00 EUR revenue, P2 10 units -> 50.00 on
    640.00 EUR."""
    FxRate.objects.create(
        base_currency="EUR",
        quote_currency="USD",
        rate_date=datetime.date(2026, 1, 1),
        rate=Decimal("1.25"),
        source="ECB",
    )
    p1, p2 = cast.a.partners["p1"], cast.a.partners["p2"]
    pos(p1, [("2026-01-15", 2, "1000"), ("2026-02-15", 1, "500")])
    pos(p2, [("2026-01-20", 4, "200"), ("2026-05-10", 6, "600")])
    flat = load(
        definition(code="Q1-FLAT", name="Flat Q1", method="flat", tiers=[{"from": "0", "rate": "0.1"}])
    )
    settlement = settlement_close(
        program=flat, run=calculate(flat), acting_membership=cast.a.memberships["finance"]
    )
    settlement_approve(settlement=settlement, acting_membership=cast.a.memberships["admin"])
    pos(p1, [("2026-03-10", 1, "300")])  # late: earned rises by 30.00, not yet approved
    calculate(flat)
    units = load(
        definition(
            code="H1-UNITS",
            name="Units H1",
            currency="EUR",
            period={"start": "2026-01-01", "end": "2026-06-30"},
            basis="quantity",
            method="flat",
            tiers=[{"from": "0", "rate": "5"}],
        )
    )
    calculate(units)


def _table(page: str, name: str) -> list[list[str]]:
    body = page.split(f'data-testid="report-{name}"')[1].split("</tbody>")[0].split("<tbody>")[1]
    rows = []
    for tr in body.split("<tr>")[1:]:
        rows.append([cell.split("</td>")[0].strip() for cell in tr.split("<td>")[1:]])
    return rows


def test_figures_match_the_hand_computed_values(cast):
    with cast.a.context():
        _scene(cast)
    page = cast.a.client("finance").get(URL).content.decode()
    assert _table(page, "liability") == [
        ["2026-Q1", "Q1-FLAT", "Flat Q1", "USD", "200.00", "170.00", "30.00"],
        ["2026-Q1", "Total", "", "USD", "200.00", "170.00", "30.00"],
        ["2026-Q2", "H1-UNITS", "Units H1", "EUR", "70.00", "0.00", "70.00"],
        ["2026-Q2", "Total", "", "EUR", "70.00", "0.00", "70.00"],
    ]
    assert _table(page, "earners") == [
        ["1", "D200", "Contoso Supply", "EUR", "1", "50.00", "0.00", "50.00"],
        ["2", "D100", "Northwind Distribution", "EUR", "1", "20.00", "0.00", "20.00"],
        ["1", "D100", "Northwind Distribution", "USD", "1", "180.00", "150.00", "30.00"],
        ["2", "D200", "Contoso Supply", "USD", "1", "20.00", "20.00", "0.00"],
    ]
    assert _table(page, "cost") == [
        ["H1-UNITS", "Units H1", "Flat rate", "POS quantity", "EUR", "2", "2080.00", "70.00", "3.37"],
        ["Q1-FLAT", "Flat Q1", "Flat rate", "POS revenue", "USD", "2", "2000.00", "200.00", "10.00"],
    ]
    assert 'id="rebates-cost-data"' in page and 'id="rebates-cost-chart"' in page
    chart = page.split('id="rebates-cost-data"')[1].split(">", 1)[1].split("</script>")[0]
    assert '"labels": ["H1-UNITS", "Q1-FLAT"]' in chart and '"values": ["3.37", "10.00"]' in chart
    assert "<script>" not in page.replace("<script src", "")  # strict CSP: no inline script


def test_a_quantity_program_without_a_rate_shows_its_revenue_as_unknown(cast):
    with cast.a.context():
        pos(cast.a.partners["p1"], [("2026-01-15", 2, "1000")])  # USD lines, EUR program, no rate
        units = load(
            definition(
                code="EUR-UNITS",
                currency="EUR",
                basis="quantity",
                method="flat",
                tiers=[{"from": "0", "rate": "5"}],
            )
        )
        run = calculate(units)  # paying per unit needs no rate
        assert run.accruals.get().revenue is None and run.total_earned == Decimal("10.00")
    page = cast.a.client("admin").get(URL).content.decode()
    assert _table(page, "cost") == [
        ["EUR-UNITS", "Pump volume rebate Q1", "Flat rate", "POS quantity", "EUR", "1", "", "10.00", ""]
    ]


@pytest.mark.parametrize(("fmt", "marker"), [("csv", b"Q1-FLAT"), ("xlsx", b"PK")])
def test_each_report_exports_through_prm_exports(cast, fmt, marker):
    with cast.a.context():
        _scene(cast)
    for name in ("liability", "earners", "cost"):
        response = cast.a.client("manager").get(URL, {"export": name, "format": fmt})
        assert response.status_code == 200
        assert response["Content-Disposition"] == f'attachment; filename="rebates-{name}.{fmt}"'
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body.startswith(b"\xef\xbb\xbf" if fmt == "csv" else b"PK")
    response = cast.a.client("manager").get(URL, {"export": "liability", "format": fmt})
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert marker in body


def test_a_partner_name_that_looks_like_a_formula_is_escaped_in_the_export(cast):
    with cast.a.context():
        evil = PartnerFactory(code="E1", name="=HYPERLINK(1)")
        pos(evil, [("2026-01-15", 1, "100")])
        calculate(load(definition(method="flat", tiers=[{"from": "0", "rate": "0.1"}])))
    response = cast.a.client("admin").get(URL, {"export": "earners", "format": "csv"})
    assert "'=HYPERLINK(1)" in b"".join(response.streaming_content).decode()


def test_staff_with_the_right_role_see_it_partners_and_marketing_do_not(cast):
    codes = {who: cast.a.client(who).get(URL).status_code for who in ROLES}
    assert codes == {
        "admin": 200,
        "manager": 200,
        "finance": 200,
        "marketing": 403,
        "p1_admin": 403,
        "p1_user": 403,
    }
    nav = cast.a.client("finance").get("/").content.decode()
    assert f'href="{URL}"' in nav
    assert f'href="{URL}"' not in cast.a.client("p1_admin").get("/").content.decode()
    assert cast.a.client("p1_admin").get(URL, {"export": "earners", "format": "csv"}).status_code == 403


def test_a_manager_assigned_to_some_partners_sees_only_their_figures(cast):
    with cast.a.context():
        _scene(cast)
        Membership.objects.filter(pk=cast.a.memberships["manager"].pk).update(assigned_partners_only=True)
        assign_perm("partners.manage_partner", cast.a.users["manager"], cast.a.partners["p1"])
    page = cast.a.client("manager").get(URL).content.decode()
    assert "D200" not in page and "Contoso" not in page
    assert ["2026-Q1", "Q1-FLAT", "Flat Q1", "USD", "180.00", "150.00", "30.00"] in _table(page, "liability")


def _grow(cast, n: int) -> None:
    """``n`` more partners with sales, and ``n`` more programs over them."""
    with cast.a.context():
        for i in range(n):
            partner = PartnerFactory(code=f"G{n}{i:02d}")
            pos(partner, [("2026-01-15", 1 + i, "100")])
        for i in range(n):
            calculate(
                load(definition(code=f"GROW-{n}-{i}", method="flat", tiers=[{"from": "0", "rate": "0.1"}]))
            )


def test_the_page_uses_the_same_number_of_queries_at_two_sizes(cast):
    with cast.a.context():
        _scene(cast)
    counts = []
    for n in (1, 6):
        _grow(cast, n)
        with CaptureQueriesContext(connection) as queries:
            page = cast.a.client("finance").get(URL)
            assert page.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
