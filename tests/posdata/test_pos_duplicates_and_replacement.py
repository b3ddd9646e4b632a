"""Duplicates (file and line), safe re-runs, and the explicit, audited period replacement."""

from __future__ import annotations

import datetime

import pytest

from tests.posdata.helpers import load, write

pytestmark = pytest.mark.django_db

HEADER = "Invoice,Line,Date,SKU,Qty,Price\n"


def test_lines_already_loaded_count_as_duplicates_not_sales(cast, catalog, tmp_path):
    load(cast.a, "p1", write(tmp_path, HEADER + "A,1,2026-01-01,PMP-100,1,10\n", "a.csv"))
    second = (
        HEADER + "A,1,2026-01-01,PMP-100,1,10\nA,2,2026-01-01,PMP-100,1,10\nA,2,2026-01-01,PMP-100,5,10\n"
    )
    _u, result = load(cast.a, "p1", write(tmp_path, second, "b.csv"))
    assert (result["rows_loaded"], result["rows_duplicate"], result["quantity_total"]) == (1, 2, 1)


def test_other_partner_may_use_the_same_invoice_numbers(cast, catalog, tmp_path):
    path = write(tmp_path, HEADER + "A,1,2026-01-01,PMP-100,1,10\n")
    load(cast.a, "p1", path)
    _u, result = load(cast.a, "p2", path)
    assert result["status"] == "loaded" and result["rows_loaded"] == 1


def test_rerunning_a_finished_job_changes_nothing(cast, catalog, tmp_path):
    from posdata.models import PosLine
    from posdata.services import upload_process

    upload, first = load(cast.a, "p1", write(tmp_path, HEADER + "A,1,2026-01-01,PMP-100,1,10\n"))
    with cast.a.context():
        again = upload_process(upload.job)
        assert PosLine.objects.count() == 1
    assert again["rows_loaded"] == first["rows_loaded"]


def test_redelivered_job_of_a_loaded_upload_reports_the_same_summary(cast, catalog, tmp_path):
    from posdata.models import PosLine
    from posdata.services import upload_process
    from prm.jobs.models import Job

    upload, _first = load(cast.a, "p1", write(tmp_path, HEADER + "A,1,2026-01-01,PMP-100,1,10\n"))
    with cast.a.context():
        Job.objects.filter(pk=upload.job_id).update(status=Job.Status.RUNNING)  # worker died after commit
        job = Job.objects.get(pk=upload.job_id)
        again = upload_process(job)
        assert PosLine.objects.count() == 1
    assert again["rows_loaded"] == 1 and again["rows_duplicate"] == 0


def test_period_replacement_deletes_the_period_and_loads_the_corrected_file_with_audit(
    cast, catalog, tmp_path
):
    from posdata.models import PosLine
    from prm.audit.models import AuditEvent

    original = (
        HEADER + "A,1,2026-01-10,PMP-100,1,10\nB,1,2026-01-20,PMP-100,2,10\nC,1,2026-02-05,PMP-100,3,10\n"
    )
    load(cast.a, "p1", write(tmp_path, original, "orig.csv"))
    corrected = HEADER + "A,1,2026-01-10,PMP-100,4,10\nD,1,2026-02-10,PMP-100,9,10\n"
    upload, result = load(
        cast.a,
        "p1",
        write(tmp_path, corrected, "fix.csv"),
        replace_start=datetime.date(2026, 1, 1),
        replace_end=datetime.date(2026, 1, 31),
        acting_user=cast.a.users["p1_admin"],
    )
    assert result["rows_loaded"] == 1 and result["rows_rejected"] == 1
    assert result["errors"][0]["code"] == "OUTSIDE_PERIOD"
    with cast.a.context():
        assert sorted(PosLine.objects.values_list("invoice_number", "quantity")) == [("A", 4), ("C", 3)]
        event = AuditEvent.objects.get(action="pos.period_replace")
        assert event.before == {"rows": 2} and event.object_id == str(upload.pk)
        assert event.actor == cast.a.users["p1_admin"]


def test_partner_user_may_not_replace_a_period(cast, catalog, tmp_path):
    import io

    from django.core.exceptions import PermissionDenied

    from posdata.services import upload_receive

    with cast.a.context(), pytest.raises(PermissionDenied):
        upload_receive(
            partner=cast.a.partners["p1"],
            kind="pos",
            file=io.BytesIO(b"a,b\n1,2\n"),
            original_name="x.csv",
            acting_membership=cast.a.memberships["p1_user"],
            replace_start=datetime.date(2026, 1, 1),
            replace_end=datetime.date(2026, 1, 31),
        )
