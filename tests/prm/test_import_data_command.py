"""`manage.py import_data --tenant SLUG --kind partners|products FILE --json` (INTERFACES.md)."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from partners.models import Partner
from prm.catalog.models import Product

pytestmark = pytest.mark.django_db

PARTNER_HEADER = "code,name,type,country,region,tier,email"


@pytest.fixture(autouse=True)
def _standard_tiers(cast):
    """The tenant's default program with its standard tiers, which the files below name."""
    from partners.services.programs import default_program

    with cast.a.context():
        default_program()


def _write(tmp_path: Path, text: str, name="data.csv", encoding="utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run_import(path: Path, kind="partners", tenant="acme") -> dict:
    out = StringIO()
    call_command("import_data", "--tenant", tenant, "--kind", kind, str(path), "--json", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1, "--json prints exactly one JSON object"
    return json.loads(lines[0])


def _partners(cast) -> dict[str, tuple]:
    with cast.a.context():
        return {p.code: (p.name, p.type, p.country, p.region, p.tier, p.email) for p in Partner.objects.all()}


def test_json_report_has_exactly_the_contract_keys(cast, tmp_path):
    report = run_import(
        _write(tmp_path, f"{PARTNER_HEADER}\nD300,Fabrikam,reseller,CA,Canada,Silver,s@fab.test\n")
    )
    assert report == {"kind": "partners", "created": 1, "updated": 0, "errors": []}


def test_rows_are_created_then_updated_by_natural_key(cast, tmp_path):
    first = _write(
        tmp_path,
        f"{PARTNER_HEADER}\nD300,Fabrikam,reseller,CA,Canada,Silver,s@fab.test\nD400,Wingtip,referral,GB,UK,,\n",
    )
    assert run_import(first) == {"kind": "partners", "created": 2, "updated": 0, "errors": []}
    second = _write(
        tmp_path,
        f"{PARTNER_HEADER}\nD300,Fabrikam Inc,reseller,CA,Canada,Gold,s@fab.test\nD100,Northwind Distribution,distributor,US,West,Platinum,\n",
        name="second.csv",
    )
    assert run_import(second) == {"kind": "partners", "created": 0, "updated": 2, "errors": []}
    partners = _partners(cast)
    assert partners["D300"] == ("Fabrikam Inc", "reseller", "CA", "Canada", "Gold", "s@fab.test")
    assert partners["D100"][4] == "Platinum"
    assert sorted(partners) == ["D100", "D200", "D300", "D400"]
    with cast.b.context():
        assert list(Partner.objects.values_list("code", flat=True)) == ["R100"]


def test_a_file_with_invalid_rows_imports_nothing_and_reports_every_row_with_line_and_column(cast, tmp_path):
    path = _write(
        tmp_path,
        f"{PARTNER_HEADER}\n"
        "D300,Good Co,reseller,US,West,Gold,a@b.test\n"  # line 2: fine
        "D301,Bad Type,wholesaler,US,West,Gold,\n"  # line 3
        "D302,Bad Country,reseller,USA,West,Gold,\n"  # line 4
        "D303,Fine Too,distributor,DE,,,\n"  # line 5: fine
        ",No Code,reseller,US,,,\n"  # line 6
        "D305,Bad Email,distributor,DE,,,not-an-email\n",  # line 7
    )
    report = run_import(path)
    assert report["created"] == 0 and report["updated"] == 0
    assert [(e["line"], e["column"]) for e in report["errors"]] == [
        (3, "type"),
        (4, "country"),
        (6, "code"),
        (7, "email"),
    ]
    assert all(e["message"] for e in report["errors"])
    assert sorted(_partners(cast)) == ["D100", "D200"]


def test_an_invalid_row_also_prevents_updates_of_valid_rows(cast, tmp_path):
    path = _write(tmp_path, f"{PARTNER_HEADER}\nD100,Renamed,distributor,US,West,Gold,\nD999,X,bogus,US,,,\n")
    report = run_import(path)
    assert [(e["line"], e["column"]) for e in report["errors"]] == [(3, "type")]
    assert _partners(cast)["D100"][0] == "Northwind Distribution"


def test_extra_columns_are_ignored(cast, tmp_path):
    path = _write(
        tmp_path,
        "notes,code,name,type,country,region,tier,email,status,tenant_id\n"
        "hello,D300,Fabrikam,reseller,CA,Canada,Silver,,terminated,999\n",
    )
    assert run_import(path) == {"kind": "partners", "created": 1, "updated": 0, "errors": []}
    with cast.a.context():
        partner = Partner.objects.get(code="D300")
        assert partner.status == Partner.Status.ACTIVE
        assert partner.tenant == cast.a.tenant


def test_missing_required_column_is_reported_on_the_header_line(cast, tmp_path):
    report = run_import(_write(tmp_path, "code,name,country\nD300,Fabrikam,CA\n"))
    assert report["created"] == 0
    assert report["errors"] == [{"line": 1, "column": "type", "message": "Required column is missing."}]


def test_xlsx_files_work(cast, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "name", "type", "country", "region", "tier", "email"])
    sheet.append(["D300", "Fabrikam", "reseller", "CA", "Canada", "Silver", None])
    sheet.append([500, "Numeric Code", "referral", "GB", None, None, None])
    sheet.append(["D302", "Broken", "reseller", "Canada", None, None, None])
    path = tmp_path / "partners.xlsx"
    workbook.save(path)
    report = run_import(path)
    assert [(e["line"], e["column"]) for e in report["errors"]] == [(4, "country")]
    sheet.delete_rows(4)
    workbook.save(path)
    assert run_import(path) == {"kind": "partners", "created": 2, "updated": 0, "errors": []}
    assert _partners(cast)["500"][0] == "Numeric Code"


def test_semicolon_delimited_windows_1252_csv_works(cast, tmp_path):
    text = "code;name;type;country;region;tier;email\r\nD300;Müller & Söhne GmbH;distributor;DE;Süd;Gold;\r\n"
    path = _write(tmp_path, text, encoding="cp1252")
    assert run_import(path) == {"kind": "partners", "created": 1, "updated": 0, "errors": []}
    assert _partners(cast)["D300"][:4] == ("Müller & Söhne GmbH", "distributor", "DE", "Süd")


def test_utf8_bom_and_utf16_csv_work(cast, tmp_path):
    bom = _write(
        tmp_path, f"{PARTNER_HEADER}\nD300,Café Ltd,reseller,FR,,,\n", name="bom.csv", encoding="utf-8-sig"
    )
    utf16 = _write(
        tmp_path, f"{PARTNER_HEADER}\nD301,Ærø ApS,reseller,DK,,,\n", name="u16.csv", encoding="utf-16"
    )
    assert run_import(bom)["created"] == 1
    assert run_import(utf16)["created"] == 1
    partners = _partners(cast)
    assert (partners["D300"][0], partners["D301"][0]) == ("Café Ltd", "Ærø ApS")


def test_products_are_created_and_updated_by_sku(cast, tmp_path):
    header = "sku,name,category,unit_of_measure,units_per_case,list_price,currency,gtin"
    first = _write(
        tmp_path,
        f"{header}\nVLV-010,Ball valve DN50,valves,EA,10,185.50,USD,00012345600104\nSNS-050,Sensor,controls,,,95.25,usd,\n",
    )
    assert run_import(first, kind="products") == {
        "kind": "products",
        "created": 2,
        "updated": 0,
        "errors": [],
    }
    second = _write(
        tmp_path, f"{header}\nVLV-010,Ball valve DN50,valves,EA,12,190.00,USD,00012345600104\n", name="b.csv"
    )
    assert run_import(second, kind="products") == {
        "kind": "products",
        "created": 0,
        "updated": 1,
        "errors": [],
    }
    with cast.a.context():
        valve = Product.objects.get(sku="VLV-010")
        assert (valve.units_per_case, valve.list_price) == (12, Decimal("190.00"))
        sensor = Product.objects.get(sku="SNS-050")
        assert (sensor.unit_of_measure, sensor.units_per_case, sensor.currency) == ("EA", 1, "USD")


def test_invalid_product_rows_are_reported_with_their_columns(cast, tmp_path):
    header = "sku,name,category,unit_of_measure,units_per_case,list_price,currency,gtin"
    path = _write(
        tmp_path,
        f"{header}\n"
        "P-1,Fine,pumps,EA,1,10.00,USD,\n"  # 2
        "P-2,Negative,pumps,EA,1,-5,USD,\n"  # 3
        "P-3,Bad GTIN,pumps,EA,1,10,USD,12AB\n"  # 4
        "P-4,Zero per case,pumps,EA,0,10,USD,\n"  # 5
        "P-5,Bad currency,pumps,EA,1,10,DOLLARS,\n",  # 6
    )
    report = run_import(path, kind="products")
    assert report["created"] == 0
    # One entry per message; a cell may break several rules (length and format).
    assert sorted({(e["line"], e["column"]) for e in report["errors"]}) == [
        (3, "list_price"),
        (4, "gtin"),
        (5, "units_per_case"),
        (6, "currency"),
    ]
    with cast.a.context():
        assert not Product.objects.filter(sku__startswith="P-").exists()


def test_unparseable_number_is_reported_with_line_and_column(cast, tmp_path):
    header = "sku,name,category,unit_of_measure,units_per_case,list_price,currency,gtin"
    path = _write(
        tmp_path, f"{header}\nP-1,Fine,pumps,EA,1,10.00,USD,\nP-2,Words,pumps,EA,1,ten dollars,USD,\n"
    )
    report = run_import(path, kind="products")
    assert report["created"] == 0
    assert [(e["line"], e["column"]) for e in report["errors"]] == [(3, "list_price")]


def test_unknown_tenant_exits_non_zero(cast, tmp_path):
    path = _write(tmp_path, f"{PARTNER_HEADER}\nD300,X,reseller,US,,,\n")
    with pytest.raises(CommandError, match="Unknown tenant"):
        call_command("import_data", "--tenant", "nope", "--kind", "partners", str(path), "--json")


def test_unknown_kind_or_missing_file_exits_non_zero(cast, tmp_path):
    path = _write(tmp_path, f"{PARTNER_HEADER}\n")
    with pytest.raises(CommandError, match="Unknown kind"):
        call_command("import_data", "--tenant", "acme", "--kind", "widgets", str(path))
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_data", "--tenant", "acme", "--kind", "partners", str(tmp_path / "missing.csv"))


def test_binary_file_is_refused_with_a_clear_error(cast, tmp_path):
    path = tmp_path / "partners.csv"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(200))
    with pytest.raises(CommandError, match="neither a text"):
        call_command("import_data", "--tenant", "acme", "--kind", "partners", str(path), "--json")


def test_import_is_recorded_as_a_job(cast, tmp_path):
    from prm.jobs.models import Job

    run_import(_write(tmp_path, f"{PARTNER_HEADER}\nD300,Fabrikam,reseller,CA,,,\n"))
    with cast.a.context():
        job = Job.objects.get()
        assert (job.kind, job.status, job.result["created"]) == ("import:partners", Job.Status.SUCCEEDED, 1)
