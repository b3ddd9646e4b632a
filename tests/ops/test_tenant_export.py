"""A tenant's whole data set as one archive: every tenant table's rows (and only that tenant's),
a manifest, the members without secrets, the stored files, all read as one moment of the data;
vendor admins and operators only. (Real transactions: the export reads on a connection of its own.)"""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.db import connection

from prm.files import store_bytes
from prm.jobs.models import Job
from prm.jobs.staging import quote_table
from prm.ops.tenant_data import tenant_tables

pytestmark = pytest.mark.django_db(transaction=True)


def _counts(side) -> dict[str, int]:
    with side.context(), connection.cursor() as cursor:
        counts = {}
        for table in tenant_tables():
            cursor.execute(
                f"SELECT count(*) FROM {quote_table(table.name)} WHERE tenant_id = %s", [side.tenant.pk]
            )
            counts[table.name] = cursor.fetchone()[0]
        return counts


def _archive(response) -> zipfile.ZipFile:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _export_as_admin(cast, capture) -> Job:
    client = cast.a.client("admin")
    with capture(execute=True):
        response = client.post("/data-export/")
    assert response.status_code == 302
    with cast.a.context():
        job = Job.objects.get(kind="ops:tenant_export")
    assert job.status == Job.Status.SUCCEEDED, job.error
    return job


def test_a_vendor_admin_exports_every_table_of_the_tenant_and_its_files(
    cast, django_capture_on_commit_callbacks
):
    with cast.a.context():
        _stored, _sha = store_bytes(b"%PDF-1.4 proof", area="proofs", suffix=".pdf")
    job = _export_as_admin(cast, django_capture_on_commit_callbacks)
    expected = _counts(cast.a)  # as the export saw them (the download adds an audit event)
    archive = _archive(cast.a.client("admin").get(f"/data-export/{job.pk}/"))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["tenant"]["slug"] == "acme"
    assert set(manifest["tables"]) == set(expected)  # every tenant table, found in the database
    for table, count in expected.items():
        entry = manifest["tables"][table]
        assert entry["rows"] == count, table
        rows = list(csv.reader(io.StringIO(archive.read(entry["file"]).decode())))
        assert rows[0] == entry["columns"]
        assert len(rows) - 1 == count, table
        if "tenant_id" in rows[0]:
            position = rows[0].index("tenant_id")
            assert {row[position] for row in rows[1:]} <= {str(cast.a.tenant.pk)}, table
    partners = archive.read("tables/partners_partner.csv").decode()
    assert "Northwind Distribution" in partners and "Initech" not in partners
    users = archive.read("users.csv").decode()
    assert cast.a.users["p1_admin"].email in users and cast.b.users["admin"].email not in users
    assert "pbkdf2" not in users and "md5$" not in users and "password" not in users.splitlines()[0]
    assert manifest["users"]["rows"] == len(cast.a.users)
    files = {f["path"] for f in manifest["files"]}
    assert any(path.startswith("proofs/") for path in files), files
    assert archive.read("files/" + next(p for p in files if p.startswith("proofs/"))) == b"%PDF-1.4 proof"
    assert not any(path.startswith("exports/") for path in files)


def test_running_the_export_again_rewrites_the_same_archive(cast, django_capture_on_commit_callbacks):
    from prm.ops.tenant_data import write_archive

    job = _export_as_admin(cast, django_capture_on_commit_callbacks)
    with cast.a.context():
        again = write_archive(job)
    assert again["file"] == job.result["file"]
    assert again["rows"] == job.result["rows"]


def test_only_vendor_admins_and_operators_may_export(
    cast, operator, platform_client, django_capture_on_commit_callbacks
):
    for who in ("manager", "finance", "p1_admin", "p1_user"):
        assert cast.a.client(who).get("/data-export/").status_code == 403, who
        assert cast.a.client(who).post("/data-export/").status_code == 403, who
    job = _export_as_admin(cast, django_capture_on_commit_callbacks)
    # Another tenant's admin, on their own host, cannot name this export.
    assert cast.b.client("admin").get(f"/data-export/{job.pk}/").status_code == 404
    # The operator downloads it from the platform.
    archive = _archive(platform_client(operator).get(f"/ops/tenants/{cast.a.tenant.pk}/export/{job.pk}/"))
    assert "manifest.json" in archive.namelist()
    assert platform_client(cast.a.users["admin"]).get(f"/ops/tenants/{cast.a.tenant.pk}/").status_code == 403


def test_the_operator_exports_any_tenant_from_the_platform(
    cast, operator, platform_client, django_capture_on_commit_callbacks
):
    client = platform_client(operator)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/ops/tenants/{cast.b.tenant.pk}/export/").status_code == 302
    with cast.b.context():
        job = Job.objects.get(kind="ops:tenant_export")
        assert job.created_by == operator
    page = client.get(f"/ops/tenants/{cast.b.tenant.pk}/")
    assert page.status_code == 200 and f"/export/{job.pk}/".encode() in page.content
    archive = _archive(client.get(f"/ops/tenants/{cast.b.tenant.pk}/export/{job.pk}/"))
    assert "Initech" in archive.read("tables/partners_partner.csv").decode()
    # The job of tenant B cannot be fetched through tenant A's address.
    assert client.get(f"/ops/tenants/{cast.a.tenant.pk}/export/{job.pk}/").status_code == 404


def test_the_archive_is_one_moment_of_the_data_while_rows_change_during_the_export(
    cast, monkeypatch, django_capture_on_commit_callbacks
):
    from partners.models import Partner
    from prm.ops import tenant_data
    from prm.roles import Role
    from tests.factories import MembershipFactory, PartnerFactory, UserFactory

    before = _counts(cast.a)
    copy_into = tenant_data._copy_into
    copied: list[str] = []

    def copy_then_change(*args):
        result = copy_into(*args)
        copied.append(result["file"])
        if len(copied) == 2:  # the tenant row and the first table are written: others change now
            PartnerFactory(code="D900", name="Late Partner")
            Partner.objects.filter(pk=cast.a.partners["p2"].pk).update(name="Contoso Renamed")
            MembershipFactory(user=UserFactory(email="late@acme.test"), role=Role.FINANCE)
        return result

    monkeypatch.setattr(tenant_data, "_copy_into", copy_then_change)
    job = _export_as_admin(cast, django_capture_on_commit_callbacks)
    assert copied.index("tables/partners_partner.csv") > 1  # read after the change was committed
    with cast.a.context():
        assert Partner.objects.filter(name__in=["Late Partner", "Contoso Renamed"]).count() == 2
    archive = _archive(cast.a.client("admin").get(f"/data-export/{job.pk}/"))
    manifest = json.loads(archive.read("manifest.json"))
    partners = archive.read("tables/partners_partner.csv").decode()
    assert "Contoso Supply" in partners
    assert "Late Partner" not in partners and "Contoso Renamed" not in partners
    assert "late@acme.test" not in archive.read("users.csv").decode()
    changed = {"partners_partner", "prm_membership"}
    assert {t: manifest["tables"][t]["rows"] for t in changed} == {t: before[t] for t in changed}
