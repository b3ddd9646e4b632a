"""What the POS services share: the partner check of an acting member and starting a task."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from partners.models import Partner
from partners.selectors import partners_for_membership
from prm.celery import app as celery_app
from prm.workflow import DomainError


def check_partner(acting_membership, partner: Partner) -> None:
    """A member acts only for the partners they see; operators and commands (no membership) act
    for the tenant."""
    if acting_membership is None:
        return
    if not partners_for_membership(acting_membership).filter(pk=partner.pk).exists():
        raise DomainError(_("You cannot send files for this partner."))


def task(name: str) -> Any:
    """The Celery task registered under ``name`` (by posdata.tasks, which PosdataConfig.ready
    imports), for work that is not a job (a job's task is named to ``job_enqueue``). Services
    start tasks by name: tasks import services, services never import tasks. Looked up when the
    work is enqueued, so a missing task fails the request, not the commit."""
    return celery_app.tasks[name]
