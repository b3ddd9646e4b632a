"""Co-op accrual: a percentage of each eligible partner's net POS sales in the period, computed
by a job, re-runnable (only the difference is posted), in the fund's currency, within budget."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from funds.models import Fund, LedgerEntry
from funds.services.allocations import accrue_open_periods, coop_accrue
from prm.finance.models import FxRate
from prm.finance.rates import MissingRate
from prm.jobs.models import Job
from prm.workflow import DomainError
from tests.funds.helpers import balances, days, fund, period, tiers
from tests.posdata.helpers import load, write

pytestmark = pytest.mark.django_db
D = Decimal


def _sales(cast, tmp_path, lines: str, partner: str = "p1", name: str = "pos.csv"):
    header = "invoice_number,invoice_date,sku,quantity,unit_price,currency\n"
    _upload, result = load(cast.a, partner, write(tmp_path, header + lines, name=name))
    assert result["rows_rejected"] == 0, result


def _coop(cast, budget="100000.00"):
    f = fund(cast, "COOP", kind=Fund.Kind.COOP, accrual_pct=D("2"))
    return f, period(cast, f, budget=budget, start=days(-40), end=days(10))


def test_accrual_is_the_rate_times_net_sales_of_the_period(cast, tmp_path):
    with cast.a.context():
        tiers(cast, p2="Registered")
    d1, d2, old = days(-5).isoformat(), days(-4).isoformat(), days(-90).isoformat()
    _sales(
        cast,
        tmp_path,
        f"A-1,{d1},PMP-100,100,1000.00,USD\nA-2,{d2},PMP-100,-10,1000.00,USD\nA-3,{old},PMP-100,50,1000.00,USD\n",
    )
    _sales(cast, tmp_path, f"B-1,{d1},PMP-100,10,1000.00,USD\n", partner="p2", name="p2.csv")
    with cast.a.context():
        f, p = _coop(cast)
        summary = coop_accrue(p)
        entry = LedgerEntry.objects.get(kind="accrued")
        # 2% of (100,000 - 10,000); the sale before the period and the ineligible P2 do not count
        assert (entry.partner_id, entry.amount, entry.expires_on) == (
            cast.a.partners["p1"].pk,
            D("1800.00"),
            p.expires_on,
        )
        assert entry.detail["net_sales"] == "90000.00" and entry.detail["rate_pct"] == "2.000"
        assert summary["accrued"] == "1800.00"
        assert balances(cast, f).available == D("1800.00")


def test_rerunning_the_accrual_posts_only_differences(cast, tmp_path):
    with cast.a.context():
        tiers(cast)
    day = days(-3).isoformat()
    _sales(cast, tmp_path, f"A-1,{day},PMP-100,100,1000.00,USD\n")
    with cast.a.context():
        f, p = _coop(cast)
        coop_accrue(p)
        coop_accrue(p)
        assert LedgerEntry.objects.filter(kind="accrued").count() == 1
    _sales(cast, tmp_path, f"A-2,{day},PMP-100,50,1000.00,USD\n", name="late.csv")
    with cast.a.context():
        coop_accrue(p)
        assert sorted(LedgerEntry.objects.filter(kind="accrued").values_list("amount", flat=True)) == [
            D("1000.00"),
            D("2000.00"),
        ]
    _sales(cast, tmp_path, f"A-3,{day},PMP-100,-25,1000.00,USD\n", name="return.csv")
    with cast.a.context():
        coop_accrue(p)
        reversal = LedgerEntry.objects.get(kind="reversed")
        assert (reversal.reverses_kind, reversal.amount) == ("accrued", D("500.00"))
        b = balances(cast, f)
        assert (b.accrued, b.available, b.violations()) == (D("2500.00"), D("2500.00"), [])


def test_sales_in_another_currency_are_converted_at_the_invoice_days_rate(cast, tmp_path):
    day = days(-3)
    with cast.a.context():
        tiers(cast)
        FxRate.objects.create(
            base_currency="EUR", quote_currency="USD", rate_date=day, rate=D("1.10"), source="ECB"
        )
    _sales(cast, tmp_path, f"A-1,{day.isoformat()},PMP-100,10,1000.00,EUR\n")
    with cast.a.context():
        _f, p = _coop(cast)
        coop_accrue(p)
        assert LedgerEntry.objects.get(kind="accrued").amount == D("220.00")  # 2% of 11,000 USD


def test_a_missing_rate_stops_the_accrual_with_the_pair_and_day(cast, tmp_path):
    with cast.a.context():
        tiers(cast)
    _sales(cast, tmp_path, f"A-1,{days(-3).isoformat()},PMP-100,10,1000.00,EUR\n")
    with cast.a.context():
        _f, p = _coop(cast)
        with pytest.raises(MissingRate):
            coop_accrue(p)
        assert not LedgerEntry.objects.exists()


def test_an_accrual_beyond_the_budget_posts_nothing(cast, tmp_path):
    with cast.a.context():
        tiers(cast)
    _sales(cast, tmp_path, f"A-1,{days(-3).isoformat()},PMP-100,100,1000.00,USD\n")
    with cast.a.context():
        _f, p = _coop(cast, budget="1999.99")
        with pytest.raises(DomainError, match="budget"):
            coop_accrue(p)
        assert not LedgerEntry.objects.exists()


def test_the_accrual_job_runs_from_the_period_page_and_the_nightly_run_covers_open_periods(
    cast, tmp_path, django_capture_on_commit_callbacks
):
    with cast.a.context():
        tiers(cast)
    _sales(cast, tmp_path, f"A-1,{days(-3).isoformat()},PMP-100,10,1000.00,USD\n")
    with cast.a.context():
        _f, p = _coop(cast)
    with django_capture_on_commit_callbacks(execute=True):
        response = cast.a.client("marketing").post(f"/funds/periods/{p.pk}/accrue/")
    assert response.status_code == 302
    with cast.a.context():
        job = Job.objects.get(kind="funds:accrue")
        assert job.status == "succeeded" and job.result["accrued"] == "200.00"
        assert accrue_open_periods(today=datetime.date.today())[0]["accrued"] == "0.00"
