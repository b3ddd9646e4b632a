"""Tasks go to the queue of their workload, and a worker started without -Q consumes them all."""

from __future__ import annotations

import pytest
from django.conf import settings

from prm.celery import app


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("posdata.process_upload", "ingest"),
        ("posdata.reprocess_exceptions", "ingest"),
        ("api.pos_upload", "ingest"),
        ("prm.imports.run_reference_import", "ingest"),
        ("claims.claim_validate", "validation"),
        ("partners.scorecards_nightly", "calculation"),
        ("partners.scorecards_job", "calculation"),
        ("rebates.rebate_calculate", "calculation"),
        ("funds.fund_export", "exports"),
        ("posdata.export_lines", "exports"),
        ("rebates.statement_render", "exports"),
        ("prm.notifications.send_emails", "email"),
        ("prm.accounts.send_invitation_email", "email"),
        ("deals.review_sla", "celery"),
        ("prm.tasks.for_each_tenant", "celery"),
    ],
)
def test_a_task_is_routed_to_the_queue_of_its_workload(task, queue):
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_a_worker_without_queue_options_consumes_every_workload_queue():
    assert set(app.amqp.queues) == {"celery", *settings.WORKLOAD_QUEUES}


def test_every_registered_task_lands_on_a_declared_queue():
    app.loader.import_default_modules()
    queues = {
        app.amqp.router.route({}, name)["queue"].name for name in app.tasks if not name.startswith("celery.")
    }
    assert queues <= set(app.amqp.queues)
