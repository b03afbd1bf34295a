"""Weeks of the desk's calendar (pure): Monday 00:00 to the next Monday 00:00 in the desk's
time zone, as UTC instants, so that a weekly report counts what happened in its local week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Week:
    """The week starting on Monday ``monday`` (local), as UTC ``[start, end)``."""

    monday: date
    start: datetime
    end: datetime

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


def week_of(monday: date, zone: str) -> Week:
    """The week starting on ``monday`` in ``zone``."""
    tz = ZoneInfo(zone)
    start = datetime.combine(monday, time(), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(monday + timedelta(days=7), time(), tzinfo=tz).astimezone(UTC)
    return Week(monday, start, end)


def local_day(now: datetime, zone: str) -> date:
    """The desk's date at ``now``."""
    return now.astimezone(ZoneInfo(zone)).date()


def last_full_week(now: datetime, zone: str) -> Week:
    """The latest week that has ended by ``now``: the one before the current local week."""
    today = local_day(now, zone)
    this_monday = today - timedelta(days=today.weekday())
    return week_of(this_monday - timedelta(days=7), zone)


def last_weeks(now: datetime, zone: str, count: int) -> list[Week]:
    """The ``count`` weeks that ended by ``now``, oldest first."""
    latest = last_full_week(now, zone)
    return [
        week_of(latest.monday - timedelta(days=7 * back), zone) for back in range(count - 1, -1, -1)
    ]
