"""Chaos: a real worker is SIGKILLed in the middle of a job (after part of the work is written),
a new worker starts, Celery delivers the task again, and the final state equals that of an
undisturbed run of the same input, row for row, with nothing duplicated.

POS load: the killed run has COPYed part of the file into its staging table; the redelivered run
stages again into new tables, loads every line once, and the sweep drops the orphans.
Claim validation: the killed run has moved the claim to validating and staged part of the file;
the redelivered run validates from the start, consuming the agreement's quantity once."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.db import connection

from claims.models import AgreementLine, Claim, ClaimLine
from claims.services.claims import claim_submit, claim_validate_run
from posdata.models import PosLine, RejectedRow, Upload
from posdata.services import pos_file_load, upload_confirm, upload_receive
from prm.db.roles import STAGING_SCHEMA
from prm.jobs.models import Job
from prm.jobs.staging import sweep_staging_tables
from tests.claims.helpers import agreement
from tests.ops.chaos import Workers, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.chaos]

POS_ROWS = 200_000
CLAIM_LINES = 120_000
POS_HEADERS = ("Invoice", "Date", "Item", "Qty", "Price", "Customer")
POS_MAPPING = dict(
    zip(
        ("invoice_number", "invoice_date", "sku", "quantity", "unit_price", "end_customer"),
        POS_HEADERS,
        strict=True,
    )
)


@pytest.fixture
def workers():
    from prm.celery import app

    app.conf.task_always_eager = False
    pool = Workers()
    yield pool
    pool.stop_all()
    app.conf.task_always_eager = True


def _pos_file(tmp_path: Path) -> Path:
    path = tmp_path / "sales.csv"
    with path.open("w") as out:
        out.write(",".join(POS_HEADERS) + "\n")
        for i in range(POS_ROWS):
            sku = "NOPE-1" if i % 97 == 0 else "PMP-100"  # unknown products are rejected
            quantity = 0 if i % 89 == 0 else 1 + i % 7  # zero quantities too
            day = datetime.date(2026, 10, 1) + datetime.timedelta(days=i % 28)
            out.write(f"INV-{i // 4},{day.isoformat()},{sku},{quantity},{12 + i % 5}.50,Customer {i % 300}\n")
    return path


def _staged_rows(job: Job) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relname LIKE %s",
            [STAGING_SCHEMA, f"t{job.tenant_id}\\_j{job.pk}\\_%\\_stage"],
        )
        tables = [row[0] for row in cursor.fetchall()]
        total = 0
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM {STAGING_SCHEMA}."{table}"')
            total += cursor.fetchone()[0]
        return total


def _kill_mid_job(workers, job: Job, *, started: int, what: str) -> None:
    first = workers.start()

    def in_the_middle() -> bool:
        job.refresh_from_db()
        assert not job.is_finished, f"the {what} finished before the worker could be killed"
        return job.status == Job.Status.RUNNING and job.progress >= started

    wait_for(in_the_middle, timeout=120, what=f"the {what} to be under way")
    workers.kill(first)


def _pos_lines(upload: Upload) -> list[tuple]:
    return list(
        PosLine.objects.filter(upload=upload)
        .order_by("invoice_number", "invoice_line")
        .values_list(
            "invoice_number",
            "invoice_line",
            "invoice_date",
            "product_id",
            "quantity",
            "unit_price",
            "amount",
            "currency",
            "end_customer",
            "transaction_type",
            "source_line",
        )
    )


def test_a_pos_load_killed_mid_file_is_redelivered_and_loads_every_line_once(cast, tmp_path, workers):
    path = _pos_file(tmp_path)
    with cast.a.context():
        with path.open("rb") as handle:
            upload = upload_receive(
                partner=cast.a.partners["p1"],
                kind="pos",
                file=handle,
                original_name="sales.csv",
                acting_user=cast.a.users["p1_admin"],
                mapping=POS_MAPPING,
                read_now=True,
            )
        job = upload_confirm(upload=upload, mapping=upload.mapping)  # enqueued on commit, to the broker

        _kill_mid_job(workers, job, started=15, what="POS load")
        upload.refresh_from_db()
        assert upload.status == Upload.Status.PROCESSING
        assert _staged_rows(job) > 0  # part of the file was written...
        assert not PosLine.objects.filter(upload=upload).exists()  # ...none of it loaded yet

        workers.start()
        wait_for(lambda: job.refresh_from_db() or job.is_finished, timeout=240, what="the redelivered load")
        upload.refresh_from_db()
        assert job.status == Job.Status.SUCCEEDED, job.error
        assert upload.status == Upload.Status.LOADED
        assert job.attempts == 2  # the killed run and the redelivered one

        # The same file, undisturbed, for the other partner (same products, same rules).
        reference, summary = pos_file_load(partner=cast.a.partners["p2"], path=path, mapping=POS_MAPPING)
        assert reference is not None
        assert _pos_lines(upload) == _pos_lines(reference)
        assert len(_pos_lines(upload)) == upload.rows_loaded == reference.rows_loaded
        assert sorted(RejectedRow.objects.filter(upload=upload).values_list("line", "code")) == sorted(
            RejectedRow.objects.filter(upload=reference).values_list("line", "code")
        )
        ours = {k: v for k, v in job.result.items() if k != "errors"}
        theirs = {k: v for k, v in summary.items() if k != "errors"}
        assert ours == theirs
        assert ours["rows_loaded"] > 0 and ours["rows_rejected"] > 0
        # The killed run's staging tables are orphans now: the sweep drops them.
        sweep_staging_tables()
        assert _staged_rows(job) == 0


def _claim_file(tmp_path: Path, agreement_number: str) -> Path:
    path = tmp_path / f"claim-{agreement_number}.csv"
    with path.open("w") as out:
        out.write(
            "agreement_number,invoice_number,invoice_line,ship_date,sku,quantity,unit_of_measure,"
            "end_customer,claimed_unit_debit,resale_price\n"
        )
        for i in range(CLAIM_LINES):
            quantity = "abc" if i % 101 == 0 else "1"  # invalid data on some lines
            debit = "25.00" if i % 13 == 0 else "20.00"  # above the allowed debit: adjusted
            out.write(
                f"{agreement_number},INV-{i},1,2026-06-01,PMP-100,{quantity},EA,"
                f"Globex Water Utility,{debit},\n"
            )
    return path


def _verdicts(claim: Claim) -> list[tuple]:
    return list(
        ClaimLine.objects.filter(claim=claim)
        .order_by("line")
        .values_list("line", "status", "codes", "accepted_quantity", "amount", "claimed_amount")
    )


def _submit(cast, partner: str, path: Path, *, enqueue: bool) -> Claim:
    with path.open("rb") as handle:
        return claim_submit(
            partner=cast.a.partners[partner],
            number=f"DM-{partner}",
            claim_date=datetime.date(2026, 6, 30),
            file=handle,
            original_name=path.name,
            acting_membership=cast.a.memberships[f"{partner}_user"],
            enqueue=enqueue,
        )


def test_a_claim_validation_killed_mid_file_is_redelivered_and_consumes_quantity_once(
    cast, tmp_path, workers
):
    authorised = CLAIM_LINES // 2  # the later lines find the quantity used up
    with cast.a.context():
        agreement(cast, "SPA-1", partner="p1", lines=[("PMP-100", "100.00", "80.00", authorised)])
        agreement(cast, "SPA-2", partner="p2", lines=[("PMP-100", "100.00", "80.00", authorised)])
        claim = _submit(cast, "p1", _claim_file(tmp_path, "SPA-1"), enqueue=True)
        job = claim.job

        _kill_mid_job(workers, job, started=10, what="claim validation")
        claim.refresh_from_db()
        assert claim.status == Claim.Status.VALIDATING
        assert _staged_rows(job) > 0
        assert not ClaimLine.objects.filter(claim=claim).exists()

        workers.start()
        wait_for(
            lambda: job.refresh_from_db() or job.is_finished, timeout=240, what="the redelivered validation"
        )
        claim.refresh_from_db()
        assert job.status == Job.Status.SUCCEEDED, job.error
        assert claim.status == Claim.Status.IN_REVIEW
        assert job.attempts == 2

        reference = _submit(cast, "p2", _claim_file(tmp_path, "SPA-2"), enqueue=False)
        claim_validate_run(reference.job)
        reference.refresh_from_db()

        ours, theirs = _verdicts(claim), _verdicts(reference)
        assert len(ours) == CLAIM_LINES
        assert ours == theirs
        statuses = {status for _line, status, *_rest in ours}
        assert {"accepted", "adjusted", "rejected"} <= statuses
        consumed = dict(AgreementLine.objects.values_list("agreement__number", "consumed_quantity"))
        assert consumed["SPA-1"] == consumed["SPA-2"] <= authorised
        assert (claim.claimed_total, claim.approved_total) == (
            reference.claimed_total,
            reference.approved_total,
        )
