"""Proof of performance against hostile uploads: checked by the bytes (never the name), by size
per requirement, zip bombs refused, names reduced to harmless display names and stored under
generated names inside the tenant's folder; SVG and HTML never accepted."""

from __future__ import annotations

import datetime
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from funds.models import ProofFile
from funds.services.claims import claim_create, safe_name
from prm.files import UploadRejected, tenant_folder
from prm.workflow import DomainError
from tests.funds.helpers import CSV, PDF, allocate, approved, days, fund, period, proof, tiers, travel

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(cast, monkeypatch):
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        allocate(cast, period(cast, f, end=days(200)), "10000.00")
        r = approved(cast, f)
        travel(monkeypatch, r.end_date + datetime.timedelta(days=1))
        return claim_create(
            request=r, acting_membership=cast.a.memberships["p1_admin"], actual_cost=Decimal("100.00")
        )


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _stored_files() -> list[Path]:
    folder = tenant_folder() / "funds" / "proof"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.mark.parametrize(
    ("requirement", "name", "content"),
    [
        ("invoice", "invoice.pdf", b"MZ\x90\x00" + b"\x00" * 100),  # a Windows program named .pdf
        ("invoice", "invoice.pdf", b"GIF89a" + b"\x00" * 20),
        ("photo", "booth.jpg", PDF),  # a PDF is not a photo
        ("photo", "logo.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("attendees", "list.csv", b"<html><body><script>alert(1)</script></body></html>"),
        ("attendees", "list.csv", b"  <?xml version='1.0'?><svg onload='alert(1)'/>"),
        ("invoice", "invoice.pdf", b""),
    ],
)
def test_files_are_checked_by_their_bytes_for_what_they_prove(cast, claim, requirement, name, content):
    with cast.a.context():
        with pytest.raises(UploadRejected):
            proof(cast, claim, requirement, name, content)
        assert not ProofFile.objects.exists()
        assert _stored_files() == []


def test_an_oversize_file_is_refused_while_it_streams(cast, claim):
    with cast.a.context():
        with pytest.raises(UploadRejected, match="larger than the limit of 10 MB"):
            proof(cast, claim, "invoice", "big.pdf", PDF + b"0" * (10 * 1024 * 1024))
        assert _stored_files() == []


@pytest.mark.parametrize(("megabytes", "reason"), [(20, "compressed 1\\d+ to 1"), (40, "expands to 40 MB")])
def test_a_zip_bomb_posing_as_an_attendee_document_is_refused(cast, claim, megabytes, reason):
    bomb = _zip(
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\x00" * (megabytes * 1024 * 1024)}
    )
    assert len(bomb) < 200_000
    with cast.a.context():
        with pytest.raises(UploadRejected, match=reason):
            proof(cast, claim, "attendees", "attendees.docx", bomb)
        assert not ProofFile.objects.exists()
        assert _stored_files() == []


def test_a_name_with_folders_is_only_a_display_name_and_the_file_lands_in_the_tenants_folder(cast, claim):
    with cast.a.context():
        stored = proof(cast, claim, "invoice", "../../../etc/passwd.pdf", PDF)
        assert stored.original_name == "passwd.pdf"
        path = (Path(settings.MEDIA_ROOT) / stored.path).resolve()
        assert tenant_folder().resolve() in path.parents
        assert ".." not in stored.path and "passwd" not in stored.path
        assert path.read_bytes() == PDF and stored.content_type == "application/pdf"


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("..\\..\\windows\\evil.pdf", "evil.pdf"),
        ('in"voice<1>.pdf', "invoice1.pdf"),
        ("...", "file"),
        ("a\x00b\r\n.pdf", "ab.pdf"),
    ],
)
def test_safe_names(given, shown):
    assert safe_name(given) == shown


def test_a_real_office_attendee_list_and_a_csv_are_accepted(cast, claim):
    xlsx = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    with cast.a.context():
        assert proof(cast, claim, "attendees", "list.xlsx", xlsx).path.endswith(".xlsx")
        assert proof(cast, claim, "attendees", "list.csv", CSV).content_type.startswith("text/plain")


def test_proof_cannot_be_added_once_the_claim_is_submitted(cast, claim):
    from funds.services.claims import claim_submit
    from tests.funds.helpers import full_proof

    with cast.a.context():
        full_proof(cast, claim)
        claim_submit(claim=claim, acting_membership=cast.a.memberships["p1_admin"])
        claim.refresh_from_db()
        with pytest.raises(DomainError, match="draft or returned"):
            proof(cast, claim, "invoice", "late.pdf", PDF)
