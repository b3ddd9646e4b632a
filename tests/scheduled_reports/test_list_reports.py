"""Every list page and dashboard can be scheduled: each registered kind builds its tables with the
page's own filter code, for vendor staff (every partner's rows) and for a partner member (only his
partner's: P2's planted rows are absent); its page offers "Schedule this report" carrying the
page's filters, which the schedule form keeps; filters that do not parse are refused by name; and
at send time each recipient gets the rows of his own scope."""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from claims.models import Claim
from deals.models import DirectOpportunity, Lead, LeadAssignment
from funds.models import FundClaim
from insights.tasks import forecast_nightly
from partners.models import BusinessPlan, Territory
from posdata.models import Upload
from prm.finance.services import payable_create
from prm.lib.periods import add_months
from prm.reports import InvalidReportParams, report_kind
from prm.roles import membership_has
from prm.scheduled_reports import services
from prm.scheduled_reports.models import ScheduledReport
from rebates.models import RebateProgram
from tests.deals.helpers import register
from tests.funds import helpers as funds_helpers
from tests.insights import helpers as insights_helpers
from tests.partners import helpers as partners_helpers
from tests.scheduled_reports.helpers import schedule

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


@dataclass(frozen=True)
class Entry:
    """A schedulable list: its page, who looks at it, the rows planted for P1 and P2 (``plant``
    returns a text only P1's rows hold and one only P2's hold), a filter the page takes, and a
    filter that does not parse (name, value)."""

    key: str
    url: str
    staff: str
    partner: str | None
    plant: Callable
    filters: dict | Callable = field(default_factory=dict)
    bad: tuple[str, str] | None = None


def _partners(cast):
    return "Northwind Distribution", "Contoso Supply"


def _registrations(cast):
    register(cast, "p1_user", "Alpha Pumps Ltd", domain="alpha.test")
    register(cast, "p2_user", "Beta Valves Ltd", domain="beta.test")
    return "Alpha Pumps Ltd", "Beta Valves Ltd"


def _leads(cast):
    for partner, company in (("p1", "Lead Alpha"), ("p2", "Lead Beta")):
        lead = Lead.objects.create(
            company=company,
            country="US",
            product_interest="pumps",
            currency="USD",
            status=Lead.Status.OFFERED,
            partner=cast.a.partners[partner],
        )
        LeadAssignment.objects.create(
            lead=lead, partner=cast.a.partners[partner], reason="test", due_at=timezone.now()
        )
    return "Lead Alpha", "Lead Beta"


def _opportunities(cast):
    for ref, name in (("OPP-1", "Direct Alpha"), ("OPP-2", "Direct Beta")):
        DirectOpportunity.objects.create(
            reference=ref,
            customer_name=name,
            customer_name_normalised=name.lower(),
            country="US",
            product_lines=["pumps"],
            currency="USD",
        )
    return "Direct Alpha", "Direct Beta"


def _claims(cast):
    for partner, number in (("p1", "DM-ALPHA"), ("p2", "DM-BETA")):
        Claim.objects.create(
            partner=cast.a.partners[partner],
            number=number,
            claim_date=datetime.date(2026, 1, 15),
            currency="USD",
            submitted_at=timezone.now(),
        )
    return "DM-ALPHA", "DM-BETA"


def _fund_requests(cast):
    funds_helpers.tiers(cast)
    f = funds_helpers.fund(cast, "LST")
    p = funds_helpers.period(cast, f)
    funds_helpers.allocate(cast, p, "5000.00", "p1")
    funds_helpers.allocate(cast, p, "5000.00", "p2")
    funds_helpers.request(cast, f, "p1", title="Alpha roadshow")
    funds_helpers.request(cast, f, "p2", title="Beta roadshow")
    return "Alpha roadshow", "Beta roadshow"


def _fund_claims(cast):
    funds_helpers.tiers(cast)
    f = funds_helpers.fund(cast, "LST")
    p = funds_helpers.period(cast, f)
    for partner, title in (("p1", "Alpha roadshow"), ("p2", "Beta roadshow")):
        funds_helpers.allocate(cast, p, "5000.00", partner)
        FundClaim.objects.create(
            request=funds_helpers.approved(cast, f, partner, title=title),
            partner=cast.a.partners[partner],
            status="submitted",
            actual_cost=Decimal("3000.00"),
            currency="USD",
        )
    return "Alpha roadshow", "Beta roadshow"


def _payables(cast):
    references = []
    for n, partner in enumerate(("p1", "p2"), 1):
        payable, _created = payable_create(
            source_type="claim",
            source_id=str(9000 + n),
            partner=cast.a.partners[partner],
            amount=Decimal("100.00"),
            currency="USD",
            due_date=datetime.date(2026, 12, 31),
        )
        references.append(payable.reference)
    return references[0], references[1]


def _uploads(cast):
    for partner, name in (("p1", "alpha-pos.csv"), ("p2", "beta-pos.csv")):
        Upload.objects.create(
            partner=cast.a.partners[partner],
            kind="pos",
            status="loaded",
            original_name=name,
            path=name,
            format="csv",
            checksum=name,
        )
    return "alpha-pos.csv", "beta-pos.csv"


def _rebate_programs(cast):
    for code, status in (("RB-ALPHA", "active"), ("RB-BETA", "draft")):
        RebateProgram.objects.create(
            code=code,
            name=f"Program {code}",
            status=status,
            currency="USD",
            start_date=datetime.date(2026, 1, 1),
            end_date=datetime.date(2026, 12, 31),
            method="flat",
            basis="revenue",
        )
    return "RB-ALPHA", "RB-BETA"


def _forecasts(cast):
    today = datetime.date.today()
    for partner in (cast.a.partners["p1"], cast.a.partners["p2"]):
        insights_helpers.registration(partner, insights_helpers.S.APPROVED, value="1000.00", expected=today)
        insights_helpers.registration(partner, insights_helpers.S.WON, closed_on=today)
        start = add_months(today, -14)
        insights_helpers.monthly_pos(
            partner, {add_months(start, n): Decimal(100 + 10 * n) for n in range(14)}
        )
    forecast_nightly.delay(tenant_id=cast.a.tenant.pk)
    return "D100", "D200"


def _territories(cast):
    Territory.objects.create(name="DACH", precedence=1, countries=["DE", "AT", "CH"])
    Territory.objects.create(name="Nordics", precedence=2, countries=["SE", "NO"])
    return "DACH", "Nordics"


def _plans(cast):
    partners_helpers.plan(cast, year=2025, status=BusinessPlan.Status.SIGNED)
    partners_helpers.plan(cast, partner_key="p2", year=2026)
    return "Northwind Distribution", "Contoso Supply"


def _pipeline_partners(cast):
    _registrations(cast)
    return "D100", "D200"


def _p1(cast) -> dict:
    return {"partner": str(cast.a.partners["p1"].pk)}


ENTRIES = [
    Entry(
        "partners.list",
        "/partners/",
        "manager",
        "p1_admin",
        _partners,
        {"type": "distributor", "sort": "name"},
        ("status", "dormant-ish"),
    ),
    Entry(
        "deals.registrations",
        "/deals/",
        "manager",
        "p1_user",
        _registrations,
        {"status": "open", "q": "Ltd"},
        ("from", "31.02.2026"),
    ),
    Entry(
        "deals.leads", "/deals/leads/", "manager", "p1_user", _leads, {"status": "offered"}, ("status", "x")
    ),
    Entry(
        "deals.opportunities",
        "/deals/opportunities/",
        "manager",
        None,
        _opportunities,
        {"status": "open"},
        ("status", "nope"),
    ),
    Entry(
        "deals.review_queue",
        "/deals/review/",
        "manager",
        None,
        _registrations,
        {"scope": "all"},
        ("scope", "x"),
    ),
    Entry(
        "deals.dashboard",
        "/deals/dashboard/",
        "manager",
        None,
        _pipeline_partners,
        {"status": "open"},
        ("value_min", "lots"),
    ),
]
ENTRIES += [
    Entry(
        "claims.list",
        "/claims/",
        "manager",
        "p1_admin",
        _claims,
        {"status": "submitted"},
        ("partner", "D200"),
    ),
    Entry(
        "funds.requests",
        "/funds/requests/",
        "marketing",
        "p1_admin",
        _fund_requests,
        {"status": "pending", "mine": "1"},
        ("level", "9"),
    ),
    Entry(
        "funds.claims",
        "/funds/claims/",
        "marketing",
        "p1_admin",
        _fund_claims,
        {"status": "submitted"},
        ("status", "x"),
    ),
]
ENTRIES += [
    Entry(
        "finance.payables",
        "/finance/payables/",
        "finance",
        "p1_admin",
        _payables,
        {"status": "unpaid", "currency": "USD"},
        ("due_from", "yesterday"),
    ),
    Entry("pos.uploads", "/pos/uploads/", "manager", "p1_admin", _uploads, _p1, ("partner", "D200")),
    Entry(
        "rebates.programs",
        "/rebates/programs/",
        "finance",
        None,
        _rebate_programs,
        {"status": "active"},
        ("status", "gone"),
    ),
]
ENTRIES += [
    Entry(
        "insights.forecast", "/insights/forecast/", "manager", "p1_user", _forecasts, _p1, ("partner", "x")
    ),
    Entry(
        "insights.league",
        "/insights/benchmarks/",
        "manager",
        None,
        _forecasts,
        {"sort": "win_rate", "attention": "1"},
        ("sort", "charm"),
    ),
]
ENTRIES += [
    Entry("partners.territories", "/partners/territories/", "manager", None, _territories),
    Entry(
        "partners.plans",
        "/partners/plans/",
        "manager",
        "p1_user",
        _plans,
        {"year": "2025", "status": "signed"},
        ("year", "last"),
    ),
]
IDS = [entry.key for entry in ENTRIES]


def _cells(reports) -> str:
    return "\n".join(str(cell) for report in reports for row in report.rows for cell in row)


def _plant(cast, entry: Entry) -> tuple[str, str]:
    with cast.a.context():
        return entry.plant(cast)


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_the_kind_is_registered_for_its_page_with_the_pages_permission(cast, entry):
    kind = report_kind(entry.key)
    assert kind is not None
    assert reverse(kind.url_name) == entry.url
    staff = cast.a.memberships[entry.staff]
    assert membership_has(staff, kind.perm)
    assert cast.a.client(entry.staff).get(entry.url).status_code == 200
    if entry.partner is None:  # a staff-only page: a partner member may not see it, nor its report
        assert cast.a.client("p1_admin").get(entry.url).status_code in (403, 404)
        partner = cast.a.memberships["p1_admin"]
        if membership_has(partner, kind.perm):  # a permission partners hold for another page
            with cast.a.context(), pytest.raises(InvalidReportParams):
                kind.build(partner, {})


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_staff_get_every_partners_rows_and_a_partner_member_only_his_own(cast, entry):
    own, other = _plant(cast, entry)
    kind = report_kind(entry.key)
    with cast.a.context():
        built = kind.build(cast.a.memberships[entry.staff], {})
        assert built and all(report.headers for report in built)
        staff_cells = _cells(built)
        assert own in staff_cells and other in staff_cells
        if entry.partner:
            partner = cast.a.memberships[entry.partner]
            assert membership_has(partner, kind.perm)
            partner_cells = _cells(kind.build(partner, {}))
            assert own in partner_cells
            assert other not in partner_cells


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_the_page_offers_to_schedule_itself_with_its_filters_and_the_form_keeps_them(cast, entry):
    filters = entry.filters(cast) if callable(entry.filters) else entry.filters
    client = cast.a.client(entry.staff)
    page = client.get(entry.url, {**filters, "page": 1})
    match = re.search(r'href="([^"]+)" data-testid="schedule-report"', page.content.decode())
    assert match, entry.url
    link = match.group(1).replace("&amp;", "&")
    assert dict(parse_qsl(urlsplit(link).query)) == {"report": entry.key, **filters}

    form = client.get(link)
    assert form.status_code == 200
    hidden = re.search(r'name="params" value="([^"]*)"', form.content.decode()).group(1).replace("&amp;", "&")
    assert dict(parse_qsl(hidden)) == filters
    saved = client.post(
        "/reports/scheduled/new/",
        {
            "report": entry.key,
            "params": hidden,
            "name": "Weekly",
            "frequency": "weekly",
            "weekday": "0",
            "format": "csv",
            "recipients": [cast.a.memberships[entry.staff].pk],
        },
    )
    assert saved.status_code == 302
    with cast.a.context():
        assert ScheduledReport.objects.get(report_key=entry.key).params == filters


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.bad], ids=[e.key for e in ENTRIES if e.bad])
def test_a_filter_that_does_not_parse_is_refused_naming_it(cast, entry):
    name, value = entry.bad
    with cast.a.context(), pytest.raises(InvalidReportParams) as refused:
        report_kind(entry.key).build(cast.a.memberships[entry.staff], {name: value})
    assert name in str(refused.value) and value in str(refused.value)


# A filter of each page that keeps P1's planted rows and drops P2's (the review queue's only
# filter is its territory scope).
NARROW: dict[str, Callable] = {
    "partners.list": lambda cast: {"q": "D100"},
    "deals.registrations": _p1,
    "deals.leads": lambda cast: {"q": "Alpha"},
    "deals.opportunities": lambda cast: {"q": "OPP-1"},
    "deals.dashboard": _p1,
    "claims.list": _p1,
    "funds.requests": _p1,
    "funds.claims": _p1,
    "finance.payables": _p1,
    "pos.uploads": _p1,
    "rebates.programs": lambda cast: {"status": "active"},
    "insights.forecast": _p1,
    "partners.plans": lambda cast: {"year": "2025"},
}
# Pages whose filter form lists every partner in reach (so P2's code is on the page anyway).
PARTNER_CHOOSERS = {"deals.dashboard", "insights.forecast", "partners.plans"}


@pytest.mark.parametrize(
    "entry", [e for e in ENTRIES if e.key in NARROW], ids=[e.key for e in ENTRIES if e.key in NARROW]
)
def test_the_pages_filter_narrows_the_scheduled_table_as_it_narrows_the_page(cast, entry):
    own, other = _plant(cast, entry)
    params = NARROW[entry.key](cast)
    page = cast.a.client(entry.staff).get(entry.url, params).content.decode()
    assert own in page
    if entry.key not in PARTNER_CHOOSERS:
        assert other not in page
    with cast.a.context():
        narrowed = _cells(report_kind(entry.key).build(cast.a.memberships[entry.staff], params))
    assert own in narrowed and other not in narrowed


def _csv_rows(message, suffix: str) -> list[list[str]]:
    attachment = next(a for a in message.attachments if a[0].endswith(suffix))
    content = attachment[1] if isinstance(attachment[1], str) else attachment[1].decode("utf-8")
    return list(csv.reader(io.StringIO(content.lstrip("\ufeff"))))


@pytest.mark.parametrize(
    ("key", "suffix", "column"),
    [("partners.list", "-partners.csv", 0), ("deals.registrations", "-registrations.csv", 1)],
)
def test_each_recipient_gets_the_rows_of_his_scope_at_send_time(
    cast, django_capture_on_commit_callbacks, key, suffix, column
):
    with cast.a.context():
        _registrations(cast)
    schedule(
        cast,
        "manager",
        ["manager", "p1_admin"],
        key=key,
        params={},
        next_run_at=datetime.datetime(2026, 12, 2, 6, tzinfo=UTC),
    )
    with django_capture_on_commit_callbacks(execute=True), cast.a.context():
        services.scheduled_reports_send_due(datetime.datetime(2026, 12, 2, 7, tzinfo=UTC))
    by_recipient = {message.to[0]: message for message in mail.outbox}
    codes = {
        who: {row[column] for row in _csv_rows(by_recipient[cast.a.users[who].email], suffix)[1:]}
        for who in ("manager", "p1_admin")
    }
    assert codes == {"manager": {"D100", "D200"}, "p1_admin": {"D100"}}


# --- Every registered kind, and the home dashboard ---------------------------------------------------


def test_every_registered_kind_builds_for_staff_and_never_shows_a_partner_another_partners_rows(cast):
    """Over every schedulable page (the lists above, the report pages, the home dashboard): it
    builds for the vendor admin; for a partner admin who holds its permission it either builds
    without a trace of P2 or refuses (a staff-only page)."""
    from prm.reports import report_kinds

    with cast.a.context():
        for plant in (_registrations, _claims, _payables, _uploads, _plans):
            plant(cast)
    admin, partner = cast.a.memberships["admin"], cast.a.memberships["p1_admin"]
    tested = {entry.key for entry in ENTRIES} | {"home.dashboard"}
    with cast.a.context():
        for kind in report_kinds():
            assert kind.build(admin, {}), kind.key
            if not membership_has(partner, kind.perm):
                continue
            try:
                cells = _cells(kind.build(partner, {}))
            except InvalidReportParams:
                continue
            assert "D200" not in cells and "Contoso" not in cells, kind.key
    assert tested <= {kind.key for kind in report_kinds()}


def _figures(cast, who: str) -> dict[tuple[str, str], object]:
    with cast.a.context():
        (report,) = report_kind("home.dashboard").build(cast.a.memberships[who], {})
    assert report.headers == ["Section", "Figure", "Value"]
    return {(section, label): value for section, label, value in report.rows}


def test_the_home_dashboard_sends_each_member_the_figures_of_his_own_panels(cast):
    with cast.a.context():
        _registrations(cast)
        _payables(cast)
    manager, partner = _figures(cast, "manager"), _figures(cast, "p1_admin")
    assert manager[("Deal registration", "Waiting for review")] == 2
    assert partner[("Deal registration", "Waiting for review")] == 1  # P1's only
    assert ("Deal registration", "Open pipeline value") in manager
    assert ("Deal registration", "Open pipeline value") not in partner
    assert partner[("Payments to you", "Not paid yet")] == "100.00 USD"  # P2's 100 USD is not his
    assert manager[("Channel", "Partners")] == 2 and ("Channel", "Partners") not in partner


def test_the_home_page_offers_to_schedule_its_figures(cast):
    body = cast.a.client("p1_admin").get("/").content.decode()
    link = re.search(r'href="([^"]+)" data-testid="schedule-report"', body).group(1).replace("&amp;", "&")
    assert dict(parse_qsl(urlsplit(link).query)) == {"report": "home.dashboard"}
    assert cast.a.client("p1_admin").get(link).status_code == 200


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_a_list_with_dates_and_empty_cells_is_sent_as_xlsx_and_pdf(
    cast, django_capture_on_commit_callbacks, fmt
):
    with cast.a.context():
        _registrations(cast)
    schedule(
        cast,
        "manager",
        ["manager"],
        key="deals.registrations",
        params={"status": "open"},
        fmt=fmt,
        next_run_at=datetime.datetime(2026, 12, 2, 6, tzinfo=UTC),
    )
    with django_capture_on_commit_callbacks(execute=True), cast.a.context():
        services.scheduled_reports_send_due(datetime.datetime(2026, 12, 2, 7, tzinfo=UTC))
    (message,) = mail.outbox
    (attachment,) = message.attachments
    content = attachment[1]
    if fmt == "xlsx":
        rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
        assert rows[0][:2] == ("reference", "partner_code")
        assert {row[1] for row in rows[1:]} == {"D100", "D200"}
    else:
        assert attachment[0].endswith(".pdf") and content.startswith(b"%PDF")
