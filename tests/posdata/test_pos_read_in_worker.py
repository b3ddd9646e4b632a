"""POS files are read by the worker, never in the web request: the upload request only stores and
checks the file; the mapping page shows the preview read once (it never opens the file again);
unreadable or hostile files fail with their reason; unexpected errors show a reference, not the
exception's text, and transient database errors are retried instead of failing the upload."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.test import TestCase

from posdata import services
from posdata.models import Upload
from posdata.services import loading, uploads
from prm import files
from prm.jobs.models import Job
from tests.posdata.helpers import load, write

pytestmark = pytest.mark.django_db

CONTENT = "Invoice #,Ship Date,Part #,Qty,Unit Price\nI-1,2026-01-05,PMP-100,2,100\n"


def _post(client, partner_pk, content: bytes, name="sales.csv"):
    data = {"partner": partner_pk, "kind": "pos", "file": SimpleUploadedFile(name, content)}
    return client.post("/pos/uploads/new/", data)


def _explode(*args, **kwargs):
    raise AssertionError("the file was parsed in the web request")


def test_the_upload_request_stores_the_file_without_parsing_it(cast, catalog, monkeypatch):
    monkeypatch.setattr(uploads, "inspect_file", _explode)
    client = cast.a.client("p1_user")
    response = _post(client, cast.a.partners["p1"].pk, CONTENT.encode())
    assert response.status_code == 302
    with cast.a.context():
        upload = Upload.objects.get()
    assert (upload.status, upload.headers) == (Upload.Status.RECEIVED, [])
    page = client.get(f"/pos/uploads/{upload.pk}/mapping/")
    assert page.status_code == 200 and b'data-testid="reading-refresh"' in page.content
    status = client.get(f"/pos/uploads/{upload.pk}/status/", HTTP_HX_REQUEST="true")
    assert status.status_code == 200 and b'hx-trigger="every 1s"' in status.content


def test_the_worker_reads_once_and_the_mapping_page_never_reopens_the_file(cast, catalog):
    client = cast.a.client("p1_user")
    with TestCase.captureOnCommitCallbacks(execute=True):
        _post(client, cast.a.partners["p1"].pk, ("Sales export\n" + CONTENT).encode())
    with cast.a.context():
        upload = Upload.objects.get()
    assert upload.status == Upload.Status.MAPPING and upload.header_row == 2
    assert upload.preview == [["I-1", "2026-01-05", "PMP-100", "2", "100"]]
    status = client.get(f"/pos/uploads/{upload.pk}/status/", HTTP_HX_REQUEST="true")
    assert status.status_code == 286 and status["HX-Redirect"] == f"/pos/uploads/{upload.pk}/mapping/"
    Path(upload.path).unlink()  # the page must not need it
    page = client.get(f"/pos/uploads/{upload.pk}/mapping/")
    assert page.status_code == 200 and b"I-1" in page.content and b"PMP-100" in page.content


def test_preview_cells_are_cut_short(cast, catalog, tmp_path):
    long_name = "N" * 5000
    upload, _result = load(
        cast.a,
        "p1",
        write(tmp_path, f"Invoice,Date,SKU,Qty,Price,Customer\nA,2026-01-05,PMP-100,1,1,{long_name}\n"),
    )
    assert len(upload.preview[0][5]) == services.PREVIEW_CELL_CHARS


def test_a_hostile_workbook_is_refused_in_the_request_with_its_reason(cast, catalog):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/sharedStrings.xml", b"<sst>" + b"<si><t>x</t></si>" * 500_000 + b"</sst>")
    response = _post(cast.a.client("p1_user"), cast.a.partners["p1"].pk, buffer.getvalue(), name="x.xlsx")
    assert response.status_code == 200 and "sharedStrings.xml" in response.content.decode()
    with cast.a.context():
        assert not Upload.objects.exists()


def test_a_csv_without_line_breaks_fails_with_its_reason_and_is_deleted(cast, catalog):
    content = b"Invoice,Date,SKU,Qty,Price\n" + b"A;" * files.CSV_MAX_RECORD_CHARS
    client = cast.a.client("p1_user")
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert _post(client, cast.a.partners["p1"].pk, content).status_code == 302
    with cast.a.context():
        upload = Upload.objects.get()
    assert upload.status == Upload.Status.FAILED and "longer than" in upload.error
    assert not Path(upload.path).exists()
    page = client.get(f"/pos/uploads/{upload.pk}/mapping/")
    assert page.status_code == 302 and page["Location"] == f"/pos/uploads/{upload.pk}/"


def test_an_unexpected_reading_error_shows_a_reference_and_logs_the_detail(
    cast, catalog, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise KeyError("xl/secret/internal-part.xml")

    monkeypatch.setattr(uploads, "inspect_file", broken)
    with caplog.at_level(logging.ERROR), TestCase.captureOnCommitCallbacks(execute=True):
        _post(cast.a.client("p1_user"), cast.a.partners["p1"].pk, CONTENT.encode())
    with cast.a.context():
        upload = Upload.objects.get()
    assert upload.status == Upload.Status.FAILED
    assert "internal-part" not in upload.error and "reference" in upload.error
    assert "internal-part" in caplog.text


def test_an_unexpected_load_error_shows_a_reference_not_the_exception(
    cast, catalog, tmp_path, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError('relation "posdata_secret" does not exist')

    monkeypatch.setattr(loading, "_load", broken)
    with caplog.at_level(logging.ERROR):
        upload, _result = load(cast.a, "p1", write(tmp_path, CONTENT))
    with cast.a.context():
        upload.refresh_from_db()
        job = upload.job
    assert upload.status == Upload.Status.FAILED and job.status == Job.Status.FAILED
    for shown in (upload.error, job.error):
        assert "posdata_secret" not in shown and "reference" in shown
    assert "posdata_secret" in caplog.text


def test_a_transient_database_error_is_left_to_the_task_retry_not_failed(cast, catalog, monkeypatch):
    from posdata.tasks import process_upload

    assert OperationalError in process_upload.autoretry_for and process_upload.max_retries >= 3
    real_load = loading._load
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_load(*args, **kwargs)

    monkeypatch.setattr(loading, "_load", flaky)
    with cast.a.context():
        upload = services.upload_receive(
            partner=cast.a.partners["p1"],
            kind="pos",
            file=io.BytesIO(CONTENT.encode()),
            original_name="s.csv",
            read_now=True,
        )
        job = services.upload_confirm(upload=upload, mapping=upload.mapping, enqueue=False)
        with pytest.raises(OperationalError):
            services.upload_process(job, retry_transient=True)  # attempt 1: Celery will retry
        job.refresh_from_db()
        assert job.status == Job.Status.RUNNING and not job.error
        services.upload_process(job, retry_transient=True)  # the retry
        upload.refresh_from_db()
        job.refresh_from_db()
        assert upload.status == Upload.Status.LOADED and job.status == Job.Status.SUCCEEDED


def test_the_last_attempt_of_a_transient_error_fails_with_a_reference(cast, catalog, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("could not connect to server at 10.0.0.5")

    monkeypatch.setattr(loading, "_load", down)
    with cast.a.context():
        upload = services.upload_receive(
            partner=cast.a.partners["p1"],
            kind="pos",
            file=io.BytesIO(CONTENT.encode()),
            original_name="s.csv",
            read_now=True,
        )
        job = services.upload_confirm(upload=upload, mapping=upload.mapping, enqueue=False)
        services.upload_process(job, retry_transient=False)
        job.refresh_from_db()
        assert job.status == Job.Status.FAILED and "10.0.0.5" not in job.error and "reference" in job.error


def test_a_failed_scorecard_job_shows_a_reference_not_the_exception(cast, monkeypatch, caplog):
    from partners.services import scorecards

    def broken(**kwargs):
        raise ValueError("division by zero in kpi provider deals.secret")

    monkeypatch.setattr(scorecards, "scorecards_calculate", broken)
    with cast.a.context(), caplog.at_level(logging.ERROR), TestCase.captureOnCommitCallbacks(execute=True):
        job = scorecards.scorecard_recalculate_start(acting_membership=cast.a.memberships["admin"])
    with cast.a.context():
        job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "deals.secret" not in job.error and "reference" in job.error
    assert "deals.secret" in caplog.text
