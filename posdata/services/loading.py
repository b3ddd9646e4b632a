"""The load job of a confirmed upload (queued -> processing -> loaded or failed), its summary, and
loading a file in this process (command line, seed, API)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Partner
from posdata import pipeline
from posdata.models import Kind, Upload
from posdata.reader import FileLayout
from posdata.services.alerts import stockout_alerts_after_load
from posdata.services.uploads import DuplicateFile, upload_confirm, upload_receive, upload_set_status
from prm.audit.services import audit
from prm.events import iso, partner_ref, publish
from prm.finance.rates import MissingRate, converted_sums_of_sql
from prm.jobs.models import Job
from prm.jobs.services import (
    TRANSIENT_ERRORS,
    job_fail,
    job_progress,
    job_start,
    job_succeed,
    unexpected_failure_message,
)
from prm.jobs.staging import staging_tables
from prm.lib.money import format_amount_str
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError

logger = logging.getLogger(__name__)
ERRORS_IN_JOB_RESULT = 200


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
    A transient database error is raised for the task to retry (``retry_transient``); on the last
    attempt, and for any other unexpected error, the upload fails with a reference the user sees
    (the detail is logged)."""
    upload = Upload.objects.select_related("partner").get(job=job)
    if not job_start(job):
        return job.result
    if upload.status == Upload.Status.LOADED:
        result = summary_dict(upload)
        job_succeed(job, result)
        return result
    stage, norm = staging_tables(job, "stage", "norm")
    try:
        _start_processing(upload)
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
        # Anything else is our fault, not the file's: the user sees a reference, the log the detail.
        _fail(upload, job, unexpected_failure_message(exc, what=f"loading POS upload {upload.pk}"))
        return job.result
    finally:
        try:
            pipeline.drop_table(stage)
            pipeline.drop_table(norm)
        except Exception:  # the connection may be broken; the tables are unlogged scratch
            logger.warning("could not drop staging tables of upload %s", upload.pk)
    return result


def _start_processing(upload: Upload) -> None:
    """Queued -> processing. A retry of the job (after a transient error) finds it processing
    already and carries on; any other state is refused by the transition table."""
    with transaction.atomic():
        locked = Upload.objects.select_for_update().get(pk=upload.pk)
        if locked.status != Upload.Status.PROCESSING:
            upload_set_status(locked, Upload.Status.PROCESSING)


def _fail(upload: Upload, job: Job, message: str) -> None:
    """The job fails with ``message``, and the upload with it where its transition table allows.
    An upload a concurrent run of the same job loaded stays loaded (its job succeeded); one that
    failed already keeps its first reason."""
    with transaction.atomic():
        locked = Upload.objects.select_for_update().get(pk=upload.pk)
        if locked.status == Upload.Status.LOADED:
            job.refresh_from_db()
            return
        if Upload.Status.FAILED in Upload.TRANSITIONS.get(Upload.Status(locked.status), ()):
            upload_set_status(locked, Upload.Status.FAILED, error=message[:4000])
        job_fail(job, message)
    job.refresh_from_db()


def upload_give_up(job: Job, message: str) -> None:
    """The stuck-job sweep gave the load up (prm.jobs.registry): its upload fails with the reason
    and what to do, for the partner who sent it, unless a run loaded it meanwhile (the sweep
    fails the job itself)."""
    with transaction.atomic():
        locked = Upload.objects.select_for_update().filter(job=job).first()
        if locked is None or Upload.Status.FAILED not in Upload.TRANSITIONS[Upload.Status(locked.status)]:
            return
        error = " ".join((message, _("Send the file again to load it.")))
        upload_set_status(locked, Upload.Status.FAILED, error=error[:4000])
        audit(
            actor=None, action="pos.upload_given_up", obj=locked, after={"job": job.pk, "error": error[:500]}
        )


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
        currency = pipeline.usual_currency(norm) or currency
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
        stockout_alerts_after_load(partner=upload.partner, norm=norm)
        amounts = file_amounts(moved, base_currency=tenant.base_currency, fallback_currency=currency)
        upload_set_status(
            locked,
            Upload.Status.LOADED,
            formats=formats,
            rows_read=rows_read,
            rows_rejected=rejected,
            rows_loaded=moved.loaded,
            rows_duplicate=moved.good - moved.loaded,
            quantity_total=moved.quantity,
            amount_total=amounts.total,
            currency=amounts.currency,
            amount_totals=amounts.by_currency,
            fx_rates=amounts.rates,
            replaced_rows=replaced,
            loaded_at=timezone.now(),
        )
        publish(tenant, "pos_upload.completed", upload_event_data(locked))
        result = summary_dict(locked)
        job_succeed(job, result)
    return result


def upload_event_data(upload: Upload) -> dict[str, Any]:
    """The key fields of a loaded upload in pos_upload.completed (docs/webhooks.md): its counts and
    totals (those of INTERFACES.md's summary, without the rejected rows' details)."""
    return {
        "id": upload.pk,
        "partner": partner_ref(upload.partner),
        "kind": upload.kind,
        "status": upload.status,
        "original_name": upload.original_name,
        "rows_read": upload.rows_read,
        "rows_loaded": upload.rows_loaded,
        "rows_rejected": upload.rows_rejected,
        "rows_duplicate": upload.rows_duplicate,
        "quantity_total": int(upload.quantity_total),
        "amount_total": format_amount_str(
            Decimal(upload.amount_total), upload.currency or require_tenant().base_currency
        ),
        "currency": upload.currency or require_tenant().base_currency,
        "amount_totals": dict(upload.amount_totals),
        "replaced_rows": upload.replaced_rows,
        "loaded_at": iso(upload.loaded_at),
    }


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
