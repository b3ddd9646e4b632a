"""Rebates earned feed the partner scorecard through the KPI registry (partners.kpis): in the
tenant's base currency, from each program's latest run, counted once, in the period the program
ends in (or, while it runs, in the period holding today)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from partners.kpis import kpi_values
from partners.models import Kpi, Scorecard
from partners.services.scorecards import scorecards_calculate
from prm.finance.models import FxRate
from prm.workflow import DomainError
from rebates.kpis import rebates_earned
from tests.rebates.helpers import calculate, definition, load, pos

pytestmark = pytest.mark.django_db

FLAT = {"method": "flat", "tiers": [{"from": "0", "rate": "0.1"}]}


def _today(monkeypatch, day: datetime.date) -> None:
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: day)


def _programs(cast) -> None:
    """P1 earns 100.05 USD in a Q1 program and 50.00 EUR (55.00 USD at 1.10) in a 2026 valve
    program; P2 earns 20.00 USD in the Q1 program."""
    FxRate.objects.create(
        base_currency="EUR",
        quote_currency="USD",
        rate_date=datetime.date(2026, 1, 1),
        rate=Decimal("1.10"),
        source="ECB",
    )
    p1, p2 = cast.a.partners["p1"], cast.a.partners["p2"]
    pos(p1, [("2026-01-15", 1, "1000.50")])
    pos(p2, [("2026-02-15", 1, "200")])
    pos(p1, [("2026-05-15", 1, "500", "EUR", "VLV-10")])
    calculate(load(definition(code="Q1", **FLAT)))
    year = {"start": "2026-01-01", "end": "2026-12-31"}
    valves = {"skus": [], "categories": ["valves"]}
    calculate(load(definition(code="Y2026", currency="EUR", period=year, products=valves, **FLAT)))


def test_the_scorecard_page_shows_the_rebates_a_partner_earned_in_the_period(cast, monkeypatch):
    today = datetime.date(2026, 6, 30)
    _today(monkeypatch, today)
    with cast.a.context():
        _programs(cast)
        scorecards_calculate(as_of=today, propose=False)
        card = Scorecard.objects.get(partner=cast.a.partners["p1"], as_of=today)
        assert card.values[Kpi.REBATES_EARNED] == "155.05"  # 100.05 USD + 50.00 EUR x 1.10
        assert card.previous[Kpi.REBATES_EARNED] == "0"
        other = Scorecard.objects.get(partner=cast.a.partners["p2"], as_of=today)
        assert other.values[Kpi.REBATES_EARNED] == "20.00"
    for who in ("p1_admin", "manager"):
        page = cast.a.client(who).get(f"/partners/{cast.a.partners['p1'].pk}/scorecard/").content.decode()
        row = page.split('data-kpi="rebates_earned"')[1].split("</tr>")[0]
        assert "Rebates and SPIFs earned" in row and "155.05" in row


def test_a_program_counts_once_in_the_period_it_ends_in(cast, monkeypatch):
    """A year later the Q1 program belongs to the previous period, the 2026 one (ended in
    December) to the current one: nothing is counted in both."""
    today = datetime.date(2027, 6, 30)
    _today(monkeypatch, today)
    with cast.a.context():
        _programs(cast)
        scorecards_calculate(as_of=today, propose=False)
        card = Scorecard.objects.get(partner=cast.a.partners["p1"], as_of=today)
        assert (card.values[Kpi.REBATES_EARNED], card.previous[Kpi.REBATES_EARNED]) == ("55.00", "100.05")


def test_only_the_latest_run_of_a_program_counts(cast, monkeypatch):
    _today(monkeypatch, datetime.date(2026, 6, 30))
    with cast.a.context():
        p1 = cast.a.partners["p1"]
        pos(p1, [("2026-01-15", 1, "1000")])
        program = load(definition(code="Q1", **FLAT))
        calculate(program)
        pos(p1, [("2026-03-15", 1, "500")])  # late data, calculated again
        calculate(program)
        values = kpi_values([p1.pk], datetime.date(2025, 7, 1), datetime.date(2026, 6, 30))
        assert values[p1.pk][Kpi.REBATES_EARNED] == Decimal("150.00")


def test_a_missing_rate_stops_the_scorecard_with_the_pair_and_day(cast, monkeypatch):
    _today(monkeypatch, datetime.date(2026, 6, 30))
    with cast.a.context():
        p1 = cast.a.partners["p1"]
        pos(p1, [("2026-01-15", 1, "1000", "EUR")])
        calculate(load(definition(code="EUR-Q1", currency="EUR", **FLAT)))  # EUR lines: no rate needed
        with pytest.raises(DomainError, match=r"EUR to USD .* 2026-03-31"):
            rebates_earned([p1.pk], datetime.date(2025, 7, 1), datetime.date(2026, 6, 30))
