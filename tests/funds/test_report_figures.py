"""The fund reports, figure by figure, on a small history built by hand through the services
(each step on its own day), with every expected number worked out here: utilisation by quarter,
tier and partner; money expiring in the next 90 days; return by activity type. The page's context
and each CSV export carry exactly these values, and the page's queries do not grow with the data.

The history (fund MDF-26, USD, participation 50 %; D100 Gold, D200 Silver):

  2026-01-10  D100 allocated 10,000.00 (expires 2026-06-30) and 1,000.00 (expires 2026-12-31)
              D200 allocated 5,000.00 (expires 2026-03-31)
  2026-02-01  1,000.00 of D100's 10,000.00 reversed; D100's event request (2,000.00) approved:
              committed 2,000.00
  2026-04-05  expiry run: D200's 5,000.00 expired (nothing used)
  2026-04-10  D100's claim: actual cost 3,000.00 x 50 % = 1,500.00 claimed, 500.00 released;
              the payable is paid: paid 1,500.00
  deals       linked to the event: one approved registration (30,000.00), one won (12,000.00)
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from deals.services.outcome import registration_mark_won
from deals.services.review import registration_approve
from funds.models import ActivityType
from funds.services.claims import claim_approve, claim_create, claim_submit, claims_mark_paid
from funds.services.expiry import expiries_post
from funds.services.ledger import entry_reverse
from funds.services.requests import activity_link, request_approve
from partners.models import Partner
from prm.finance.models import Payable
from tests.deals.helpers import register
from tests.factories import PartnerFactory
from tests.funds.helpers import allocate, full_proof, fund, period, request, tiers, travel

pytestmark = pytest.mark.django_db
D = Decimal
day = datetime.date

QUARTERS = [
    # quarter, allocated, accrued, committed, claimed, paid, released, expired, utilisation %
    ["2026-Q1", "15000.00", "0.00", "2000.00", "0.00", "0.00", "0.00", "0.00", D("0.0")],
    ["2026-Q2", "0.00", "0.00", "0.00", "1500.00", "1500.00", "500.00", "5000.00", ""],
]
# D100: 10,000 + 1,000 - 1,000 granted; 1,500 claimed of it = 15.0 %. D200: 5,000, all expired.
D100 = ["10000.00", "0.00", "2000.00", "1500.00", "1500.00", "500.00", "0.00", D("15.0")]
D200 = ["5000.00", "0.00", "0.00", "0.00", "0.00", "0.00", "5000.00", D("0.0")]
TIERS = [["Gold", *D100], ["Silver", *D200]]
PARTNERS = [["D100", *D100], ["D200", *D200]]
# On 2026-04-20 D100 has 11,000 - 1,000 - 2,000 + 500 = 8,500 available. Money is spent in expiry
# order, so the later allocation (2026-12-31) still holds its 1,000 and the rest, 7,500, expires
# on 2026-06-30: inside the next 90 days (to 2026-07-19); the 1,000 is not. D200 has nothing left.
EXPIRING = [["2026-06-30", "D100", "Northwind Distribution", "MDF-26", "7500.00", "USD"]]
# Event: 1,500 claimed; pipeline 30,000 approved + 12,000 won = 42,000 (28.00 a fund dollar); won
# 12,000 (8.00 a fund dollar). Every other activity type: nothing.
EVENT = ["1500.00", "42000.00", "12000.00", D("28.00"), D("8.00")]
RETURN = [
    [str(label), *(EVENT if value == ActivityType.EVENT else ["0.00", "0.00", "0.00", "", ""])]
    for value, label in ActivityType.choices
]
EXPECTED = {
    "quarters": QUARTERS,
    "tiers": TIERS,
    "partners": PARTNERS,
    "expiring": EXPIRING,
    "return": RETURN,
}


def _history(cast, monkeypatch):
    admin, marketing = cast.a.memberships["admin"], cast.a.memberships["marketing"]
    travel(monkeypatch, day(2026, 1, 10))
    tiers(cast)
    f = fund(cast)
    p = period(cast, f, start=day(2026, 1, 1), end=day(2026, 6, 30), expires_on=day(2026, 6, 30))
    main = allocate(cast, p, "10000.00")
    allocate(cast, p, "1000.00", expires_on=day(2026, 12, 31))
    allocate(cast, p, "5000.00", partner="p2", expires_on=day(2026, 3, 31))
    travel(monkeypatch, day(2026, 2, 1))
    entry_reverse(
        entry=main, acting_membership=marketing, reason="Typed 10,000 for 9,000", amount=D("1000.00")
    )
    event = request(cast, f, start_date=day(2026, 3, 1), end_date=day(2026, 3, 2))
    event = request_approve(request=event, acting_membership=admin)
    travel(monkeypatch, day(2026, 4, 5))
    expiries_post()
    travel(monkeypatch, day(2026, 4, 10))
    claim = claim_create(
        request=event, acting_membership=cast.a.memberships["p1_admin"], actual_cost=D("3000.00")
    )
    full_proof(cast, claim)
    claim_submit(claim=claim, acting_membership=cast.a.memberships["p1_admin"])
    claim = claim_approve(claim=claim, acting_membership=marketing)
    Payable.objects.filter(pk=claim.payable_id).update(status=Payable.Status.PAID)
    claims_mark_paid()
    # Not linked (and a draft): it only keeps the registrations' ids apart from the links' ids.
    register(cast, "p2_user", name="Umbrella Corp", domain="umbrella.example", submit=False)
    pipeline = register(cast, name="Hooli Water", domain="hooli.example", lines=(("pumps", 3, "30000.00"),))
    won = register(cast, name="Initrode Works", domain="initrode.example", lines=(("pumps", 1, "12000.00"),))
    for registration in (pipeline, won):
        registration = registration_approve(registration=registration, acting_membership=admin)
        activity_link(request=event, acting_membership=admin, registration=registration)
    registration_mark_won(
        registration=won, acting_membership=admin, closed_value=D("11500.00"), closed_on=day(2026, 4, 10)
    )
    travel(monkeypatch, day(2026, 4, 20))
    return f, p


def _csv(cast, name: str) -> list[list[str]]:
    response = cast.a.client("marketing").get(reverse("funds:dashboard"), {"export": name, "format": "csv"})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_every_figure_of_every_report_is_the_one_worked_out_by_hand(cast, monkeypatch):
    with cast.a.context():
        _history(cast, monkeypatch)
    response = cast.a.client("marketing").get(reverse("funds:dashboard"))
    assert response.status_code == 200
    reports = {report.name: report for report in response.context["reports"]}
    assert {name: report.rows for name, report in reports.items()} == EXPECTED
    chart = response.context["chart"]
    assert chart["labels"] == ["2026-Q1", "2026-Q2"]
    assert {s["label"]: s["values"] for s in chart["series"]}["Expired"] == ["0.00", "5000.00"]
    for name, rows in EXPECTED.items():
        exported = _csv(cast, name)
        assert exported[0] == [str(h) for h in reports[name].headers]
        assert exported[1:] == [[str(cell) for cell in row] for row in rows], name
        assert _xlsx(cast, name) == [[str(h) for h in reports[name].headers], *rows], name


def _xlsx(cast, name: str) -> list[list]:
    """The sheet's rows, numbers as Decimal (as the report holds them) and empty cells as ""."""
    response = cast.a.client("marketing").get(reverse("funds:dashboard"), {"export": name, "format": "xlsx"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    return [
        ["" if v is None else D(str(v)) if isinstance(v, int | float) else v for v in row]
        for row in sheet.iter_rows(values_only=True)
    ]


def _more_partners(cast, f, p, n: int) -> None:
    """``n`` more Gold partners, each allocated 100.00 (rows of the tier, partner and expiring reports)."""
    gold = cast.a.partners["p1"].current_tier
    for _ in range(n):
        partner = PartnerFactory(type=Partner.Type.DISTRIBUTOR)
        Partner.objects.filter(pk=partner.pk).update(current_tier=gold, tier="Gold")
        key = f"extra-{partner.pk}"
        cast.a.partners[key] = Partner.objects.get(pk=partner.pk)
        allocate(cast, p, "100.00", partner=key)


def test_the_report_pages_use_as_many_queries_for_more_partners_and_entries(cast, monkeypatch):
    with cast.a.context():
        f, p = _history(cast, monkeypatch)
    counts: list[dict[str, int]] = []
    for extra in (1, 6):
        with cast.a.context():
            _more_partners(cast, f, p, extra)
        client = cast.a.client("marketing")
        measured = {}
        for name in ("", *EXPECTED):
            params = {"export": name, "format": "csv"} if name else {}
            with CaptureQueriesContext(connection) as queries:
                response = client.get(reverse("funds:dashboard"), params)
                assert response.status_code == 200
                if name:
                    b"".join(response.streaming_content)
            measured[name or "page"] = len(queries)
        counts.append(measured)
    assert counts[0] == counts[1]
