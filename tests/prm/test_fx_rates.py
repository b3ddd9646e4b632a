"""Exchange rates: ``import_data --kind fx_rates`` (INTERFACES.md), the same import in the portal by
finance, entering and correcting a rate in the portal, and the conversion check page."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from prm.audit.models import AuditEvent
from prm.finance.models import FxRate
from prm.jobs.models import Job

pytestmark = pytest.mark.django_db

HEADER = "base_currency,quote_currency,rate_date,rate,source"


def run_import(tmp_path: Path, text: str, name="rates.csv") -> dict:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = StringIO()
    call_command("import_data", "--tenant", "acme", "--kind", "fx_rates", str(path), "--json", stdout=out)
    (line,) = out.getvalue().strip().splitlines()
    return json.loads(line)


def _rates(side) -> list[tuple]:
    with side.context():
        return list(
            FxRate.objects.order_by("base_currency", "quote_currency", "rate_date", "source").values_list(
                "base_currency", "quote_currency", "rate_date", "rate", "source"
            )
        )


def test_rates_are_imported_then_updated_by_their_natural_key(cast, tmp_path):
    first = run_import(
        tmp_path,
        f"{HEADER},note\nEUR,USD,2026-03-02,1.0842,ECB,x\nusd,jpy,2026-03-02,149.87,ECB,\nJPY,KWD,2026-03-02,0.002051234567,ECB,\n",
    )
    assert first == {"kind": "fx_rates", "created": 3, "updated": 0, "errors": []}
    again = run_import(tmp_path, f"{HEADER}\nEUR,USD,2026-03-02,1.0850,ECB\n", name="again.csv")
    assert again == {"kind": "fx_rates", "created": 0, "updated": 1, "errors": []}
    correction = run_import(tmp_path, f"{HEADER}\nEUR,USD,2026-03-02,1.0861,ECB corrected\n", name="fix.csv")
    assert correction["created"] == 1
    assert _rates(cast.a) == [
        ("EUR", "USD", datetime.date(2026, 3, 2), Decimal("1.085000000000"), "ECB"),
        ("EUR", "USD", datetime.date(2026, 3, 2), Decimal("1.086100000000"), "ECB corrected"),
        ("JPY", "KWD", datetime.date(2026, 3, 2), Decimal("0.002051234567"), "ECB"),
        ("USD", "JPY", datetime.date(2026, 3, 2), Decimal("149.870000000000"), "ECB"),
    ]
    assert _rates(cast.b) == []


def test_a_file_with_invalid_rows_imports_nothing_and_names_line_and_column(cast, tmp_path):
    report = run_import(
        tmp_path,
        f"{HEADER}\n"
        "EUR,USD,2026-03-02,1.08,ECB\n"  # line 2: fine
        "EUR,EUR,2026-03-02,1,ECB\n"  # line 3: same currency
        "EUR,XYZ,2026-03-02,1,ECB\n"  # line 4: not a currency
        "EUR,USD,02/03/2026,1.08,ECB\n"  # line 5: not an ISO date
        "EUR,GBP,2026-03-02,-0.85,ECB\n"  # line 6: negative
        "EUR,GBP,2026-03-02,0.1234567890123,ECB\n"  # line 7: 13 decimals
        "EUR,GBP,2026-03-02,abc,ECB\n",  # line 8: not a number
    )
    assert report["created"] == 0 and report["updated"] == 0
    assert [(e["line"], e["column"]) for e in report["errors"]] == [
        (3, "quote_currency"),
        (4, "quote_currency"),
        (5, "rate_date"),
        (6, "rate"),
        (7, "rate"),
        (8, "rate"),
    ]
    assert _rates(cast.a) == []


def test_finance_imports_rates_in_the_portal_with_the_same_resource(cast, django_capture_on_commit_callbacks):
    # The rates page links to the imports page with the kind chosen.
    assert (
        cast.a.client("finance").get("/imports/?kind=fx_rates").context["form"]["kind"].value() == "fx_rates"
    )
    content = f"{HEADER}\nGBP,USD,2026-03-02,1.2650,BoE\n".encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = cast.a.client("finance").post(
            "/imports/",
            {"kind": "fx_rates", "file": SimpleUploadedFile("rates.csv", content, content_type="text/csv")},
        )
    assert response.status_code == 302
    with cast.a.context():
        job = Job.objects.get()
        assert job.status == Job.Status.SUCCEEDED and job.result["created"] == 1
    assert _rates(cast.a) == [("GBP", "USD", datetime.date(2026, 3, 2), Decimal("1.265000000000"), "BoE")]


def test_finance_enters_a_rate_and_a_correction_needs_its_own_source(cast):
    client = cast.a.client("finance")
    data = {
        "base_currency": "eur",
        "quote_currency": "USD",
        "rate_date": "2026-03-02",
        "rate": "1.0842",
        "source": "ECB",
    }
    assert client.post("/finance/rates/", data).status_code == 302
    response = client.post("/finance/rates/", {**data, "rate": "1.09"})
    assert response.status_code == 200 and "a correction needs its own source" in response.content.decode()
    assert (
        client.post("/finance/rates/", {**data, "rate": "1.09", "source": "ECB corrected"}).status_code == 302
    )
    assert [r[3] for r in _rates(cast.a)] == [Decimal("1.084200000000"), Decimal("1.090000000000")]
    with cast.a.context():
        events = AuditEvent.objects.filter(action="fx_rate.create").order_by("pk")
        assert [e.after["source"] for e in events] == ["ECB", "ECB corrected"]
        assert events[0].actor_id == cast.a.users["finance"].pk
    page = client.get("/finance/rates/?currency=EUR").content.decode()
    assert "ECB corrected" in page


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("quote_currency", "EUR", "must differ"),
        ("rate", "0", "greater than zero"),
        ("quote_currency", "XYZ", "ISO 4217"),
    ],
)
def test_a_bad_rate_is_refused_with_a_message_and_nothing_is_written(cast, field, value, message):
    data = {
        "base_currency": "EUR",
        "quote_currency": "USD",
        "rate_date": "2026-03-02",
        "rate": "1.08",
        "source": "ECB",
    }
    response = cast.a.client("admin").post("/finance/rates/", {**data, field: value})
    assert response.status_code == 200 and message in response.content.decode()
    assert _rates(cast.a) == []


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("finance", 200),
        ("manager", 403),
        ("marketing", 403),
        ("p1_admin", 403),
        ("p1_user", 403),
    ],
)
def test_rates_pages_are_for_finance_and_vendor_admins(cast, who, status):
    client = cast.a.client(who)
    assert client.get("/finance/rates/").status_code == status
    assert client.get("/finance/rates/convert/").status_code == status
    assert client.post("/finance/rates/", {"base_currency": "EUR"}).status_code in (
        {200} if status == 200 else {403}
    )


def test_the_convert_page_shows_jpy_and_kwd_amounts_with_the_rate_used(cast):
    with cast.a.context():
        FxRate.objects.create(
            base_currency="USD",
            quote_currency="JPY",
            rate_date=datetime.date(2026, 3, 1),
            rate=Decimal("150"),
            source="ECB",
        )
        FxRate.objects.create(
            base_currency="KWD",
            quote_currency="USD",
            rate_date=datetime.date(2026, 3, 1),
            rate=Decimal("3.25"),
            source="CBK",
        )
    client = cast.a.client("finance")
    yen = client.get("/finance/rates/convert/?amount=10.005&from_currency=USD&to_currency=JPY&day=2026-03-05")
    assert "amount" in yen.context["form"].errors  # USD takes two decimals
    yen = client.get("/finance/rates/convert/?amount=10.01&from_currency=USD&to_currency=JPY&day=2026-03-05")
    assert yen.context["conversion"].amount == Decimal("1502")  # 1501.5 half-up
    assert "¥1,502" in yen.content.decode()
    dinar = client.get("/finance/rates/convert/?amount=100&from_currency=USD&to_currency=KWD&day=2026-03-05")
    html = dinar.content.decode().replace("\xa0", "")
    assert "KWD30.769" in html and "inverted" in html and "CBK" in html
    missing = client.get("/finance/rates/convert/?amount=1&from_currency=GBP&to_currency=USD&day=2026-03-05")
    assert (
        "No exchange rate from GBP to USD" in missing.content.decode()
        and "2026-03-05" in missing.content.decode()
    )
    jpy_input = client.get(
        "/finance/rates/convert/?amount=1.5&from_currency=JPY&to_currency=USD&day=2026-03-05"
    )
    assert jpy_input.context["form"].errors["amount"] == ["JPY amounts take no decimals."]


def test_the_rates_list_shows_every_decimal_of_a_small_rate(cast):
    with cast.a.context():
        FxRate.objects.create(
            base_currency="JPY",
            quote_currency="KWD",
            rate_date=datetime.date(2026, 3, 1),
            rate=Decimal("0.002051234567"),
            source="ECB",
        )
    assert "0.002051234567" in cast.a.client("finance").get("/finance/rates/").content.decode()
