"""Safe handling of uploaded files: checked by content and size, stored under the tenant's folder,
decoded whatever the partner's ERP produced (UTF-8 with/without BOM, UTF-16, Windows-1252)."""

from __future__ import annotations

import codecs
import hashlib
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

from prm.tenancy.context import require_tenant
from prm.workflow import DomainError

XLSX_MAX_UNCOMPRESSED = 2 * 1024 * 1024 * 1024  # zip-bomb guard for spreadsheets
SNIFF_BYTES = 64 * 1024


class UploadRejected(DomainError):
    pass


def detect_format(head: bytes) -> str:
    """'xlsx' or 'csv' from the content itself (never from the file name); raise otherwise."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"
    if b"\x00" in head:
        raise UploadRejected(_("The file is neither a text (CSV) file nor an XLSX workbook."))
    lowered = head.lstrip().lower()
    binary = head.startswith((b"%PDF", b"\x7fELF", b"MZ\x90", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf"))
    if binary or lowered.startswith((b"<!doctype", b"<html", b"<?xml", b"<script", b"<svg")):
        raise UploadRejected(_("The file is neither a text (CSV) file nor an XLSX workbook."))
    return "csv"


def check_xlsx(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                raise UploadRejected(_("The ZIP file is not an XLSX workbook."))
            if sum(info.file_size for info in archive.infolist()) > XLSX_MAX_UNCOMPRESSED:
                raise UploadRejected(_("The workbook expands to more than the allowed size."))
    except zipfile.BadZipFile as exc:
        raise UploadRejected(_("The XLSX file is damaged: %(error)s") % {"error": exc}) from exc


def detect_encoding(head: bytes) -> str:
    """Pick the text encoding from the first bytes: BOMs first, then UTF-8, else Windows-1252."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte sequence cut at the end of the sample is still UTF-8.
        if exc.start < len(head) - 4:
            return "cp1252"
    return "utf-8"


def _stream_to_tenant_area(
    upload: IO[bytes], *, area: str, max_bytes: int | None
) -> tuple[Path, int, bytes, str]:
    """Stream an upload to a random name under the tenant's ``area`` folder, enforcing the size
    limit while reading. Returns (path, size, first bytes for sniffing, sha256)."""
    limit = max_bytes or settings.PRM_UPLOAD_MAX_BYTES
    folder = tenant_folder() / area
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / uuid.uuid4().hex
    digest = hashlib.sha256()
    size = 0
    head = b""
    chunks = upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1024 * 1024), b"")
    with target.open("wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                out.close()
                target.unlink(missing_ok=True)
                raise UploadRejected(
                    _("The file is larger than the limit of %(mb)d MB.") % {"mb": limit // (1024 * 1024)}
                )
            if len(head) < SNIFF_BYTES:
                head += chunk[: SNIFF_BYTES - len(head)]
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        target.unlink(missing_ok=True)
        raise UploadRejected(_("The file is empty."))
    return target, size, head, digest.hexdigest()


def store_upload(upload: IO[bytes], *, area: str, max_bytes: int | None = None) -> tuple[Path, str, str]:
    """Store a data file (CSV or XLSX) under ``MEDIA_ROOT/tenants/<tenant>/<area>/``; check size
    and content. Returns (path, detected format, sha256). The stored name is random:
    user-supplied names never reach the file system."""
    target, _size, head, sha256 = _stream_to_tenant_area(upload, area=area, max_bytes=max_bytes)
    try:
        fmt = detect_format(head)
        if fmt == "xlsx":
            check_xlsx(target)
    except UploadRejected:
        target.unlink(missing_ok=True)
        raise
    final = target.with_suffix(f".{fmt}")
    target.rename(final)
    return final, fmt, sha256


def open_text(path: Path) -> IO[str]:
    """Open a CSV file as text with the detected encoding (universal newlines kept for csv)."""
    with path.open("rb") as raw:
        head = raw.read(SNIFF_BYTES)
    return path.open("r", encoding=detect_encoding(head), newline="", errors="strict")


def iter_xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield (sheet row number, cells as strings) from the first sheet, streaming."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [cell_to_text(value) for value in row]
    finally:
        workbook.close()


def cell_to_text(value) -> str:
    import datetime

    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time(0) else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- Documents (PDF, images, office files) and generated files ---------------------------------

# Content signatures of the document types apps accept (agreements, library files, certificates,
# proofs of performance). Checked on the bytes, never on the name.
DOCUMENT_TYPES: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", ".pdf"),
    "png": ("image/png", ".png"),
    "jpeg": ("image/jpeg", ".jpg"),
    "office": ("application/octet-stream", ".bin"),  # DOCX/XLSX/PPTX (ZIP container)
    "text": ("text/plain; charset=utf-8", ".txt"),
}
OFFICE_TYPES = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
}


def tenant_folder() -> Path:
    tenant = require_tenant()
    return Path(settings.MEDIA_ROOT) / "tenants" / f"{tenant.pk}-{tenant.slug}"


def _relative(path: Path) -> str:
    return str(path.relative_to(Path(settings.MEDIA_ROOT)))


def store_bytes(data: bytes, *, area: str, suffix: str) -> tuple[str, str]:
    """Write generated bytes (a rendered PDF) under the tenant's folder. Returns (relative path
    under MEDIA_ROOT, sha256)."""
    folder = tenant_folder() / area
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}{suffix}"
    target.write_bytes(data)
    return _relative(target), hashlib.sha256(data).hexdigest()


def store_document(
    upload: IO[bytes], *, area: str, kinds: tuple[str, ...] = ("pdf", "png", "jpeg", "office", "text"),
    max_bytes: int | None = None,
) -> dict[str, str | int]:  # fmt: skip
    """Store an uploaded document after checking its size and its content type (by bytes).
    Returns {"path" (relative to MEDIA_ROOT), "content_type", "size", "sha256"}."""
    target, size, head, sha256 = _stream_to_tenant_area(upload, area=area, max_bytes=max_bytes)
    try:
        content_type, suffix = _document_type(target, head, kinds)
    except UploadRejected:
        target.unlink(missing_ok=True)
        raise
    final = target.with_suffix(suffix)
    target.rename(final)
    return {
        "path": _relative(final),
        "content_type": content_type,
        "size": size,
        "sha256": sha256,
    }


def _document_type(path: Path, head: bytes, kinds: tuple[str, ...]) -> tuple[str, str]:
    refused = UploadRejected(_("This type of file is not accepted here."))
    if head.startswith(b"%PDF-"):
        kind = "pdf"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "png"
    elif head.startswith(b"\xff\xd8\xff"):
        kind = "jpeg"
    elif head.startswith(b"PK\x03\x04"):
        kind = "office"
    else:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise refused from exc
        if b"\x00" in head or head.lstrip().lower().startswith((b"<", b"#!")):
            raise refused
        kind = "text"
    if kind not in kinds:
        raise refused
    if kind == "office":
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
                if sum(info.file_size for info in archive.infolist()) > XLSX_MAX_UNCOMPRESSED:
                    raise UploadRejected(_("The document expands to more than the allowed size."))
        except zipfile.BadZipFile as exc:
            raise refused from exc
        for prefix, found in OFFICE_TYPES.items():
            if any(name.startswith(prefix) for name in names):
                return found
        raise refused
    return DOCUMENT_TYPES[kind]


def resolve_tenant_file(relative: str) -> Path:
    """The absolute path of a stored file of the current tenant; refuses paths outside its folder."""
    from django.http import Http404

    base = tenant_folder().resolve()
    path = (Path(settings.MEDIA_ROOT) / relative).resolve()
    if not relative or base not in path.parents or not path.is_file():
        raise Http404("No such file.")
    return path


def file_download(relative: str, *, filename: str, content_type: str = "application/octet-stream"):
    """Stream a stored file of the current tenant as an attachment (after the caller's permission
    check: files are never served from public URLs)."""
    from django.http import FileResponse

    path = resolve_tenant_file(relative)
    response = FileResponse(path.open("rb"), as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
