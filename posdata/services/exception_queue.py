"""The exception queue: rows kept because their product was unknown, re-processed once someone
maps the code (a cross-reference) or fixes the catalogue."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from partners.models import Partner
from posdata import pipeline
from posdata.models import RejectedRow, Upload
from posdata.services.alerts import stockout_alerts_after_load
from posdata.services.common import check_partner
from posdata.services.xrefs import sku_xref_create
from prm.catalog.models import Product
from prm.jobs.models import Job
from prm.jobs.services import (
    TRANSIENT_ERRORS,
    job_create,
    job_enqueue,
    job_fail_unexpected,
    job_progress,
    job_start,
    job_succeed,
)
from prm.jobs.staging import staging_tables
from prm.lib.money import format_amount_str
from prm.roles import Perm, membership_has
from prm.tenancy.context import require_tenant
from prm.workflow import require


def exceptions_reprocess_start(*, partner: Partner, acting_membership, product_key: str | None = None) -> Job:
    """Start re-processing the partner's queued lines (those of one unknown code, or all)."""
    require(membership_has(acting_membership, Perm.POS_MANAGE))
    check_partner(acting_membership, partner)
    with transaction.atomic():
        job = job_create(
            kind="pos:reprocess",
            acting_user=acting_membership.user,
            params={"partner_id": partner.pk, "product_key": product_key},
            partner=partner,
        )
        job_enqueue(job, "posdata.reprocess_exceptions")
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


def _plan(job: Job, upload_ids: list[int]) -> dict[str, Any]:
    """What the job re-processes and what it has done so far, kept in ``job.counts``: written
    before the first upload, then with each upload's rows in the same transaction. A run
    redelivered after a crash carries on after the uploads the killed run committed, and its
    summary still counts every line once."""
    if job.counts.get("uploads") is not None:
        return dict(job.counts)
    plan = {
        "uploads": upload_ids,
        "done": [],
        "totals": {
            "rows_read": 0,
            "rows_loaded": 0,
            "rows_rejected": 0,
            "rows_duplicate": 0,
            "quantity_total": 0,
        },
        "amounts": {},
    }
    job_progress(job, 0, plan)
    return plan


def exceptions_reprocess_run(job: Job, *, retry_transient: bool = False) -> dict[str, Any]:
    """Re-run the queued lines through the loader, upload by upload (each with its own formats).
    Lines that now load are marked loaded (or duplicate); the others keep their current problems.
    A transient database error is raised for the task to retry (``retry_transient``); any other
    unexpected error fails the job with a reference the user sees (the detail is logged)."""
    if not job_start(job):
        return job.result
    tenant = require_tenant()
    partner = Partner.objects.get(pk=job.params["partner_id"])
    queue = RejectedRow.objects.filter(partner=partner, unknown_product=True, resolution="")
    if job.params.get("product_key"):
        queue = queue.filter(product_key__iexact=job.params["product_key"])
    plan = _plan(job, sorted(queue.order_by().values_list("upload_id", flat=True).distinct()))
    totals = plan["totals"]
    amounts = {code: Decimal(amount) for code, amount in plan["amounts"].items()}
    stage, norm = staging_tables(job, "stage", "norm")
    try:
        for upload_id in plan["uploads"]:
            if upload_id in plan["done"]:
                continue
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
                stockout_alerts_after_load(partner=partner, norm=norm)
                totals["rows_read"] += count
                totals["rows_loaded"] += moved.loaded
                totals["rows_duplicate"] += moved.good - moved.loaded
                totals["rows_rejected"] += still
                totals["quantity_total"] += moved.quantity
                for code, amount in moved.amounts.items():
                    amounts[code] = amounts.get(code, Decimal("0")) + amount
                plan["done"].append(upload_id)
                plan["amounts"] = {code: str(amount) for code, amount in amounts.items()}
                job_progress(job, int(100 * len(plan["done"]) / max(len(plan["uploads"]), 1)), plan)
    except Exception as exc:
        if retry_transient and isinstance(exc, TRANSIENT_ERRORS):
            raise  # Celery retries the task
        # The last attempt of a transient error, or anything else (our fault, not the data's):
        # the user sees a reference, the log the detail.
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
