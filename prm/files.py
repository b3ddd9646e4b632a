"""Safe handling of uploaded files: checked by content and size, stored under the tenant's folder,
decoded whatever the partner's ERP produced (UTF-8 with/without BOM, UTF-16, Windows-1252)."""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import os
import struct
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from django.conf import settings
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from prm.tenancy.context import require_tenant
from prm.workflow import DomainError

SNIFF_BYTES = 64 * 1024

# Zip-bomb and memory guards for spreadsheets, checked on the archive's directory before any part
# is decompressed (the declared sizes bound what decompression can produce: zipfile stops at them).
# openpyxl streams worksheets, but loads every other part it reads (shared strings, styles,
# workbook, relationships) whole: those parts get a much smaller bound than worksheets.
XLSX_MAX_ENTRIES = 2_000
XLSX_MAX_DIRECTORY_BYTES = 2 * 1024 * 1024
XLSX_MAX_UNCOMPRESSED = 1024 * 1024 * 1024  # all parts together
XLSX_MAX_WORKSHEET_BYTES = 768 * 1024 * 1024  # one worksheet part (streamed)
XLSX_MAX_OTHER_PART_BYTES = 24 * 1024 * 1024  # shared strings, styles, ... (loaded whole)
# Deflate compresses real spreadsheet XML 5-40 times; a large part squeezed far beyond that (a
# 22 KB file declaring 500,000 shared strings) is crafted to cost memory and time, not data.
XLSX_MAX_RATIO = 200
XLSX_RATIO_CHECKED_FROM = 4 * 1024 * 1024
XLSX_WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
# Excel's own limits: readers never build more rows than a sheet can have, nor rows wider than
# the columns a file of ours may use.
EXCEL_MAX_ROWS = 1_048_576
MAX_COLUMNS = 256
# The longest CSV record (one line, or several when quoted fields hold line breaks) we read.
CSV_MAX_RECORD_CHARS = 128 * 1024
csv.field_size_limit(CSV_MAX_RECORD_CHARS)


class UploadRejected(DomainError):
    pass


class FileTypeRefused(UploadRejected):
    """The content is not of a kind the caller accepts (callers may say which kinds they take)."""


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


_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")


def zip_directory_size(path: Path) -> tuple[int, int]:
    """(entries, bytes) of a ZIP archive's central directory, read from its end record without
    loading the directory (zipfile builds an object per entry: a crafted directory of millions of
    entries would cost gigabytes before any size could be checked)."""
    damaged = UploadRejected(_("The ZIP archive (XLSX) is damaged: its directory cannot be read."))
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        tail_start = max(0, size - (_EOCD.size + 65535))
        handle.seek(tail_start)
        tail = handle.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or at + _EOCD.size > len(tail):
            raise damaged
        _sig, _disk, _cd_disk, _here, entries, directory, _offset, _comment = _EOCD.unpack_from(tail, at)
        if entries == 0xFFFF or directory == 0xFFFFFFFF:
            # ZIP64: the real counts are in the ZIP64 end record the locator before it names.
            locator_at = at - _ZIP64_LOCATOR.size
            if locator_at < 0:
                raise damaged
            signature, _disk, record_offset, _disks = _ZIP64_LOCATOR.unpack_from(tail, locator_at)
            if signature != b"PK\x06\x07" or record_offset + _ZIP64_EOCD.size > size:
                raise damaged
            handle.seek(record_offset)
            record = handle.read(_ZIP64_EOCD.size)
            fields = _ZIP64_EOCD.unpack(record)
            if fields[0] != b"PK\x06\x06":
                raise damaged
            entries, directory = fields[6], fields[7]
    return entries, directory


def _worksheet_parts(archive: zipfile.ZipFile) -> set[str]:
    """Part names the manifest ([Content_Types].xml) declares as worksheets (by explicit
    override only: a default by extension could otherwise declare every part a worksheet).
    Parsed with expat directly, refusing entity declarations (no entity expansion attacks)."""

    try:
        info = archive.getinfo("[Content_Types].xml")
    except KeyError:
        return set()
    if info.file_size > XLSX_MAX_OTHER_PART_BYTES:
        return set()
    found: set[str] = set()

    def start(name: str, attributes: dict[str, str]) -> None:
        if name.rpartition(" ")[2] == "Override" and attributes.get("ContentType") == XLSX_WORKSHEET_TYPE:
            found.add(attributes.get("PartName", "").lstrip("/"))

    def refuse_entities(*_args: Any) -> None:
        raise ValueError("entity declarations are not accepted")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EntityDeclHandler = refuse_entities
    try:
        parser.Parse(archive.read(info), True)
    except (expat.ExpatError, zipfile.BadZipFile, ValueError):
        return set()
    return found


def check_zip_sizes(path: Path, *, what: str) -> zipfile.ZipFile:
    """Open a ZIP container (XLSX, DOCX, ...) after bounding its directory and the declared size
    of every part and of all parts together; raise UploadRejected naming the reason."""
    entries, directory = zip_directory_size(path)
    if entries > XLSX_MAX_ENTRIES or directory > XLSX_MAX_DIRECTORY_BYTES:
        raise UploadRejected(
            _("The %(what)s holds %(n)d parts; at most %(max)d are accepted.")
            % {"what": what, "n": entries, "max": XLSX_MAX_ENTRIES}
        )
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise UploadRejected(_("The %(what)s is damaged: %(error)s") % {"what": what, "error": exc}) from exc
    try:
        infos = archive.infolist()
        if sum(info.file_size for info in infos) > XLSX_MAX_UNCOMPRESSED:
            raise UploadRejected(
                _("The %(what)s expands to more than %(mb)d MB.")
                % {"what": what, "mb": XLSX_MAX_UNCOMPRESSED // (1024 * 1024)}
            )
        worksheets = _worksheet_parts(archive)
        for info in infos:
            limit = XLSX_MAX_WORKSHEET_BYTES if info.filename in worksheets else XLSX_MAX_OTHER_PART_BYTES
            if info.file_size > limit:
                raise UploadRejected(
                    _(
                        "The part %(part)s of the %(what)s expands to %(size)d MB; at most %(mb)d MB are accepted."
                    )
                    % {
                        "part": info.filename[:100],
                        "what": what,
                        "size": info.file_size // (1024 * 1024),
                        "mb": limit // (1024 * 1024),
                    }
                )
            if info.file_size > XLSX_RATIO_CHECKED_FROM and info.file_size > XLSX_MAX_RATIO * max(
                info.compress_size, 1
            ):
                raise UploadRejected(
                    _(
                        "The part %(part)s of the %(what)s is compressed %(ratio)d to 1, far beyond real spreadsheet data: the file is refused."
                    )
                    % {
                        "part": info.filename[:100],
                        "what": what,
                        "ratio": info.file_size // max(info.compress_size, 1),
                    }
                )
    except BaseException:
        archive.close()
        raise
    return archive


def check_xlsx(path: Path) -> None:
    with check_zip_sizes(path, what=_("workbook")) as archive:
        if "xl/workbook.xml" not in set(archive.namelist()):
            raise UploadRejected(_("The ZIP file is not an XLSX workbook."))


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


class BoundedLines:
    """The lines of a text stream for ``csv.reader``, refusing a record longer than
    ``CSV_MAX_RECORD_CHARS``: a file without line breaks (or one endless quoted field) is never
    read into memory whole. The reader of the records calls ``next_record()`` after each one."""

    __slots__ = ("limit", "text", "used")

    def __init__(self, text: IO[str], limit: int = CSV_MAX_RECORD_CHARS) -> None:
        self.text = text
        self.limit = limit
        self.used = 0

    def next_record(self) -> None:
        self.used = 0

    def __iter__(self) -> Iterator[str]:
        readline, limit = self.text.readline, self.limit
        while line := readline(limit + 1):
            self.used += len(line)
            if self.used > limit:
                raise UploadRejected(
                    _("A line of the file is longer than %(kb)d KB: it is not a table we can read.")
                    % {"kb": limit // 1024}
                )
            yield line


def iter_csv_records(
    text: IO[str], dialect: Any = "excel", **options: Any
) -> Iterator[tuple[int, list[str]]]:
    """(physical line where the record starts, cells) of every CSV record, each record bounded."""
    lines = BoundedLines(text)
    reader = csv.reader(lines, dialect, **options)
    previous = 0
    for cells in reader:
        lines.next_record()
        start = previous + 1
        previous = reader.line_num
        yield start, cells


def iter_xlsx_rows(path: Path, *, width: int = MAX_COLUMNS) -> Iterator[tuple[int, list[str]]]:
    """Yield (sheet row number, cells as strings) from the first sheet, streaming. Rows have
    ``width`` cells and stop at Excel's last row, whatever dimensions or far-away cells the sheet
    declares (openpyxl would otherwise pad every row to them)."""

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(max_col=max(width, 1), max_row=EXCEL_MAX_ROWS, values_only=True)
        for number, row in enumerate(rows, start=1):
            yield number, [cell_to_text(value) for value in row]
    finally:
        workbook.close()


def xlsx_header_width(path: Path) -> int:
    """The number of cells up to the last filled one in the first row of the first sheet."""
    for _number, cells in iter_xlsx_rows(path):
        while cells and not cells[-1]:
            cells.pop()
        return len(cells)
    return 0


def cell_to_text(value) -> str:

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
    "webp": ("image/webp", ".webp"),
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


def store_bytes(data: bytes, *, area: str, suffix: str, name: str = "") -> tuple[str, str]:
    """Write generated bytes (a rendered PDF) under the tenant's folder. Returns (relative path
    under MEDIA_ROOT, sha256). ``name`` (one per document, e.g. ``payment-12``) makes a re-run
    that renders the same document again replace the file instead of leaving a second; the file
    appears whole or not at all."""
    folder = tenant_folder() / area
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name or uuid.uuid4().hex}{suffix}"
    partial = target.with_name(f"{target.name}.{uuid.uuid4().hex}.part")
    partial.write_bytes(data)
    os.replace(partial, target)
    return _relative(target), hashlib.sha256(data).hexdigest()


def store_document(
    upload: IO[bytes],
    *,
    area: str,
    kinds: tuple[str, ...] = ("pdf", "png", "jpeg", "office", "text"),
    max_bytes: int | None = None,
) -> dict[str, str | int]:
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
    refused = FileTypeRefused(_("This type of file is not accepted here."))
    if head.startswith(b"%PDF-"):
        kind = "pdf"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "png"
    elif head.startswith(b"\xff\xd8\xff"):
        kind = "jpeg"
    elif head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        kind = "webp"
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
        # Documents are stored and downloaded, never parsed here: bound the directory and the
        # total only (a presentation may embed a large video part).
        entries, directory = zip_directory_size(path)
        if entries > XLSX_MAX_ENTRIES or directory > XLSX_MAX_DIRECTORY_BYTES:
            raise refused
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

    base = tenant_folder().resolve()
    path = (Path(settings.MEDIA_ROOT) / relative).resolve()
    if not relative or base not in path.parents or not path.is_file():
        raise Http404("No such file.")
    return path


def file_download(relative: str, *, filename: str, content_type: str = "application/octet-stream"):
    """Stream a stored file of the current tenant as an attachment (after the caller's permission
    check: files are never served from public URLs)."""

    path = resolve_tenant_file(relative)
    response = FileResponse(path.open("rb"), as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
