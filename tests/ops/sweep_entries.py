from __future__ import annotations

from prm.jobs.models import Job
from tests.sweep import Entry


def _export_job(cast):
    job = Job.objects.create(
        kind="ops:tenant_export",
        status=Job.Status.SUCCEEDED,
        created_by=cast.a.users["admin"],
        result={"file": "tenants/none.zip", "filename": "none.zip"},
    )
    return {"pk": job.pk}


def _tenant(cast):
    return {"pk": cast.a.tenant.pk}


def _tenant_and_job(cast):
    return {"pk": cast.a.tenant.pk, "job_pk": _export_job(cast)["pk"]}


ENTRIES = {
    "platform:ops_status": Entry(platform=True),
    "platform:ops_health": Entry(platform=True),
    "platform:ops_metrics": Entry(platform=True),
    "platform:ops_tenant": Entry(_tenant, platform=True),
    "platform:ops_tenant_export": Entry(_tenant, methods=("POST",), platform=True),
    "platform:ops_tenant_export_download": Entry(_tenant_and_job, platform=True),
    "platform:ops_tenant_delete": Entry(_tenant, methods=("POST",), platform=True),
    "platform:ops_tenant_delete_cancel": Entry(_tenant, methods=("POST",), platform=True),
    "data_export": Entry(methods=("GET", "POST")),
    "data_export_download": Entry(_export_job),
}
