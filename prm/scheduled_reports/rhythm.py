"""When a schedule is due: weekly on a weekday or monthly on a day (1-28), at SEND_HOUR in the
tenant's time zone; and the period a run belongs to (an ISO week or a month), which keys the
runs so that a period is never sent twice."""

from __future__ import annotations

import datetime
import zoneinfo

SEND_HOUR = 6  # local time of the tenant: in the inbox before the working day starts


def _at_send_hour(day: datetime.date, tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(SEND_HOUR), tzinfo=tz)


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def next_run(
    *, frequency: str, weekday: int | None, day_of_month: int | None, after: datetime.datetime, tz_name: str
) -> datetime.datetime:
    """The first send time strictly after ``after``."""
    tz = zoneinfo.ZoneInfo(tz_name or "UTC")
    today = after.astimezone(tz).date()
    if frequency == "weekly":
        day = today + datetime.timedelta(days=((weekday or 0) - today.weekday()) % 7)
        run = _at_send_hour(day, tz)
        return run if run > after else _at_send_hour(day + datetime.timedelta(days=7), tz)
    day = today.replace(day=day_of_month or 1)
    run = _at_send_hour(day, tz)
    return run if run > after else _at_send_hour(_next_month(day).replace(day=day_of_month or 1), tz)


def period_of(frequency: str, run_at: datetime.datetime, tz_name: str) -> str:
    """The period a scheduled send covers: ``2026-W48`` (weekly) or ``2026-11`` (monthly)."""
    local = run_at.astimezone(zoneinfo.ZoneInfo(tz_name or "UTC")).date()
    if frequency == "weekly":
        year, week, _day = local.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{local:%Y-%m}"
