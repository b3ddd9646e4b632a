from __future__ import annotations

from tests.scheduled_reports.helpers import schedule
from tests.sweep import Entry


def _schedule(cast):
    # Owned by P1's user: nobody else may reach it but the tenant's admin (who oversees all).
    return {"pk": schedule(cast, "p1_user", ["p1_user"]).pk}


ENTRIES = {
    "scheduled_reports:list": Entry(),
    "scheduled_reports:new": Entry(methods=("GET", "POST")),
    "scheduled_reports:detail": Entry(kwargs=_schedule, partner_owned=True),
    "scheduled_reports:edit": Entry(kwargs=_schedule, methods=("GET", "POST"), partner_owned=True),
    "scheduled_reports:pause": Entry(kwargs=_schedule, methods=("POST",), partner_owned=True),
    "scheduled_reports:resume": Entry(kwargs=_schedule, methods=("POST",), partner_owned=True),
    "scheduled_reports:delete": Entry(kwargs=_schedule, methods=("POST",), partner_owned=True),
    "scheduled_reports:send_now": Entry(kwargs=_schedule, methods=("POST",), partner_owned=True),
}
