"""An upload from receipt to a confirmed mapping: receive the file, read its head (in the worker),
confirm the column mapping and queue the load. Every status change of an upload goes through
``upload_set_status`` (checked against ``Upload.TRANSITIONS``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Partner
from partners.selectors import require_active_partner
from posdata.fields import detect_mapping, field_names, missing_required
from posdata.models import ColumnMapping, Kind, SkuXref, Upload
from posdata.reader import inspect_file
from posdata.services.common import check_partner, task
from prm.audit.services import audit
from prm.catalog.models import Product
from prm.files import store_upload
from prm.jobs.models import Job
from prm.jobs.services import TRANSIENT_ERRORS, job_create, job_enqueue, unexpected_failure_message
from prm.roles import Perm, membership_has
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError, check_transition, require

PREVIEW_ROWS = 8
PREVIEW_CELL_CHARS = 200


class DuplicateFile(DomainError):
    """The same file (same partner, same checksum) was already loaded."""

    def __init__(self, previous: Upload) -> None:
        self.previous = previous
        super().__init__(
            _("This file was already loaded for %(partner)s (upload #%(pk)d of %(when)s).")
            % {
                "partner": previous.partner.name,
                "pk": previous.pk,
                "when": timezone.localtime(previous.created_at).strftime("%Y-%m-%d %H:%M"),
            }
        )


def upload_set_status(locked: Upload, status: str, **changes: Any) -> Upload:
    """The one place an upload's status changes: ``locked`` is the row its caller locked
    (``select_for_update`` in the caller's transaction); the move is checked against
    ``Upload.TRANSITIONS`` (an illegal one raises DomainError and writes nothing) and saved with
    the fields that change with it."""
    check_transition(Upload.TRANSITIONS, locked.status, status, what=_("The upload"))
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.status = status
    locked.save(update_fields=["status", *changes])
    return locked


def previous_same_file(partner: Partner, kind: str, checksum: str) -> Upload | None:
    return (
        Upload.objects.filter(partner=partner, kind=kind, checksum=checksum, status__in=Upload.ACTIVE)
        .select_related("partner")
        .first()
    )


def _known_codes(partner: Partner) -> set[str]:
    codes = {s.upper() for s in Product.objects.values_list("sku", flat=True)}
    codes |= {
        s.upper() for s in SkuXref.objects.filter(partner=partner).values_list("partner_sku", flat=True)
    }
    return codes


def parse_mapping_option(text: str) -> dict[str, str]:
    """``"Header=field,Other header=field"`` -> {field: header}; raise ValueError on bad text."""
    mapping: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise ValueError(f"{part.strip()!r} is not Header=field")
        header, _sep, name = part.rpartition("=")
        header, name = header.strip(), name.strip()
        if not header or not name:
            raise ValueError(f"{part.strip()!r} is not Header=field")
        if name in mapping:
            raise ValueError(f"field {name!r} is mapped twice")
        mapping[name] = header
    if not mapping:
        raise ValueError("the mapping is empty")
    return mapping


def validate_mapping(kind: str, mapping: dict[str, str], headers: list[str]) -> None:
    known = set(field_names(kind))
    unknown = sorted(set(mapping) - known)
    if unknown:
        raise DomainError(_("Unknown field(s): %(f)s.") % {"f": ", ".join(unknown)})
    absent = sorted({h for h in mapping.values() if h not in headers})
    if absent:
        raise DomainError(
            _("The file has no column named %(h)s.") % {"h": ", ".join(repr(h) for h in absent)}
        )
    used = [h for h in mapping.values()]
    twice = sorted({h for h in used if used.count(h) > 1})
    if twice:
        raise DomainError(_("A column can feed one field only: %(h)s.") % {"h": ", ".join(twice)})


def upload_receive(
    *,
    partner: Partner,
    kind: str,
    file: IO[bytes],
    original_name: str,
    acting_membership=None,
    acting_user=None,
    mapping: dict[str, str] | None = None,
    replace_start: date | None = None,
    replace_end: date | None = None,
    read_now: bool = False,
    start_reading: bool = True,
) -> Upload:
    """Store a partner's file after the cheap checks (size while streaming, content type, the
    workbook's declared part sizes, the same file twice). Reading it (header row, columns,
    preview, proposed mapping) is the worker's job, or this process's when ``read_now`` (the
    command line); ``start_reading=False`` leaves it to the caller's own job (the API's upload
    job reads, confirms and loads in one). ``mapping`` names file headers for fields, checked
    when the file is read."""
    if acting_membership is not None:
        require(membership_has(acting_membership, Perm.POS_UPLOAD))
        acting_user = acting_membership.user
    check_partner(acting_membership, partner)
    require_active_partner(partner)
    kind = Kind(kind)
    if replace_start is not None or replace_end is not None:
        if acting_membership is not None:
            require(membership_has(acting_membership, Perm.POS_REPLACE))
        if replace_start is None or replace_end is None or replace_start > replace_end:
            raise DomainError(_("A replaced period needs a start and an end on or after it."))
    path, fmt, checksum = store_upload(file, area="pos")
    previous = previous_same_file(partner, kind, checksum)
    if previous is not None:
        Path(path).unlink(missing_ok=True)
        raise DuplicateFile(previous)
    tenant = require_tenant()
    with transaction.atomic():
        upload = Upload.objects.create(
            partner=partner,
            kind=kind,
            status=Upload.Status.RECEIVED,
            original_name=(original_name or "")[:255],
            path=str(path),
            format=fmt,
            size=Path(path).stat().st_size,
            checksum=checksum,
            mapping=dict(mapping or {}),
            replace_start=replace_start,
            replace_end=replace_end,
            currency=tenant.base_currency,
            created_by=acting_user,
        )
        if not read_now and start_reading:
            read_upload = task("posdata.read_upload")
            upload_id = upload.pk
            transaction.on_commit(lambda: read_upload.delay(tenant_id=tenant.pk, upload_id=upload_id))
    if read_now:
        upload = upload_read(upload=upload)
    return upload


def upload_read(*, upload: Upload, retry_transient: bool = False) -> Upload:
    """Read the head of a received file once (in the worker): header row, columns, the first rows
    for the mapping page, and the proposed mapping (the one given, else the partner's saved one,
    completed by detection). A file that cannot be read fails with the reason; an unexpected
    error fails it with a reference (the detail is logged). A transient database error is raised
    for the task to retry while ``retry_transient``. Re-running it changes nothing."""
    upload = Upload.objects.select_related("partner").get(pk=upload.pk)
    if upload.status != Upload.Status.RECEIVED:
        return upload
    given = dict(upload.mapping)
    try:
        saved = ColumnMapping.objects.filter(partner=upload.partner, kind=upload.kind).first()
        preset = dict(saved.mapping) if saved else {}
        if given:
            preset = {**{f: h for f, h in preset.items() if h not in given.values()}, **given}
        path = Path(upload.path)
        layout = inspect_file(path, upload.format, upload.kind, preferred=list((given or preset).values()))
        if given:
            validate_mapping(upload.kind, given, layout.headers)
        proposed = detect_mapping(
            upload.kind, layout.headers, layout.sample, known_skus=_known_codes(upload.partner), preset=preset
        )
    except TRANSIENT_ERRORS as exc:
        if retry_transient:
            raise
        message = unexpected_failure_message(exc, what=f"reading POS upload {upload.pk}")
        _read_failed(upload, message)
        raise DomainError(message) from exc
    except DomainError as exc:
        _read_failed(upload, str(exc))
        raise
    except Exception as exc:
        # Anything else is our fault, not the file's: the user sees a reference, the log the detail.
        message = unexpected_failure_message(exc, what=f"reading POS upload {upload.pk}")
        _read_failed(upload, message)
        raise DomainError(message) from exc
    width = len(layout.headers)
    preview = [[cell[:PREVIEW_CELL_CHARS] for cell in row[:width]] for row in layout.sample[:PREVIEW_ROWS]]
    with transaction.atomic():
        locked = Upload.objects.select_for_update().get(pk=upload.pk)
        if locked.status != Upload.Status.RECEIVED:
            return locked
        return upload_set_status(
            locked,
            Upload.Status.MAPPING,
            encoding=layout.encoding,
            delimiter=layout.delimiter,
            header_row=layout.header_row,
            headers=layout.headers,
            preview=preview,
            mapping=proposed,
        )


def _read_failed(upload: Upload, message: str) -> None:
    """The received file is refused: say why on the upload and delete the stored bytes."""
    with transaction.atomic():
        locked = Upload.objects.select_for_update().get(pk=upload.pk)
        if locked.status != Upload.Status.RECEIVED:
            return
        upload_set_status(locked, Upload.Status.FAILED, error=message[:4000])
    Path(upload.path).unlink(missing_ok=True)


def upload_confirm(
    *, upload: Upload, mapping: dict[str, str], acting_membership=None, enqueue: bool = True
) -> Job:
    """Confirm the column mapping (saved for the partner's next files) and start the load job."""
    acting_user = acting_membership.user if acting_membership is not None else upload.created_by
    with transaction.atomic():
        locked = Upload.objects.select_for_update().select_related("partner").get(pk=upload.pk)
        if acting_membership is not None:
            require(membership_has(acting_membership, Perm.POS_UPLOAD))
        check_partner(acting_membership, locked.partner)
        require_active_partner(locked.partner)
        # Refused first: a file that is not awaiting its mapping says so, whatever the mapping.
        check_transition(Upload.TRANSITIONS, locked.status, Upload.Status.QUEUED, what=_("The upload"))
        mapping = {f: h for f, h in mapping.items() if h}
        validate_mapping(locked.kind, mapping, locked.headers)
        missing = missing_required(locked.kind, mapping)
        if missing:
            raise DomainError(_("Map a column for: %(f)s.") % {"f": "; ".join(missing)})
        previous = previous_same_file(locked.partner, locked.kind, locked.checksum)
        if previous is not None:
            raise DuplicateFile(previous)
        job = job_create(
            kind=f"pos:{locked.kind}",
            acting_user=acting_user,
            params={"upload_id": locked.pk},
            partner=locked.partner,
        )
        try:
            with transaction.atomic():
                upload_set_status(locked, Upload.Status.QUEUED, mapping=mapping, job=job)
        except IntegrityError as exc:  # a concurrent confirmation of the same file won
            raise DuplicateFile(
                previous_same_file(locked.partner, locked.kind, locked.checksum) or locked
            ) from exc
        ColumnMapping.objects.update_or_create(
            partner=locked.partner, kind=locked.kind, defaults={"mapping": mapping, "updated_by": acting_user}
        )
        if locked.replace_start is not None and locked.replace_end is not None:
            audit(
                actor=acting_user,
                action="pos.period_replace_requested",
                obj=locked,
                after={"start": locked.replace_start.isoformat(), "end": locked.replace_end.isoformat()},
            )
        if enqueue:
            job_enqueue(job, "posdata.process_upload")
    upload.refresh_from_db()
    return job
