"""Helpers of the scheduled-report tests: inventory activity of P1 and P2, and a schedule."""

from __future__ import annotations

import datetime
import secrets

from posdata.models import InventorySnapshot, Upload
from prm.scheduled_reports.models import ScheduledReport, ScheduledReportRecipient

D = datetime.date
PERIOD = {"date_from": "2026-01-01", "date_to": "2026-02-28"}


def snapshots(partner, product, rows) -> None:
    """``rows``: (date, on hand, received, sold) of ``product`` at ``partner``."""
    upload = Upload.objects.create(
        partner=partner,
        kind="inventory",
        status="loaded",
        path="t.csv",
        format="csv",
        checksum=secrets.token_hex(8),
    )
    InventorySnapshot.objects.bulk_create(
        [
            InventorySnapshot(
                tenant_id=partner.tenant_id,
                partner=partner,
                upload=upload,
                snapshot_date=day,
                product=product,
                on_hand=on_hand,
                received=received,
                sold=sold,
                source_line=n + 2,
            )
            for n, (day, on_hand, received, sold) in enumerate(rows)
        ]
    )


def pos_activity(cast) -> None:
    """P1 received 100 and sold 40 pumps in January; P2 received 10 and sold 10."""
    with cast.a.context():
        pump = cast.a.partners["product"]
        snapshots(cast.a.partners["p1"], pump, [(D(2026, 1, 9), 60, 100, 40)])
        snapshots(cast.a.partners["p2"], pump, [(D(2026, 1, 9), 0, 10, 10)])


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
