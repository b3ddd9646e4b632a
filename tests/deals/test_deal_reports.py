"""Deal reports: registrations, approvals and wins by month, lead acceptance and conversion per
partner and source; figures against hand-counted data, exports, query counts at two sizes, and
who may open them."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm
from openpyxl import load_workbook

from deals.models import DealRegistration, Lead, LeadAssignment
from prm.accounts.models import Membership
from prm.finance.models import FxRate

pytestmark = pytest.mark.django_db
S = DealRegistration.Status
O = LeadAssignment.Outcome  # noqa: E741
Q1 = "date_from=2026-01-01&date_to=2026-03-31"


def _at(day: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T12:00:00+00:00")


def _registration(
    partner, status, *, submitted=None, decided=None, closed=None, value="0", currency="USD", lead=None
):
    return DealRegistration.objects.create(
        partner=partner,
        status=status,
        currency=currency,
        value=Decimal("100.00"),
        customer_name="Customer",
        country="US",
        first_submitted_at=_at(submitted) if submitted else None,
        submitted_at=_at(submitted) if submitted else None,
        decided_at=_at(decided) if decided else None,
        closed_on=datetime.date.fromisoformat(closed) if closed else None,
        closed_value=Decimal(value) if closed else None,
        lead=lead,
    )


def _offer(lead, partner, outcome, day="2026-01-15"):
    return LeadAssignment.objects.create(
        lead=lead, partner=partner, reason="test", offered_at=_at(day), due_at=_at(day), outcome=outcome
    )


def _lead(source: str) -> Lead:
    return Lead.objects.create(
        company="Prospect", country="US", product_interest="pumps", currency="USD", source=source
    )


@pytest.fixture
def q1(cast):
    a = cast.a
    p1, p2 = a.partners["p1"], a.partners["p2"]
    with a.context():
        FxRate.objects.create(
            base_currency="EUR",
            quote_currency="USD",
            rate_date=datetime.date(2026, 3, 1),
            rate=Decimal("1.2"),
            source="t",
        )
        _registration(
            p1, S.WON, submitted="2026-01-10", decided="2026-01-15", closed="2026-02-20", value="1000.00"
        )
        _registration(p1, S.REJECTED, submitted="2026-01-20", decided="2026-02-02")
        _registration(p1, S.APPROVED, submitted="2026-02-05", decided="2026-02-06")
        _registration(p1, S.LOST, submitted="2026-03-01", decided="2026-03-03", closed="2026-03-20")
        _registration(
            p1,
            S.WON,
            submitted="2025-12-20",
            decided="2025-12-22",
            closed="2026-03-10",
            value="500.00",
            currency="EUR",
        )
        _registration(p1, S.DRAFT)
        _registration(p2, S.SUBMITTED, submitted="2026-01-11")
        web_converted, web_declined, event_out, event_draft, event_pending = (
            _lead("web"),
            _lead("web"),
            _lead("event"),
            _lead("event"),
            _lead("event"),
        )
        _offer(web_converted, p1, O.ACCEPTED)
        _registration(p1, S.SUBMITTED, submitted="2025-11-01", lead=web_converted)
        _offer(web_declined, p1, O.DECLINED)
        _offer(web_declined, p2, O.ACCEPTED)
        _registration(p2, S.DRAFT, lead=web_declined)
        _offer(event_out, p1, O.TIMED_OUT)
        _offer(event_draft, p1, O.ACCEPTED)
        _registration(p1, S.DRAFT, lead=event_draft)
        _offer(event_pending, p1, O.PENDING)
        _offer(_lead("web"), p1, O.ACCEPTED, day="2025-12-31")  # before the period


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_registrations_approvals_and_wins_by_month(cast, q1):
    rows = _csv(cast.a.client("manager").get(f"/deals/reports/?{Q1}&export=monthly&format=csv"))
    assert rows == [
        ["Month", "Registrations", "Approvals", "Wins", "Won value"],
        ["2026-01", "3", "1", "0", "0.00 USD"],
        ["2026-02", "1", "1", "1", "1000.00 USD"],
        ["2026-03", "1", "1", "1", "600.00 USD"],  # 500.00 EUR at 1.2
    ]
    p1 = cast.a.partners["p1"].pk
    only_p1 = _csv(
        cast.a.client("manager").get(f"/deals/reports/?{Q1}&partner={p1}&export=monthly&format=csv")
    )
    assert only_p1[1] == ["2026-01", "2", "1", "0", "0.00 USD"]


def test_lead_acceptance_and_conversion_per_partner_and_source(cast, q1):
    client = cast.a.client("manager")
    rows = _csv(client.get(f"/deals/reports/?{Q1}&export=leads&format=csv"))
    assert rows[0] == [
        "Partner",
        "Partner name",
        "Source",
        "Offered",
        "Accepted",
        "Declined",
        "Timed out",
        "Pending",
        "Converted",
        "Acceptance %",
        "Conversion %",
    ]
    assert rows[1:] == [
        ["D100", "Northwind Distribution", "event", "3", "1", "0", "1", "1", "0", "50.0", "0.0"],
        ["D100", "Northwind Distribution", "web", "2", "1", "1", "0", "0", "1", "50.0", "100.0"],
        ["D200", "Contoso Supply", "web", "1", "1", "0", "0", "0", "0", "100.0", "0.0"],
    ]
    sources = _csv(client.get(f"/deals/reports/?{Q1}&export=lead_sources&format=csv"))
    assert sources[1:] == [
        ["event", "3", "1", "0", "1", "1", "0", "50.0", "0.0"],
        ["web", "3", "2", "1", "0", "0", "1", "66.7", "50.0"],
    ]


def test_the_page_shows_each_table_with_its_definitions_and_xlsx_downloads(cast, q1):
    client = cast.a.client("manager")
    html = client.get(f"/deals/reports/?{Q1}").content.decode()
    for name in ("monthly", "leads", "lead_sources"):
        assert f'data-testid="report-{name}"' in html and f'data-testid="export-{name}"' in html
    assert "first complete submission" in html and "Acceptance = accepted offers" in html
    assert "deals-reports-data" in html
    response = client.get(f"/deals/reports/?{Q1}&export=leads&format=xlsx")
    sheet = [list(r) for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)]
    assert sheet[1][:5] == ["D100", "Northwind Distribution", "event", 3, 1]


def test_a_restricted_manager_sees_only_assigned_partners(cast, q1):
    with cast.a.context():
        Membership.objects.filter(pk=cast.a.memberships["manager"].pk).update(assigned_partners_only=True)
        assign_perm("partners.manage_partner", cast.a.users["manager"], cast.a.partners["p2"])
    rows = _csv(cast.a.client("manager").get(f"/deals/reports/?{Q1}&export=leads&format=csv"))
    assert [r[0] for r in rows[1:]] == ["D200"]
    monthly = _csv(cast.a.client("manager").get(f"/deals/reports/?{Q1}&export=monthly&format=csv"))
    assert monthly[1] == ["2026-01", "1", "0", "0", "0.00 USD"]


@pytest.mark.parametrize(
    "who,status", [("admin", 200), ("manager", 200), ("finance", 403), ("p1_admin", 403)]
)
def test_who_may_open_the_reports(cast, who, status):
    assert cast.a.client(who).get("/deals/reports/").status_code == status


def _grow(cast, n: int) -> None:
    with cast.a.context():
        for i in range(n):
            for key in ("p1", "p2"):
                partner = cast.a.partners[key]
                day = f"2026-0{1 + i % 3}-1{i % 9}"
                lead = _lead(f"source-{i}")
                _offer(lead, partner, O.ACCEPTED, day=day)
                _registration(
                    partner,
                    S.WON,
                    submitted=day,
                    decided=day,
                    closed=day[:-1] + "9",
                    value="10.00",
                    lead=lead,
                )


def test_the_page_runs_constant_queries(cast):
    _grow(cast, 1)
    client = cast.a.client("manager")
    client.get(f"/deals/reports/?{Q1}")  # warm caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(f"/deals/reports/?{Q1}").status_code == 200
    _grow(cast, 12)
    with CaptureQueriesContext(connection) as large:
        response = client.get(f"/deals/reports/?{Q1}")
    assert "source-11" in response.content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)
