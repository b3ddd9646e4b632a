"""Uploads cannot exhaust memory or disk: a workbook's declared part sizes, its directory and its
compression are checked before any part is read; CSV records are bounded; request bodies are
refused by their declared length (anonymous ones small)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from prm import files
from prm.files import UploadRejected, check_xlsx, iter_csv_records, iter_xlsx_rows
from tests.posdata.helpers import xlsx_bytes

pytestmark = pytest.mark.django_db


def _workbook_with(tmp_path: Path, extra: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> Path:
    """A real workbook with parts replaced or added."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["code", "name"], ["A", "B"]])))
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w", compression=compression) as out:
        for info in source.infolist():
            if info.filename not in extra:
                out.writestr(info.filename, source.read(info.filename))
        for name, data in extra.items():
            out.writestr(name, data)
    return path


def _shared_strings(count: int) -> bytes:
    items = b"<si><t>x</t></si>" * count
    return (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
        % (count, count)
        + items
        + b"</sst>"
    )


def test_a_real_workbook_passes(tmp_path):
    check_xlsx(_workbook_with(tmp_path, {}))


def test_a_shared_strings_part_above_its_bound_is_refused_before_parsing(tmp_path):
    big = b"<sst>" + b"<si><t>x</t></si>" * (files.XLSX_MAX_OTHER_PART_BYTES // 16 + 1) + b"</sst>"
    path = _workbook_with(tmp_path, {"xl/sharedStrings.xml": big}, compression=zipfile.ZIP_STORED)
    with pytest.raises(UploadRejected, match=r"sharedStrings\.xml"):
        check_xlsx(path)


def test_a_tiny_file_declaring_half_a_million_shared_strings_is_refused(tmp_path):
    path = _workbook_with(tmp_path, {"xl/sharedStrings.xml": _shared_strings(500_000)})
    assert path.stat().st_size < 64 * 1024
    with pytest.raises(UploadRejected, match="compressed"):
        check_xlsx(path)


def test_the_total_of_all_parts_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "XLSX_MAX_UNCOMPRESSED", 100_000)
    path = _workbook_with(tmp_path, {f"xl/media/image{n}.bin": bytes(range(256)) * 150 for n in range(3)})
    with pytest.raises(UploadRejected, match="expands to more than"):
        check_xlsx(path)


def test_a_directory_of_too_many_parts_is_refused_without_reading_it(tmp_path, monkeypatch):
    path = _workbook_with(tmp_path, {f"xl/junk/{n}.xml": b"" for n in range(files.XLSX_MAX_ENTRIES + 1)})

    def must_not_open(*args, **kwargs):
        raise AssertionError("the directory was parsed before its size was checked")

    monkeypatch.setattr(files.zipfile, "ZipFile", must_not_open)
    with pytest.raises(UploadRejected, match="parts"):
        check_xlsx(path)


def test_xlsx_rows_stop_at_the_width_whatever_the_sheet_declares(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["a", "b"])
    sheet.cell(row=2, column=9000, value="far away")
    path = tmp_path / "wide.xlsx"
    workbook.save(path)
    rows = list(iter_xlsx_rows(path, width=5))
    assert [len(cells) for _n, cells in rows] == [5, 5]


def test_a_csv_line_without_line_breaks_is_refused_not_read_whole():
    text = io.StringIO("a,b\n" + "x" * (files.CSV_MAX_RECORD_CHARS * 4))
    records = iter_csv_records(text)
    assert next(records) == (1, ["a", "b"])
    with pytest.raises(UploadRejected, match="longer than"):
        next(records)


def test_an_endless_quoted_field_is_refused():
    text = io.StringIO('a,b\n"' + "y\n" * files.CSV_MAX_RECORD_CHARS)
    with pytest.raises(UploadRejected, match="longer than"):
        list(iter_csv_records(text))


def test_records_with_line_breaks_in_quotes_still_count_their_first_line():
    text = io.StringIO('h1,h2\n"two\nlines",x\nlast,y\n')
    assert list(iter_csv_records(text)) == [(1, ["h1", "h2"]), (2, ["two\nlines", "x"]), (4, ["last", "y"])]


def test_reference_import_refuses_an_overlong_line(cast, tmp_path):
    from prm.imports import read_dataset

    path = tmp_path / "p.csv"
    path.write_text("code,name\n" + "x" * (files.CSV_MAX_RECORD_CHARS + 10) + "\n")
    with pytest.raises(UploadRejected, match="longer than"):
        read_dataset(path, "csv")


def test_anonymous_post_with_a_big_body_is_refused_before_it_is_read(cast):
    from django.test import Client

    client = Client(HTTP_HOST=cast.a.host)
    body = b"x" * (300 * 1024)
    response = client.post("/partners/apply/", data=body, content_type="application/octet-stream")
    assert response.status_code == 413
    login = client.post("/accounts/login/", {"login": "a@b.test", "password": "x" * 300_000})
    assert login.status_code == 413


def test_signed_in_upload_above_the_limit_is_refused(cast, settings):
    settings.PRM_BODY_MAX_BYTES = 64 * 1024
    client = cast.a.client("p1_user")
    file = SimpleUploadedFile("big.csv", b"a,b\n" + b"1,2\n" * 40_000, content_type="text/csv")
    response = client.post(
        "/pos/uploads/new/", {"partner": cast.a.partners["p1"].pk, "kind": "pos", "file": file}
    )
    assert response.status_code == 413


def test_small_anonymous_posts_still_work(cast):
    from django.test import Client

    response = Client(HTTP_HOST=cast.a.host).post(
        "/accounts/login/", {"login": "nobody@x.test", "password": "x"}
    )
    assert response.status_code == 200
