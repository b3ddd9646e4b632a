"""The audit log page as a schedulable report (``prm.reports.ReportKind``): the page and a
scheduled e-mail parse its filters and select its events here (one code path)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from prm.accounts.models import Membership
from prm.audit.models import AuditEvent
from prm.audit.selectors import AUDIT_EXPORT_HEADERS, audit_export_rows, filter_events
from prm.forms import AuditFilterForm
from prm.reports import Report, ReportKind, ReportTables, require_valid
from prm.roles import Perm
from prm.scoping import partners_in_scope


@dataclass
class AuditPage:
    form: AuditFilterForm
    events: QuerySet[AuditEvent]


def audit_page(membership: Membership, params: Mapping[str, Any]) -> AuditPage:
    """The filter form and the events it selects (a filter that does not parse matches nothing,
    never everything)."""
    form = AuditFilterForm(params or None, partners=partners_in_scope(membership))
    events = AuditEvent.objects.select_related("actor", "partner")
    if form.is_valid():
        events = filter_events(events, form.cleaned_data)
    elif form.is_bound:
        events = events.none()
    return AuditPage(form=form, events=events)


def audit_table(page: AuditPage) -> Report:
    return Report("events", _("Audit log"), list(AUDIT_EXPORT_HEADERS), list(audit_export_rows(page.events)))


def audit_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    page = audit_page(membership, params)
    require_valid(page.form)
    return {"events": lambda: audit_table(page)}


AUDIT_LOG = ReportKind(
    key="audit.log",
    label=gettext_lazy("Audit log"),
    perm=Perm.AUDIT_VIEW,
    url_name="audit",
    tables=audit_tables,
)
