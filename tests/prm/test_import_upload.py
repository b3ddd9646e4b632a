"""Reference data upload in the portal: the job runs, the result shows; hostile or broken files
are rejected with a clear message, never a 500."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partners.models import Partner
from prm.jobs.models import Job

pytestmark = pytest.mark.django_db

GOOD = b"code,name,type,country,region,tier,email\nD300,Fabrikam,reseller,CA,Canada,Silver,\n"


def _upload(client, content: bytes, name="partners.csv", kind="partners", capture=None):
    data = {"kind": kind, "file": SimpleUploadedFile(name, content, content_type="text/csv")}
    if capture is None:
        return client.post("/imports/", data)
    with capture(execute=True):
        return client.post("/imports/", data)


def test_upload_runs_the_job_and_the_job_page_shows_the_result(cast, django_capture_on_commit_callbacks):
    client = cast.a.client("manager")
    response = _upload(client, GOOD, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    with cast.a.context():
        job = Job.objects.get()
        assert response["Location"] == f"/jobs/{job.pk}/"
        assert (job.kind, job.status, job.created_by) == (
            "import:partners",
            Job.Status.SUCCEEDED,
            cast.a.users["manager"],
        )
        assert job.result == {"kind": "partners", "created": 1, "updated": 0, "errors": []}
        assert Partner.objects.filter(code="D300").exists()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b'data-status="succeeded"' in page.content
    assert b"created" in page.content
    # The recent imports list on the upload page shows the job.
    assert [j.pk for j in client.get("/imports/").context["recent"]] == [job.pk]


def test_upload_with_invalid_rows_shows_every_problem_and_imports_nothing(
    cast, django_capture_on_commit_callbacks
):
    content = (
        b"code,name,type,country\nD300,Ok,reseller,CA\nD301,Bad,wholesaler,CA\nD302,Bad,reseller,Canada\n"
    )
    client = cast.a.client("admin")
    response = _upload(client, content, capture=django_capture_on_commit_callbacks)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b'data-status="failed"' in page.content
    assert b"2 invalid rows; nothing was imported." in page.content
    text = page.content.decode()
    assert "<td>3</td><td>type</td>" in text
    assert "<td>4</td><td>country</td>" in text
    with cast.a.context():
        assert not Partner.objects.filter(code__in=["D300", "D301", "D302"]).exists()


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "neither a text (CSV) file nor an XLSX"),
        (b"\x7fELF\x02\x01\x01\x00" + bytes(64), "neither a text (CSV) file nor an XLSX"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "neither a text (CSV) file nor an XLSX"),
        (b"code,name\x00,type\n", "neither a text (CSV) file nor an XLSX"),
        (_zip_bytes(), "not an XLSX workbook"),
        (b"PK\x03\x04garbage-that-is-not-a-zip", "damaged"),
    ],
    ids=["html", "elf", "pdf", "nul-bytes", "zip-not-xlsx", "broken-zip"],
)
def test_hostile_upload_renamed_csv_is_rejected_with_a_clear_message(cast, content, message):
    response = _upload(cast.a.client("admin"), content)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["file"])
    with cast.a.context():
        assert not Job.objects.exists()


def test_empty_file_is_rejected(cast):
    response = _upload(cast.a.client("admin"), b"")
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    with cast.a.context():
        assert not Job.objects.exists()


def test_header_only_or_wrong_columns_fail_the_job_with_a_message_not_a_500(
    cast, django_capture_on_commit_callbacks
):
    client = cast.a.client("admin")
    response = _upload(client, b"foo,bar\n1,2\n", capture=django_capture_on_commit_callbacks)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"Required column is missing." in page.content
    response = _upload(client, b"code,name,type,country\n", capture=django_capture_on_commit_callbacks)
    assert client.get(response["Location"]).status_code == 200


def test_upload_too_large_is_rejected(cast, settings):
    settings.PRM_UPLOAD_MAX_BYTES = 1024 * 1024
    from prm.files import UploadRejected, store_upload

    big = io.BytesIO(b"a,b\n" + b"x,y\n" * 300_000)
    with cast.a.context(), pytest.raises(UploadRejected, match="larger than the limit"):
        store_upload(big, area="imports")


def test_kinds_offered_follow_the_role(cast):
    admin_kinds = dict(cast.a.client("admin").get("/imports/").context["form"].fields["kind"].choices)
    manager_kinds = dict(cast.a.client("manager").get("/imports/").context["form"].fields["kind"].choices)
    assert {"partners", "products"} <= set(admin_kinds)
    assert "partners" in manager_kinds and "products" not in manager_kinds
    assert "fx_rates" in admin_kinds and "fx_rates" not in manager_kinds
    finance_kinds = dict(cast.a.client("finance").get("/imports/").context["form"].fields["kind"].choices)
    assert set(finance_kinds) == {"fx_rates"}


def test_manager_cannot_import_products_by_forging_the_kind(cast):
    header = b"sku,name,category,unit_of_measure,units_per_case,list_price,currency,gtin\nX-1,X,pumps,EA,1,1,USD,\n"
    response = _upload(cast.a.client("manager"), header, kind="products")
    assert response.status_code == 200
    assert "kind" in response.context["form"].errors
    with cast.a.context():
        assert not Job.objects.exists()


def test_finance_cannot_import_partners_by_forging_the_kind(cast):
    response = _upload(cast.a.client("finance"), GOOD)
    assert response.status_code == 200
    assert "kind" in response.context["form"].errors
    with cast.a.context():
        assert not Job.objects.exists()


@pytest.mark.parametrize("who", ["marketing", "p1_admin", "p1_user"])
def test_roles_without_import_rights_get_403(cast, who):
    response = _upload(cast.a.client(who), GOOD)
    assert response.status_code == 403
    with cast.a.context():
        assert not Job.objects.exists()
