"""Every status change of an upload goes through its transition table (an illegal one is refused
and writes nothing, also when a job is re-run); a transient database error is retried by Celery,
not turned into a failed upload; the loader reports progress from the reader's byte counter."""

from __future__ import annotations

import io

import pytest
from django.db import OperationalError, transaction

from posdata import pipeline
from posdata.models import PosLine, RejectedRow, Upload
from posdata.pipeline import stage
from posdata.pipeline.load import _moving_into
from posdata.services import exceptions_reprocess_start, loading, sku_xref_create, uploads
from posdata.tasks import process_upload, reprocess_exceptions
from prm.jobs.models import Job
from prm.reader import FileLayout
from prm.workflow import DomainError, InvalidTransition
from tests.posdata.helpers import load, write

pytestmark = pytest.mark.django_db

CONTENT = (
    "Invoice #,Ship Date,Part #,Qty,Unit Price\nI-1,2026-01-05,PMP-100,2,100\nI-2,2026-01-06,PMP-100,1,100\n"
)


@pytest.fixture
def worker_retries():
    """Celery retries as a worker does (eagerly here): a retry runs the task again instead of
    propagating to the caller."""
    conf = process_upload.app.conf
    before = conf.task_eager_propagates
    conf.task_eager_propagates = False
    yield
    conf.task_eager_propagates = before


def _queued(cast) -> tuple[Upload, Job]:
    """An upload confirmed for loading (queued) and its job, not run yet."""
    upload = uploads.upload_receive(
        partner=cast.a.partners["p1"],
        kind="pos",
        file=io.BytesIO(CONTENT.encode()),
        original_name="s.csv",
        read_now=True,
    )
    job = uploads.upload_confirm(upload=upload, mapping=upload.mapping, enqueue=False)
    upload.refresh_from_db()
    assert upload.status == Upload.Status.QUEUED
    return upload, job


def test_an_illegal_upload_transition_is_refused_and_writes_nothing(cast, catalog, tmp_path):
    upload, result = load(cast.a, "p1", write(tmp_path, CONTENT))
    assert result["rows_loaded"] == 2
    with cast.a.context():
        refused = pytest.raises(InvalidTransition, match="cannot move from Loaded to Processing")
        with refused, transaction.atomic():
            locked = Upload.objects.select_for_update().get(pk=upload.pk)
            uploads.upload_set_status(locked, Upload.Status.PROCESSING, error="x")
        upload.refresh_from_db()
        assert (upload.status, upload.error) == (Upload.Status.LOADED, "")
        # Confirming a loaded file again is refused before anything is written.
        jobs = Job.objects.count()
        with pytest.raises(DomainError, match="cannot move from Loaded to Queued"):
            uploads.upload_confirm(upload=upload, mapping=upload.mapping, enqueue=False)
        assert Job.objects.count() == jobs
        upload.refresh_from_db()
        assert upload.status == Upload.Status.LOADED


def test_a_rerun_job_does_not_load_an_upload_that_failed(cast, catalog):
    """The job of a failed upload that was never marked finished (the worker died in between) is
    delivered again: the upload may not move from failed to processing, so nothing loads."""
    with cast.a.context():
        upload, job = _queued(cast)
        with transaction.atomic():
            locked = Upload.objects.select_for_update().get(pk=upload.pk)
            uploads.upload_set_status(locked, Upload.Status.FAILED, error="The worker stopped.")
        loading.upload_process(job)
        upload.refresh_from_db()
        job.refresh_from_db()
        assert (upload.status, upload.error) == (Upload.Status.FAILED, "The worker stopped.")
        assert job.status == Job.Status.FAILED and "cannot move from Failed to Processing" in job.error
        assert not PosLine.objects.exists()


def test_a_transient_database_error_is_retried_by_celery_and_the_retry_loads(
    cast, catalog, monkeypatch, worker_retries
):
    real_load = loading._load
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_load(*args, **kwargs)

    monkeypatch.setattr(loading, "_load", flaky)
    with cast.a.context():
        upload, job = _queued(cast)
    # The task as the worker runs it: the first attempt raises, Celery retries (eagerly here).
    outcome = process_upload.apply(kwargs={"tenant_id": cast.a.tenant.pk, "job_id": job.pk})
    assert outcome.successful() and outcome.result["rows_loaded"] == 2
    assert calls["n"] == 2
    with cast.a.context():
        upload.refresh_from_db()
        job.refresh_from_db()
        assert (upload.status, upload.error) == (Upload.Status.LOADED, "")
        assert job.status == Job.Status.SUCCEEDED and not job.error
        assert PosLine.objects.count() == 2


def test_a_transient_error_that_outlasts_the_retries_fails_with_a_reference(
    cast, catalog, monkeypatch, worker_retries
):
    calls = {"n": 0}

    def down(*args, **kwargs):
        calls["n"] += 1
        raise OperationalError("could not connect to server at 10.0.0.5")

    monkeypatch.setattr(loading, "_load", down)
    with cast.a.context():
        upload, job = _queued(cast)
    process_upload.apply(kwargs={"tenant_id": cast.a.tenant.pk, "job_id": job.pk})
    assert calls["n"] == process_upload.max_retries + 1
    with cast.a.context():
        upload.refresh_from_db()
        job.refresh_from_db()
        for shown in (upload.error, job.error):
            assert "10.0.0.5" not in shown and "reference" in shown
        assert (upload.status, job.status) == (Upload.Status.FAILED, Job.Status.FAILED)


def test_set_based_resolution_updates_move_only_open_rows(cast):
    with cast.a.context():
        assert _moving_into(RejectedRow.TRANSITIONS, RejectedRow.Resolution.LOADED) == "('')"
        assert _moving_into(RejectedRow.TRANSITIONS, RejectedRow.Resolution.DUPLICATE) == "('')"


def test_staging_reports_progress_from_the_bytes_read(cast, catalog, tmp_path, monkeypatch):
    rows = "".join(f"I-{i},2026-01-05,PMP-100,1,1\n" for i in range(7))
    path = write(tmp_path, "Invoice,Date,SKU,Qty,Price\n" + rows)
    layout = FileLayout(
        format="csv",
        encoding="utf-8",
        delimiter=",",
        header_row=1,
        headers=["Invoice", "Date", "SKU", "Qty", "Price"],
    )
    monkeypatch.setattr(stage, "COPY_CHUNK_ROWS", 3)
    seen: list[float] = []
    with cast.a.context():
        pipeline.create_table_like_staging("staging.progress_test")
        try:
            count = pipeline.stage_file(
                table="staging.progress_test",
                tenant_id=cast.a.tenant.pk,
                upload_id=1,
                path=path,
                layout=layout,
                mapping={
                    "invoice_number": "Invoice",
                    "invoice_date": "Date",
                    "sku": "SKU",
                    "quantity": "Qty",
                },
                kind="pos",
                progress=seen.append,
            )
        finally:
            pipeline.drop_table("staging.progress_test")
    assert count == 7
    assert len(seen) == 3  # after each chunk of 3 rows (3, 6, 7)
    assert all(0 < f <= 1 for f in seen) and seen == sorted(seen) and seen[-1] == 1.0


def test_reprocessing_the_exception_queue_retries_a_transient_error(
    cast, catalog, tmp_path, monkeypatch, worker_retries
):
    content = "Invoice,Date,Partner SKU,Qty,Price\nA,2026-01-01,NW-VALVE,2,10\nB,2026-01-02,NW-VALVE,1,10\n"
    _upload, result = load(cast.a, "p1", write(tmp_path, content))
    assert result["rows_rejected"] == 2
    real_normalise = pipeline.normalise
    calls = {"n": 0}

    def flaky(run):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_normalise(run)

    monkeypatch.setattr(pipeline, "normalise", flaky)
    manager = cast.a.memberships["manager"]
    with cast.a.context():
        partner = cast.a.partners["p1"]
        sku_xref_create(
            partner=partner, partner_sku="NW-VALVE", product=catalog["valve"], acting_membership=manager
        )
        job = exceptions_reprocess_start(
            partner=partner, acting_membership=manager
        )  # runs on commit: not here
    reprocess_exceptions.apply(kwargs={"tenant_id": cast.a.tenant.pk, "job_id": job.pk})
    assert calls["n"] == 2
    with cast.a.context():
        job.refresh_from_db()
        assert job.status == Job.Status.SUCCEEDED and job.result["rows_loaded"] == 2, job.error
        assert set(RejectedRow.objects.values_list("resolution", flat=True)) == {"loaded"}
