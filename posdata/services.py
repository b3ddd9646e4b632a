"""Writes of point-of-sale data: receive a file, confirm its mapping, load it (the job), map an
unknown SKU and re-process the lines waiting for it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Partner
from partners.selectors import partners_for_membership, require_active_partner
from posdata import pipeline
from posdata.fields import detect_mapping, field_names, missing_required
from posdata.models import ColumnMapping, Kind, RejectedRow, SkuXref, Upload
from posdata.reader import FileLayout, inspect_file
from prm.audit.services import audit
from prm.catalog.models import Product
from prm.files import store_upload
from prm.finance.rates import MissingRate, converted_sums_of_sql
from prm.jobs.models import Job
from prm.jobs.services import (
    TRANSIENT_ERRORS,
    job_create,
    job_enqueue,
    job_fail,
    job_fail_unexpected,
    job_progress,
    job_start,
    job_succeed,
    unexpected_failure_message,
)
from prm.jobs.staging import staging_tables
from prm.lib.money import format_amount_str
from prm.roles import Perm, membership_has
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError, check_transition, require

logger = logging.getLogger(__name__)
ERRORS_IN_JOB_RESULT = 200


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


def _check_partner(acting_membership, partner: Partner) -> None:
    if acting_membership is None:  # operators and the command act for the tenant
        return
    if not partners_for_membership(acting_membership).filter(pk=partner.pk).exists():
        raise DomainError(_("You cannot send files for this partner."))


def _previous_same_file(partner: Partner, kind: str, checksum: str) -> Upload | None:
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
) -> Upload:
    """Store a partner's file after the cheap checks (size while streaming, content type, the
    workbook's declared part sizes, the same file twice). Reading it (header row, columns,
    preview, proposed mapping) is the worker's job, or this process's when ``read_now`` (the
    command line). ``mapping`` names file headers for fields, checked when the file is read."""
    if acting_membership is not None:
        require(membership_has(acting_membership, Perm.POS_UPLOAD))
        acting_user = acting_membership.user
    _check_partner(acting_membership, partner)
    require_active_partner(partner)
    kind = Kind(kind)
    if replace_start is not None or replace_end is not None:
        if acting_membership is not None:
            require(membership_has(acting_membership, Perm.POS_REPLACE))
        if replace_start is None or replace_end is None or replace_start > replace_end:
            raise DomainError(_("A replaced period needs a start and an end on or after it."))
    path, fmt, checksum = store_upload(file, area="pos")
    previous = _previous_same_file(partner, kind, checksum)
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
        if not read_now:
            from posdata.tasks import read_upload

            upload_id = upload.pk
            transaction.on_commit(lambda: read_upload.delay(tenant_id=tenant.pk, upload_id=upload_id))
    if read_now:
        upload = upload_read(upload=upload)
    return upload


PREVIEW_ROWS = 8
PREVIEW_CELL_CHARS = 200


def upload_read(*, upload: Upload, retry_transient: bool = False) -> Upload:
    """Read the head of a received file once (in the worker): header row, columns, the first rows
    for the mapping page, and the proposed mapping (the one given, else the partner's saved one,
    completed by detection). A file that cannot be read fails with the reason; an unexpected
    error fails it with a reference (the detail is logged). Re-running it changes nothing."""
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
        message = unexpected_failure_message(exc, what=f"reading POS upload {upload.pk}")
        _read_failed(upload, message)
        raise DomainError(message) from exc
    width = len(layout.headers)
    preview = [[cell[:PREVIEW_CELL_CHARS] for cell in row[:width]] for row in layout.sample[:PREVIEW_ROWS]]
    with transaction.atomic():
        locked = Upload.objects.select_for_update().get(pk=upload.pk)
        if locked.status != Upload.Status.RECEIVED:
            return locked
        check_transition(Upload.TRANSITIONS, locked.status, Upload.Status.MAPPING, what=_("The upload"))
        locked.encoding = layout.encoding
        locked.delimiter = layout.delimiter
        locked.header_row = layout.header_row
        locked.headers = layout.headers
        locked.preview = preview
        locked.mapping = proposed
        locked.status = Upload.Status.MAPPING
        locked.save(
            update_fields=["encoding", "delimiter", "header_row", "headers", "preview", "mapping", "status"]
        )
    return locked


def _read_failed(upload: Upload, message: str) -> None:
    """The received file is refused: say why on the upload and delete the stored bytes."""
    with transaction.atomic():
        locked = Upload.objects.select_for_update().get(pk=upload.pk)
        if locked.status != Upload.Status.RECEIVED:
            return
        check_transition(Upload.TRANSITIONS, locked.status, Upload.Status.FAILED, what=_("The upload"))
        locked.status = Upload.Status.FAILED
        locked.error = message[:4000]
        locked.save(update_fields=["status", "error"])
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
        _check_partner(acting_membership, locked.partner)
        require_active_partner(locked.partner)
        check_transition(Upload.TRANSITIONS, locked.status, Upload.Status.QUEUED, what=_("The upload"))
        mapping = {f: h for f, h in mapping.items() if h}
        validate_mapping(locked.kind, mapping, locked.headers)
        missing = missing_required(locked.kind, mapping)
        if missing:
            raise DomainError(_("Map a column for: %(f)s.") % {"f": "; ".join(missing)})
        previous = _previous_same_file(locked.partner, locked.kind, locked.checksum)
        if previous is not None:
            raise DuplicateFile(previous)
        job = job_create(
            kind=f"pos:{locked.kind}",
            acting_user=acting_user,
            params={"upload_id": locked.pk},
            partner=locked.partner,
        )
        locked.mapping = mapping
        locked.status = Upload.Status.QUEUED
        locked.job = job
        try:
            with transaction.atomic():
                locked.save(update_fields=["mapping", "status", "job"])
        except IntegrityError as exc:  # a concurrent confirmation of the same file won
            raise DuplicateFile(
                _previous_same_file(locked.partner, locked.kind, locked.checksum) or locked
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
            from posdata.tasks import process_upload

            job_enqueue(job, process_upload)
    upload.refresh_from_db()
    return job


def summary_dict(upload: Upload, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The load summary (INTERFACES.md): ``amount_total`` in the file's currency, or, for a file
    in several currencies, in the tenant's base currency with ``amount_totals`` per currency."""
    summary: dict[str, Any] = {
        "status": "loaded" if upload.status == Upload.Status.LOADED else upload.status,
        "rows_read": upload.rows_read,
        "rows_loaded": upload.rows_loaded,
        "rows_rejected": upload.rows_rejected,
        "rows_duplicate": upload.rows_duplicate,
        "quantity_total": int(upload.quantity_total),
        "amount_total": format_amount_str(
            Decimal(upload.amount_total), upload.currency or require_tenant().base_currency
        ),
    }
    if len(upload.amount_totals) > 1:
        summary["amount_totals"] = dict(upload.amount_totals)
    summary["errors"] = (
        errors if errors is not None else pipeline.first_errors(upload.pk, ERRORS_IN_JOB_RESULT)
    )
    return summary


def duplicate_summary() -> dict[str, Any]:
    return {
        "status": "duplicate_file",
        "rows_read": 0,
        "rows_loaded": 0,
        "rows_rejected": 0,
        "rows_duplicate": 0,
        "quantity_total": 0,
        "amount_total": format_amount_str(Decimal("0"), require_tenant().base_currency),
        "errors": [],
    }


@dataclass(frozen=True)
class FileAmounts:
    """The amount of a loaded file, and what a conversion used."""

    total: Decimal
    currency: str
    by_currency: dict[str, str]  # only for a file in several currencies
    rates: list[dict[str, Any]]


def file_amounts(moved: pipeline.Moved, *, base_currency: str, fallback_currency: str) -> FileAmounts:
    """A file in one currency: its sum in that currency. A file in several: the sum converted into
    the tenant's base currency at each line's invoice-date rate (set-based: one rate look-up per
    currency and day), the sums per currency, and the rates used. A missing rate refuses the file
    with the pair, the date and the first line that needs it."""
    if len(moved.amounts) <= 1:
        currency = next(iter(moved.amounts), fallback_currency)
        return FileAmounts(total=moved.amount, currency=currency, by_currency={}, rates=[])
    sums = converted_sums_of_sql(pipeline.loaded_lines_by_day(moved.lines), target=base_currency, lines=True)
    try:
        sums.require_complete()
    except MissingRate as exc:
        raise DomainError(
            str(exc)
            + " "
            + _(
                "The file has lines in several currencies, so its total is converted into %(base)s. Add the "
                "rate (Finance → Exchange rates, or import_data --kind fx_rates) or send each currency in "
                "its own file, then send the file again."
            )
            % {"base": base_currency}
        ) from exc
    return FileAmounts(
        total=sums.converted(),
        currency=base_currency,
        by_currency={code: format_amount_str(amount, code) for code, amount in sums.by_currency().items()},
        rates=sums.rates,
    )


def upload_process(job: Job, *, retry_transient: bool = False) -> dict[str, Any]:
    """The load job: stage, normalise, validate, move. Re-running it changes nothing twice.
    A transient database error is raised for the task to retry (``retry_transient``); any other
    unexpected error fails the upload with a reference the user sees (the detail is logged)."""
    upload = Upload.objects.select_related("partner").get(job=job)
    if not job_start(job):
        return job.result
    if upload.status == Upload.Status.LOADED:
        result = summary_dict(upload)
        job_succeed(job, result)
        return result
    Upload.objects.filter(pk=upload.pk).update(status=Upload.Status.PROCESSING)
    stage, norm = staging_tables(job, "stage", "norm")
    try:
        result = _load(upload, job, stage, norm)
    except DomainError as exc:
        _fail(upload, job, str(exc))
        return job.result
    except TRANSIENT_ERRORS as exc:
        if retry_transient:
            raise
        _fail(upload, job, unexpected_failure_message(exc, what=f"loading POS upload {upload.pk}"))
        return job.result
    except Exception as exc:
        _fail(upload, job, unexpected_failure_message(exc, what=f"loading POS upload {upload.pk}"))
        return job.result
    finally:
        try:
            pipeline.drop_table(stage)
            pipeline.drop_table(norm)
        except Exception:  # the connection may be broken; the tables are unlogged scratch
            logger.warning("could not drop staging tables of upload %s", upload.pk)
    return result


def _fail(upload: Upload, job: Job, message: str) -> None:
    Upload.objects.filter(pk=upload.pk).update(status=Upload.Status.FAILED, error=message[:4000])
    job_fail(job, message)
    job.refresh_from_db()


def _load(upload: Upload, job: Job, stage: str, norm: str) -> dict[str, Any]:
    tenant = require_tenant()
    layout = FileLayout(
        format=upload.format,
        encoding=upload.encoding,
        delimiter=upload.delimiter,
        header_row=upload.header_row,
        headers=list(upload.headers),
    )
    job_progress(job, 2)
    pipeline.create_table_like_staging(stage)
    rows_read = pipeline.stage_file(
        table=stage,
        tenant_id=tenant.pk,
        upload_id=upload.pk,
        path=Path(upload.path),
        layout=layout,
        mapping=upload.mapping,
        kind=upload.kind,
        progress=lambda fraction: job_progress(job, 2 + int(60 * max(fraction, 0))),
    )
    job_progress(job, 65, {"rows_read": rows_read})
    formats = pipeline.infer_formats(
        table=stage,
        kind=upload.kind,
        mapping=upload.mapping,
        delimiter=upload.delimiter,
        country=upload.partner.country or "",
    )
    run = pipeline.Run(
        tenant_id=tenant.pk,
        partner_id=upload.partner_id,
        kind=upload.kind,
        mapping=upload.mapping,
        formats=formats,
        currency=tenant.base_currency,
        stage=stage,
        norm=norm,
        replace_start=upload.replace_start,
        replace_end=upload.replace_end,
    )
    pipeline.normalise(run)
    job_progress(job, 85, {"rows_read": rows_read})
    # The label of a file that loads nothing (all duplicates): its good rows' usual currency.
    currency = tenant.base_currency
    if "currency" in upload.mapping and upload.kind == Kind.POS:
        found = pipeline._execute(
            f"SELECT cur FROM {pipeline.ident(norm)} WHERE cardinality(errs) = 0 GROUP BY cur ORDER BY count(*) DESC LIMIT 1"
        )
        currency = found[0][0] if found else currency
    with transaction.atomic():
        locked = Upload.objects.select_for_update().get(pk=upload.pk)
        if locked.status == Upload.Status.LOADED:  # a concurrent run of the same job finished first
            return summary_dict(locked)
        replaced = 0
        if upload.replace_start is not None and upload.replace_end is not None:
            replaced = pipeline.delete_period(run)
            audit(
                actor=upload.created_by,
                action="pos.period_replace",
                obj=locked,
                before={"rows": replaced},
                after={
                    "start": upload.replace_start.isoformat(),
                    "end": upload.replace_end.isoformat(),
                    "partner": upload.partner.code,
                },
            )
        rejected = pipeline.insert_rejected(run)
        moved = pipeline.move_good_rows(run)
        amounts = file_amounts(moved, base_currency=tenant.base_currency, fallback_currency=currency)
        locked.formats = formats
        locked.rows_read = rows_read
        locked.rows_rejected = rejected
        locked.rows_loaded = moved.loaded
        locked.rows_duplicate = moved.good - moved.loaded
        locked.quantity_total = moved.quantity
        locked.amount_total = amounts.total
        locked.currency = amounts.currency
        locked.amount_totals = amounts.by_currency
        locked.fx_rates = amounts.rates
        locked.replaced_rows = replaced
        locked.status = Upload.Status.LOADED
        locked.loaded_at = timezone.now()
        locked.save(
            update_fields=[
                "formats", "rows_read", "rows_rejected", "rows_loaded", "rows_duplicate", "quantity_total",
                "amount_total", "currency", "amount_totals", "fx_rates", "replaced_rows", "status", "loaded_at",
            ]
        )  # fmt: skip
        result = summary_dict(locked)
        job_succeed(job, result)
    return result


def pos_file_load(
    *,
    partner: Partner,
    path: Path,
    kind: str = Kind.POS,
    mapping: dict[str, str] | None = None,
    acting_user=None,
    original_name: str = "",
    replace_start: date | None = None,
    replace_end: date | None = None,
) -> tuple[Upload | None, dict[str, Any]]:
    """Receive, confirm and load a file in this process (command line, seed, API): the same
    services as the portal, waiting for the job. Returns the upload and the summary."""
    try:
        with path.open("rb") as handle:
            upload = upload_receive(
                partner=partner,
                kind=kind,
                file=handle,
                original_name=original_name or path.name,
                acting_user=acting_user,
                mapping=mapping,
                replace_start=replace_start,
                replace_end=replace_end,
                read_now=True,
            )
        job = upload_confirm(upload=upload, mapping=upload.mapping, enqueue=False)
    except DuplicateFile:
        return None, duplicate_summary()
    result = upload_process(job)
    upload.refresh_from_db()
    return upload, result


# --- Exception queue ---------------------------------------------------------------------------------


def sku_xref_create(*, partner: Partner, partner_sku: str, product: Product, acting_membership) -> SkuXref:
    """Map a partner's code to a vendor product (audited)."""
    require(membership_has(acting_membership, Perm.POS_MANAGE))
    _check_partner(acting_membership, partner)
    partner_sku = partner_sku.strip()
    if not partner_sku:
        raise DomainError(_("The partner SKU is empty."))
    with transaction.atomic():
        existing = (
            SkuXref.objects.select_for_update()
            .filter(partner=partner, partner_sku__iexact=partner_sku)
            .first()
        )
        if existing is not None:
            if existing.product_id == product.pk:
                return existing
            raise DomainError(
                _("%(code)s is already mapped to %(sku)s.")
                % {"code": partner_sku, "sku": existing.product.sku}
            )
        xref = SkuXref.objects.create(
            partner=partner, partner_sku=partner_sku, product=product, created_by=acting_membership.user
        )
        audit(
            actor=acting_membership.user,
            action="pos.sku_xref_create",
            obj=xref,
            after={"partner": partner.code, "partner_sku": partner_sku, "sku": product.sku},
        )
    return xref


def sku_xref_delete(*, xref: SkuXref, acting_membership) -> None:
    require(membership_has(acting_membership, Perm.POS_MANAGE))
    _check_partner(acting_membership, xref.partner)
    with transaction.atomic():
        audit(
            actor=acting_membership.user,
            action="pos.sku_xref_delete",
            obj=xref,
            before={"partner": xref.partner.code, "partner_sku": xref.partner_sku, "sku": xref.product.sku},
        )
        xref.delete()


def exceptions_reprocess_start(*, partner: Partner, acting_membership, product_key: str | None = None) -> Job:
    """Start re-processing the partner's queued lines (those of one unknown code, or all)."""
    require(membership_has(acting_membership, Perm.POS_MANAGE))
    _check_partner(acting_membership, partner)
    with transaction.atomic():
        job = job_create(
            kind="pos:reprocess",
            acting_user=acting_membership.user,
            params={"partner_id": partner.pk, "product_key": product_key},
            partner=partner,
        )
        from posdata.tasks import reprocess_exceptions

        job_enqueue(job, reprocess_exceptions)
    return job


def exception_map_and_reprocess(
    *, partner: Partner, product_key: str, product: Product, acting_membership
) -> Job:
    """Map the unknown code to a product (a cross-reference) and re-process its queued lines."""
    with transaction.atomic():
        sku_xref_create(
            partner=partner, partner_sku=product_key, product=product, acting_membership=acting_membership
        )
        return exceptions_reprocess_start(
            partner=partner, product_key=product_key, acting_membership=acting_membership
        )


def exceptions_reprocess_run(job: Job, *, retry_transient: bool = False) -> dict[str, Any]:
    """Re-run the queued lines through the loader, upload by upload (each with its own formats).
    Lines that now load are marked loaded (or duplicate); the others keep their current problems."""
    if not job_start(job):
        return job.result
    tenant = require_tenant()
    partner = Partner.objects.get(pk=job.params["partner_id"])
    queue = RejectedRow.objects.filter(partner=partner, unknown_product=True, resolution="")
    if job.params.get("product_key"):
        queue = queue.filter(product_key__iexact=job.params["product_key"])
    totals = {"rows_read": 0, "rows_loaded": 0, "rows_rejected": 0, "rows_duplicate": 0, "quantity_total": 0}
    amounts: dict[str, Decimal] = {}
    upload_ids = list(queue.order_by().values_list("upload_id", flat=True).distinct())
    stage, norm = staging_tables(job, "stage", "norm")
    try:
        for index, upload_id in enumerate(upload_ids):
            upload = Upload.objects.get(pk=upload_id)
            rows = (
                queue.filter(upload_id=upload_id)
                .order_by("line")
                .values_list("upload_id", "line", "id", "data")
            )
            pipeline.create_table_like_staging(stage)
            # Read the rows before the COPY starts: the connection is busy while it runs.
            count = pipeline.stage_rows(table=stage, rows=list(rows), kind=upload.kind)
            run = pipeline.Run(
                tenant_id=tenant.pk,
                partner_id=partner.pk,
                kind=upload.kind,
                mapping=upload.mapping,
                formats=upload.formats,
                currency=tenant.base_currency,
                stage=stage,
                norm=norm,
                all_fields=True,
            )
            pipeline.normalise(run)
            with transaction.atomic():
                still = pipeline.count_rejected(norm)
                pipeline.update_rejected(run)
                moved = pipeline.move_good_rows(run)
            totals["rows_read"] += count
            totals["rows_loaded"] += moved.loaded
            totals["rows_duplicate"] += moved.good - moved.loaded
            totals["rows_rejected"] += still
            totals["quantity_total"] += moved.quantity
            for code, amount in moved.amounts.items():
                amounts[code] = amounts.get(code, Decimal("0")) + amount
            job_progress(job, int(100 * (index + 1) / max(len(upload_ids), 1)))
    except TRANSIENT_ERRORS:
        if retry_transient:
            raise
        job_fail(job, _("Re-processing was interrupted by a database error; start it again."))
        return {}
    except Exception as exc:
        job_fail_unexpected(job, exc, what=f"re-processing POS exceptions (job {job.pk})")
        return {}
    finally:
        pipeline.drop_table(stage)
        pipeline.drop_table(norm)
    # Lines re-processed together may come from files in different currencies: the totals stay
    # per currency (never added up); one currency also gives the plain total.
    result: dict[str, Any] = {"status": "loaded", **totals}
    if len(amounts) <= 1:
        currency = next(iter(amounts), tenant.base_currency)
        result["amount_total"] = format_amount_str(amounts.get(currency, Decimal("0")), currency)
        result["currency"] = currency
    result["amount_totals"] = {
        code: format_amount_str(amount, code) for code, amount in sorted(amounts.items())
    }
    result["errors"] = []
    job_succeed(job, result)
    return result
