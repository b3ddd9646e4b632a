"""POS reports: sell-through % per partner, SKU and month from inventory activity (DOMAIN.md's
definition, stated on the page), the period against the one before, slow movers, CSV/XLSX export
of every table, query counts at two sizes, and who sees what."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from prm.finance.models import FxRate
from tests.posdata.helpers import snapshots
from tests.rebates.helpers import pos

pytestmark = pytest.mark.django_db
D = datetime.date
PERIOD = "date_from=2026-01-01&date_to=2026-02-28"


@pytest.fixture
def activity(cast, catalog):
    """Inventory activity, hand-counted below: P1 pumps 100 received / 50 sold in January,
    50 / 45 in February; P1 valves 40 / 10 in January; P2 pumps 10 / 10 in January."""
    pump, valve = catalog["pump"], catalog["valve"]
    with cast.a.context():
        snapshots(
            cast.a.partners["p1"],
            [
                (D(2026, 1, 9), pump, 70, 100, 30),
                (D(2026, 1, 23), pump, 50, 0, 20),
                (D(2026, 2, 6), pump, 55, 50, 45),
                (D(2026, 1, 16), valve, 30, 40, 10),
            ],
        )
        snapshots(cast.a.partners["p2"], [(D(2026, 1, 9), pump, 0, 10, 10)])
    return catalog


def _cells(html: str, testid: str) -> list[list[str]]:
    """The body rows of the table (or row) marked ``testid``, as the text of each cell."""
    part = html.split(f'data-testid="{testid}"')[1].split("</table>")[0].split("</tbody>")[0]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", part + "</tr>", flags=re.S):
        cells = [
            " ".join(re.sub(r"<[^>]+>", " ", c).split())
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        if cells:
            rows.append(cells)
    return rows


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def _xlsx(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_sell_through_is_units_sold_over_units_received_per_partner_sku_and_month(cast, activity):
    html = cast.a.client("manager").get(f"/pos/?{PERIOD}").content.decode()
    assert "units sold / units received in the period" in html  # the definition is on the page
    assert [[c[0], c[1].split()[0], *c[2:]] for c in _cells(html, "sell-through-table")] == [
        ["D100", "PMP-100", "2026-01", "100", "50", "50.0 %"],
        ["D100", "PMP-100", "2026-02", "50", "45", "90.0 %"],
        ["D100", "VLV-010", "2026-01", "40", "10", "25.0 %"],
        ["D200", "PMP-100", "2026-01", "10", "10", "100.0 %"],
    ]
    total = re.search(r'data-testid="sell-through-total">([^<]*)<', html).group(1)
    assert total.strip() == "57.5 %"  # 115 sold / 200 received


def test_a_partner_sees_its_own_sell_through_only(cast, activity):
    html = cast.a.client("p1_user").get(f"/pos/?{PERIOD}").content.decode()
    table = html.split('data-testid="sell-through-table"')[1].split("</table>")[0]
    assert "D100" in table and "D200" not in table
    rows = _csv(cast.a.client("p1_user").get(f"/pos/?{PERIOD}&export=sell_through&format=csv"))
    assert {row[0] for row in rows[1:]} == {"D100"}


def test_sell_through_export_holds_every_row_in_csv_and_xlsx(cast, activity):
    client = cast.a.client("manager")
    rows = _csv(client.get(f"/pos/?{PERIOD}&export=sell_through&format=csv"))
    assert rows[0] == [
        "Partner",
        "Partner name",
        "SKU",
        "Product",
        "Month",
        "Units received",
        "Units sold",
        "Sell-through %",
    ]
    assert [r[0] + r[2] + r[4] + "=" + r[7] for r in rows[1:]] == [
        "D100PMP-1002026-01=50.0",
        "D100PMP-1002026-02=90.0",
        "D100VLV-0102026-01=25.0",
        "D200PMP-1002026-01=100.0",
    ]
    sheet = _xlsx(client.get(f"/pos/?{PERIOD}&export=sell_through&format=xlsx"))
    assert sheet[1][:2] == ["D100", "Northwind Distribution"] and len(sheet) == 5


def test_exports_escape_text_a_spreadsheet_would_run(cast, activity):
    with cast.a.context():
        activity["valve"].name = "=HYPERLINK(1)"
        activity["valve"].save()
    rows = _csv(cast.a.client("manager").get(f"/pos/?{PERIOD}&export=sell_through&format=csv"))
    assert "'=HYPERLINK(1)" in [r[3] for r in rows]


def test_period_against_the_one_before_per_partner_and_in_total(cast, activity):
    p1 = cast.a.partners["p1"]
    with cast.a.context():
        FxRate.objects.create(
            base_currency="EUR",
            quote_currency="USD",
            rate_date=D(2026, 2, 1),
            rate=Decimal("1.10"),
            source="test",
        )
        # February (this period): 300.00 USD and 100.00 EUR (= 110.00 USD); 4 units.
        pos(p1, [(D(2026, 2, 3), 3, "300.00"), (D(2026, 2, 10), 1, "100.00", "EUR")])
        # The month before (January, whole months): 1,100.00 USD, 11 units; December is outside both.
        pos(p1, [(D(2026, 1, 20), 2, "200.00"), (D(2026, 1, 3), 9, "900.00"), (D(2025, 12, 31), 5, "500.00")])
    client = cast.a.client("manager")
    html = client.get("/pos/?date_from=2026-02-01&date_to=2026-02-28").content.decode()
    row = next(r for r in _cells(html, "comparison-table") if r[0].startswith("D100"))
    assert row[1:] == [
        "$410.00",  # revenue: 300.00 USD + 100.00 EUR at 1.10
        "$1,100.00",  # before
        "-62.7 %",
        "4",  # net units
        "11",
        "-63.6 %",
        "90.0 %",  # sell-through: 45 / 50 in February
        "42.9 %",  # 60 / 140 (pumps and valves) in January
        "47.1",  # points
    ]
    rows = _csv(client.get("/pos/?date_from=2026-02-01&date_to=2026-02-28&export=comparison&format=csv"))
    assert rows[0][:5] == [
        "Partner",
        "Partner name",
        "Revenue",
        "Revenue, previous period",
        "Revenue change %",
    ]
    d100 = next(r for r in rows if r[0] == "D100")
    assert d100[2:] == ["410.00 USD", "1100.00 USD", "-62.7", "4", "11", "-63.6", "90.0", "42.9", "47.1"]


def test_every_table_of_the_sell_through_page_exports(cast, activity):
    with cast.a.context():
        pos(
            cast.a.partners["p1"],
            [(D(2026, 1, 20), 2, "200.00"), (D(2026, 2, 3), 3, "300.00", "USD", "VLV-010")],
        )
    client = cast.a.client("manager")
    expected = {
        "by_month": ["Month", "Revenue (USD)", "Net units"],
        "by_partner": ["Partner", "Partner name", "Revenue (USD)", "Net units"],
        "by_category": ["Category", "Revenue (USD)", "Net units"],
        "by_region": ["Region", "Revenue (USD)", "Net units"],
        "top_products": ["SKU", "Product", "Revenue (USD)", "Net units"],
    }
    for name, headers in expected.items():
        for fmt in ("csv", "xlsx"):
            response = client.get(f"/pos/?{PERIOD}&export={name}&format={fmt}")
            assert response.status_code == 200, name
            rows = _csv(response) if fmt == "csv" else _xlsx(response)
            assert [str(h) for h in rows[0]] == headers, name
    assert _csv(client.get(f"/pos/?{PERIOD}&export=by_month&format=csv"))[1:] == [
        ["2026-01", "200.00", "2"],
        ["2026-02", "300.00", "3"],
    ]
    assert _csv(client.get(f"/pos/?{PERIOD}&export=by_category&format=csv"))[1:] == [
        ["valves", "300.00", "3"],
        ["pumps", "200.00", "2"],
    ]


def test_slow_movers_are_overstocked_with_falling_sales(cast, catalog):
    p1 = cast.a.partners["p1"]
    day = D(2026, 6, 30)
    with cast.a.context():
        # Pumps: 1,000 on hand; 13 sold in the last 13 weeks (1 a week: 1,000 weeks), 26 before.
        pos(
            p1,
            [
                (day - datetime.timedelta(days=10), 13, "13.00"),
                (day - datetime.timedelta(days=100), 26, "26"),
            ],
        )
        # Valves: 500 on hand, 13 sold lately, 5 before: overstocked, but selling more.
        pos(
            p1,
            [
                (day - datetime.timedelta(days=10), 13, "13.00", "USD", "VLV-010"),
                (day - datetime.timedelta(days=100), 5, "5.00", "USD", "VLV-010"),
            ],
        )
        snapshots(p1, [(day, catalog["pump"], 1000, None, None), (day, catalog["valve"], 500, None, None)])
    client = cast.a.client("manager")
    html = client.get("/pos/inventory/").content.decode()
    slow = html.split('data-testid="slow-movers-table"')[1].split("</table>")[0]
    assert "PMP-100" in slow and "VLV-010" not in slow
    rows = _csv(client.get("/pos/inventory/?export=slow_movers&format=csv"))
    assert [(r[0], r[1], r[8], r[11], r[12]) for r in rows[1:]] == [("D100", "PMP-100", "1000.0", "13", "26")]
    positions = _csv(client.get("/pos/inventory/?export=positions&format=csv"))
    assert sorted(r[1] for r in positions[1:]) == ["PMP-100", "VLV-010"]
    sheet = _xlsx(client.get("/pos/inventory/?export=positions&format=xlsx"))
    assert sheet[0][0] == "Partner" and len(sheet) == 3


def _grow(cast, catalog, months: range, partners=("p1", "p2")) -> None:
    with cast.a.context():
        for key in partners:
            partner = cast.a.partners[key]
            for month in months:
                day = D(2026, month, 10)
                pos(partner, [(day, 2, "20.00"), (day, 1, "15.00", "USD", "VLV-010")])
                snapshots(partner, [(day, catalog["pump"], 40, 10, 5), (day, catalog["valve"], 9, 3, 1)])


@pytest.mark.parametrize("url", ["/pos/?date_from=2026-01-01&date_to=2026-12-31", "/pos/inventory/"])
def test_report_pages_run_constant_queries(cast, catalog, url):
    _grow(cast, catalog, range(1, 2))
    client = cast.a.client("manager")
    client.get(url)  # warm caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(cast, catalog, range(2, 12))
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    assert "2026-11" in response.content.decode() or url.endswith("inventory/")
