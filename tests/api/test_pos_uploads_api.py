"""POS files through the API: POST a file, get a job; the job reads, maps and loads the file with
the posdata services; GET the job for its status and summary, the upload for its totals and the
rejected rows with line, column and reason. Files are checked by content; partners send only for
themselves; a key revoked before its job runs loads nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from api.services import api_key_revoke
from posdata.models import PosLine, Upload
from prm.jobs.models import Job
from tests.posdata.helpers import xlsx_bytes

pytestmark = pytest.mark.django_db

GOOD = (
    "Invoice #,Inv Date,Item Number,Qty,Unit Price,Customer\n"
    "INV-1,2026-10-01,PMP-100,5,120.00,Acme\n"
    "INV-1,2026-10-01,VLV-010,2,185.50,Acme\n"
    "INV-2,2026-10-02,NOPE-1,1,10.00,Beta\n"
    "INV-3,13/45/2026,PMP-100,1,10.00,Gamma\n"
)


def _file(content: str | bytes, name: str = "sales.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content)


def _send(client, content=GOOD, **fields):
    with_file = {"file": _file(content), **fields}
    return client.post("/api/v1/pos-uploads/", with_file)


def test_a_partner_system_sends_a_file_and_follows_the_job(
    cast, keys, catalog, django_capture_on_commit_callbacks
):
    client = keys.client("p1")
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(client)
    assert response.status_code == 202
    accepted = response.json()
    assert accepted["upload"]["status"] == "received" and accepted["upload"]["partner"] == "D100"
    job = client.get(f"/api/v1/jobs/{accepted['job']}/").json()
    assert (job["status"], job["kind"]) == ("succeeded", "api:pos_upload")
    result = job["result"]
    assert (result["rows_read"], result["rows_loaded"], result["rows_rejected"]) == (4, 2, 2)
    assert result["amount_total"] == "971.00" and result["upload"] == accepted["upload"]["id"]
    assert {(e["line"], e["code"]) for e in result["errors"]} == {(4, "UNKNOWN_PRODUCT"), (5, "INVALID_DATE")}
    upload = client.get(f"/api/v1/pos-uploads/{result['upload']}/").json()
    assert (upload["status"], upload["rows_loaded"], upload["amount_total"]) == ("loaded", 2, "971.00")
    errors = client.get(f"/api/v1/pos-uploads/{result['upload']}/errors/").json()["results"]
    assert [(row["line"], row["code"]) for row in errors] == [(4, "UNKNOWN_PRODUCT"), (5, "INVALID_DATE")]
    assert errors[1]["errors"][0]["column"] == "Inv Date"
    with cast.a.context():
        assert PosLine.objects.filter(partner=cast.a.partners["p1"]).count() == 2
        assert Upload.objects.get(pk=result["upload"]).created_by == keys.key("p1").service_user


def test_the_same_file_twice_is_refused(cast, keys, catalog, django_capture_on_commit_callbacks):
    client = keys.client("p1")
    with django_capture_on_commit_callbacks(execute=True):
        _send(client)
    again = _send(client)
    assert again.status_code == 422
    assert "already loaded" in again.json()["detail"]


def test_a_mapping_can_be_sent_with_the_file(cast, keys, catalog, django_capture_on_commit_callbacks):
    odd = "A,B,C,D,E\nX-1,2026-10-01,PMP-100,3,10.00\n"
    mapping = '{"invoice_number": "A", "invoice_date": "B", "sku": "C", "quantity": "D", "unit_price": "E"}'
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(keys.client("p1"), odd, mapping=mapping)
    job = keys.client("p1").get(f"/api/v1/jobs/{response.json()['job']}/").json()
    assert (job["status"], job["result"]["rows_loaded"]) == ("succeeded", 1)


def test_a_file_whose_columns_cannot_be_mapped_fails_the_job_with_the_reason(
    cast, keys, catalog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(keys.client("p1"), "Colour,Size\nred,XL\n")
    job = keys.client("p1").get(f"/api/v1/jobs/{response.json()['job']}/").json()
    assert job["status"] == "failed" and "Map a column for" in job["error"]
    upload = keys.client("p1").get(f"/api/v1/pos-uploads/{response.json()['upload']['id']}/").json()
    assert upload["status"] == "mapping"  # a person can finish the mapping in the portal


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"%PDF-1.7 not a spreadsheet", "sales.csv"), (b"MZ\x90\x00binary", "sales.xlsx")],
)
def test_files_are_checked_by_content_not_name(cast, keys, content, name):
    response = keys.client("p1").post("/api/v1/pos-uploads/", {"file": _file(content, name)})
    assert response.status_code == 422
    assert "neither a text (CSV) file nor an XLSX workbook" in response.json()["detail"]
    with cast.a.context():
        assert not Upload.objects.exists()


def test_an_xlsx_file_loads(cast, keys, catalog, django_capture_on_commit_callbacks):
    content = xlsx_bytes(
        [
            ["Invoice #", "Inv Date", "Item Number", "Qty", "Unit Price"],
            ["X-9", "2026-10-01", "PMP-100", 2, 50],
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = keys.client("p1").post("/api/v1/pos-uploads/", {"file": _file(content, "sales.xlsx")})
    job = keys.client("p1").get(f"/api/v1/jobs/{response.json()['job']}/").json()
    assert (job["status"], job["result"]["rows_loaded"]) == ("succeeded", 1)


def test_a_partner_key_sends_only_for_its_partner(cast, keys, catalog):
    response = _send(keys.client("p1"), partner="D200")
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "#/partner"


def test_a_vendor_key_sends_on_a_partners_behalf(cast, keys, catalog, django_capture_on_commit_callbacks):
    assert _send(keys.client("vendor")).status_code == 400  # which partner?
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(keys.client("manager"), partner="D200")
    assert response.status_code == 202 and response.json()["upload"]["partner"] == "D200"
    assert keys.client("p1").get(f"/api/v1/pos-uploads/{response.json()['upload']['id']}/").status_code == 404
    assert keys.client("p2").get(f"/api/v1/pos-uploads/{response.json()['upload']['id']}/").status_code == 200


def test_jobs_are_the_keys_own(cast, keys, catalog, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = _send(keys.client("p1")).json()["job"]
    own = {row["id"]: row["kind"] for row in keys.client("p1").get("/api/v1/jobs/").json()["results"]}
    assert own[job_id] == "api:pos_upload" and sorted(own.values()) == ["api:pos_upload", "pos:pos"]
    for other in ("p2", "vendor", "b"):
        assert keys.client(other).get(f"/api/v1/jobs/{job_id}/").status_code == 404


def test_a_key_revoked_before_its_job_runs_loads_nothing(
    cast, keys, catalog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _send(keys.client("p1"))
    with cast.a.context():
        api_key_revoke(key=keys.key("p1"), acting_membership=cast.a.memberships["admin"])
    for callback in callbacks:
        callback()
    with cast.a.context():
        job = Job.objects.get(pk=response.json()["job"])
        assert job.status == "failed" and "revoked" in job.error
        assert not PosLine.objects.exists()


def test_a_large_file_is_accepted_from_a_key_but_not_from_anonymous(cast, keys, catalog, settings):
    settings.PRM_ANONYMOUS_BODY_MAX_BYTES = 1024
    big = GOOD + "".join(f"INV-{n},2026-10-01,PMP-100,1,1.00,Acme\n" for n in range(10, 200))
    assert len(big) > 2048
    assert keys.client("p1").post("/api/v1/pos-uploads/", {"file": _file(big)}).status_code == 202
    anonymous = keys.client(None).post("/api/v1/pos-uploads/", {"file": _file(big)})
    assert anonymous.status_code == 413
