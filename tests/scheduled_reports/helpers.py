"""Helpers of the scheduled-report tests: inventory activity of P1 and P2, and a schedule."""

from __future__ import annotations

import datetime

from prm.scheduled_reports.models import ScheduledReport, ScheduledReportRecipient
from tests.posdata.helpers import snapshots

D = datetime.date
PERIOD = {"date_from": "2026-01-01", "date_to": "2026-02-28"}


def pos_activity(cast) -> None:
    """P1 received 100 and sold 40 pumps in January; P2 received 10 and sold 10."""
    with cast.a.context():
        pump = cast.a.partners["product"]
        snapshots(cast.a.partners["p1"], [(D(2026, 1, 9), pump, 60, 100, 40)])
        snapshots(cast.a.partners["p2"], [(D(2026, 1, 9), pump, 0, 10, 10)])


def schedule(
    cast, owner: str, recipients: list[str], *, key="pos.sell_through", params=None, fmt="csv", **kw
):
    """A schedule made directly (the service is tested through the views)."""
    with cast.a.context():
        s = ScheduledReport.objects.create(
            owner=cast.a.memberships[owner],
            name=kw.pop("name", "Weekly sell-through"),
            report_key=key,
            params=PERIOD if params is None else params,
            frequency=kw.pop("frequency", "weekly"),
            weekday=kw.pop("weekday", 0),
            day_of_month=kw.pop("day_of_month", None),
            format=fmt,
            **kw,
        )
        ScheduledReportRecipient.objects.bulk_create(
            [
                ScheduledReportRecipient(tenant=cast.a.tenant, schedule=s, membership=cast.a.memberships[r])
                for r in recipients
            ]
        )
    return s
