"""Currencies of a POS file (INTERFACES.md): a file in one currency reports its total in that
currency, unchanged; a file in several reports ``amount_total`` in the tenant's base currency,
converted at each line's invoice-date rate, plus ``amount_totals`` per currency, and keeps the
rates it used. A missing rate refuses the file with the pair, the date and the line."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from posdata.models import PosLine, RejectedRow, Upload
from prm.finance.models import FxRate
from tests.posdata.helpers import load, write

pytestmark = pytest.mark.django_db

HEADER = "invoice_number,invoice_line,invoice_date,sku,quantity,unit_price,currency\n"
KEYS = {
    "status",
    "rows_read",
    "rows_loaded",
    "rows_rejected",
    "rows_duplicate",
    "quantity_total",
    "amount_total",
    "errors",
}
MIXED = (
    HEADER + "A,1,2026-03-02,PMP-100,10,100.00,USD\n"  # line 2: 1000.00 USD
    "B,1,2026-03-02,PMP-100,2,250.00,EUR\n"  # line 3: 500 EUR at 1.10 = 550.00
    "C,1,2026-03-09,PMP-100,1,100.00,€\n"  # line 4: 100 EUR at 1.20 = 120.00
    "D,1,2026-03-09,PMP-100,3,10000,JPY\n"  # line 5: 30000 JPY at 1/150 = 200.00
    "E,1,2026-03-09,PMP-100,-1,50.00,EUR\n"  # line 6: a return, -50 EUR at 1.20 = -60.00
    "F,1,2026-03-09,NOPE,1,1,USD\n"  # line 7: rejected, not in the totals
)


def _rates(side):
    with side.context():
        for base, quote, day, rate in [
            ("EUR", "USD", datetime.date(2026, 3, 1), "1.10"),
            ("EUR", "USD", datetime.date(2026, 3, 9), "1.20"),
            ("USD", "JPY", datetime.date(2026, 1, 1), "150"),  # the inverse serves JPY -> USD
        ]:
            FxRate.objects.create(
                base_currency=base, quote_currency=quote, rate_date=day, rate=Decimal(rate), source="ECB"
            )


def run(path, *extra) -> dict:
    out = io.StringIO()
    call_command(
        "pos_import", "--tenant", "acme", "--partner", "D100", str(path), "--json", *extra, stdout=out
    )
    return json.loads(out.getvalue())


def test_a_file_in_one_foreign_currency_keeps_todays_contract(cast, catalog, tmp_path):
    result = run(
        write(tmp_path, HEADER + "A,1,2026-03-02,PMP-100,3,1000.50,EUR\nB,1,2026-03-03,PMP-100,1,1,EUR\n")
    )
    assert set(result) == KEYS
    assert result["amount_total"] == "3002.50"
    with cast.a.context():
        upload = Upload.objects.get()
    assert (upload.currency, upload.amount_totals, upload.fx_rates) == ("EUR", {}, [])


def test_a_file_in_one_currency_with_no_rates_stored_still_loads(cast, catalog, tmp_path):
    result = run(write(tmp_path, HEADER + "A,1,2026-03-02,PMP-100,3,10,JPY\n"))
    assert (result["status"], result["amount_total"]) == ("loaded", "30")


def test_a_mixed_file_reports_the_converted_total_and_the_totals_per_currency(cast, catalog, tmp_path):
    _rates(cast.a)
    result = run(write(tmp_path, MIXED))
    assert set(result) == KEYS | {"amount_totals"}
    assert (result["rows_loaded"], result["rows_rejected"]) == (5, 1)
    assert result["amount_total"] == "1810.00"  # 1000 + 550 + 120 + 200 - 60
    assert result["amount_totals"] == {"EUR": "550.00", "JPY": "30000", "USD": "1000.00"}
    with cast.a.context():
        upload = Upload.objects.get()
        assert PosLine.objects.count() == 5
    assert upload.currency == "USD" and upload.amount_total == Decimal("1810.00")
    # The stored conversion keeps each rate, its date and its source.
    assert {(r["base"], r["rate"], r["rate_date"], r["source"], r["inverse"]) for r in upload.fx_rates} == {
        ("EUR", "1.100000000000", "2026-03-01", "ECB", False),
        ("EUR", "1.200000000000", "2026-03-09", "ECB", False),
        ("JPY", "0.006666666667", "2026-01-01", "ECB", True),
    }


def test_the_upload_page_shows_the_converted_total_and_where_it_comes_from(cast, catalog, tmp_path):
    _rates(cast.a)
    upload, _result = load(cast.a, "p1", write(tmp_path, MIXED))
    html = cast.a.client("p1_admin").get(f"/pos/uploads/{upload.pk}/").content.decode()
    assert "$1,810.00" in html and "invoice-date rate" in html
    assert "€550.00" in html and "¥30,000" in html


def test_a_mixed_file_with_duplicates_totals_only_the_loaded_lines(cast, catalog, tmp_path):
    _rates(cast.a)
    run(write(tmp_path, HEADER + "B,1,2026-03-02,PMP-100,2,250.00,EUR\n", name="first.csv"))
    result = run(write(tmp_path, MIXED, name="second.csv"))
    assert (result["rows_loaded"], result["rows_duplicate"]) == (4, 1)
    assert result["amount_total"] == "1260.00"  # 1000 + 120 + 200 - 60
    assert result["amount_totals"] == {"EUR": "50.00", "JPY": "30000", "USD": "1000.00"}


def test_a_missing_rate_refuses_the_file_naming_pair_date_and_line_and_loads_nothing(cast, catalog, tmp_path):
    with cast.a.context():  # EUR rates exist; JPY has none
        FxRate.objects.create(
            base_currency="EUR",
            quote_currency="USD",
            rate_date=datetime.date(2026, 3, 1),
            rate=Decimal("1.1"),
            source="ECB",
        )
    path = write(tmp_path, MIXED)
    with pytest.raises(CommandError) as info:
        run(path)
    message = str(info.value)
    assert "JPY to USD" in message and "2026-03-09" in message and "line 5" in message
    assert "\n" not in message
    with cast.a.context():
        upload = Upload.objects.get()
        assert upload.status == Upload.Status.FAILED and "JPY to USD" in upload.error
        assert not PosLine.objects.exists() and not RejectedRow.objects.exists()
        assert upload.job.status == "failed"
    # Once the rate is there, the same file is accepted.
    with cast.a.context():
        FxRate.objects.create(
            base_currency="JPY",
            quote_currency="USD",
            rate_date=datetime.date(2026, 3, 9),
            rate=Decimal("0.0067"),
            source="ECB",
        )
    result = run(path)
    # 1000 + (500 + 100 - 50) EUR x 1.10 + 30000 JPY x 0.0067
    assert result["rows_loaded"] == 5 and result["amount_total"] == "1806.00"


def test_the_upload_page_explains_a_refused_mixed_file(cast, catalog, tmp_path):
    upload, _result = load(cast.a, "p1", write(tmp_path, MIXED))
    html = cast.a.client("p1_admin").get(f"/pos/uploads/{upload.pk}/").content.decode()
    assert "No exchange rate from EUR to USD" in html and "send each currency in its own file" in html


def test_reprocessed_lines_in_several_currencies_are_totalled_per_currency(
    cast, catalog, tmp_path, django_capture_on_commit_callbacks
):
    from posdata.services import exception_map_and_reprocess
    from prm.jobs.models import Job

    load(cast.a, "p1", write(tmp_path, HEADER + "A,1,2026-03-02,NW-VALVE,1,10.00,EUR\n", name="eur.csv"))
    load(cast.a, "p1", write(tmp_path, HEADER + "B,1,2026-03-02,NW-VALVE,2,500,JPY\n", name="jpy.csv"))
    with cast.a.context():
        with django_capture_on_commit_callbacks(execute=True):
            job = exception_map_and_reprocess(
                partner=cast.a.partners["p1"],
                product_key="NW-VALVE",
                product=catalog["valve"],
                acting_membership=cast.a.memberships["manager"],
            )
        job = Job.objects.get(pk=job.pk)
    assert job.status == "succeeded", job.error
    assert job.result["rows_loaded"] == 2
    assert job.result["amount_totals"] == {"EUR": "10.00", "JPY": "1000"}
    assert "amount_total" not in job.result


def test_the_home_panel_revenue_converts_lines_in_other_currencies(cast, catalog, tmp_path):
    from prm.lib.money import Money

    today = datetime.date.today()
    with cast.a.context():
        FxRate.objects.create(
            base_currency="EUR",
            quote_currency="USD",
            rate_date=today - datetime.timedelta(days=30),
            rate=Decimal("1.10"),
            source="ECB",
        )
    day = (today - datetime.timedelta(days=10)).isoformat()
    load(
        cast.a,
        "p1",
        write(tmp_path, HEADER + f"A,1,{day},PMP-100,1,100.00,USD\nB,1,{day},PMP-100,1,100.00,EUR\n"),
    )
    response = cast.a.client("p1_admin").get("/")
    panel = next(p for p in response.context["panels"] if p.template == "posdata/panels/sales.html")
    assert panel.context["revenue"] == [Money(Decimal("210.00"), "USD")] and panel.context["converted"]
    with cast.a.context():
        FxRate.objects.all().delete()
    response = cast.a.client("p1_admin").get("/")
    panel = next(p for p in response.context["panels"] if p.template == "posdata/panels/sales.html")
    assert panel.context["revenue"] == [Money(Decimal("100.00"), "EUR"), Money(Decimal("100.00"), "USD")]
    assert "an exchange rate is missing" in response.content.decode()
